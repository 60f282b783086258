"""Webhook mode under load on loopback: one worker, then three sharing one database.

Run by hand:
`.venv/bin/python benchmarks/webhook_load.py [--database-url URL] [--seconds 10] [--rate 20]`.

The fake Bot API runs in its own process; each worker is a real `satudata serve --webhook`
process. Only the first worker runs the background jobs (SATUDATA_BACKGROUND=off for the
others). Every update comes from its own user, so the per-user rate limit stays out of the
way, and is matched to its answer at the fake API by chat id. Both processes read the same
monotonic clock, so "POST → answer arrives at the API" is measured across processes.

Phases per worker count:
- capacity: `--concurrency` clients post question updates round-robin as fast as they are
  answered with 200, for `--seconds`; accepted/s, and handled/s until every accepted update
  is answered. Every answer is a message, and the workers share Telegram's bot-wide budget of
  30 messages/s, so this is bounded by 30 whatever the number of workers;
- latency: an open-loop `--rate` updates/s in all (below that budget), spread over the
  workers, p50/p99 from POST to answer;
- outbox: `--outbox` messages enqueued at once, delivered msg/s while the workers serve.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.webhook import SECRET_HEADER  # noqa: E402
from bot.wiring import prepare_database  # noqa: E402
from storage import db  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

TOKEN = "123456:BENCHMARK-token-for-the-fake-bot-api"
SECRET = "benchmark-secret"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test_webhook"
QUESTIONS = (
    "IPM Kabupaten Pasuruan",
    "TPT Kota Surabaya 2023",
    "IPM Kota Batu 2023",
    "persentase penduduk miskin Jember 2022",
    "IPM Kota Malang 2021",
)
_ids = itertools.count(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def question_update(chat_id: int) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Beban", "language_code": "id"}
    message = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private"},
        "from": user,
        "text": QUESTIONS[chat_id % len(QUESTIONS)],
    }
    return {"update_id": next(_ids), "message": message}


@dataclass
class Load:
    posted: dict[int, float] = field(default_factory=dict)  # chat id → when posted
    refused: int = 0
    started: float = 0.0
    ended: float = 0.0


class Workers:
    """`satudata serve --webhook` processes on free ports, sharing one database."""

    def __init__(self, count: int, api_base: str, database_url: str, logs: Path) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.count = count
        self.api_base = api_base
        self.database_url = database_url
        self.logs = logs
        self.processes: list[asyncio.subprocess.Process] = []

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    async def start(self) -> None:
        for number, port in enumerate(self.ports):
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": self.api_base,
                "DATABASE_URL": self.database_url,
                "WEBHOOK_URL": "https://bot.example.go.id/telegram",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "SATUDATA_BACKGROUND": "on" if number == 0 else "off",
            }
            with (self.logs / f"worker-{self.count}-{number}.log").open("wb") as log:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "serve", "--webhook",
                    cwd=self.logs, env=env, stdout=log, stderr=log,
                )  # fmt: skip
            self.processes.append(process)
        async with httpx.AsyncClient() as client:
            for url in self.urls:
                await until_ready(client, url)

    async def stop(self) -> list[int | None]:
        for process in self.processes:
            process.terminate()
        return [await process.wait() for process in self.processes]


async def until_ready(client: httpx.AsyncClient, url: str, within: float = 180.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if (await client.get(f"{url}/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


async def post(client: httpx.AsyncClient, url: str, chat_id: int, load: Load) -> None:
    sent_at = time.monotonic()
    response = await client.post(
        f"{url}/telegram", json=question_update(chat_id), headers={SECRET_HEADER: SECRET}
    )
    if response.status_code == 200:
        load.posted[chat_id] = sent_at
    else:
        load.refused += 1


async def capacity(urls: list[str], chats: itertools.count[int], seconds: float, c: int) -> Load:
    """Closed loop: `c` clients, each posting its next update as soon as the last is taken."""
    load, turn = Load(), itertools.cycle(urls)
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        load.started = time.monotonic()
        deadline = load.started + seconds

        async def client_loop() -> None:
            while time.monotonic() < deadline:
                await post(client, next(turn), next(chats), load)

        await asyncio.gather(*(client_loop() for _ in range(c)))
        load.ended = time.monotonic()
    return load


async def steady(urls: list[str], chats: itertools.count[int], seconds: float, rate: float) -> Load:
    """Open loop: one update every 1/rate seconds whatever the answers take."""
    load, turn = Load(), itertools.cycle(urls)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        load.started = time.monotonic()
        tasks = []
        for n in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, load.started + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(post(client, next(turn), next(chats), load)))
        await asyncio.gather(*tasks)
        load.ended = time.monotonic()
    return load


async def answers(api: str, client: httpx.AsyncClient) -> dict[int, float]:
    """First message each chat received, by the fake API's clock."""
    first: dict[int, float] = {}
    for call in (await client.get(f"{api}/_calls")).json():
        if call["method"] in ("sendMessage", "sendPhoto"):
            first.setdefault(int(call["params"]["chat_id"]), call["at"])
    return first


async def wait_answered(api: str, load: Load, within: float = 120.0) -> dict[int, float]:
    async with httpx.AsyncClient(timeout=30) as client:
        deadline = time.monotonic() + within
        while True:
            arrived = await answers(api, client)
            if all(chat in arrived for chat in load.posted) or time.monotonic() > deadline:
                return {chat: arrived[chat] for chat in load.posted if chat in arrived}
            await asyncio.sleep(0.5)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if values else 0.0


def report(name: str, load: Load, arrived: dict[int, float]) -> None:
    took = load.ended - load.started
    latencies = sorted(arrived[chat] - load.posted[chat] for chat in arrived)
    handled_span = (max(arrived.values()) - load.started) if arrived else float("inf")
    lost = len(load.posted) - len(arrived)
    print(
        f"  {name}: accepted {len(load.posted):,} ({len(load.posted) / took:.1f}/s), "
        f"refused 503 {load.refused:,}, handled {len(arrived):,} "
        f"({len(arrived) / handled_span:.1f}/s), unanswered {lost}"
    )
    print(
        f"  {name}: POST→answer p50 {percentile(latencies, 50) * 1000:.0f} ms · "
        f"p99 {percentile(latencies, 99) * 1000:.0f} ms · max {latencies[-1] * 1000:.0f} ms"
        if latencies
        else f"  {name}: no answers"
    )


async def outbox(database_url: str, api: str, count: int, run: str) -> None:
    """Enqueue `count` notices to distinct chats; time their arrival at the fake API."""
    engine = db.create_engine(database_url)
    now = datetime.now(UTC)
    first = 50_000_000 + int(run) % 1000 * 10_000
    chats = range(first, first + count)
    rows = [
        {
            "key": f"bench:{run}:{chat}", "kind": "notice", "chat_id": chat,
            "text": f"bench {run} {chat}", "buttons": [], "status": "pending", "attempts": 0,
            "next_attempt_at": now, "created_at": now, "error": "",
        }
        for chat in chats
    ]  # fmt: skip
    started = time.monotonic()
    async with engine.begin() as conn:
        await conn.execute(insert(OutboxMessage), rows)
    await engine.dispose()
    wanted = set(chats)
    async with httpx.AsyncClient(timeout=30) as client:
        deadline = started + max(120.0, count / 10)
        while True:
            arrived = {c: at for c, at in (await answers(api, client)).items() if c in wanted}
            if len(arrived) == count or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
    stamps = sorted(arrived.values())
    if len(stamps) < 2:
        print(f"  outbox: {len(stamps)} of {count} delivered")
        return
    low, high = stamps[len(stamps) // 10], stamps[len(stamps) * 9 // 10]
    print(
        f"  outbox: {len(stamps):,}/{count:,} delivered in {stamps[-1] - started:.1f} s from "
        f"enqueue · {len(stamps) / (stamps[-1] - stamps[0]):.1f} msg/s first→last · sustained "
        f"{(len(stamps) * 8 // 10) / (high - low):.1f} msg/s"
    )


async def main(args: argparse.Namespace) -> None:
    engine = db.create_engine(args.database_url)
    await prepare_database(engine, datetime.now(UTC))  # once, before workers race to migrate
    await engine.dispose()
    logs = Path(tempfile.mkdtemp(prefix="webhook-load-"))
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fake_bot_api", "0", TOKEN, "0",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    api = f"http://127.0.0.1:{int((await server.stdout.readline()).split()[1])}"
    run = str(int(time.time()))
    chats = itertools.count(10_000_000 + int(run) % 100_000 * 100)
    print(
        f"database {args.database_url.split('@')[-1]} · {os.cpu_count()} CPUs · "
        f"{args.seconds:.0f} s per phase · {args.concurrency} clients · logs in {logs}"
    )
    try:
        for count in args.workers:
            workers = Workers(count, f"{api}/bot", args.database_url, logs)
            await workers.start()
            try:
                print(f"{count} worker{'s' if count > 1 else ''}:")
                load = await capacity(workers.urls, chats, args.seconds, args.concurrency)
                report("capacity", load, await wait_answered(api, load))
                load = await steady(workers.urls, chats, args.seconds, args.rate)
                report(f"{args.rate:.0f}/s offered", load, await wait_answered(api, load))
                await outbox(args.database_url, api, args.outbox, f"{run}{count}")
            finally:
                codes = await workers.stop()
            print(f"  exit codes on SIGTERM: {codes}")
    finally:
        server.terminate()
        await server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=20.0, help="updates/s over all workers")
    parser.add_argument("--outbox", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    asyncio.run(main(parser.parse_args()))
