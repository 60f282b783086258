"""Outbox sender throughput against the fake Bot API with 5 % of sends answered 429.

Run by hand: `.venv/bin/python benchmarks/outbox_throughput.py [--messages 1500]`.
Prints the sustained rate, how the per-chat limit held, and that nothing was lost or sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.botapi import BotApiDeliverer  # noqa: E402
from reminders.delivery import OutboxSender  # noqa: E402
from storage import db  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402
from tests.fake_bot_api import Call  # noqa: E402

TOKEN = "123456:BENCHMARK-token-for-the-fake-bot-api"


async def main(messages: int, repeat_every: int) -> None:
    path = Path(tempfile.mkdtemp()) / "outbox.db"
    engine = db.create_engine(f"sqlite:///{path}")
    await db.upgrade(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    # Every `repeat_every`-th message goes to a chat that already has one: the per-chat limit
    # (1 message/s) must hold for those.
    chats = [10_000 + (i // 2 if i % repeat_every == 0 else i) for i in range(messages)]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO outbox (key, kind, chat_id, text, buttons, status, attempts,"
            " next_attempt_at, created_at, error) VALUES (?, 'notice', ?, ?, '[]', 'pending',"
            " 0, ?, ?, '')",
            [(f"bench:{i}", chat, f"pesan {i}", now, now) for i, chat in enumerate(chats)],
        )
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_bot_api",
        "0",
        TOKEN,
        "0.05",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert server.stdout is not None
    port = int((await server.stdout.readline()).split()[1])
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            sender = OutboxSender(
                UnitOfWorkFactory(engine), BotApiDeliverer(f"{base}/bot", TOKEN, client)
            )
            started = time.perf_counter()
            report = await sender.drain_all()
            elapsed = time.perf_counter() - started
            calls = (await client.get(f"{base}/_calls")).json()
    finally:
        server.terminate()
        await server.wait()
    await engine.dispose()

    accepted = [
        Call(c["method"], c["params"], {}, c["at"]) for c in calls if c["method"] == "sendMessage"
    ]
    counts = Counter(c.params["text"] for c in accepted)
    lost = messages - len(counts)
    duplicated = sum(n - 1 for n in counts.values())
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in accepted:
        per_chat[int(call.params["chat_id"])].append(call.at)
    gaps = [b - a for times in per_chat.values() for a, b in itertools.pairwise(times)]
    stamps = sorted(c.at for c in accepted)
    busiest = max(
        sum(1 for _ in itertools.takewhile(lambda t, s=start: t < s + 1.0, stamps[i:]))
        for i, start in enumerate(stamps)
    )
    # Steady state: the middle 80 % of accepted sends, leaving out the start and the tail of
    # final retries (which wait out their retry_after with nothing else left to send).
    low, high = stamps[len(stamps) // 10], stamps[len(stamps) * 9 // 10]
    steady = (len(stamps) * 8 // 10) / (high - low)
    print(f"messages: {messages:,} to {len(set(chats)):,} chats; 429 answers: {report.retried}")
    print(
        f"elapsed {elapsed:.1f} s · overall {report.sent / elapsed:.1f} msg/s · sustained "
        f"{steady:.1f} msg/s (busiest 1-second window at the server: {busiest}, limit 30)"
    )
    print(
        f"per-chat gaps: {len(gaps)} · shortest {min(gaps):.2f} s (limit 1 s)"
        if gaps
        else "per-chat gaps: none"
    )
    print(f"lost {lost} · duplicated {duplicated} · sent {report.sent}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--repeat-every", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.repeat_every))
