"""The outbox sender when what it stands on fails: the database stops taking writes, the Bot
API is down for twenty minutes, the sender loses its leadership mid-batch.

Real parts throughout: the fake Bot API on 127.0.0.1, a SQLite file, and for the lock another
process holding SQLite's write lock (as a large `import pengguna` would). The outage runs on
an injected clock, so twenty minutes take seconds. A sender told to stop (its leadership
lost) sends nothing new and leaves what it claimed to the next leader at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from bot.botapi import BotApiDeliverer
from reminders.delivery import PROBE_SECONDS, OutboxSender
from reminders.send_budget import LocalBudget
from reminders.tick import run_tick
from storage import db
from storage.uow import UnitOfWorkFactory
from tests.fake_bot_api import FakeBotApi
from tests.test_outbox_delivery import CLIENT_TIMEOUT, TOKEN, enqueue, received, statuses
from tests.test_reminder_tick import (
    SETTINGS,
    at,
    give_telegram_ids,
    import_ok,
    monthly_due,
    next_month,
    sql,
    step_day,
    write_daftar,
)

LOCK_SECONDS = 8.0
OUTAGE_ANSWERS = 10_000  # more 502s than the outage can use up
BUSY_MS = 1000  # how long the sender's connections wait for a lock before the write fails

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


@pytest.fixture
async def api() -> Any:
    server = FakeBotApi(tokens={TOKEN}, timeout_delay=60.0)
    await server.start()
    yield server
    await server.stop()


def impatient_engine(database: Path) -> Any:
    """The bot's own engine, waiting `BUSY_MS` instead of 30 s for a lock, so a lock held a
    few seconds makes its writes fail as a minute-long one would in production."""
    engine = db.create_engine(f"sqlite:///{database}")

    @event.listens_for(engine.sync_engine, "connect")
    def impatient(connection: Any, _record: Any) -> None:
        connection.execute(f"PRAGMA busy_timeout={BUSY_MS}")

    return engine


def gaps_per_chat(api: FakeBotApi) -> list[float]:
    """Seconds between consecutive messages to each chat."""
    times: dict[int, list[float]] = defaultdict(list)
    for call in api.calls_to("sendMessage"):
        times[int(call.params["chat_id"])].append(call.at)
    return [b - a for moments in times.values() for a, b in itertools.pairwise(sorted(moments))]


async def drain_through(
    api: FakeBotApi, database: Path, engine: Any, fault: Callable[[], Awaitable[None]]
) -> tuple[Counter[str], OutboxSender, int]:
    """5,000 messages to 500 chats drained by a running sender; `fault` strikes after the
    first 1,000 and returns when it is over. What each text got, the sender, and how many
    sends went while the fault lasted."""
    chats, each = 500, 10
    texts = [f"pesan {i}" for i in range(chats * each)]
    enqueue(database, [(7000 + i % chats, text, None) for i, text in enumerate(texts)])
    stop = asyncio.Event()
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        sender = OutboxSender(
            UnitOfWorkFactory(engine),
            BotApiDeliverer(api.base_url, TOKEN, client),
            LocalBudget(per_second=1000, window=1000),
            lease_seconds=2.0,  # the fault outlasts the lease: rows come due again meanwhile
        )
        running = asyncio.create_task(sender.run(stop, idle_poll=0.2))
        await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 1000, what="1000 sends")
        before = len(api.calls_to("sendMessage"))
        await fault()
        during = len(api.calls_to("sendMessage")) - before
        await api.wait_for(
            lambda: statuses(database)["sent"] == len(texts),
            within=180,
            what="every message sent and recorded",
        )
        stop.set()
        await running
    await engine.dispose()
    counts = received(api)
    assert set(counts) == set(texts)  # nothing lost
    assert min(gaps_per_chat(api)) >= 1.0  # per chat, 1 s apart however it went
    return counts, sender, during


def state_changes(caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    """How often the sender said the database stopped, and started, taking writes."""
    said = [r.getMessage() for r in caplog.records if r.name == "reminders.delivery"]
    return (
        len([w for w in said if "does not take writes" in w]),
        len([w for w in said if "takes writes again" in w]),
    )


async def test_a_write_lock_held_past_the_lease_loses_nothing_and_sends_nothing_twice(
    api: FakeBotApi, demo_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="reminders.delivery")
    stalled = 0

    async def hold_the_lock() -> None:
        nonlocal stalled
        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLD_LOCK, str(demo_db), str(LOCK_SECONDS),
            stdout=subprocess.PIPE,
        )  # fmt: skip
        assert locker.stdout is not None
        assert (await locker.stdout.readline()).strip() == b"locked"
        at_lock = len(api.calls_to("sendMessage"))
        await asyncio.sleep(LOCK_SECONDS / 2)
        stalled = len(api.calls_to("sendMessage")) - at_lock
        assert await locker.wait() == 0

    counts, sender, _ = await drain_through(api, demo_db, impatient_engine(demo_db), hold_the_lock)

    assert sum(n - 1 for n in counts.values()) == 0, counts.most_common(5)  # nothing twice
    assert stalled <= sender.concurrency  # only what was in flight went meanwhile
    # Said once per outage, and once when it ends: on a starved machine the impatient engine
    # may also time out on the sender's own writes, an outage of its own, said the same way.
    went_down, came_back = state_changes(caplog)
    assert went_down >= 1 and went_down == came_back


async def test_a_full_disk_loses_nothing_and_sends_nothing_twice(
    api: FakeBotApi, demo_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database may not grow by a page (SQLite's own "database or disk is full"): the
    writes that need room fail, the others pass, for several seconds."""
    caplog.set_level(logging.WARNING, logger="reminders.delivery")
    engine = impatient_engine(demo_db)
    full = [False]

    @event.listens_for(engine.sync_engine, "checkout")
    def no_room(connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = connection.cursor()
        pages = 1 << 30
        if full[0]:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count={pages}")
        cursor.close()

    async def fill_the_disk() -> None:
        full[0] = True
        await asyncio.sleep(LOCK_SECONDS)
        full[0] = False

    counts, _, _ = await drain_through(api, demo_db, engine, fill_the_disk)

    assert sum(n - 1 for n in counts.values()) == 0, counts.most_common(5)  # nothing twice
    went_down, came_back = state_changes(caplog)
    assert went_down >= 1 and went_down == came_back


async def test_twenty_minutes_of_502_lose_nothing_mark_nothing_and_resume_within_a_probe(
    api: FakeBotApi, demo_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    texts = [f"pengingat {i}" for i in range(150)]
    enqueue(demo_db, [(8000 + i, text, None) for i, text in enumerate(texts)])
    moment = [datetime.now(UTC)]
    api.inject("sendMessage", "502", count=OUTAGE_ANSWERS)
    engine = db.create_engine(f"sqlite:///{demo_db}")
    caplog.set_level(logging.WARNING, logger="reminders.delivery")
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        sender = OutboxSender(
            UnitOfWorkFactory(engine),
            BotApiDeliverer(api.base_url, TOKEN, client),
            LocalBudget(per_second=1000, window=1000),
            clock=lambda: moment[0],
        )
        outage_end = moment[0] + timedelta(minutes=20)
        while moment[0] < outage_end:
            await sender.drain()
            moment[0] += timedelta(seconds=1)
        refused = OUTAGE_ANSWERS - api.pending_faults("sendMessage")  # requests while down
        assert sender.paused and statuses(demo_db) == {"pending": 150}

        api.clear_faults()  # the API is back
        recovered, resumed = moment[0], None
        while statuses(demo_db)["sent"] < 150:
            await sender.drain()
            resumed = resumed or (moment[0] if statuses(demo_db)["sent"] else None)
            moment[0] += timedelta(seconds=1)
            assert moment[0] - recovered < timedelta(minutes=5), statuses(demo_db)
    await engine.dispose()

    assert resumed is not None and resumed - recovered <= timedelta(seconds=PROBE_SECONDS)
    assert statuses(demo_db) == {"sent": 150}  # none lost, none undeliverable
    after = Counter(c.params["text"] for c in api.calls_to("sendMessage"))  # accepted ones
    assert after == Counter(texts)  # each once when it was back
    # While it was down, one probe per PROBE_SECONDS, not every row's retries.
    probes = 20 * 60 / PROBE_SECONDS
    assert 0.9 * probes <= refused <= probes + 2 * sender.concurrency  # one every probe, no more
    warnings = [r.getMessage() for r in caplog.records]
    assert len([w for w in warnings if "unreachable" in w]) == 1, warnings
    (back,) = [w for w in warnings if "reachable again" in w]
    assert back.endswith("sending resumes, 149 message(s) waiting")  # the probe went first


async def test_a_sender_told_to_stop_sends_only_what_was_in_flight_and_releases_the_rest(
    api: FakeBotApi, demo_db: Path
) -> None:
    texts = [f"pesan {i}" for i in range(200)]
    enqueue(demo_db, [(9000 + i, text, None) for i, text in enumerate(texts)])
    api.send_delay = 0.05
    engine = db.create_engine(f"sqlite:///{demo_db}")
    stop = asyncio.Event()
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        sender = OutboxSender(
            UnitOfWorkFactory(engine), BotApiDeliverer(api.base_url, TOKEN, client)
        )
        running = asyncio.create_task(sender.run(stop, idle_poll=0.2))
        await api.wait_for(lambda: len(api.calls_to("sendMessage")) >= 20, what="20 sends")
        stop.set()  # leadership lost
        at_stop = len(api.calls_to("sendMessage"))
        await running
    await engine.dispose()

    sent = len(api.calls_to("sendMessage"))
    assert sent - at_stop <= sender.concurrency  # nothing new after the stop
    assert statuses(demo_db) == {"sent": sent, "pending": 200 - sent}
    with sqlite3.connect(demo_db) as conn:
        (leased,) = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND next_attempt_at > ?",
            (datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=5),),
        ).fetchone()
    conn.close()
    assert leased == 0  # released for the next leader, not held for the lease


async def test_reminders_queued_through_an_outage_give_way_to_the_newest_step(
    api: FakeBotApi, demo_db: Path, tmp_path: Path
) -> None:
    """H-14 and H-7 are queued while nothing is delivered; the sender runs again at H-1:
    the liaison gets one message, the H-1 one, not "14 days left" a day before the deadline."""
    latest = "2026-10"
    due = monthly_due(next_month(latest))
    daftar = write_daftar(
        tmp_path, f"dinkes_imunisasi,Cakupan Imunisasi Dasar,dinkes,bulanan,terbuka,{latest}"
    )
    h14, h7, h1 = (at(step_day(due, offset)) for offset in (-14, -7, -1))
    accounts = give_telegram_ids(demo_db)
    engine = db.create_engine(f"sqlite:///{demo_db}")
    uow = UnitOfWorkFactory(engine)
    await import_ok(uow, daftar, h14 - timedelta(days=1))
    for moment in (h14, h7, h1):
        await run_tick(uow, moment, SETTINGS)
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        sender = OutboxSender(
            uow,
            BotApiDeliverer(api.base_url, TOKEN, client),
            LocalBudget(per_second=1000, window=1000),
            clock=lambda: h1.astimezone(UTC),
        )
        await sender.drain_all(max_wait=5)
    await engine.dispose()

    siti = [
        c.params["text"]
        for c in api.calls_to("sendMessage")
        if int(c.params["chat_id"]) == accounts["Siti Rahmawati"]
    ]
    about = [text for text in siti if "Cakupan Imunisasi Dasar" in text]
    assert len(about) == 1, siti
    (h1_row,) = [
        text for (text,) in sql(
            demo_db,
            "SELECT o.text FROM outbox o JOIN reminder_sends s ON s.outbox_id = o.id"
            " JOIN datasets d ON d.id = s.dataset_id"
            " JOIN people p ON p.id = s.person_id WHERE d.code = 'dinkes_imunisasi'"
            " AND s.step = 'H-1' AND p.name = 'Siti Rahmawati'",
        )
    ]  # fmt: skip
    assert about == [h1_row]
    cancelled = sql(
        demo_db, "SELECT COUNT(*) FROM outbox WHERE status = 'cancelled' AND error LIKE 'expired%'"
    )
    assert cancelled[0][0] >= 2  # H-14 and H-7 at least
