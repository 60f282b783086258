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
from bot.wiring import Runtime, build_runtime, digest_place
from domain.calendar import WorkCalendar
from reminders.delivery import ChatLimits, OutboxSender
from reminders.tick import run_tick
from reports.weekly_digest import run_weekly_digest
from storage.models import Person
from tests.conftest import NOW
from tests.fake_bot_api import TOKEN, Call, FakeBotApi
from tests.indonesian_dates import read_tanggal, tanggal

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB).astimezone(UTC)
TRANSPORTS: dict[str, TransportFactory] = {"ptb": PtbTransport, "aiogram": AiogramTransport}
FIRST_CHAT = 8000  # a demo person's chat is FIRST_CHAT + their id
IPM_TITLE = "Indeks Pembangunan Manusia (UHH basis SP2010, seri lama)"


@pytest.fixture(params=list(TRANSPORTS))
def library(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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
        runtime.dispatcher.app.bot_username = await transport.identify()  # for invitations
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
    return {
        read_tanggal(label.removeprefix("Sampai ")): data for label, data in buttons(reply).items()
    }


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


async def test_a_reminder_about_several_datasets_names_each_once_and_its_icons_act_on_it(
    desk: Desk,
) -> None:
    reminder = await reminder_of(desk, "Agus Setiawan", "pengeluaran_per_kapita")
    rows = keyboard(reminder)

    assert [row[0]["text"] for row in rows] == ["✅ ipm", "✅ pengeluaran_per_kapita"]
    assert all([b["text"] for b in row[1:]] == ["📅", "🚫", "ℹ️", "📤"] for row in rows)
    assert "✅ sudah diperbarui · 📅 minta perpanjangan" in text(reminder)  # the legend
    details = one(await desk.press("Agus Setiawan", rows[1][3]["callback_data"]))
    assert "Pengeluaran per Kapita Disesuaikan" in text(details) and IPM_TITLE not in text(details)


async def test_not_our_data_on_a_reminder_reaches_the_walidata_and_the_presser_hears_it(
    desk: Desk,
) -> None:
    reminder = await reminder_of(desk, "Agus Setiawan", "ipm")

    said = one(await desk.press("Agus Setiawan", row_of(reminder, "ipm")[2]["callback_data"]))
    await desk.deliver()
    notice = one(desk.new("Andi Prasetyo"))
    moved = one(await desk.press("Andi Prasetyo", buttons(notice)["Dinkes"]))

    assert text(said).startswith("Terima kasih. Walidata diminta menetapkan produsen")
    assert "Agus Setiawan" in text(notice) and "bukan data OPD-nya" in text(notice)
    assert text(moved) == f"“{IPM_TITLE}” sekarang diproduksi oleh Dinas Kesehatan."
    status = text(one(await desk.type("Siti Rahmawati", "/status")))
    assert "(ipm)" in status


async def test_not_ours_on_a_data_request_reaches_the_walidata_who_sent_it(desk: Desk) -> None:
    walidata = "Andi Prasetyo"
    await desk.type(walidata, "/siaran")
    audience = one(await desk.type(walidata, "Mohon kirim data stunting 2025."))
    assert "s:a:liaisons" in buttons_by_data(audience)
    deadlines = one(await desk.press(walidata, "s:a:liaisons"))
    seven = [d for d in buttons_by_data(deadlines) if d != "s:d:0"][1]
    preview = one(await desk.press(walidata, seven))
    assert "s:ok" in buttons_by_data(preview)
    await desk.press(walidata, "s:ok")
    await desk.deliver()
    request = next(c for c in desk.new("Agus Setiawan") if "stunting 2025" in text(c))
    not_ours = next(d for d in buttons_by_data(request) if d.endswith(":no"))
    desk.new(walidata)

    said = one(await desk.press("Agus Setiawan", not_ours))
    again = one(await desk.press("Agus Setiawan", not_ours))
    await desk.deliver()
    notice = one(desk.new(walidata))  # once, however often it is pressed
    assert list(buttons_by_data(notice)) == ["d:v:1"]
    answers = one(await desk.press(walidata, "d:v:1"))

    assert (
        text(said)
        == text(again)
        == (
            "Tercatat: permintaan #1 bukan wewenang OPD Anda. Walidata Andi Prasetyo sudah diberi "
            "tahu untuk meninjaunya."
        )
    )
    assert text(notice).startswith("🚫 Agus Setiawan (Badan Perencanaan Pembangunan Daerah)")
    assert "• Badan Perencanaan Pembangunan Daerah: 0 · 0 · 0 · 1 · 0" in text(answers)


def buttons_by_data(call: Call) -> dict[str, str]:
    return {b["callback_data"]: b["text"] for row in keyboard(call) for b in row}


async def test_the_unreachable_report_offers_the_walidata_a_link_that_binds_the_same_person(
    desk: Desk,
) -> None:
    async with desk.runtime.uow() as uow:  # Nur Aini never linked an account
        await uow.session.execute(
            update(Person).where(Person.name == "Nur Aini").values(telegram_user_id=None)
        )
        await uow.commit()

    await desk.tick()
    report = next(c for c in desk.new("Andi Prasetyo") if "Nur Aini" in text(c))
    link = one(await desk.press("Andi Prasetyo", buttons(report)["🔗 Tautan untuk Nur Aini"]))
    token = text(link).split("https://t.me/satudata_test_bot?start=", 1)[1].split()[0]
    desk.chats["Nur Aini"] = 9400
    welcome = one(await desk.type("Nur Aini", f"/start {token}"))

    assert "belum menghubungkan akun Telegram" in text(report)
    assert "menekan Mulai" not in text(report)
    assert "Nur Aini sudah ada di registri" in text(link)
    assert text(welcome).startswith("Selamat datang, Nur Aini!")
    async with desk.runtime.uow() as uow:
        nur = [p for p in await uow.people.all() if p.name == "Nur Aini"]
    assert [p.telegram_user_id for p in nur] == [9400]  # the same person, not a second one


async def test_the_walidata_confirms_giving_up_their_own_role_and_the_last_one_cannot(
    desk: Desk,
) -> None:
    walidata = "Andi Prasetyo"
    card = one(await desk.type(walidata, f"/peran {walidata}"))
    refused = one(await desk.press(walidata, buttons(card)["➖ walidata"]))
    sri = one(await desk.type(walidata, "/peran Sri Wahyuni"))
    await desk.press(walidata, buttons(sri)["➕ walidata"])

    card = one(await desk.type(walidata, f"/peran {walidata}"))
    asked = one(await desk.press(walidata, buttons(card)["➖ walidata"]))
    still = one(await desk.type(walidata, "/peran Nur Aini"))
    confirmed = one(await desk.press(walidata, keyboard(asked)[0][0]["callback_data"]))
    after = one(await desk.type(walidata, "/peran Nur Aini"))

    assert "walidata terakhir" in text(refused)
    assert text(asked).startswith("Lepaskan peran walidata Anda sendiri?")
    assert "➕ walidata" in buttons(still)  # asking changed nothing: still the walidata's card
    assert text(confirmed).startswith("Peran walidata dicabut")
    assert text(after).startswith("Perintah dan tombol ini hanya untuk walidata.")
    assert not keyboard(after)


async def test_the_digest_s_best_are_above_the_region_and_never_among_the_worst(
    desk: Desk,
) -> None:
    desk.now = datetime(2026, 11, 30, 7, 30, tzinfo=WIB).astimezone(UTC)  # Monday's digest
    await run_weekly_digest(
        desk.runtime.uow,
        desk.now,
        desk.settings.digest_schedule,
        WorkCalendar(),
        digest_place(desk.settings),
    )
    await desk.deliver()
    digest = next(c for c in desk.new("Sri Wahyuni") if "Ringkasan mingguan" in text(c))
    region = percent(text(digest).split("Kepatuhan: ", 1)[1].split("\n", 1)[0])
    best = ranked(text(digest), "OPD terbaik")
    worst = ranked(text(digest), "OPD paling perlu perhatian")

    assert best and worst
    assert all(share > region for share in best.values())
    assert not set(best) & set(worst)
    assert list(worst.values()) == sorted(worst.values()) and max(worst.values()) < 100
    assert list(best.values()) == sorted(best.values(), reverse=True)


def percent(shown: str) -> float:
    """ "66,7% (2/3) · …" → 66.7"""
    return float(shown.split("%", 1)[0].replace(",", "."))


def ranked(digest: str, heading: str) -> dict[str, float]:
    """The numbered OPD lines under `heading`: name → compliance."""
    lines = digest.split(heading, 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    return {
        name.split(". ", 1)[1]: percent(share)
        for name, share in (line.split(": ", 1) for line in lines if line[:1].isdigit())
    }
