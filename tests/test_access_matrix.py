"""Who may see what: every role × classification × channel, against an expected table
written out here (not computed by the code under test).

Channels: a typed answer, a chart, a button press (callback), the structured export of a
dataset list (`ask --json`), the compliance digest (/kepatuhan, /status), the reminders and
escalations the tick writes and their buttons, forged reminder-button presses and their
refusals (in private and in a registered group), and a data request's broadcast and preview.
One OPD, Disnakertrans, produces a dataset of each classification.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.wiring import Runtime, build_runtime
from handlers.indicators import Ask
from handlers.understanding import PeriodAsk
from reminders.buttons import ReminderAction, ReminderButton, TemplateButton
from reminders.tick import run_tick
from storage.models import AuditEntry, OutboxMessage

from .conftest import NOW, copy_database, settings_for
from .people_helpers import ACCOUNTS, STRANGER, bind_accounts, classify, only, say

HEAD_OWN = 880008  # a kepala_opd of Disnakertrans, added by the fixture
VIEWERS = {
    "public": STRANGER,
    "walidata": ACCOUNTS["Andi Prasetyo"],
    "pimpinan": ACCOUNTS["Sri Wahyuni"],
    "kepala_opd (own OPD)": HEAD_OWN,
    "produsen (own OPD)": ACCOUNTS["Nur Aini"],
    "kepala_opd (other OPD)": ACCOUNTS["Wahyu Hidayat"],
    "produsen (other OPD)": ACCOUNTS["Siti Rahmawati"],
}
# classification → (dataset code, question words, a year with data)
DATASETS = {
    "terbuka": ("jumlah_penduduk", "jumlah penduduk", "2020"),
    "terbatas": ("tpt", "TPT", "2021"),
    "tertutup": ("tpak", "TPAK", "2021"),
}
# Values: everyone sees terbuka; terbatas goes to leaders, the walidata and the producing
# OPD's head and liaison; tertutup to nobody.
SEES_VALUES = {
    "terbuka": set(VIEWERS),
    "terbatas": {"walidata", "pimpinan", "kepala_opd (own OPD)", "produsen (own OPD)"},
    "tertutup": set(),
}
# Titles: a tertutup dataset's existence is the walidata's alone.
SEES_TITLE = {
    "terbuka": set(VIEWERS),
    "terbatas": set(VIEWERS),
    "tertutup": {"walidata"},
}
# The compliance digest covers every OPD for leaders and the walidata, one's own OPD for its
# head and liaison, and nothing for the public.
DIGEST_SCOPE = {"walidata", "pimpinan", "kepala_opd (own OPD)", "produsen (own OPD)"}
CASES = [(who, c) for who in VIEWERS for c in DATASETS]
# Who the tick chases or escalates to about Disnakertrans' long-overdue datasets.
CHASED = {"walidata", "pimpinan", "kepala_opd (own OPD)", "produsen (own OPD)"}
# Who may act on a reminder button of Disnakertrans' dataset.
ACTS = {"walidata", "produsen (own OPD)"}
PRODUCER = "Tenaga Kerja"  # in "Dinas Tenaga Kerja dan Transmigrasi"
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
IN_GROUP: dict[str, object] = {"chat": -100200300, "chat_type": "supergroup"}


@pytest.fixture(scope="module")
def matrix_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo registry with one dataset of each classification, all by Disnakertrans and
    all long overdue (so the digest names them), and a head of Disnakertrans."""
    database = copy_database(demo_template, tmp_path_factory.mktemp("matrix") / "matrix.db")
    bind_accounts(database)
    classify(database, tpt="terbatas", tpak="tertutup")
    with sqlite3.connect(database) as conn:
        opd = conn.execute("SELECT id FROM opds WHERE code = 'disnakertrans'").fetchone()[0]
        conn.execute(
            "UPDATE datasets SET opd_id = ?, latest_period = '2015' "
            "WHERE code IN ('jumlah_penduduk', 'tpt', 'tpak')",
            (opd,),
        )
        conn.execute(
            "INSERT INTO people (name, telegram_user_id, language, opd_id, active, created_at) "
            "VALUES ('Bambang Kepala', ?, 'id', ?, 1, '2026-01-01 00:00:00')",
            (HEAD_OWN, opd),
        )
        person = conn.execute("SELECT id FROM people WHERE name = 'Bambang Kepala'").fetchone()
        conn.execute("INSERT INTO person_roles VALUES (?, 'kepala_opd')", (person[0],))
    conn.close()
    return database


@pytest.fixture
def matrix_db(matrix_template: Path, tmp_path: Path) -> Path:
    return copy_database(matrix_template, tmp_path / "matrix.db")


@pytest.fixture
async def bot(matrix_db: Path) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(settings_for(matrix_db), NOW)
    runtime.dispatcher.app.limiter.per_minute = 10_000  # many questions from few accounts
    yield runtime
    await runtime.close()


def value_button(bot: Runtime, code: str, year: str) -> str:
    catalog = bot.dispatcher.app.catalog
    dataset = next(d for d in catalog.datasets.values() if d.code == code)
    region = catalog.by_code["3578"]  # Kota Surabaya
    return Ask("value", dataset, (region,), PeriodAsk("exact", code=year)).button_data("id")


@pytest.mark.parametrize(("who", "classification"), CASES)
async def test_answer(bot: Runtime, who: str, classification: str) -> None:
    code, words, year = DATASETS[classification]

    reply = only(await say(bot, f"{words} Kota Surabaya {year}", user=VIEWERS[who]))

    shown = reply.data is not None and reply.data.get("dataset") == code
    assert shown == (who in SEES_VALUES[classification]), reply.text
    if not shown:
        assert "Kota Surabaya (3578)" not in reply.text


@pytest.mark.parametrize(("who", "classification"), CASES)
async def test_chart(bot: Runtime, who: str, classification: str) -> None:
    _, words, _ = DATASETS[classification]

    reply = only(await say(bot, f"tren {words} Kota Surabaya", user=VIEWERS[who]))

    drawn = reply.attachment is not None and reply.attachment.kind == "photo"
    assert drawn == (who in SEES_VALUES[classification]), reply.text


@pytest.mark.parametrize(("who", "classification"), CASES)
async def test_callback(bot: Runtime, who: str, classification: str) -> None:
    code, _, year = DATASETS[classification]

    reply = only(await say(bot, callback_data=value_button(bot, code, year), user=VIEWERS[who]))

    shown = reply.data is not None and reply.data.get("dataset") == code
    assert shown == (who in SEES_VALUES[classification]), reply.text


@pytest.mark.parametrize(("who", "classification"), CASES)
async def test_export(bot: Runtime, who: str, classification: str) -> None:
    code, _, _ = DATASETS[classification]

    reply = only(await say(bot, "data apa saja dari Disnakertrans", user=VIEWERS[who]))

    assert reply.data is not None
    assert (code in reply.data["datasets"]) == (who in SEES_TITLE[classification])


@pytest.mark.parametrize(("who", "classification"), CASES)
async def test_digest(bot: Runtime, who: str, classification: str) -> None:
    code, _, _ = DATASETS[classification]
    expected = who in SEES_TITLE[classification] and who in DIGEST_SCOPE

    compliance = only(await say(bot, "/kepatuhan", user=VIEWERS[who])).text
    status = only(await say(bot, "/status", user=VIEWERS[who])).text

    assert (f"({code})" in compliance) == expected, compliance
    assert (f"({code})" in status) == expected, status


async def test_closed_datasets_still_count_in_the_digest(bot: Runtime) -> None:
    liaison = only(await say(bot, "/status", user=VIEWERS["produsen (own OPD)"])).text
    head = only(await say(bot, "/kepatuhan", user=HEAD_OWN)).text

    assert "🔒 1 dataset tertutup tidak dirinci di sini" in liaison
    assert "0 dari 3 dataset terjadwal mutakhir" in head  # tpak counts, unnamed


async def test_reads_of_restricted_values_are_audited(bot: Runtime) -> None:
    await say(bot, "TPT Kota Surabaya 2021", user=VIEWERS["pimpinan"])
    await say(bot, "jumlah penduduk Kota Surabaya 2020", user=VIEWERS["pimpinan"])
    await say(bot, "TPT Kota Surabaya 2021", user=STRANGER)  # refused: nothing read

    async with bot.uow() as uow:
        entries = list(await uow.session.scalars(select(AuditEntry)))
        sri = next(p for p in await uow.people.all() if p.name == "Sri Wahyuni")
    reads = [e for e in entries if e.action == "terbatas_read"]
    assert [(e.person_id, e.chat_id, e.detail["datasets"]) for e in reads] == [
        (sri.id, VIEWERS["pimpinan"], ["tpt"])
    ]
    assert reads[0].detail["regions"] == ["3578"] and reads[0].at == NOW


async def dataset_id(bot: Runtime, code: str) -> int:
    async with bot.uow() as uow:
        found = await uow.datasets.by_code(code)
    assert found is not None
    return found.id


def about(data: str) -> int | None:
    """The dataset a reminder's button acts on."""
    button = ReminderButton.unpack(data) or TemplateButton.unpack(data)
    return button.dataset_id if button else None


async def outbox_to(bot: Runtime, telegram_id: int) -> list[OutboxMessage]:
    async with bot.uow() as uow:
        messages = await uow.session.scalars(select(OutboxMessage))
        person = next(
            (p for p in await uow.people.all() if p.telegram_user_id == telegram_id), None
        )
    return [m for m in messages if person is not None and m.person_id == person.id]


@pytest.mark.parametrize(("who", "classification"), CASES)
async def test_reminder_and_escalation(bot: Runtime, who: str, classification: str) -> None:
    code, _, _ = DATASETS[classification]
    ident = await dataset_id(bot, code)

    await run_tick(bot.uow, TUESDAY, bot.dispatcher.app.reminders)

    messages = await outbox_to(bot, VIEWERS[who])
    text = "\n".join(m.text for m in messages)
    pressed = [b["data"] for m in messages for row in m.buttons for b in row]
    assert (f"({code})" in text or f"✅ {code}" in str(pressed)) == (
        who in CHASED and who in SEES_TITLE[classification]
    ), text
    ours = [d for d in pressed if about(d) == ident]
    assert bool(ours) == (who == "produsen (own OPD)" and who in SEES_TITLE[classification])
    if who in CHASED and classification == "tertutup" and who not in SEES_TITLE["tertutup"]:
        assert "🔒 1 dataset tertutup" in text, text


async def register_group(bot: Runtime) -> None:
    walidata = VIEWERS["walidata"]
    reply = only(await say(bot, "/daftarkan_grup tanya_data", user=walidata, **IN_GROUP))
    assert reply.text.startswith("Grup ini terdaftar"), reply.text


@pytest.mark.parametrize("channel", ["private", "group"])
@pytest.mark.parametrize(("who", "classification"), CASES)
async def test_reminder_button(bot: Runtime, who: str, classification: str, channel: str) -> None:
    """A forged press of each kind a liaison has: only those who may act on the dataset
    and may know of it here get an answer about it; a refusal names the producer only when
    the dataset's existence is no secret to the presser."""
    code, _, _ = DATASETS[classification]
    async with bot.uow() as uow:
        dataset = await uow.datasets.by_code(code)
        assert dataset is not None
        ident, title = dataset.id, dataset.title
    where: dict[str, object] = {}
    if channel == "group":
        await register_group(bot)
        where = IN_GROUP
    known = who in SEES_TITLE[classification] and (
        channel == "private" or classification != "tertutup"
    )

    for action in (ReminderAction.DETAIL, ReminderAction.DONE, ReminderAction.EXTEND):
        data = ReminderButton(action, ident, "2016").pack()
        reply = only(await say(bot, callback_data=data, user=VIEWERS[who], **where))

        assert (title in reply.text) == (known and who in ACTS), reply.text
        if not known:
            assert f"({code})" not in reply.text and PRODUCER not in reply.text, reply.text


@pytest.mark.parametrize("audience", ["liaisons", "officials"])
@pytest.mark.parametrize("classification", list(DATASETS))
async def test_data_request_broadcast(bot: Runtime, classification: str, audience: str) -> None:
    """A request about a dataset names it to each recipient who may know of it; the others
    read "dataset tertutup". The walidata's preview says so before anything is sent."""
    code, _, _ = DATASETS[classification]
    walidata = VIEWERS["walidata"]
    await say(bot, "/siaran", user=walidata)
    await say(bot, "Mohon kirim data terbaru.", user=walidata)
    await say(bot, callback_data=f"s:a:{audience}", user=walidata)
    await say(bot, callback_data="s:d:0", user=walidata)  # no deadline

    _, preview = await say(bot, code, user=walidata)  # "linked", then the preview again
    (sent,) = await say(bot, callback_data="s:ok", user=walidata)

    assert f"({code})" in preview.text and sent.text.startswith("Siaran #1 dikirim")
    assert ("tanpa judul dan kodenya" in preview.text) == (classification == "tertutup")
    async with bot.uow() as uow:
        messages = [
            m for m in await uow.session.scalars(select(OutboxMessage)) if m.kind == "request"
        ]
    assert messages
    for message in messages:
        assert (f"({code})" in message.text) == (classification != "tertutup"), message.text
        assert ("🔒 dataset tertutup" in message.text) == (classification == "tertutup")


@pytest.mark.parametrize("classification", list(DATASETS))
async def test_the_walidatas_decision_on_a_dataset_reaches_its_liaison_untitled_if_closed(
    bot: Runtime, classification: str
) -> None:
    """The walidata may act on a tertutup dataset; the liaison told of it learns no title."""
    code, _, _ = DATASETS[classification]
    ident = await dataset_id(bot, code)
    walidata = VIEWERS["walidata"]

    await say(
        bot, callback_data=ReminderButton(ReminderAction.DONE, ident, "2016").pack(), user=walidata
    )
    await say(
        bot, callback_data=ReminderButton(ReminderAction.DENY, ident, "2016").pack(), user=walidata
    )

    (notice,) = await outbox_to(bot, VIEWERS["produsen (own OPD)"])
    assert "periode 2016" in notice.text
    async with bot.uow() as uow:
        dataset = await uow.datasets.by_code(code)
        assert dataset is not None
    assert (dataset.title in notice.text) == (classification != "tertutup"), notice.text
    assert ("dataset tertutup" in notice.text) == (classification == "tertutup")
