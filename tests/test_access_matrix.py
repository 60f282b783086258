"""Who may see what: every role × classification × channel, against an expected table
written out here (not computed by the code under test).

Channels: a typed answer, a chart, a button press (callback), the structured export of a
dataset list (`ask --json`), and the compliance digest (/kepatuhan, /status). One OPD,
Disnakertrans, produces a dataset of each classification.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.wiring import Runtime, build_runtime
from handlers.indicators import Ask
from handlers.understanding import PeriodAsk
from storage.models import AuditEntry

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
