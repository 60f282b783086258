"""Acting on reminders through the dispatcher: the liaison's and the walidata's buttons, /status.

Every press goes through `Dispatcher.handle` as a given demo person (`person_id`), at
Tuesday 24 November 2026 09:00 WIB; what it causes is read back from the registry with SQL.
The demo datasets are annual: a period is due on 31 March of the following year, so the old
IPM series (latest 2024) owes 2025, due 31 March 2026.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from bot.wiring import Runtime, build_runtime
from domain.calendar import WorkCalendar
from domain.callbacks import INT_RANGE, parse
from domain.engine import ReminderSettings
from domain.telegram_limits import CALLBACK_DATA_LIMIT
from handlers.messages import Incoming, Reply
from reminders.buttons import WITH_CHOICE, ReminderAction, ReminderButton
from reminders.status import status_of
from reminders.tick import plan_at, run_tick

from .conftest import CHAT_ID, NOW, USER_ID, settings_for
from .indonesian_dates import read_tanggal, tanggal

BIGGEST_ID = INT_RANGE.stop - 1  # the largest database id (PostgreSQL INTEGER)

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
TODAY = TUESDAY.date()
SETTINGS = ReminderSettings(WIB)
DAYS_OFF = holidays.Indonesia(categories=("government", "public"))
INTERNAL_ERROR = "Maaf, terjadi kesalahan"
STALE = "Tombol ini sudah tidak berlaku. Silakan ketik pertanyaan Anda lagi."
WALIDATA_ONLY = "Tombol ini hanya untuk walidata."
BAPPEDA = "Badan Perencanaan Pembangunan Daerah"
IPM_TITLE = "Indeks Pembangunan Manusia (UHH basis SP2010, seri lama)"
IPM_DUE = date(2026, 3, 31)  # period 2025 of an annual dataset


def annual_due(period: int) -> date:
    return date(period + 1, 3, 31)


def working_on_or_after(day: date) -> date:
    return WorkCalendar().on_or_after(day)


def offered_days(offered: list[tuple[str, str | None]]) -> list[date]:
    return [read_tanggal(text.removeprefix("Sampai ")) for text, _ in offered]


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in DAYS_OFF


# --- the registry, read with plain SQL -------------------------------------------------------


def sql(database: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(query, params).fetchall()
    connection.close()
    return rows


def person_id(database: Path, name: str) -> int:
    return sql(database, "SELECT id FROM people WHERE name = ?", name)[0][0]


def dataset_id(database: Path, code: str) -> int:
    return sql(database, "SELECT id FROM datasets WHERE code = ?", code)[0][0]


def opd_id(database: Path, code: str) -> int:
    return sql(database, "SELECT id FROM opds WHERE code = ?", code)[0][0]


def notices(database: Path, kind: str = "notice") -> list[dict[str, Any]]:
    rows = sql(
        database,
        "SELECT p.name, o.text, o.buttons FROM outbox o JOIN people p ON p.id = o.person_id "
        "WHERE o.kind = ? ORDER BY o.id",
        kind,
    )
    return [{"to": name, "text": text, "buttons": json.loads(b)} for name, text, b in rows]


def audit(database: Path) -> list[tuple[str, str | None, dict[str, Any]]]:
    rows = sql(
        database,
        "SELECT a.action, p.name, a.detail FROM audit_log a "
        "LEFT JOIN people p ON p.id = a.person_id ORDER BY a.id",
    )
    return [(action, name, json.loads(detail)) for action, name, detail in rows]


def snapshot(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("datasets", "outbox", "audit_log", "extensions", "reminder_sends")
    return {table: sql(database, f"SELECT * FROM {table} ORDER BY 1") for table in tables}


def add_extension(database: Path, code: str, new_due: date, status: str = "pending") -> int:
    """An extension request as the liaison's date button records it."""
    requested = TUESDAY.astimezone(UTC).replace(tzinfo=None) - timedelta(days=1)
    with sqlite3.connect(database) as connection:
        cursor = connection.execute(
            "INSERT INTO extensions (dataset_id, period, requested_by, requested_at, new_due, "
            "status) VALUES (?, '2025', ?, ?, ?, ?)",
            (
                dataset_id(database, code),
                person_id(database, "Agus Setiawan"),
                requested.isoformat(sep=" "),
                new_due.isoformat(),
                status,
            ),
        )
        extension_id = cursor.lastrowid
    connection.close()
    assert extension_id is not None
    return extension_id


def extension(database: Path, extension_id: int) -> tuple[str, str, str | None]:
    """(status, new due, decided by)."""
    ((status, new_due, decided_by),) = sql(
        database,
        "SELECT e.status, e.new_due, p.name FROM extensions e "
        "LEFT JOIN people p ON p.id = e.decided_by WHERE e.id = ?",
        extension_id,
    )
    return status, new_due, decided_by


# --- the bot -----------------------------------------------------------------------------------


@pytest.fixture
async def bot(demo_db: Path) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(settings_for(demo_db, SATUDATA_MAX_EXTENSIONS="2"), NOW)
    yield runtime
    await runtime.close()


@pytest.fixture
def ipm(demo_db: Path) -> int:
    return dataset_id(demo_db, "ipm")


async def press(
    bot: Runtime, database: Path, data: str, who: str | None, now: datetime = TUESDAY
) -> Reply:
    """One button press by a demo person (None: a member of the public); its only reply."""
    viewer = None if who is None else person_id(database, who)
    incoming = Incoming(
        CHAT_ID, USER_ID if viewer is None else None, callback_data=data, person_id=viewer
    )
    replies = await bot.dispatcher.handle(incoming, now)
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


async def say(bot: Runtime, database: Path, text: str, who: str | None) -> str:
    viewer = None if who is None else person_id(database, who)
    incoming = Incoming(CHAT_ID, USER_ID if viewer is None else None, text=text, person_id=viewer)
    replies = await bot.dispatcher.handle(incoming, TUESDAY)
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0].text


def button_data(reply: Reply) -> list[list[str | None]]:
    return [[button.data for button in row] for row in reply.buttons]


# --- "sudah diperbarui" and the walidata's check ----------------------------------------------


async def test_updated_asks_the_walidata_to_confirm_and_is_audited(
    bot: Runtime, demo_db: Path, ipm: int
) -> None:
    reply = await press(bot, demo_db, f"r:done:{ipm}:2025", "Agus Setiawan")

    assert INTERNAL_ERROR not in reply.text
    assert reply.text.startswith("Terima kasih! Walidata diberi tahu bahwa")
    assert IPM_TITLE in reply.text
    (notice,) = notices(demo_db)
    assert notice["to"] == "Andi Prasetyo"
    assert "Agus Setiawan" in notice["text"] and BAPPEDA in notice["text"]
    assert f"“{IPM_TITLE}” (ipm) periode 2025 sudah diperbarui" in notice["text"]
    assert [[b["data"] for b in row] for row in notice["buttons"]] == [
        [f"r:confirm:{ipm}:2025", f"r:deny:{ipm}:2025"]
    ]
    assert audit(demo_db)[-1] == (
        "claim_updated",
        "Agus Setiawan",
        {"dataset": "ipm", "period": "2025"},
    )


async def test_after_a_denial_a_new_claim_reaches_the_walidata_again(
    bot: Runtime, demo_db: Path, ipm: int
) -> None:
    await press(bot, demo_db, f"r:done:{ipm}:2025", "Agus Setiawan")
    await press(bot, demo_db, f"r:deny:{ipm}:2025", "Andi Prasetyo", TUESDAY.replace(hour=10))

    reply = await press(
        bot, demo_db, f"r:done:{ipm}:2025", "Agus Setiawan", TUESDAY.replace(hour=14)
    )

    assert INTERNAL_ERROR not in reply.text
    claims = [n for n in notices(demo_db) if n["to"] == "Andi Prasetyo"]
    assert len(claims) == 2


async def test_walidata_confirms_and_the_chase_stops_with_one_thanks(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    await run_tick(bot.uow, TUESDAY, SETTINGS)  # the liaison was reminded about 2025
    later = TUESDAY.replace(hour=10)

    reply = await press(bot, demo_db, f"r:confirm:{ipm}:2025", "Andi Prasetyo", later)
    again = await press(bot, demo_db, f"r:confirm:{ipm}:2025", "Andi Prasetyo", later)

    assert reply.text == (
        f"Dikonfirmasi: “{IPM_TITLE}” periode 2025 dianggap sudah diserahkan; pengingat dihentikan."
    )
    assert again.text == f"Data “{IPM_TITLE}” periode 2025 sudah tercatat. Terima kasih!"
    recorded = sql(
        demo_db, "SELECT confirmed_period, latest_period FROM datasets WHERE id = ?", ipm
    )
    assert recorded == [("2025", "2024")]
    thanks = notices(demo_db, "thanks")
    assert [t["to"] for t in thanks] == ["Agus Setiawan"]
    assert IPM_TITLE in thanks[0]["text"]
    assert [a for a in audit(demo_db) if a[0] == "claim_confirmed"] == [
        ("claim_confirmed", "Andi Prasetyo", {"dataset": "ipm", "period": "2025"})
    ]
    plan = await plan_at(bot.uow, TUESDAY + timedelta(days=7), SETTINGS)
    chased = {(item.code, item.period) for notice in plan for item in notice.items}
    assert ("ipm", "2025") not in chased
    assert ("pengeluaran_per_kapita", "2025") in chased  # the other Bappeda dataset is still due
    # A reminder for the confirmed period, pressed late, is answered politely.
    done = await press(bot, demo_db, f"r:done:{ipm}:2025", "Agus Setiawan", later)
    assert done.text == again.text


async def test_walidata_denies_and_the_liaison_is_told(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    reply = await press(bot, demo_db, f"r:deny:{ipm}:2025", "Andi Prasetyo")

    assert reply.text == (
        f"Penghubung data diberi tahu bahwa “{IPM_TITLE}” periode 2025 belum ditemukan."
    )
    liaisons = {
        name
        for (name,) in sql(
            demo_db,
            "SELECT p.name FROM people p JOIN person_roles r ON r.person_id = p.id "
            "WHERE r.role = 'produsen' AND p.opd_id = ?",
            opd_id(demo_db, "bappeda"),
        )
    }
    assert liaisons == {"Agus Setiawan"}
    assert [(n["to"], n["text"]) for n in notices(demo_db)] == [
        (
            "Agus Setiawan",
            f"Walidata belum menemukan “{IPM_TITLE}” periode 2025 di registri. "
            "Mohon periksa unggahan Anda.",
        )
    ]
    assert sql(demo_db, "SELECT confirmed_period FROM datasets WHERE code = 'ipm'") == [(None,)]
    assert audit(demo_db)[-1][:2] == ("claim_denied", "Andi Prasetyo")


# --- extensions -------------------------------------------------------------------------------


async def test_a_late_dataset_is_offered_dates_ahead_of_today_on_working_days(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    state = snapshot(demo_db)

    reply = await press(bot, demo_db, f"r:ext:{ipm}:2025", "Agus Setiawan")

    late = (TODAY - IPM_DUE).days
    assert reply.text == (
        f"“{IPM_TITLE}” jatuh tempo {tanggal(IPM_DUE)} ({late} hari lalu; tanggal baru dihitung "
        "dari hari ini). Pilih tanggal baru yang diusulkan:"
    )
    offered = [(b.text, b.data) for row in reply.buttons for b in row]
    assert offered == [
        (
            f"Sampai {tanggal(working_on_or_after(TODAY + timedelta(days=days)))}",
            f"r:extd:{ipm}:2025:{days}",
        )
        for days in (7, 14, 30)
    ]
    assert all(working(day) for day in offered_days(offered))
    assert all(len((data or "").encode()) <= 64 for _, data in offered)
    assert snapshot(demo_db) == state  # choosing is a separate press

    delivered = await press(bot, demo_db, f"r:ext:{ipm}:2024", "Agus Setiawan")
    assert delivered.text == f"Data “{IPM_TITLE}” periode 2024 sudah tercatat. Terima kasih!"


async def test_an_approved_extension_of_a_late_dataset_is_never_followed_by_a_late_reminder(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    await press(bot, demo_db, f"r:extd:{ipm}:2025:14", "Agus Setiawan")
    ((extension_id, due),) = sql(demo_db, "SELECT id, new_due FROM extensions")
    new_due = date.fromisoformat(due)
    await press(bot, demo_db, f"r:extok:{ipm}:2025:{extension_id}", "Andi Prasetyo")

    at_once = await plan_at(bot.uow, TUESDAY + timedelta(hours=1), SETTINGS)
    before_due = await plan_at(
        bot.uow, datetime.combine(new_due - timedelta(days=7), TUESDAY.timetz()), SETTINGS
    )

    assert new_due > TODAY
    assert not [i for n in at_once for i in n.items if i.code == "ipm" and i.days_late > 0]
    ipm_items = [i for n in before_due for i in n.items if i.code == "ipm"]
    assert ipm_items and all(i.days_left > 0 and i.due == new_due for i in ipm_items)


async def test_choosing_a_date_records_a_pending_request_for_the_walidata(
    bot: Runtime, demo_db: Path, ipm: int
) -> None:
    reply = await press(bot, demo_db, f"r:extd:{ipm}:2025:14", "Agus Setiawan")

    new_due = working_on_or_after(TODAY + timedelta(days=14))  # the data is late: from today
    assert reply.text.startswith(f"Permintaan perpanjangan sampai {tanggal(new_due)} dikirim")
    ((extension_id, status, due),) = sql(demo_db, "SELECT id, status, new_due FROM extensions")
    assert (status, due) == ("pending", new_due.isoformat())
    (notice,) = notices(demo_db)
    assert notice["to"] == "Andi Prasetyo"
    assert f"dari {tanggal(IPM_DUE)} menjadi {tanggal(new_due)}" in notice["text"]
    assert [[b["data"] for b in row] for row in notice["buttons"]] == [
        [f"r:extok:{ipm}:2025:{extension_id}", f"r:extno:{ipm}:2025:{extension_id}"]
    ]


async def test_an_approved_extension_moves_the_deadline_and_tells_the_requester(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    new_due = IPM_DUE + timedelta(days=14)
    extension_id = add_extension(demo_db, "ipm", new_due)

    reply = await press(bot, demo_db, f"r:extok:{ipm}:2025:{extension_id}", "Andi Prasetyo")
    again = await press(bot, demo_db, f"r:extok:{ipm}:2025:{extension_id}", "Andi Prasetyo")

    assert reply.text == (
        f"Perpanjangan “{IPM_TITLE}” sampai {tanggal(new_due)} disetujui; pemohon diberi tahu."
    )
    assert again.text == "Permintaan ini sudah diputuskan (disetujui)."
    assert extension(demo_db, extension_id) == ("approved", new_due.isoformat(), "Andi Prasetyo")
    async with bot.uow() as uow:
        status = await status_of(uow, ipm, TODAY)
    assert status is not None
    assert (status.deadline.expected.code, status.deadline.due) == ("2025", new_due)
    assert status.deadline.days_late == (TODAY - new_due).days
    assert [(n["to"], n["text"]) for n in notices(demo_db)] == [
        (
            "Agus Setiawan",
            f"Perpanjangan “{IPM_TITLE}” periode 2025 sampai {tanggal(new_due)} disetujui "
            "walidata.",
        )
    ]
    overview = await say(bot, demo_db, "/status", "Agus Setiawan")
    assert f"(ipm) — periode 2025, jatuh tempo {tanggal(new_due)}" in overview
    # Answers about the dataset give the extended date too.
    updated = await say(bot, demo_db, "kapan terakhir diperbarui IPM seri lama", "Agus Setiawan")
    assert f"periode 2025 jatuh tempo {tanggal(new_due)}" in updated
    value = await say(bot, demo_db, "IPM Kota Malang 2015", "Agus Setiawan")
    assert f"periode 2025 seharusnya tersedia paling lambat {tanggal(new_due)}" in value


async def test_a_refused_extension_keeps_the_deadline_and_tells_the_requester(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    new_due = IPM_DUE + timedelta(days=30)
    extension_id = add_extension(demo_db, "ipm", new_due)

    reply = await press(bot, demo_db, f"r:extno:{ipm}:2025:{extension_id}", "Andi Prasetyo")

    assert reply.text == (
        f"Perpanjangan “{IPM_TITLE}” sampai {tanggal(new_due)} ditolak; pemohon diberi tahu."
    )
    assert extension(demo_db, extension_id) == ("refused", new_due.isoformat(), "Andi Prasetyo")
    async with bot.uow() as uow:
        status = await status_of(uow, ipm, TODAY)
    assert status is not None and status.deadline.due == IPM_DUE
    updated = await say(bot, demo_db, "kapan terakhir diperbarui IPM seri lama", "Agus Setiawan")
    assert f"periode 2025 jatuh tempo {tanggal(IPM_DUE)}" in updated
    (notice,) = notices(demo_db)
    assert notice["to"] == "Agus Setiawan" and "ditolak walidata" in notice["text"]


@pytest.mark.parametrize(
    ("earlier", "limit", "answer"),
    [
        (["approved", "approved"], "2", "Batas perpanjangan untuk periode ini (2 kali) sudah"),
        (["approved", "pending"], "2", "Batas perpanjangan untuk periode ini (2 kali) sudah"),
        (["approved"], "1", "Batas perpanjangan untuk periode ini (1 kali) sudah tercapai."),
        (["pending"], "2", "Permintaan perpanjangan sebelumnya masih menunggu keputusan"),
        (["approved", "refused"], "2", None),  # a refusal does not count
    ],
)
async def test_the_extension_limit_is_enforced_politely(
    demo_db: Path,
    ipm: int,
    earlier: list[str],
    limit: str,
    answer: str | None,
    no_logged_errors: None,
) -> None:
    for number, status in enumerate(earlier, start=1):
        add_extension(demo_db, "ipm", IPM_DUE + timedelta(days=7 * number), status)
    state = snapshot(demo_db)
    bot = await build_runtime(settings_for(demo_db, SATUDATA_MAX_EXTENSIONS=limit), NOW)
    try:
        asked = await press(bot, demo_db, f"r:ext:{ipm}:2025", "Agus Setiawan")
        chosen = await press(bot, demo_db, f"r:extd:{ipm}:2025:7", "Agus Setiawan")
    finally:
        await bot.close()

    if answer is None:
        assert asked.text.endswith("Pilih tanggal baru yang diusulkan:") and asked.buttons
        return
    assert asked.text.startswith(answer) and asked.buttons == []
    assert chosen.text == asked.text
    assert snapshot(demo_db) == state


# --- "bukan data kami" and reassignment --------------------------------------------------------


async def test_not_ours_gives_the_walidata_a_button_per_other_opd(
    bot: Runtime, demo_db: Path, ipm: int
) -> None:
    reply = await press(bot, demo_db, f"r:notours:{ipm}:2025", "Agus Setiawan")

    assert reply.text.startswith("Terima kasih. Walidata diminta menetapkan produsen")
    others = sql(demo_db, "SELECT id, short_name FROM opds WHERE code != 'bappeda' ORDER BY name")
    (notice,) = notices(demo_db)
    assert notice["to"] == "Andi Prasetyo"
    assert "Agus Setiawan" in notice["text"] and "bukan data OPD-nya" in notice["text"]
    assert [(b["text"], b["data"]) for row in notice["buttons"] for b in row] == [
        (short, f"r:move:{ipm}:2025:{other}") for other, short in others
    ]


async def test_moving_a_dataset_changes_its_producer_everywhere(
    bot: Runtime, demo_db: Path, no_logged_errors: None
) -> None:
    headline = dataset_id(demo_db, "ipm_lfsp2020")
    dinkes = opd_id(demo_db, "dinkes")
    question = "siapa produsen data IPM?"
    title = "Indeks Pembangunan Manusia (UHH hasil Long Form SP2020)"
    assert await say(bot, demo_db, question, None) == f"Produsen data “{title}”: {BAPPEDA}."

    reply = await press(bot, demo_db, f"r:move:{headline}:2026:{dinkes}", "Andi Prasetyo")

    assert reply.text == f"“{title}” sekarang diproduksi oleh Dinas Kesehatan."
    assert sql(demo_db, "SELECT opd_id FROM datasets WHERE id = ?", headline) == [(dinkes,)]
    assert audit(demo_db)[-1] == (
        "dataset_reassigned",
        "Andi Prasetyo",
        {"dataset": "ipm_lfsp2020", "period": "2026", "old_opd": "bappeda", "new_opd": "dinkes"},
    )
    assert await say(bot, demo_db, question, None) == f"Produsen data “{title}”: Dinas Kesehatan."
    assert "Produsen data: Dinas Kesehatan" in await say(bot, demo_db, "IPM Kota Batu", None)
    assert "(ipm_lfsp2020)" in await say(bot, demo_db, "/status", "Siti Rahmawati")
    assert "(ipm_lfsp2020)" not in await say(bot, demo_db, "/status", "Agus Setiawan")
    refused = await press(bot, demo_db, f"r:detail:{headline}:2026", "Agus Setiawan")
    assert refused.text == "Tombol ini untuk penghubung data Dinas Kesehatan atau walidata."


# --- details -----------------------------------------------------------------------------------


async def test_detail_shows_the_due_date_and_the_reminders_sent(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    before = await press(bot, demo_db, f"r:detail:{ipm}:2025", "Agus Setiawan")
    await run_tick(bot.uow, TUESDAY, SETTINGS)

    after = await press(bot, demo_db, f"r:detail:{ipm}:2025", "Agus Setiawan")

    for reply in (before, after):
        assert reply.text.startswith(f"ℹ️ {IPM_TITLE} (ipm)")
        assert f"Produsen data: {BAPPEDA}" in reply.text
        assert "Periode terbaru di registri: 2024" in reply.text
        assert f"Periode berikutnya: 2025, jatuh tempo {tanggal(IPM_DUE)} (terlambat)" in (
            reply.text
        )
        assert "Penghubung data: Agus Setiawan" in reply.text
    assert "Pengingat yang sudah dikirim" not in before.text
    # One weekly reminder went out; people read it as such, not as an internal step key.
    assert "Pengingat yang sudah dikirim untuk periode ini: mingguan ×1" in after.text
    assert "weekly-" not in after.text


# --- who may press what --------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "Siti Rahmawati", "Wahyu Hidayat", "Sri Wahyuni"])
async def test_liaison_buttons_refuse_everyone_but_the_liaison_and_walidata(
    bot: Runtime, demo_db: Path, ipm: int, who: str | None, no_logged_errors: None
) -> None:
    state = snapshot(demo_db)

    for action in ("done", "ext", "extd", "notours", "detail"):
        data = f"r:{action}:{ipm}:2025" + (":7" if action == "extd" else "")
        reply = await press(bot, demo_db, data, who)
        assert reply.text == f"Tombol ini untuk penghubung data {BAPPEDA} atau walidata.", action
        assert reply.buttons == []

    assert snapshot(demo_db) == state


@pytest.mark.parametrize("who", [None, "Agus Setiawan", "Sri Wahyuni", "Wahyu Hidayat"])
async def test_walidata_buttons_refuse_everyone_else(
    bot: Runtime, demo_db: Path, ipm: int, who: str | None, no_logged_errors: None
) -> None:
    extension_id = add_extension(demo_db, "ipm", IPM_DUE + timedelta(days=7))
    dinkes = opd_id(demo_db, "dinkes")
    state = snapshot(demo_db)

    for data in (
        f"r:confirm:{ipm}:2025",
        f"r:deny:{ipm}:2025",
        f"r:extok:{ipm}:2025:{extension_id}",
        f"r:extno:{ipm}:2025:{extension_id}",
        f"r:move:{ipm}:2025:{dinkes}",
    ):
        assert (await press(bot, demo_db, data, who)).text == WALIDATA_ONLY, data

    assert snapshot(demo_db) == state


async def test_forged_or_stale_buttons_get_the_stale_answer(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    other = dataset_id(demo_db, "pengeluaran_per_kapita")
    extension_id = add_extension(demo_db, "ipm", IPM_DUE + timedelta(days=7))
    state = snapshot(demo_db)
    anyone = [  # unreadable, or about nothing that exists: the same answer for everyone
        "r:done:abc:2025",
        "r:done:999999:2025",
        "r:done:-1:2025",
        f"r:zzz:{ipm}:2025",
        "r",
        "r:",
        "r:done",
        f"r:done:{ipm}",
        f"r:done:{ipm}:2025:x:y",
    ]
    walidata = [  # readable, allowed, but pointing at nothing valid
        f"r:extd:{ipm}:2025:99",
        f"r:extok:{ipm}:2025:abc",
        f"r:extok:{ipm}:2025:999999",
        f"r:extok:{other}:2025:{extension_id}",  # another dataset's request
        f"r:move:{ipm}:2025:999999",
    ]

    for data in anyone:
        for who in ("Andi Prasetyo", "Agus Setiawan", None):
            assert (await press(bot, demo_db, data, who)).text == STALE, (data, who)
    for data in walidata:
        assert (await press(bot, demo_db, data, "Andi Prasetyo")).text == STALE, data
    assert (await press(bot, demo_db, walidata[0], "Agus Setiawan")).text == STALE

    assert snapshot(demo_db) == state


async def test_buttons_of_the_wrong_shape_or_with_no_period_get_the_stale_answer(
    bot: Runtime, demo_db: Path, ipm: int, no_logged_errors: None
) -> None:
    extension_id = add_extension(demo_db, "ipm", IPM_DUE + timedelta(days=7))
    state = snapshot(demo_db)

    for data in (
        f"r:done:{ipm}:2025:7",  # a choice where none belongs
        f"r:extok:{ipm}:2025",  # no extension named
        f"r:move:{ipm}:2025:",
        f"r:confirm:{ipm}:2025-q1",  # not how a period is written
        f"r:confirm:{ipm}:2025-13",
        f"r:confirm:{ipm}:9999x",
        f"r:extok:{ipm}:x:{extension_id}",
    ):
        assert (await press(bot, demo_db, data, "Andi Prasetyo")).text == STALE, data

    assert snapshot(demo_db) == state


LONGEST_PERIOD = "2026-12-31"  # a daily period: the longest code a period has


@pytest.mark.parametrize("action", list(ReminderAction))
def test_every_reminder_button_fits_telegram_and_reads_back(action: ReminderAction) -> None:
    choice = BIGGEST_ID if action in WITH_CHOICE else None
    button = ReminderButton(action, BIGGEST_ID, LONGEST_PERIOD, choice)
    data = button.pack()

    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert ReminderButton.unpack(data) == button
    assert parse(data) == button


def test_reminder_buttons_sent_before_payloads_were_typed_read_the_same() -> None:
    assert ReminderButton.unpack("r:done:12:2025") == ReminderButton(
        ReminderAction.DONE, 12, "2025"
    )
    assert ReminderButton.unpack("r:extd:12:2025-Q3:14") == ReminderButton(
        ReminderAction.EXTEND_TO, 12, "2025-Q3", 14
    )
    assert ReminderButton(ReminderAction.MOVE, 12, "2025-W09", 3).pack() == "r:move:12:2025-W09:3"


# --- /status --------------------------------------------------------------------------------------


async def test_status_for_a_liaison_lists_their_opds_datasets_most_overdue_first(
    bot: Runtime, demo_db: Path, no_logged_errors: None
) -> None:
    sql(demo_db, "UPDATE datasets SET latest_period = '2022' WHERE code = 'pengeluaran_per_kapita'")
    rows = sql(
        demo_db,
        "SELECT d.code, d.latest_period FROM datasets d JOIN opds o ON o.id = d.opd_id "
        "WHERE o.code = 'bappeda'",
    )
    dues = {code: annual_due(int(latest) + 1) for code, latest in rows}
    expected = sorted(dues, key=lambda code: (dues[code], code))
    assert expected[0] == "pengeluaran_per_kapita"

    text = await say(bot, demo_db, "/status", "Agus Setiawan")

    assert text.startswith(f"📋 Status dataset per {tanggal(TODAY)}")
    assert re.findall(r"\((\w+)\) — periode", text) == expected
    for code, due in dues.items():
        line = f"({code}) — periode {due.year - 1}, jatuh tempo {tanggal(due)}"
        if due < TODAY:
            line += f": terlambat {(TODAY - due).days} hari"
        assert line in text, code
    assert "🟢" in text and "🔴" in text


async def test_status_for_the_walidata_counts_each_opd(
    bot: Runtime, demo_db: Path, no_logged_errors: None
) -> None:
    rows = sql(
        demo_db,
        "SELECT o.name, d.code, d.latest_period FROM datasets d JOIN opds o ON o.id = d.opd_id",
    )
    counts: dict[str, list[int]] = {}
    lateness = []
    for opd, code, latest in rows:
        days_left = (annual_due(int(latest) + 1) - TODAY).days
        column = 0 if days_left < 0 else 1 if days_left == 0 else 2 if days_left <= 14 else 3
        counts.setdefault(opd, [0, 0, 0, 0])[column] += 1
        if days_left < 0:
            lateness.append((days_left, code))

    for who in ("Andi Prasetyo", "Sri Wahyuni"):
        text = await say(bot, demo_db, "/status", who)

        assert text.startswith(f"📋 Kepatuhan per {tanggal(TODAY)}")
        lines = [
            line for line in text.splitlines() if line.startswith("• ") and "periode" not in line
        ]
        assert lines == [
            f"• {opd}: {' · '.join(str(n) for n in numbers)}"
            for opd, numbers in sorted(counts.items())
        ]
        worst = text.split("Paling lama terlambat:")[1]
        assert re.findall(r"\((\w+)\), ", worst) == [code for _, code in sorted(lateness)[:5]]


async def test_status_for_the_head_of_an_opd_and_for_the_public(
    bot: Runtime, demo_db: Path, no_logged_errors: None
) -> None:
    dinkes = {
        code
        for (code,) in sql(
            demo_db,
            "SELECT d.code FROM datasets d JOIN opds o ON o.id = d.opd_id WHERE o.code = 'dinkes'",
        )
    }

    head = await say(bot, demo_db, "/status", "Retno Kusumawati")
    public = await say(bot, demo_db, "/status", None)

    assert set(re.findall(r"\((\w+)\) — periode", head)) == dinkes
    assert public == (
        "Perintah /status untuk penghubung data, kepala OPD, pimpinan dan walidata. "
        "Hubungi walidata bila Anda perlu akses."
    )
