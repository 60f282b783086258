"""Questions about the registry itself, typed the way officials write them: what is
available (by OPD, by topic or all of it, with the years each dataset covers), what is late
(all of it for the walidata and the leaders, a liaison's own OPD's, nothing for the public),
when a dataset falls due and who is responsible for it."""

from __future__ import annotations

import csv
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot.wiring import Runtime, build_runtime

from .conftest import NOW, settings_for
from .people_helpers import ACCOUNTS, STRANGER, bind_accounts, classify, only, say
from .test_answers import DEMO_DATA, registry

WALIDATA = ACCOUNTS["Andi Prasetyo"]
PIMPINAN = ACCOUNTS["Sri Wahyuni"]
TENAGA_KERJA = ACCOUNTS["Nur Aini"]  # produsen, Disnakertrans
BAPPEDA = ACCOUNTS["Agus Setiawan"]  # produsen, Bappeda
DATASETS = {d["code"]: d for d in registry()["dataset"]}
OPDS = {o["code"]: o["name"] for o in registry()["opd"]}


def years(code: str) -> tuple[int, int]:
    """The first and last year of a demo dataset's CSV file."""
    with (DEMO_DATA / DATASETS[code]["file"]).open(encoding="utf-8", newline="") as handle:
        found = {int(row["year"]) for row in csv.DictReader(handle)}
    return min(found), max(found)


def late_codes(opd: str | None = None) -> set[str]:
    """Yearly demo datasets still lacking the year before NOW's: its values were due in the
    first months of NOW's year, so they are late by NOW (late November)."""
    return {
        code
        for code, d in DATASETS.items()
        if years(code)[1] < NOW.year - 1 and (opd is None or d["opd"] == opd)
    }


# --- what is available -------------------------------------------------------------------


async def test_everything_available_is_listed_by_opd_with_its_years(bot: Runtime) -> None:
    reply = only(await say(bot, "data apa saja yang tersedia?"))

    assert reply.data is not None and reply.data["type"] == "dataset_list"
    assert set(reply.data["datasets"]) == set(DATASETS)
    for code, d in DATASETS.items():
        first, last = years(code)
        assert f"• {d['title']} (tahunan, terbuka) · {first}–{last}" in reply.text
    for opd in {d["opd"] for d in DATASETS.values()}:
        assert f"🏛 {OPDS[opd]}\n" in reply.text


async def test_available_of_one_opd(bot: Runtime) -> None:
    reply = only(await say(bot, "dataset apa saja dari Dinas Sosial"))

    assert reply.data is not None
    assert set(reply.data["datasets"]) == {c for c, d in DATASETS.items() if d["opd"] == "dinsos"}
    assert reply.text.startswith("🗂 Data dari Dinas Sosial:")
    assert "🏛" not in reply.text  # one OPD needs no headings


async def test_available_on_a_topic_lists_only_that_topic(bot: Runtime) -> None:
    reply = only(await say(bot, "data kemiskinan apa saja yang tersedia?"))

    assert reply.data is not None and reply.data["datasets"]
    assert reply.text.startswith("🗂 Data tentang “kemiskinan”")
    for code in reply.data["datasets"]:
        assert DATASETS[code]["opd"] == "dinsos", code


async def test_available_in_english(bot: Runtime) -> None:
    reply = only(await say(bot, "what data is available?"))

    assert reply.data is not None and set(reply.data["datasets"]) == set(DATASETS)
    assert reply.text.startswith("🗂 Datasets in the registry:")
    assert "tahunan" not in reply.text.split("\n", 1)[0]


def held_by(region: str) -> dict[str, tuple[int, int]]:
    """code → first and last year of the demo datasets with a value for the region."""
    held = {}
    for code, d in DATASETS.items():
        with (DEMO_DATA / d["file"]).open(encoding="utf-8", newline="") as handle:
            found = [int(r["year"]) for r in csv.DictReader(handle) if r["region_name"] == region]
        if found:
            held[code] = (min(found), max(found))
    return held


async def test_available_for_a_region_lists_what_holds_it_with_its_years(bot: Runtime) -> None:
    province = held_by("Provinsi Jawa Timur")
    assert 0 < len(province) < len(DATASETS)  # the demo lacks some province series

    reply = only(await say(bot, "data apa saja yang tersedia untuk provinsi jawa timur"))

    assert reply.data is not None and reply.data["region"] == "Provinsi Jawa Timur"
    assert set(reply.data["datasets"]) == set(province)
    for code, (first, last) in province.items():
        assert f"• {DATASETS[code]['title']} (tahunan, terbuka) · {first}–{last}" in reply.text


async def test_available_for_an_ambiguous_region_asks_which(bot: Runtime) -> None:
    reply = only(await say(bot, "data apa saja yang tersedia untuk Pasuruan?"))

    assert reply.data is None
    assert "Kabupaten Pasuruan atau Kota Pasuruan" in reply.text


async def test_available_of_a_named_value_answers_with_the_value(bot: Runtime) -> None:
    reply = only(await say(bot, "apakah data TPT Kota Batu 2023 tersedia?"))

    assert reply.data is not None and reply.data["type"] == "indicator_value"
    assert (reply.data["indicator"], reply.data["region_name"]) == ("tpt", "Kota Batu")


async def test_a_list_after_an_answer_is_of_the_registry_not_the_last_dataset(
    bot: Runtime,
) -> None:
    await say(bot, "TPT Kota Batu 2023")
    reply = only(await say(bot, "data apa saja yang tersedia untuk Kota Batu?"))

    assert reply.data is not None and set(reply.data["datasets"]) == set(held_by("Kota Batu"))


async def test_a_closed_dataset_is_not_listed_to_the_public(demo_db: Path) -> None:
    classify(demo_db, tpak="tertutup")
    bind_accounts(demo_db)
    runtime = await build_runtime(settings_for(demo_db), NOW)
    try:
        public = only(await say(runtime, "data apa saja yang tersedia?"))
        walidata = only(await say(runtime, "data apa saja yang tersedia?", user=WALIDATA))
    finally:
        await runtime.close()

    assert public.data is not None and "tpak" not in public.data["datasets"]
    assert "TPAK" not in public.text
    assert walidata.data is not None and "tpak" in walidata.data["datasets"]


# --- what is late ------------------------------------------------------------------------


@pytest.mark.parametrize("user", [WALIDATA, PIMPINAN])
async def test_the_walidata_and_the_leaders_see_every_late_dataset(bot: Runtime, user: int) -> None:
    reply = only(await say(bot, "dataset apa saja yang terlambat?", user=user))

    assert reply.data is not None and reply.data["type"] == "late_datasets"
    assert set(reply.data["datasets"]) == late_codes()
    for code in late_codes():
        line = next(x for x in reply.text.splitlines() if f"({code})" in x)
        assert OPDS[DATASETS[code]["opd"]] in line
        assert re.search(r"terlambat [\d.]+ hari$", line), line


async def test_a_liaison_sees_their_own_late_datasets_as_status_does(bot: Runtime) -> None:
    for user, opd in ((TENAGA_KERJA, "disnakertrans"), (BAPPEDA, "bappeda")):
        reply = only(await say(bot, "data saya yang belum diperbarui apa saja?", user=user))
        status = only(await say(bot, "/status", user=user))

        assert reply.data is not None and reply.data["type"] == "late_datasets", reply.text
        assert set(reply.data["datasets"]) == late_codes(opd)
        assert reply.data["opds"] == [OPDS[opd]]
        red = {m for m in re.findall(r"^🔴 .*\((\w+)\)", status.text, re.MULTILINE)}
        assert red == late_codes(opd)


async def test_the_walidata_can_ask_for_one_opd(bot: Runtime) -> None:
    reply = only(await say(bot, "data Dinas Kesehatan yang terlambat", user=WALIDATA))

    assert reply.data is not None
    assert set(reply.data["datasets"]) == late_codes("dinkes")
    assert "Dinas Kesehatan" in reply.text.splitlines()[0]


async def test_the_public_is_told_who_may_see_late_data(bot: Runtime) -> None:
    reply = only(await say(bot, "dataset apa saja yang terlambat?", user=STRANGER))

    assert reply.data is None
    assert "walidata" in reply.text
    for code in late_codes():
        assert DATASETS[code]["title"] not in reply.text


async def test_an_up_to_date_opd_hears_so(demo_db: Path) -> None:
    bind_accounts(demo_db)
    with sqlite3.connect(demo_db) as db:
        db.execute("UPDATE datasets SET latest_period = '2025' WHERE code = 'tpak'")
    db.close()
    runtime = await build_runtime(settings_for(demo_db), NOW)
    try:
        reply = only(await say(runtime, "data saya yang terlambat apa saja?", user=TENAGA_KERJA))
    finally:
        await runtime.close()

    assert reply.data is not None and reply.data["datasets"] == []
    assert "Tidak ada data yang terlambat" in reply.text


# --- one dataset: deadline and producer --------------------------------------------------


async def test_the_deadline_of_a_named_dataset(bot: Runtime) -> None:
    reply = only(await say(bot, "kapan batas waktu update data TPAK?"))

    assert reply.data is not None and reply.data["type"] == "dataset_updated"
    assert reply.data["dataset"] == "tpak"
    owed = years("tpak")[1] + 1  # the first year the registry lacks
    assert reply.data["due"].startswith(f"{owed + 1}-")
    assert reply.text.startswith(
        f"📅 Batas waktu “{DATASETS['tpak']['title']}”: periode {owed} jatuh tempo"
    )
    assert "sudah lewat" in reply.text


async def test_who_is_responsible_for_a_topic(bot: Runtime) -> None:
    reply = only(await say(bot, "siapa yang bertanggung jawab atas data kemiskinan?"))

    assert reply.data is not None and reply.data["type"] == "dataset_producer"
    assert reply.data["producer"] == OPDS["dinsos"]


async def test_late_about_a_named_dataset_gives_its_card(bot: Runtime) -> None:
    reply = only(await say(bot, "apakah data TPAK terlambat?", user=WALIDATA))

    assert reply.data is not None and reply.data["type"] == "dataset_updated"
    assert reply.data["dataset"] == "tpak" and reply.data["status"] == "terlambat"


async def test_day_counts_over_a_thousand_are_written_alike_everywhere(bot: Runtime) -> None:
    code = "laju_pertumbuhan_ekonomi"
    due = date(years(code)[1] + 2, 3, 31)  # the year after the last, due by March after it
    days = (NOW.date() - due).days
    assert days >= 1000
    written = f"{days:,} hari".replace(",", ".")

    for text in ("/status", "dataset apa saja yang terlambat?", "/kepatuhan"):
        reply = only(await say(bot, text, user=WALIDATA))
        line = next(x for x in reply.text.splitlines() if DATASETS[code]["title"] in x)
        assert written in line, (text, line)


async def test_english_lists_and_cards_write_registry_terms_in_english(bot: Runtime) -> None:
    listed = only(await say(bot, "what data is available from Dinas Sosial?")).text
    card = only(await say(bot, "when was TPT last updated?")).text

    assert f"• {DATASETS['garis_kemiskinan']['title']} (annual, open) · " in listed
    assert "Periodicity: annual" in card
    for indonesian in ("tahunan", "terbuka"):
        assert indonesian not in listed + card
