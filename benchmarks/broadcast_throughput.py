"""A /siaran broadcast to 5,000 liaisons at Telegram's real limits, against the fake Bot API.

Run by hand: `.venv/bin/python benchmarks/broadcast_throughput.py [--recipients 5000]`.
The broadcast is composed and confirmed through the dispatcher as the walidata would; the
outbox sender and the progress line then run as in `satudata run`. Prints the total time,
the rate against Telegram's 30 messages/s ceiling, the largest gap between progress edits,
and that nothing was lost or sent twice. The fake API runs in its own process and answers
1 % of sends with 429.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.botapi import BotApiDeliverer  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.wiring import build_runtime  # noqa: E402
from handlers.messages import Incoming  # noqa: E402
from reminders.delivery import OutboxSender  # noqa: E402
from reminders.request_progress import ProgressReporter  # noqa: E402

TOKEN = "123456:BENCHMARK-token-for-the-fake-bot-api"
WALIDATA_CHAT = 40_000
FIRST_CHAT = 100_000
CEILING = 30.0


def add_liaisons(path: Path, count: int) -> None:
    with sqlite3.connect(path) as conn:
        opds = [row[0] for row in conn.execute("SELECT id FROM opds")]
        conn.execute(
            "UPDATE people SET telegram_user_id = ? WHERE id IN "
            "(SELECT person_id FROM person_roles WHERE role = 'walidata')",
            (WALIDATA_CHAT,),
        )
        start = conn.execute("SELECT max(id) FROM people").fetchone()[0] + 1
        conn.executemany(
            "INSERT INTO people (id, name, telegram_user_id, language, opd_id, active, created_at)"
            " VALUES (?, ?, ?, 'id', ?, 1, '2026-01-01 00:00:00')",
            [
                (start + i, f"Penghubung {i:05}", FIRST_CHAT + i, opds[i % len(opds)])
                for i in range(count)
            ],
        )
        conn.executemany(
            "INSERT INTO person_roles VALUES (?, 'produsen')", [(start + i,) for i in range(count)]
        )


async def main(recipients: int, fault_rate: float) -> None:
    path = Path(tempfile.mkdtemp()) / "broadcast.db"
    settings = Settings.from_env(environ={"DATABASE_URL": f"sqlite:///{path}"}, env_file=None)
    runtime = await build_runtime(settings, datetime.now(UTC))
    add_liaisons(path, recipients)
    async with runtime.uow() as uow:
        walidata = await uow.people.by_telegram_id(WALIDATA_CHAT)
    assert walidata is not None

    async def say(text: str = "", data: str | None = None) -> str:
        incoming = Incoming(WALIDATA_CHAT, None, text=text, callback_data=data,
                            person_id=walidata.id)  # fmt: skip
        return (await runtime.dispatcher.handle(incoming, datetime.now(UTC)))[-1].text

    await say("/siaran")
    await say("Mohon kirim rekap data sektoral 2025 paling lambat akhir bulan.")
    await say(data="s:a:liaisons")
    await say(data="s:d:0")
    confirming = time.perf_counter()
    print((await say(data="s:ok")).split("\n")[0])
    confirmed = time.perf_counter() - confirming

    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fake_bot_api", "0", TOKEN, str(fault_rate),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    port = int((await server.stdout.readline()).split()[1])
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            deliverer = BotApiDeliverer(f"{base}/bot", TOKEN, client)
            sender = OutboxSender(runtime.uow, deliverer)
            progress = ProgressReporter(runtime.uow, deliverer, pacing=sender.budget.slot)
            stop = asyncio.Event()
            reporting = asyncio.create_task(progress.run(stop, sender.clock, poll=0.5))
            started = time.perf_counter()
            report = await sender.drain_all()
            elapsed = time.perf_counter() - started
            while True:  # the final summary (a fresh transaction sees the reporter's update)
                async with runtime.uow() as uow:
                    request = await uow.requests.get(1)
                assert request is not None
                if request.progress_done_at is not None:
                    break
                await asyncio.sleep(0.2)
            stop.set()
            await reporting
            calls = (await client.get(f"{base}/_calls")).json()
    finally:
        server.terminate()
        await server.wait()
        await runtime.close()

    sends = [c for c in calls if c["method"] == "sendMessage"]
    to_recipients = [c for c in sends if int(c["params"]["chat_id"]) != WALIDATA_CHAT]
    counts = Counter(int(c["params"]["chat_id"]) for c in to_recipients)
    lost = recipients - len(counts)
    duplicated = sum(n - 1 for n in counts.values())
    edits = [c for c in calls if c["method"] == "editMessageText"]
    first_send = min(c["at"] for c in sends)
    marks = [first_send, *(c["at"] for c in edits)]
    largest_gap = max(b - a for a, b in itertools.pairwise(marks)) if edits else float("inf")
    stamps = sorted(c["at"] for c in sends + edits)
    busiest = max(
        sum(1 for _ in itertools.takewhile(lambda t, s=start: t < s + 1.0, stamps[i:]))
        for i, start in enumerate(stamps)
    )
    rate = len(to_recipients) / elapsed
    print(
        f"recipients: {recipients:,}; 429 answers: {report.retried}; confirm took {confirmed:.1f} s"
    )
    print(
        f"delivered in {elapsed:.1f} s · {rate:.1f} msg/s · {100 * rate / CEILING:.1f} % of "
        f"{CEILING:.0f}/s (busiest 1-second window at the server, sends + edits: {busiest})"
    )
    print(f"progress edits: {len(edits)} · largest gap between edits {largest_gap:.1f} s")
    print(f"lost {lost} · duplicated {duplicated}")
    print("final line: " + edits[-1]["params"]["text"].replace("\n", " / ") if edits else "")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--fault-rate", type=float, default=0.01)
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.fault_rate))
