"""The outbox sender against the fake Bot API: limits, retries, blocked users, crashes."""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.botapi import BotApiDeliverer
from domain.telegram_limits import TEXT_LIMIT
from reminders.delivery import (
    ChatLimits,
    Delivered,
    DeliveryResult,
    DrainReport,
    OutboxSender,
    Outgoing,
    RetryLater,
)
from reminders.send_budget import LocalBudget
from reminders.tick import run_tick
from storage import db
from storage.importing import import_people
from storage.uow import UnitOfWorkFactory
from tests.cli_runner import STARTUP, Processes, cli_env, satudata_async
from tests.conftest import assert_the_limit_sets_the_pace, busiest_window, copy_database
from tests.fake_bot_api import FakeBotApi
from tests.test_reminder_tick import SETTINGS, TUESDAY

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
# A lost request is held open far longer than the client waits, and the client waits far
# longer than an answered request takes on a starved machine: only the lost one times out.
CLIENT_TIMEOUT = 3.0
LOST = 60.0


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(tokens={TOKEN}, timeout_delay=LOST)
    await server.start()
    yield server
    await server.stop()


def enqueue(database: Path, messages: list[tuple[int, str, int | None]]) -> None:
    """(chat id, text, person id) rows straight into the outbox, as a tick would write them."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO outbox (key, kind, person_id, chat_id, text, buttons, status, attempts,"
            " next_attempt_at, created_at, error) VALUES (?, 'reminder', ?, ?, ?, '[]',"
            " 'pending', 0, ?, ?, '')",
            [
                (f"test:{i}", person, chat, text, now, now)
                for i, (chat, text, person) in enumerate(messages)
            ],
        )


def statuses(database: Path) -> Counter[str]:
    with sqlite3.connect(database) as conn:
        return Counter(status for (status,) in conn.execute("SELECT status FROM outbox"))


def received(api: FakeBotApi) -> Counter[str]:
    return Counter(call.params["text"] for call in api.calls_to("sendMessage"))


async def sender_for(api: FakeBotApi, database: Path, client: httpx.AsyncClient) -> OutboxSender:
    engine = db.create_engine(f"sqlite:///{database}")
    return OutboxSender(UnitOfWorkFactory(engine), BotApiDeliverer(api.base_url, TOKEN, client))


async def test_every_message_arrives_once_despite_429_5xx_and_timeouts(
    api: FakeBotApi, demo_db: Path
) -> None:
    texts = [f"pesan {i}" for i in range(40)]
    enqueue(demo_db, [(1000 + i % 20, text, None) for i, text in enumerate(texts)])
    api.inject("sendMessage", "429", count=3, retry_after=1)
    api.inject("sendMessage", "500", count=2)
    api.inject("sendMessage", "502")
    api.inject("sendMessage", "timeout")
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        sender = await sender_for(api, demo_db, client)
        report = await sender.drain_all(max_wait=10)
        await sender.uow.engine.dispose()

    assert received(api) == Counter(texts)  # all 40, each exactly once
    assert statuses(demo_db) == {"sent": 40}
    assert report.sent == 40 and report.retried >= 7


async def test_one_message_per_second_to_each_private_chat(api: FakeBotApi, demo_db: Path) -> None:
    enqueue(demo_db, [(2000 + i % 3, f"pesan {i}", None) for i in range(9)])
    async with httpx.AsyncClient(timeout=5) as client:
        sender = await sender_for(api, demo_db, client)
        await sender.drain_all()
        await sender.uow.engine.dispose()

    times: dict[int, list[float]] = defaultdict(list)
    for call in api.calls_to("sendMessage"):
        times[int(call.params["chat_id"])].append(call.at)
    assert sorted(len(t) for t in times.values()) == [3, 3, 3]
    for chat_times in times.values():
        gaps = [later - earlier for earlier, later in itertools.pairwise(chat_times)]
        assert min(gaps) >= 0.95, gaps


class JitteryTelegram:
    """Telegram seen through a jittery network: each request arrives at a random moment
    between leaving the sender and its answer coming back, and some are refused with 429."""

    MEAN = 0.12  # the mean round trip: two legs of up to 0.12 s each

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.arrivals: list[float] = []
        self.by_chat: dict[int, list[float]] = defaultdict(list)

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        await asyncio.sleep(self.rng.uniform(0, 0.12))
        self.arrivals.append(time.monotonic())
        self.by_chat[message.chat_id].append(self.arrivals[-1])
        await asyncio.sleep(self.rng.uniform(0, 0.12))
        if self.rng.random() < 0.05:
            return RetryLater(0.5, "429")
        return Delivered(len(self.arrivals))


async def test_no_second_sees_more_than_telegram_allows_however_the_network_bunches_them(
    demo_db: Path, tmp_path: Path
) -> None:
    """Telegram counts requests as they arrive, refused ones included; jitter on the way must
    let neither a second's arrivals exceed 30 nor a chat's come closer than a second apart,
    although the sender cannot see when they arrive; and the limit, not the sender's own
    work, sets the pace."""
    messages: list[tuple[int, str, int | None]] = [
        (3000 + i % 50, f"pesan {i}", None) for i in range(150)
    ]
    unlimited = copy_database(demo_db, tmp_path / "unlimited.db")
    enqueue(demo_db, messages)
    enqueue(unlimited, messages)
    telegram, free = JitteryTelegram(seed=4), JitteryTelegram(seed=4)
    report = await drain_through(demo_db, telegram)
    # The same work with neither the budget nor a chat's pace to wait on: the machine's share.
    await drain_through(
        unlimited,
        free,
        LocalBudget(per_second=1e6, window=10**6),
        ChatLimits(private_interval=0.0),
    )

    arrivals = sorted(telegram.arrivals)
    busiest, _ = busiest_window(arrivals)
    assert report.sent == 150 and report.retried > 0
    assert busiest <= 30, f"{busiest} requests arrived within one second"
    gaps = [b - a for t in telegram.by_chat.values() for a, b in itertools.pairwise(t)]
    assert min(gaps) >= 1.0, sorted(gaps)[:3]
    assert_the_limit_sets_the_pace(arrivals, free.arrivals, holding=1 + JitteryTelegram.MEAN)


async def drain_through(
    database: Path,
    telegram: JitteryTelegram,
    budget: LocalBudget | None = None,
    limits: ChatLimits | None = None,
) -> DrainReport:
    engine = db.create_engine(f"sqlite:///{database}")
    try:
        sender = OutboxSender(UnitOfWorkFactory(engine), telegram, budget, limits, concurrency=16)
        return await sender.drain_all(max_wait=5)
    finally:
        await engine.dispose()


async def test_blocked_gone_and_unlinked_people_are_reported_to_the_walidata_with_why(
    api: FakeBotApi, demo_db: Path
) -> None:
    with sqlite3.connect(demo_db) as conn:
        people = dict(conn.execute("SELECT name, id FROM people"))
        conn.execute("UPDATE people SET telegram_user_id = 9001 WHERE name = 'Andi Prasetyo'")
    api.blocked.add(3001)
    api.gone.add(3003)
    enqueue(
        demo_db,
        [
            (3001, "pengingat untuk Siti", people["Siti Rahmawati"]),
            (3002, "pengingat untuk Agus", people["Agus Setiawan"]),
            (3003, "pengingat untuk Retno", people["Retno Kusumawati"]),
        ],
    )
    with sqlite3.connect(demo_db) as conn:  # Nur Aini never linked a Telegram account
        conn.execute(
            "INSERT INTO outbox (key, kind, person_id, chat_id, text, buttons, status, attempts,"
            " next_attempt_at, created_at, error) VALUES ('test:nur', 'reminder', ?, NULL,"
            " 'pengingat untuk Nur', '[]', 'pending', 0, ?, ?, '')",
            (
                people["Nur Aini"],
                datetime.now(UTC).replace(tzinfo=None),
                datetime.now(UTC).replace(tzinfo=None),
            ),
        )
    async with httpx.AsyncClient(timeout=5) as client:
        sender = await sender_for(api, demo_db, client)
        await sender.drain_all()
        await sender.uow.engine.dispose()

    assert "pengingat untuk Agus" in received(api)
    assert statuses(demo_db) == {"sent": 2, "undeliverable": 3}
    report = [c.params["text"] for c in api.sent_to(9001)]
    assert len(report) == 1
    lines = {line.split(" — ")[0]: line for line in report[0].splitlines() if line.startswith("•")}
    assert lines["• Siti Rahmawati"].endswith(": memblokir bot")  # each with its true reason
    assert "akun Telegram-nya tidak ditemukan atau sudah dihapus" in lines["• Retno Kusumawati"]
    assert "belum menghubungkan akun Telegram" in lines["• Nur Aini"]
    assert "\n\n\n" not in report[0]


async def test_the_unreachable_report_names_each_person_once_and_fits_one_message(
    api: FakeBotApi, demo_db: Path, tmp_path: Path
) -> None:
    """The first tick over a registry weeks late, to 80 more liaisons with long names who,
    like everyone but the walidata, never linked an account: one report to the walidata."""
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE people SET telegram_user_id = 9001 WHERE name = 'Andi Prasetyo'")
    people = tmp_path / "pengguna.csv"
    names = [
        f"Dr. Ir. Raden Mas Penghubung Data Nomor {n:02d}, S.T., M.Sc., M.P.W." for n in range(80)
    ]
    people.write_text(
        "nama,peran,opd,telegram_id\n" + "".join(f'"{n}",produsen,bappeda,\n' for n in names)
    )
    engine = db.create_engine(f"sqlite:///{demo_db}")
    factory = UnitOfWorkFactory(engine)
    assert (await import_people(factory, people, TUESDAY)).created == 80
    await run_tick(factory, TUESDAY, SETTINGS)
    await engine.dispose()

    async with httpx.AsyncClient(timeout=5) as client:
        engine = db.create_engine(f"sqlite:///{demo_db}")
        deliverer = BotApiDeliverer(api.base_url, TOKEN, client)
        clock = lambda: TUESDAY.astimezone(UTC)  # noqa: E731 - the tick's moment
        await OutboxSender(UnitOfWorkFactory(engine), deliverer, clock=clock).drain_all()
        await engine.dispose()

    reports = [c.params["text"] for c in api.sent_to(9001) if c.params["text"].startswith("⚠️")]
    assert len(reports) == 1 and len(reports[0]) <= TEXT_LIMIT
    with sqlite3.connect(demo_db) as conn:
        unreached = dict(
            conn.execute(
                "SELECT p.name, COUNT(DISTINCT s.dataset_id) FROM outbox o JOIN people p"
                " ON p.id = o.person_id JOIN reminder_sends s ON s.outbox_id = o.id"
                " WHERE o.status = 'undeliverable' GROUP BY p.name"
            )
        )
    lines = [line for line in reports[0].splitlines() if line.startswith("• ")]
    named = [line[2:].split(" — ")[0].split(": ")[0] for line in lines[:-1]]
    assert len(named) == len(set(named)) and set(named) < set(unreached)
    assert lines[-1] == f"• dan {len(unreached) - len(named)} orang lain"
    sri = next(line for line in lines if line.startswith("• Sri Wahyuni"))
    assert unreached["Sri Wahyuni"] > 5
    assert sri.endswith(f" dan {unreached['Sri Wahyuni'] - 5} lainnya"), sri


async def test_a_killed_sender_loses_nothing_and_resends_only_what_was_in_flight(
    api: FakeBotApi, demo_db: Path, tmp_path: Path, processes: Processes
) -> None:
    total = 120
    texts = [f"pesan {i}" for i in range(total)]
    enqueue(demo_db, [(5000 + i, text, None) for i, text in enumerate(texts)])
    api.send_delay = 0.05
    env = cli_env(demo_db, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url)

    first = await processes.satudata("reminders", "send", cwd=tmp_path, env=env, name="first")
    await api.wait_for(
        lambda: len(api.calls_to("sendMessage")) >= 30 or first.returncode is not None,
        within=STARTUP,
        what="30 sends",
    )
    assert first.returncode is None, first.tail()
    await first.stop(signal.SIGKILL)
    before_restart = len(api.calls_to("sendMessage"))
    assert 30 <= before_restart < total, "the sender must be killed mid-batch"
    assert statuses(demo_db)["pending"] > 0

    second = await satudata_async("reminders", "send", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr

    counts = received(api)
    assert set(counts) == set(texts), "nothing lost"
    assert statuses(demo_db) == {"sent": total}
    duplicates = sum(n - 1 for n in counts.values())
    # Only messages Telegram accepted but the killed process had not yet recorded can repeat:
    # at most one batch of concurrent sends.
    assert duplicates <= 8, counts.most_common(10)
