"""Reminder, request and role buttons as people meet them in Telegram, on SQLite and PostgreSQL.

Updates go into a real library's transport (both libraries) as Telegram would post them; its
replies, and everything the outbox queues, reach the fake Bot API on 127.0.0.1 over HTTP. The
clock is the test's: the demo registry at Tuesday 24 November 2026 09:00 WIB, where the old IPM
series of Bappeda owes its 2025 period, due 31 March 2026.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from bot.botapi import BotApiDeliverer
from bot.config import Settings
from bot.telegram_aiogram import AiogramTransport
from bot.telegram_ptb import PtbTransport
from bot.transport import Transport, TransportFactory
from bot.wiring import Runtime, build_runtime
from domain.calendar import WorkCalendar
from reminders.delivery import ChatLimits, OutboxSender
from reminders.tick import run_tick
from storage.models import Person
from tests.conftest import NOW
from tests.fake_bot_api import Call, FakeBotApi

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
WIB = ZoneInfo("Asia/Jakarta")
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB).astimezone(UTC)
TRANSPORTS: dict[str, TransportFactory] = {"ptb": PtbTransport, "aiogram": AiogramTransport}
FIRST_CHAT = 8000  # a demo person's chat is FIRST_CHAT + their id
IPM_TITLE = "Indeks Pembangunan Manusia (UHH basis SP2010, seri lama)"
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")  # fmt: skip


@pytest.fixture(params=list(TRANSPORTS))
def library(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(tokens={TOKEN})
    await server.start()
    yield server
    await server.stop()


@dataclass
class Desk:
    """The bot as its users meet it, on a clock the test moves."""

    runtime: Runtime
    settings: Settings
    api: FakeBotApi
    transport: Transport
    sender: OutboxSender
    chats: dict[str, int]
    now: datetime = TUESDAY
    seen: dict[int, int] = field(default_factory=dict)  # chat → calls already read

    async def type(self, who: str, text: str) -> list[Call]:
        chat = self.chats[who]
        await self.transport.feed(self.api.message_update(text, chat_id=chat, user_id=chat))
        return self.new(who)

    async def press(self, who: str, data: str) -> list[Call]:
        chat = self.chats[who]
        await self.transport.feed(self.api.callback_update(data, chat_id=chat, user_id=chat))
        return self.new(who)

    async def tick(self) -> None:
        """The reminder tick at `now`, its messages sent."""
        await run_tick(self.runtime.uow, self.now, self.runtime.dispatcher.app.reminders)
        await self.deliver()

    async def deliver(self) -> None:
        await self.sender.drain_all(max_wait=0)

    def new(self, who: str) -> list[Call]:
        """What reached `who` since this was last asked."""
        chat = self.chats[who]
        calls = self.api.sent_to(chat)
        fresh, self.seen[chat] = calls[self.seen.get(chat, 0) :], len(calls)
        return fresh


def text(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def keyboard(call: Call) -> list[list[dict[str, Any]]]:
    markup = call.params.get("reply_markup") or {}
    return list(markup.get("inline_keyboard", []))


def buttons(call: Call) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in keyboard(call) for b in row}


def one(calls: list[Call]) -> Call:
    assert len(calls) == 1, [text(c) for c in calls]
    return calls[0]


def tanggal(day: date) -> str:
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


@pytest.fixture
async def desk(database_url: str, library: str, api: FakeBotApi) -> AsyncIterator[Desk]:
    settings = Settings.from_env(
        environ={
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_LIBRARY": library,
        },
        env_file=None,
    )
    runtime = await build_runtime(settings, NOW)
    async with runtime.uow() as uow:
        await uow.session.execute(update(Person).values(telegram_user_id=Person.id + FIRST_CHAT))
        await uow.commit()
        chats = {p.name: int(p.telegram_user_id or 0) for p in await uow.people.all()}
    transport = TRANSPORTS[library](
        settings, runtime, request_timeout=5, clock=lambda: the_desk.now
    )
    client = httpx.AsyncClient(timeout=5)
    sender = OutboxSender(
        runtime.uow,
        BotApiDeliverer(api.base_url, TOKEN, client),
        limits=ChatLimits(private_interval=0.01),  # pacing is tested elsewhere
        clock=lambda: the_desk.now,
    )
    the_desk = Desk(runtime, settings, api, transport, sender, chats)
    try:
        await transport.identify()
        yield the_desk
    finally:
        await transport.close()
        await client.aclose()
        await runtime.close()


async def reminder_of(desk: Desk, who: str, code: str) -> Call:
    """The message of today's tick that reminds `who` of dataset `code`."""
    await desk.tick()
    found = next(c for c in desk.new(who) if f"({code})" in text(c))
    for name in desk.chats:  # what the others got is not this test's subject
        desk.new(name)
    return found


def row_of(call: Call, code: str) -> list[dict[str, Any]]:
    return next(row for row in keyboard(call) if row[0]["text"].startswith(f"✅ {code}"))


def offered(reply: Call) -> dict[date, str]:
    """The dates an extension choice offers ("Sampai 3 Desember 2026") and their buttons."""
    days = {}
    for label, data in buttons(reply).items():
        day, month, year = label.removeprefix("Sampai ").split()
        days[date(int(year), BULAN.index(month) + 1, int(day))] = data
    return days


async def test_a_late_dataset_s_extension_runs_from_today_and_is_never_followed_by_late(
    desk: Desk,
) -> None:
    reminder = await reminder_of(desk, "Agus Setiawan", "ipm")
    ask = row_of(reminder, "ipm")[1]  # 📅

    choice = one(await desk.press("Agus Setiawan", ask["callback_data"]))
    dates = offered(choice)
    today = desk.now.astimezone(WIB).date()
    calendar = WorkCalendar()
    assert "238 hari lalu; tanggal baru dihitung dari hari ini" in text(choice)
    assert len(dates) == 3 and all(day >= today + timedelta(days=7) for day in dates)
    assert all(calendar.is_working_day(day) for day in dates)
    new_due = sorted(dates)[1]
    asked = one(await desk.press("Agus Setiawan", dates[new_due]))
    assert "walidata" in text(asked).lower()  # the presser hears who decides

    await desk.deliver()
    request = one([c for c in desk.new("Andi Prasetyo") if IPM_TITLE in text(c)])
    approve = next(data for label, data in buttons(request).items() if label.startswith("✅"))
    assert tanggal(new_due) in text(request)
    approved = one(await desk.press("Andi Prasetyo", approve))
    assert tanggal(new_due) in text(approved)
    await desk.deliver()
    told = one(desk.new("Agus Setiawan"))
    assert tanggal(new_due) in text(told) and IPM_TITLE in text(told)

    ipm_lines = []
    for days in range(1, (new_due - today).days + 1):  # every morning up to the new date
        desk.now = TUESDAY + timedelta(days=days)
        await desk.tick()
        for call in desk.new("Agus Setiawan"):
            ipm_lines += [line for line in text(call).splitlines() if "(ipm)" in line]
    assert ipm_lines and not [line for line in ipm_lines if "terlambat" in line]
    assert all(tanggal(new_due) in line or "jatuh tempo hari ini" in line for line in ipm_lines)
    status = text(one(await desk.type("Agus Setiawan", "/status")))
    assert tanggal(new_due) in status
