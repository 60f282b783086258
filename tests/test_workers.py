"""Three `satudata worker` processes on one PostgreSQL database, one fake Bot API.

A working day of reminder ticks and a walidata broadcast go through the outbox while the
workers elect a leader; the leader is killed with SIGKILL midway and another takes over. From
the fake API's record (its own process, so its clock is what Telegram would see): every
message is delivered, none twice except what the killed leader had in flight, and the
combined pace never exceeded Telegram's limits (30 per second overall, 1 per second per chat).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, text, update

from bot.config import Settings
from bot.wiring import Runtime, build_runtime
from domain.engine import ReminderSettings
from handlers.messages import Incoming
from reminders.delivery import OutboxSender
from reminders.tick import run_tick
from storage.models import Dataset, Indicator, Opd, OutboxMessage, Person, PersonRole
from storage.uow import UnitOfWork, UnitOfWorkFactory

from .cli_runner import STARTUP, Processes, Spawned, cli_env
from .conftest import busiest_window

WIB = ZoneInfo("Asia/Jakarta")
DAY = datetime(2026, 11, 20, tzinfo=WIB)  # a Friday before the test's real "now"
TOKEN = "123456:WORKERS-token-for-the-fake-bot-api"
OPDS = 120
DATASETS = 480
FIRST_CHAT = 300_000
WALIDATA_CHAT = 40_000
WORKERS = 3
IN_FLIGHT = OutboxSender.__init__.__kwdefaults__["concurrency"]  # the sender's concurrency
SENDS = ("sendMessage", "sendPhoto", "sendDocument", "editMessageText")


@pytest.fixture
async def registry(postgres_url: str) -> AsyncIterator[Runtime]:
    """The demo registry and OPDs whose people all use Telegram, with monthly datasets
    overdue; their next look falls at different hours of the day."""
    settings = Settings.from_env(environ={"DATABASE_URL": postgres_url}, env_file=None)
    start = DAY.replace(hour=7).astimezone(UTC)
    runtime = await build_runtime(settings, start)
    rng = random.Random(9)
    chats = itertools.count(FIRST_CHAT)
    async with runtime.uow() as uow:
        walidata = next(p for p in await uow.people.all() if "walidata" in p.role_names)
        walidata.telegram_user_id = WALIDATA_CHAT
        for number in range(OPDS):
            opd = Opd(code=f"uji-{number}", name=f"Dinas Uji {number}", short_name=f"Uji {number}")
            uow.session.add(opd)
            for role in ("produsen", "kepala_opd"):
                uow.session.add(
                    Person(
                        name=f"{role} {number}",
                        telegram_user_id=next(chats),
                        language="id",
                        opd=opd,
                        active=True,
                        created_at=start,
                        roles=[PersonRole(role=role)],
                    )
                )
            for index in range(DATASETS // OPDS):
                uow.session.add(
                    Dataset(
                        code=f"uji-{number}-{index}",
                        title=f"Dataset uji {number}.{index}",
                        opd=opd,
                        periodicity="bulanan",
                        latest_period=rng.choice(["2026-08", "2026-09", "2026-10"]),
                        due_day=rng.randint(1, 28),
                        next_action_at=start + timedelta(hours=rng.randint(1, 8)),
                        indicators=[Indicator(code=f"uji-{number}-{index}", name="Jumlah")],
                    )
                )
        await uow.commit()
    yield runtime
    await runtime.close()


async def test_three_workers_deliver_a_day_once_within_the_limits_across_a_failover(
    registry: Runtime, postgres_url: str, tmp_path: Path, processes: Processes
) -> None:
    api = await start_fake_api(processes, tmp_path)
    workers: dict[int, Spawned] = {}
    try:
        env = cli_env(
            postgres_url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{api.port}/bot",
        )
        for number in range(WORKERS):
            worker = await processes.satudata(
                "worker", cwd=tmp_path, env=env, name=f"worker-{number}"
            )
            workers[worker.pid] = worker
        first_leader = await wait_for_leader(registry, workers)

        for hour in (8, 9, 10, 11):
            await tick(registry, hour)
        await broadcast(registry, DAY.replace(hour=10, minute=30))
        await api.wait_for_sends(60, within=120)
        killed_at = await kill(workers.pop(first_leader))
        for hour in (12, 13, 14, 15):
            await tick(registry, hour)
        second_leader = await wait_for_leader(registry, workers)
        await wait_until_drained(registry, within=240)
        await asyncio.sleep(2)  # nothing more arrives
        calls = await api.calls()

        for worker in workers.values():
            worker.send(signal.SIGTERM)
        codes = [await worker.finish() for worker in workers.values()]
    finally:
        await api.close()

    assert codes == [0] * (WORKERS - 1), "SIGTERM stops a worker cleanly"
    assert second_leader != first_leader

    async with registry.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
    assert {row.status for row in rows} <= {"sent", "undeliverable"}
    expected = Counter((row.chat_id, row.text) for row in rows if row.status == "sent")
    sends = [c for c in calls if c["method"] in SENDS and c["method"] != "editMessageText"]
    arrived = Counter((int(c["params"]["chat_id"]), message_text(c)) for c in sends)
    kinds = Counter(row.kind for row in rows if row.status == "sent")
    assert kinds["reminder"] >= OPDS // 4 and kinds["request"] >= OPDS, kinds

    assert expected - arrived == Counter(), "every message was delivered"
    duplicates = arrived - expected
    assert set(duplicates) <= set(expected), "nothing arrived that the outbox did not hold"
    # Only what the killed leader had in flight (Telegram accepted, not yet recorded) repeats.
    assert sum(duplicates.values()) <= IN_FLIGHT, duplicates
    firsts = {key: min(c["at"] for c in sends if key_of(c) == key) for key in duplicates}
    assert all(at < killed_at for at in firsts.values()), "no repeat without the kill"

    times = [c["at"] for c in calls if c["method"] in SENDS]
    busiest, at = busiest_window(times)
    assert busiest <= 30, (
        f"{busiest} calls within one second, {at - killed_at:+.1f} s from the kill"
    )
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in sends:
        per_chat[int(call["params"]["chat_id"])].append(call["at"])
    gaps = [b - a for t in per_chat.values() for a, b in itertools.pairwise(sorted(t))]
    assert min(gaps) >= 0.95, sorted(gaps)[:5]
    print(
        f"\n{len(sends)} sends, {len(times) - len(sends)} edits; busiest second {busiest}; "
        f"duplicates {sum(duplicates.values())}; smallest gap in a chat {min(gaps):.2f} s"
    )


def message_text(call: dict[str, object]) -> str:
    params = call["params"]
    assert isinstance(params, dict)
    return str(params.get("text") or params.get("caption") or "")


def key_of(call: dict[str, object]) -> tuple[int, str]:
    params = call["params"]
    assert isinstance(params, dict)
    return int(params["chat_id"]), message_text(call)


class FakeApiProcess:
    def __init__(self, process: Spawned, port: int) -> None:
        self.process, self.port = process, port
        self.client = httpx.AsyncClient(timeout=30)
        self._count = 0  # sends seen at the last look

    async def calls(self) -> list[dict[str, object]]:
        response = await self.client.get(f"http://127.0.0.1:{self.port}/_calls")
        calls: list[dict[str, object]] = response.json()
        self._count = sum(1 for c in calls if c["method"] in SENDS)
        return calls

    async def wait_for_sends(self, count: int, *, within: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._count < count:
            assert loop.time() < deadline, f"only {self._count} sends arrived"
            await asyncio.sleep(0.2)
            await self.calls()

    async def close(self) -> None:
        await self.client.aclose()
        await self.process.stop(signal.SIGKILL)


async def start_fake_api(processes: Processes, logs: Path) -> FakeApiProcess:
    """In a process of its own: its arrival times are not delayed by the test's work."""
    api = await processes.python(
        *("-m", "tests.fake_bot_api", "0", TOKEN, "0.01"), cwd=logs, env=cli_env(), name="api"
    )
    ready = await api.line(r"ready (\d+)", stdout=True)
    return FakeApiProcess(api, int(ready[1]))


async def wait_for_leader(runtime: Runtime, workers: dict[int, Spawned]) -> int:
    """The worker holding the leadership lock, by its connection's application name."""
    query = text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted"
        " AND a.application_name LIKE 'satudata-background:%'"
    )
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        async with runtime.engine.connect() as conn:
            names = (await conn.scalars(query)).all()
        for worker in workers.values():
            assert worker.returncode is None, f"a worker exited:\n{worker.tail()}"
        leaders = {int(name.rsplit(":", 1)[1]) for name in names} & set(workers)
        if leaders:
            assert len(leaders) == 1, leaders
            return leaders.pop()
        await asyncio.sleep(0.2)
    raise AssertionError(f"no worker became leader within {STARTUP:.0f} s")


async def kill(worker: Spawned) -> float:
    """SIGKILL: no clean-up at all; returns the moment on the monotonic clock (shared by every
    process on this machine, so comparable with the fake API's arrival times)."""
    worker.send(signal.SIGKILL)
    killed_at = time.monotonic()
    await worker.finish()
    return killed_at


async def tick(runtime: Runtime, hour: int) -> None:
    """A tick at that hour of the test's day. The leader's own tick runs on the real clock
    and may already have planned every dataset for a later day; looking at all of them again
    keeps this day's reminders due (the steps already sent are keyed, so nothing repeats).
    The day lies in the senders' past, and so do the next steps its reminders give way to:
    they are kept worth sending, as on the day itself (expiry has tests of its own)."""
    moment = DAY.replace(hour=hour).astimezone(UTC)
    async with runtime.uow() as uow:
        await uow.reminders.replan(None, moment)
        await uow.commit()
    await run_tick(KeptWorthSending(runtime.engine), moment, ReminderSettings(WIB))


class _WithoutExpiry(UnitOfWork):
    async def commit(self) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.expires_at.is_not(None))
            .values(expires_at=None)
        )
        await super().commit()


class KeptWorthSending(UnitOfWorkFactory):
    """The registry's units of work, whose commits keep every queued message worth sending
    (in the same transaction, so no sender sees it expire first)."""

    def __call__(self) -> UnitOfWork:
        return _WithoutExpiry(self._sessions)


async def broadcast(runtime: Runtime, at: datetime) -> None:
    """A /siaran to every liaison, composed and confirmed as the walidata would."""
    async with runtime.uow() as uow:
        walidata = await uow.people.by_telegram_id(WALIDATA_CHAT)
    assert walidata is not None
    steps = [
        ("/siaran", None),
        ("Mohon kirim rekap data sektoral 2025.", None),
        ("", "s:a:liaisons"),
        ("", "s:d:0"),
        ("", "s:ok"),
    ]
    for said, data in steps:
        incoming = Incoming(
            WALIDATA_CHAT, None, text=said, callback_data=data, person_id=walidata.id
        )
        replies = await runtime.dispatcher.handle(incoming, at)
    assert replies[-1].text.startswith("Siaran #1 dikirim"), replies[-1].text


async def wait_until_drained(runtime: Runtime, *, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with runtime.uow() as uow:
            pending = await uow.session.scalar(
                select(func.count()).where(OutboxMessage.status == "pending")
            )
        if not pending:
            return
        assert loop.time() < deadline, f"{pending} messages still pending"
        await asyncio.sleep(0.5)
