"""One send budget for the whole bot on PostgreSQL: workers answering questions and the
leader draining the outbox together never put more than 30 requests in one second at Telegram.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.webhook import SECRET_HEADER
from bot.wiring import build_runtime
from storage import db
from storage.models import OutboxMessage
from storage.send_ledger import STALE_SECONDS, PostgresBudget

from .cli_runner import STARTUP, STOP, Processes, Spawned, cli_env
from .conftest import assert_the_limit_sets_the_pace, busiest_window, span
from .test_webhook import LISTENING, message_update
from .test_workers import (
    SENDS,
    TOKEN,
    FakeApiProcess,
    key_of,
    message_text,
    start_fake_api,
)

SECRET = "budget-test-secret"
QUESTIONS = ("IPM Kabupaten Pasuruan", "TPT Kota Surabaya 2023", "IPM Kota Batu 2023")


@pytest.fixture
async def migrated(postgres_url: str) -> AsyncIterator[str]:
    engine = db.create_engine(postgres_url)
    await db.upgrade(engine)
    await engine.dispose()
    yield postgres_url


async def test_three_workers_budgets_together_stay_within_thirty_a_second(migrated: str) -> None:
    """Three workers (each its own engine and budget) send as fast as they can through a
    jittery network; arrivals at 'Telegram' never exceed 30 in a second, every request goes
    once and gives its slot back, and the limit, not the budgets' own work, sets the pace."""
    engines = [db.create_engine(migrated) for _ in range(3)]
    try:
        unlimited = [PostgresBudget(e, per_second=1e6, window=10**6) for e in engines]
        free = await send_through(unlimited)
        await forget_slots(engines[0])  # the free run's slots would count against the next
        arrivals = await send_through([PostgresBudget(engine) for engine in engines])
        async with engines[0].connect() as conn:
            in_flight = await conn.scalar(
                text("SELECT count(*) FROM send_slots WHERE freed_at IS NULL")
            )
        await forget_slots(engines[0])
        free_again = await send_through(unlimited)  # the machine's pace may change meanwhile
    finally:
        for engine in engines:
            await engine.dispose()

    assert len(arrivals) == REQUESTS
    assert busiest_window(arrivals)[0] <= 30
    assert in_flight == 0, "every slot was given back"
    slowest_free = max(free, free_again, key=span)
    assert_the_limit_sets_the_pace(arrivals, slowest_free, holding=1 + JITTER)


REQUESTS = 180
JITTER = 0.1  # the mean round trip: two legs of up to 0.1 s each


async def send_through(budgets: list[PostgresBudget]) -> list[float]:
    """`REQUESTS` requests at once, round-robin over the budgets, through a jittery network
    (the same jitter every run): the moments they arrive at 'Telegram'."""
    rng = random.Random(7)
    arrivals: list[float] = []

    async def request(budget: PostgresBudget) -> None:
        async with budget.slot():
            await asyncio.sleep(rng.uniform(0, JITTER))
            arrivals.append(time.monotonic())
            await asyncio.sleep(rng.uniform(0, JITTER))

    await asyncio.gather(*(request(budgets[n % len(budgets)]) for n in range(REQUESTS)))
    return arrivals


async def forget_slots(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM send_slots"))


async def test_slots_a_dead_worker_left_in_flight_stop_counting(migrated: str) -> None:
    """A worker killed mid-request never frees its slots; after a while they no longer block."""
    engine = db.create_engine(migrated)
    try:
        await fill_with_dead_slots(engine, age=STALE_SECONDS + 1)
        budget = PostgresBudget(engine)
        async with asyncio.timeout(STOP):  # one round trip when they no longer count
            async with budget.slot():
                pass
        await fill_with_dead_slots(engine, age=1)
        with pytest.raises(TimeoutError):  # fresh ones still count: they may be in flight
            async with asyncio.timeout(1):
                async with budget.slot():
                    pass
    finally:
        await engine.dispose()


async def fill_with_dead_slots(engine: AsyncEngine, age: float) -> None:
    taken = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=age)
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM send_slots"))
        await conn.execute(
            text("INSERT INTO send_slots (taken_at) VALUES (:at)"), [{"at": taken}] * 30
        )


async def test_replies_from_three_webhook_workers_and_the_outbox_share_one_limit(
    postgres_url: str, tmp_path: Path, processes: Processes
) -> None:
    """Three `serve --webhook` workers answer questions posted round-robin while the leader
    drains a broadcast-sized outbox: every answer and every message arrives, and Telegram never
    sees more than 30 of them in one second."""
    settings = Settings.from_env(environ={"DATABASE_URL": postgres_url}, env_file=None)
    runtime = await build_runtime(settings, datetime.now(UTC))
    now = datetime.now(UTC)
    async with runtime.uow() as uow:
        for n in range(150):
            uow.session.add(
                OutboxMessage.to_chat(
                    500_000 + n, key=f"budget:{n}", kind="notice", text=f"Siaran {n}", now=now
                )
            )
        await uow.commit()
    await runtime.close()

    api = await start_fake_api(processes, tmp_path)
    api_base = f"http://127.0.0.1:{api.port}/bot"
    env = cli_env(
        postgres_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api_base,
        WEBHOOK_URL="https://bot.example.go.id/telegram",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1:0",
    )
    workers = [
        await processes.satudata("serve", "--webhook", cwd=tmp_path, env=env, name=f"serve-{n}")
        for n in range(3)
    ]
    try:
        ports = [await listening_port(worker) for worker in workers]
        async with httpx.AsyncClient(timeout=30) as client:
            for port in ports:
                await until_ready(client, port)
            chats = range(700_000, 700_150)
            posts = [post_question(client, ports[chat % 3], chat) for chat in chats]
            assert all(await asyncio.gather(*posts)), "every update was accepted"
            await wait_for(api, lambda calls: answered(calls, chats) and delivered(calls))
            calls = await api.calls()
        codes = [await worker.stop(signal.SIGTERM) for worker in workers]
    finally:
        await api.close()

    assert codes == [0, 0, 0]
    sends = [c for c in calls if c["method"] in SENDS]
    arrived = Counter(text for chat, text in map(key_of, sends) if chat < 700_000)
    assert arrived == Counter(f"Siaran {n}" for n in range(150)), "each message exactly once"
    assert busiest_window([c["at"] for c in sends])[0] <= 30


Calls = list[dict[str, object]]


def answered(calls: Calls, chats: range) -> bool:
    return set(chats) <= {key_of(c)[0] for c in calls if c["method"] in SENDS}


def delivered(calls: Calls) -> bool:
    texts = {message_text(c) for c in calls if c["method"] in SENDS}
    return all(f"Siaran {n}" in texts for n in range(150))


async def wait_for(api: FakeApiProcess, done: Callable[[Calls], bool]) -> None:
    """Until `done`: 300 sends at 30 a second take seconds; this allows minutes."""
    deadline = time.monotonic() + STARTUP
    while not done(await api.calls()):
        assert time.monotonic() < deadline, "not everything arrived"
        await asyncio.sleep(0.5)


async def listening_port(worker: Spawned) -> int:
    """The port a worker chose for WEBHOOK_LISTEN's port 0, from its "listening on" line."""
    return int((await worker.line(LISTENING.pattern))[1])


async def until_ready(client: httpx.AsyncClient, port: int) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        try:
            if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"the worker on port {port} did not become ready")


async def post_question(client: httpx.AsyncClient, port: int, chat: int) -> bool:
    response = await client.post(
        f"http://127.0.0.1:{port}/telegram",
        json=message_update(QUESTIONS[chat % len(QUESTIONS)], chat),
        headers={SECRET_HEADER: SECRET},
    )
    return response.status_code == 200
