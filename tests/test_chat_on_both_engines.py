"""The chat paths that read and write the database, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.config import Settings
from bot.wiring import Runtime, build_runtime
from handlers.messages import Attachment, Incoming, Reply
from handlers.submission_review import Decision, SubmissionButton
from reminders.tick import run_tick
from storage.models import Dataset, Extension, OutboxMessage, Person

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_9 = datetime(2026, 11, 24, 9, 0, tzinfo=WIB).astimezone(UTC)


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Runtime]:
    settings = Settings.from_env(environ={"DATABASE_URL": database_url}, env_file=None)
    runtime = await build_runtime(settings, TUESDAY_9)  # migrates and loads the demo
    yield runtime
    await runtime.close()


async def person(bot: Runtime, name: str) -> Person:
    async with bot.uow() as uow:
        found = await uow.session.scalar(select(Person).where(Person.name == name))
    assert found is not None
    return found


async def say(bot: Runtime, who: Person | None, text: str = "", data: str | None = None) -> Reply:
    incoming = Incoming(1, None, text=text, callback_data=data, person_id=who.id if who else None)
    replies = await bot.dispatcher.handle(incoming, TUESDAY_9)
    assert len(replies) == 1
    return replies[0]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("IPM Kabupaten Pasuruan 2023", "Kabupaten Pasuruan (3514), 2023"),
        ("tren TPT Kota Batu 2019-2023", "Kota Batu (3579), 2019–2023"),
        ("bandingkan TPT Kota Batu dan Kota Malang 2023", "1. Kota Malang: 6,80 persen"),
        ("5 kabupaten dengan kemiskinan tertinggi", "1. Kabupaten Sampang: 20,61 persen"),
        ("siapa produsen data TPT", "Dinas Tenaga Kerja dan Transmigrasi"),
        ("kapan terakhir diperbarui IPM seri lama", "Terlambat 238 hari"),
    ],
)
async def test_questions_are_answered(bot: Runtime, question: str, expected: str) -> None:
    assert expected in (await say(bot, None, question)).text


async def test_status_and_reminder_buttons_write_what_they_should(bot: Runtime) -> None:
    walidata = await person(bot, "Andi Prasetyo")
    liaison = await person(bot, "Agus Setiawan")
    assert "Badan Perencanaan Pembangunan Daerah" in (await say(bot, walidata, "/status")).text
    assert "Indeks Pembangunan Manusia" in (await say(bot, liaison, "/status")).text

    await run_tick(bot.uow, TUESDAY_9, bot.dispatcher.app.reminders)
    async with bot.uow() as uow:
        ipm = await uow.datasets.by_code("ipm")
    assert ipm is not None
    ref = f"{ipm.id}:2025"

    claimed = await say(bot, liaison, data=f"r:done:{ref}")
    confirmed = await say(bot, walidata, data=f"r:confirm:{ref}")
    dates = await say(bot, liaison, data=f"r:ext:{ipm.id}:2026")  # the period now owed
    asked = await say(bot, liaison, data=f"r:extd:{ipm.id}:2026:14")

    assert "Walidata diberi tahu" in claimed.text
    assert "Dikonfirmasi" in confirmed.text
    # Answers read the same deadline as reminders: the confirmed period is no longer late.
    updated = await say(bot, None, "kapan terakhir diperbarui IPM seri lama")
    assert "Terlambat" not in updated.text
    assert "periode 2026 jatuh tempo 31 Maret 2027" in updated.text
    assert len(dates.buttons) == 3
    assert "dikirim ke walidata" in asked.text
    async with bot.uow() as uow:
        dataset = await uow.session.get(Dataset, ipm.id)
        extension = await uow.session.scalar(select(Extension))
        kinds = [m.kind for m in await uow.session.scalars(select(OutboxMessage))]
    assert dataset is not None and dataset.confirmed_period == "2025"
    assert extension is not None and extension.status == "pending"
    assert kinds.count("thanks") == 1 and kinds.count("notice") >= 2

    decided = await say(bot, walidata, data=f"r:extok:{ipm.id}:2026:{extension.id}")
    assert "disetujui" in decided.text


async def test_a_liaisons_file_goes_from_template_to_the_registry_across_a_restart(
    bot: Runtime, database_url: str
) -> None:
    liaison = await person(bot, "Agus Setiawan")
    walidata = await person(bot, "Andi Prasetyo")
    incoming = Incoming(1, None, text="/kirim ipm", person_id=liaison.id)
    (template,) = await bot.dispatcher.handle(incoming, TUESDAY_9)
    assert template.attachment is not None and "periode 2025" in template.text
    book = load_workbook(io.BytesIO(template.attachment.content))
    sheet = book["Data"]
    for row in sheet.iter_rows(min_row=7):
        for cell in row:
            if not cell.protection.locked:
                cell.value = 75.5
    filled = io.BytesIO()
    book.save(filled)
    document = Attachment("document", "ipm-2025.xlsx", filled.getvalue())
    sent = await bot.dispatcher.handle(
        Incoming(1, None, person_id=liaison.id, document=document), TUESDAY_9
    )
    assert sent[0].text.startswith("Terima kasih, berkas “ipm-2025.xlsx” terbaca"), sent[0].text
    await bot.close()

    settings = Settings.from_env(environ={"DATABASE_URL": database_url}, env_file=None)
    restarted = await build_runtime(settings, TUESDAY_9)
    try:
        async with restarted.uow() as uow:
            (submission,) = await uow.submissions.listed()
        accept = SubmissionButton(Decision.ACCEPT, submission.id).pack()
        (accepted,) = await restarted.dispatcher.handle(
            Incoming(1, None, callback_data=accept, person_id=walidata.id), TUESDAY_9
        )
        (answer,) = await restarted.dispatcher.handle(
            Incoming(1, None, text="IPM seri lama Kota Batu 2025"), TUESDAY_9
        )
        async with restarted.uow() as uow:
            dataset = await uow.datasets.by_code("ipm")
    finally:
        await restarted.close()
    assert accepted.text.startswith("Data “Indeks Pembangunan Manusia")
    assert "Kota Batu (3579), 2025: 75,5\n" in answer.text
    assert dataset is not None and dataset.latest_period == "2025"
