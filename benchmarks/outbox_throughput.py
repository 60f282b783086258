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
from tests.fake_bot_api import FakeBotApi  # noqa: E402

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
    api = FakeBotApi(tokens={TOKEN}, random_faults={"sendMessage": ("429", 0.05)})
    await api.start()
    async with httpx.AsyncClient(timeout=10) as client:
        sender = OutboxSender(
            UnitOfWorkFactory(engine), BotApiDeliverer(api.base_url, TOKEN, client)
        )
        started = time.perf_counter()
        report = await sender.drain_all()
        elapsed = time.perf_counter() - started
    await api.stop()
    await engine.dispose()

    accepted = [c for c in api.calls_to("sendMessage")]
    counts = Counter(c.params["text"] for c in accepted)
    lost = messages - len(counts)
    duplicated = sum(n - 1 for n in counts.values())
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in accepted:
        per_chat[int(call.params["chat_id"])].append(call.at)
    gaps = [b - a for times in per_chat.values() for a, b in itertools.pairwise(times)]
    windows = Counter(int(c.at - accepted[0].at) for c in accepted)
    print(f"messages: {messages:,} to {len(set(chats)):,} chats; 429 answers: {report.retried}")
    print(
        f"elapsed {elapsed:.1f} s · sustained {report.sent / elapsed:.1f} msg/s "
        f"(busiest second {max(windows.values())}, limit 30)"
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
