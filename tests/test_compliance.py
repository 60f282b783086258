"""Kepatuhan figures on a registry whose compliance is known by construction, and /kepatuhan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.wiring import Runtime, build_runtime
from handlers.messages import Incoming, Reply
from storage.importing import import_datasets, import_people
from storage.uow import UnitOfWorkFactory
from tests.conftest import NOW, settings_for

# At NOW (22 November 2026), worked out by hand from the due rules:
#   uji_tahunan    2025 owed 2026, due 31 Mar 2027            → up to date
#   uji_bulanan    2026-10 owed 2026-11, due 15 Dec 2026      → up to date (23 days left)
#   uji_segera     2026-09 owed 2026-10, due 1 Dec 2026 (2 months, day 1) → due soon (9 days)
#   uji_telat      2026-09 owed 2026-10, due 15 Nov 2026      → 7 days late
#   uji_triwulan   2026-Q2 owed 2026-Q3, due 15 Nov 2026      → 7 days late
#   uji_adhoc      sewaktu-waktu                              → not scheduled, not counted
# So Dinas Uji: 5 scheduled, 3 up to date (60,0 %), 1 due soon, 2 late (average 7, worst 7).
HEADER = (
    "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir,bulan_jatuh_tempo,hari_jatuh_tempo"
)
DAFTAR = f"""{HEADER}
uji_tahunan,Data Uji Tahunan,Dinas Uji Kepatuhan,tahunan,terbuka,2025,,
uji_bulanan,Data Uji Bulanan,Dinas Uji Kepatuhan,bulanan,terbuka,2026-10,,
uji_segera,Data Uji Segera,Dinas Uji Kepatuhan,bulanan,terbuka,2026-09,2,1
uji_telat,Data Uji Terlambat,Dinas Uji Kepatuhan,bulanan,terbuka,2026-09,,
uji_triwulan,Data Uji Triwulanan,Dinas Uji Kepatuhan,triwulanan,terbuka,2026-Q2,,
uji_adhoc,Data Uji Sewaktu-waktu,Dinas Uji Kepatuhan,sewaktu-waktu,terbuka,,,
"""
PEOPLE = """nama,peran,opd,telegram_id
Penghubung Uji,produsen,Dinas Uji Kepatuhan,
"""


@pytest.fixture
async def bot(demo_db: Path, tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(settings_for(demo_db), NOW)
    uow: UnitOfWorkFactory = runtime.uow
    (tmp_path / "daftar.csv").write_text(DAFTAR, encoding="utf-8")
    (tmp_path / "pengguna.csv").write_text(PEOPLE, encoding="utf-8")
    assert (await import_datasets(uow, tmp_path / "daftar.csv", NOW)).ok
    assert (await import_people(uow, tmp_path / "pengguna.csv", NOW)).ok
    await runtime.close()
    runtime = await build_runtime(settings_for(demo_db), NOW)  # a catalog that knows the OPD
    yield runtime
    await runtime.close()


async def ask(bot: Runtime, text: str, who: str | None) -> Reply:
    person_id = None
    if who is not None:
        async with bot.uow() as uow:
            person_id = next(p.id for p in await uow.people.all() if p.name == who)
    replies = await bot.dispatcher.handle(Incoming(1, None, text=text, person_id=person_id), NOW)
    assert len(replies) == 1
    return replies[0]


async def test_an_opds_figures_match_the_hand_count(bot: Runtime) -> None:
    reply = await ask(bot, "/kepatuhan Dinas Uji Kepatuhan", "Andi Prasetyo")

    assert "Kepatuhan Dinas Uji Kepatuhan per 22 November 2026: 60,0%" in reply.text
    assert "3 dari 5 dataset terjadwal mutakhir · 1 segera jatuh tempo · 2 terlambat" in reply.text
    assert "(rata-rata 7 hari, terlama 7 hari)" in reply.text
    assert "Data Uji Terlambat (uji_telat): periode Oktober 2026, 7 hari" in reply.text
    assert "uji_adhoc" not in reply.text
    assert reply.data is not None and reply.data["percent"] == 60.0


async def test_the_region_view_ranks_every_opd_best_first(bot: Runtime) -> None:
    reply = await ask(bot, "/kepatuhan", "Sri Wahyuni")
    assert reply.data is not None
    percents = [opd["percent"] for opd in reply.data["opds"]]
    assert percents == sorted(percents, reverse=True)
    assert reply.data["opds"][0] == {"opd": "Dinas Sosial", "percent": 66.7, "overdue": 1}
    assert {"opd": "Dinas Uji Kepatuhan", "percent": 60.0, "overdue": 2} in reply.data["opds"]
    assert reply.data["scheduled"] == 15 + 5
    assert "Paling lama terlambat:" in reply.text


async def test_a_liaison_sees_only_their_own_agency(bot: Runtime) -> None:
    own = await ask(bot, "/kepatuhan", "Penghubung Uji")
    other = await ask(bot, "/kepatuhan Dinas Kesehatan", "Penghubung Uji")

    assert "Kepatuhan Dinas Uji Kepatuhan" in own.text
    assert "hanya dapat melihat kepatuhan OPD Anda sendiri" in other.text
    assert other.data is None


async def test_the_public_is_told_who_the_command_is_for(bot: Runtime) -> None:
    reply = await ask(bot, "/kepatuhan", None)
    assert "untuk pimpinan, walidata" in reply.text and reply.data is None


async def test_a_misspelt_agency_is_still_found_and_an_unknown_one_gets_suggestions(
    bot: Runtime,
) -> None:
    typo = await ask(bot, "/kepatuhan dinas kesehtan", "Andi Prasetyo")
    unknown = await ask(bot, "/kepatuhan Badan Antariksa", "Andi Prasetyo")

    assert "Kepatuhan Dinas Kesehatan" in typo.text
    assert "OPD “Badan Antariksa” tidak dikenal" in unknown.text
