"""A broadcast to a few hundred liaisons through the outbox, against the fake Bot API.

Faults are injected (429 with retry_after, 5xx, lost requests, blocked users): every message
that can be delivered arrives exactly once, the walidata's progress line is edited in place
while the outbox drains and ends with the right summary, and answers are recorded. The
sender's rate is raised so the test is quick; the pace itself is the benchmark's subject.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from bot.botapi import BotApiDeliverer
from bot.config import Settings
from bot.wiring import Runtime, build_runtime
from handlers.messages import Incoming
from reminders.delivery import DeliveryResult, OutboxSender, Outgoing
from reminders.request_progress import ProgressReporter
from reminders.send_budget import LocalBudget
from storage.models import DataRequest, DataRequestRecipient, Person, PersonRole
from tests.fake_bot_api import FakeBotApi

from .conftest import NOW

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
TOKEN = "123456:TEST-token-for-the-fake-bot-api"
RECIPIENTS = 300
FIRST_CHAT = 50_000
BLOCKED = {FIRST_CHAT + 3, FIRST_CHAT + 117, FIRST_CHAT + 250}
WALIDATA_CHAT = 40_000
# A lost request is held open far longer than the client waits, and the client waits far
# longer than an answered request takes on a starved machine: only the lost ones time out.
CLIENT_TIMEOUT = 3.0
LOST = 60.0


class Gate:
    """Holds every send to a recipient after the first `limit` until released: a moment
    mid-broadcast (the walidata's progress line is let through)."""

    def __init__(self, deliverer: BotApiDeliverer, limit: int) -> None:
        self.deliverer, self.limit = deliverer, limit
        self.started = 0
        self.held = 0
        self.open = asyncio.Event()

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        if message.chat_id == WALIDATA_CHAT:
            return await self.deliverer.deliver(message)
        self.started += 1
        if self.started > self.limit and not self.open.is_set():
            self.held += 1
            await self.open.wait()
        return await self.deliverer.deliver(message)


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Runtime]:
    settings = Settings.from_env(environ={"DATABASE_URL": database_url}, env_file=None)
    runtime = await build_runtime(settings, NOW)
    async with runtime.uow() as uow:
        opds = list(await uow.opds.all())
        walidata = next(p for p in await uow.people.all() if "walidata" in p.role_names)
        walidata.telegram_user_id = WALIDATA_CHAT
        for number in range(RECIPIENTS):
            uow.session.add(
                Person(
                    name=f"Penghubung {number:03}",
                    telegram_user_id=FIRST_CHAT + number,
                    language="id",
                    opd_id=opds[number % len(opds)].id,
                    active=True,
                    created_at=NOW,
                    roles=[PersonRole(role="produsen")],
                )
            )
        await uow.commit()
    yield runtime
    await runtime.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(tokens={TOKEN}, timeout_delay=LOST, blocked=set(BLOCKED))
    await server.start()
    yield server
    await server.stop()


async def walidata_does(bot: Runtime, text: str = "", data: str | None = None) -> str:
    async with bot.uow() as uow:
        walidata = await uow.people.by_telegram_id(WALIDATA_CHAT)
    assert walidata is not None
    incoming = Incoming(WALIDATA_CHAT, None, text=text, callback_data=data, person_id=walidata.id)
    replies = await bot.dispatcher.handle(incoming, TUESDAY)
    return replies[-1].text


async def test_a_broadcast_reaches_everyone_once_with_live_progress_and_a_final_summary(
    bot: Runtime, api: FakeBotApi
) -> None:
    await walidata_does(bot, "/siaran")
    await walidata_does(bot, "Mohon kirim rekap data sektoral 2025 sesuai templat.")
    await walidata_does(bot, data="s:a:liaisons")
    preview = await walidata_does(bot, data="s:d:0")
    liaisons = RECIPIENTS + 3  # and the three demo liaisons, who have no Telegram account
    assert f"Penerima: {RECIPIENTS} orang (Semua penghubung data)" in preview
    sent = await walidata_does(bot, data="s:ok")
    assert sent.startswith(f"Siaran #1 dikirim ke {RECIPIENTS} penerima.")

    started = datetime.now(UTC)

    def clock() -> datetime:  # the test's moment, advancing with real time (for retries)
        return TUESDAY.astimezone(UTC) + (datetime.now(UTC) - started)

    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as client:
        deliverer = BotApiDeliverer(api.base_url, TOKEN, client)
        gate = Gate(deliverer, limit=150)
        sender = OutboxSender(
            bot.uow, gate, LocalBudget(per_second=2000), clock=clock, concurrency=8
        )
        reporter = ProgressReporter(bot.uow, deliverer, min_interval=0.0)
        draining = asyncio.create_task(sender.drain_all(max_wait=30))

        await api.wait_for(lambda: bool(api.sent_to(WALIDATA_CHAT)))
        api.inject("sendMessage", "429", count=4, retry_after=1)
        api.inject("sendMessage", "500", count=3)
        api.inject("sendMessage", "502", count=2)
        api.inject("sendMessage", "timeout", count=2)
        api.inject("editMessageText", "429", count=1, retry_after=1)
        # Every sender held at the gate: the sends before it are all recorded (a sender
        # records its send before it takes the next).
        await api.wait_for(lambda: gate.held >= sender.concurrency, what="a full gate")
        await reporter.step(clock())  # the 429 injected for edits: held back
        await reporter.step(clock() + timedelta(seconds=2))
        async with bot.uow() as uow:
            counts = await uow.requests.delivery(1)
        gate.open.set()
        await draining
        for later in range(10, 100, 10):  # the final edit, once nothing is pending
            await reporter.step(clock() + timedelta(seconds=later))
            async with bot.uow() as uow:
                request = await uow.session.get(DataRequest, 1)
                assert request is not None
                if request.progress_done_at is not None:
                    break

    edits = [c.params["text"] for c in api.calls_to("editMessageText")]
    assert len(edits) == 2
    middle = (
        f"Siaran #1: terkirim {counts.sent}/{RECIPIENTS} · gagal {counts.failed} · "
        f"menunggu {counts.pending}"
    )
    assert edits[0] == middle and counts.pending > 0
    names = sorted(f"Penghubung {chat - FIRST_CHAT:03}" for chat in BLOCKED)
    assert edits[1] == (
        f"Siaran #1 selesai: terkirim {RECIPIENTS - 3}/{RECIPIENTS} · gagal 3\n"
        "Tidak terkirim:\n" + "\n".join(f"• {name}" for name in names)
    )
    # The progress line was the first message to the walidata, and the one edited.
    (line,) = api.sent_to(WALIDATA_CHAT)
    assert (
        line.params["text"]
        == f"Siaran #1: terkirim 0/{RECIPIENTS} · gagal 0 · menunggu {RECIPIENTS}"
    )
    per_chat = Counter(
        int(c.params["chat_id"]) for c in api.calls_to("sendMessage") if "#1" in c.params["text"]
    )
    expected = {FIRST_CHAT + n for n in range(RECIPIENTS)} - BLOCKED
    assert set(per_chat) - {WALIDATA_CHAT} == expected
    assert all(count == 1 for count in per_chat.values())
    assert api.pending_faults("sendMessage") == 0

    # Answers are recorded with the person and the time.
    async with bot.uow() as uow:
        first = await uow.people.by_telegram_id(FIRST_CHAT)
        second = await uow.people.by_telegram_id(FIRST_CHAT + 1)
    assert first is not None and second is not None
    for person, data in ((first, "d:a:1:snt"), (second, "d:pd:1:20261201")):
        incoming = Incoming(
            person.telegram_user_id or 0, None, callback_data=data, person_id=person.id
        )
        await bot.dispatcher.handle(incoming, TUESDAY + timedelta(hours=1))
    async with bot.uow() as uow:
        answers = {
            (r.person_id, r.answer, r.promised_date, r.answered_at)
            for r in await uow.requests.recipients(1)
            if r.answer is not None
        }
        total = await uow.session.scalar(select(func.count()).select_from(DataRequestRecipient))
    moment = (TUESDAY + timedelta(hours=1)).astimezone(UTC)
    assert answers == {
        (first.id, "sent", None, moment),
        (second.id, "promised", datetime(2026, 12, 1).date(), moment),
    }
    assert total == liaisons


async def test_the_progress_lines_are_stepped_at_the_time_the_given_clock_says() -> None:
    """`run` reads no clock of its own: each step is at the moment the caller's clock gives."""
    moments = iter([TUESDAY, TUESDAY + timedelta(seconds=5), TUESDAY + timedelta(seconds=9)])
    stop = asyncio.Event()
    stepped: list[datetime] = []

    class Recording(ProgressReporter):
        async def step(self, now: datetime) -> int:
            stepped.append(now)
            if len(stepped) == 3:
                stop.set()
            return 0

    reporter = Recording(cast(Any, None), cast(Any, None))
    await reporter.run(stop, lambda: next(moments), poll=0)

    assert stepped == [TUESDAY, TUESDAY + timedelta(seconds=5), TUESDAY + timedelta(seconds=9)]
