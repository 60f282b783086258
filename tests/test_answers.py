"""Answers beyond a single value: trends, comparisons, rankings, registry questions, English,
the deployment's own region, freshness, and who may see which values through every channel.

Expected numbers are read from the demo CSV files (storage/demo_data), not copied by hand, so
a test fails if the bot shows anything other than what the registry was loaded with.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import tomllib
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from bot.wiring import Runtime, build_runtime
from handlers.indicators import Ask
from handlers.messages import Button, Incoming, Reply
from handlers.understanding import PeriodAsk
from storage.demo import DEMO_DATA

from .conftest import CHAT_ID, NOW, USER_ID, Send, settings_for

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UPDATED_AT = "22 November 2026 10.00 WIB"  # NOW (03.00 UTC) on the Jakarta clock


# --- helpers ----------------------------------------------------------------------------


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


def buttons_of(reply: Reply) -> dict[str, Button]:
    return {button.text: button for row in reply.buttons for button in row}


def id_number(value: float, decimals: int = 2) -> str:
    """7.62 → "7,62", as the bot writes numbers (values below a thousand only)."""
    assert abs(value) < 1000
    return f"{value:.{decimals}f}".replace(".", ",")


def demo_values(name: str) -> dict[tuple[str, int], float]:
    """A demo CSV file as {(region name, year): value}."""
    with (DEMO_DATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return {
            (row["region_name"], int(row["year"])): float(row["value"])
            for row in csv.DictReader(handle)
        }


def demo_codes(name: str) -> dict[str, str]:
    """Region name → BPS code in a demo CSV file (empty for regions without one)."""
    with (DEMO_DATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return {row["region_name"]: row["region_code"] for row in csv.DictReader(handle)}


def jatim_kabkota(name: str, year: int, level: str | None = None) -> dict[str, float]:
    """Values of the kabupaten/kota of Jawa Timur (BPS codes 35xx) in one year."""
    codes = demo_codes(name)
    prefix = {"kabupaten": "Kabupaten ", "kota": "Kota ", None: ""}[level]
    return {
        region: value
        for (region, year_), value in demo_values(name).items()
        if year_ == year and re.fullmatch(r"35\d\d", codes[region]) and region.startswith(prefix)
    }


def provinces(name: str, year: int) -> dict[str, float]:
    return {
        region: value
        for (region, year_), value in demo_values(name).items()
        if year_ == year and region.startswith("Provinsi ")
    }


def latest_year(name: str, region: str) -> int:
    return max(year for (region_, year) in demo_values(name) if region_ == region)


def registry() -> dict:
    return tomllib.loads((DEMO_DATA / "registry.toml").read_text(encoding="utf-8"))


def assert_png_attachment(reply: Reply) -> Image.Image:
    assert reply.chart is not None
    assert reply.attachment is not None, "the dispatcher should have drawn the chart"
    assert reply.attachment.kind == "photo"
    assert reply.attachment.filename.endswith(".png")
    assert reply.attachment.content.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(reply.attachment.content))
    image.load()
    assert image.size[0] == 800
    return image


# --- trends -----------------------------------------------------------------------------


async def test_trend_of_the_last_five_years_names_them_and_comes_with_a_chart(
    send: Send,
) -> None:
    ipm = demo_values("ipm_lfsp2020")
    last = latest_year("ipm_lfsp2020", "Kota Batu")
    years = list(range(last - 4, last + 1))
    expected = [ipm[("Kota Batu", year)] for year in years]

    reply = only(await send("tren IPM Kota Batu 5 tahun terakhir"))

    assert f"Kota Batu (3579), {years[0]}–{years[-1]}" in reply.text
    assert (
        f"Naik dari {id_number(expected[0])} ({years[0]}) "
        f"menjadi {id_number(expected[-1])} ({years[-1]})"
    ) in reply.text
    assert reply.data is not None
    assert reply.data["type"] == "indicator_trend"
    assert reply.data["periods"] == [str(year) for year in years]
    assert reply.data["values"] == expected
    assert_png_attachment(reply)


async def test_trend_over_a_range_keeps_to_the_range(send: Send) -> None:
    tpt = demo_values("tpt")

    reply = only(await send("tren TPT Kota Surabaya 2019-2023"))

    assert reply.data is not None
    assert reply.data["periods"] == ["2019", "2020", "2021", "2022", "2023"]
    assert reply.data["values"] == [tpt[("Kota Surabaya", y)] for y in range(2019, 2024)]
    assert "Kota Surabaya (3578), 2019–2023" in reply.text
    assert_png_attachment(reply)


async def test_trend_names_its_highest_and_lowest_year(send: Send) -> None:
    tpt = demo_values("tpt")
    series = {y: tpt[("Kota Surabaya", y)] for y in range(2019, 2024)}
    high = max(series, key=series.__getitem__)
    low = min(series, key=series.__getitem__)

    text = only(await send("tren TPT Kota Surabaya 2019-2023")).text

    assert f"Tertinggi {id_number(series[high])} ({high})" in text
    assert f"terendah {id_number(series[low])} ({low})" in text


# --- comparisons ------------------------------------------------------------------------


async def test_comparison_in_one_year_lists_highest_first_with_the_difference(
    send: Send,
) -> None:
    tpt = demo_values("tpt")
    batu, malang = tpt[("Kota Batu", 2023)], tpt[("Kota Malang", 2023)]
    assert (batu, malang) == (4.52, 6.80)  # the demo data this test was written against

    reply = only(await send("bandingkan TPT Kota Batu dan Kota Malang 2023"))

    assert "1. Kota Malang: 6,80 persen" in reply.text
    assert "2. Kota Batu: 4,52 persen" in reply.text
    assert f"Selisih: {id_number(malang - batu)} persen." in reply.text
    assert "Selisih: 2,28 persen." in reply.text
    assert reply.data is not None
    assert reply.data["period"] == "2023"
    assert [(r["region_name"], r["value"]) for r in reply.data["regions"]] == [
        ("Kota Malang", malang),
        ("Kota Batu", batu),
    ]
    assert_png_attachment(reply)


async def test_comparison_of_three_regions_ranks_them_without_a_difference_line(
    send: Send,
) -> None:
    ipm = demo_values("ipm_lfsp2020")
    names = ["Kota Batu", "Kota Malang", "Kota Surabaya"]
    expected = sorted(names, key=lambda n: -ipm[(n, 2023)])

    reply = only(await send("bandingkan IPM Kota Batu, Kota Malang dan Kota Surabaya 2023"))

    assert reply.data is not None
    assert [r["region_name"] for r in reply.data["regions"]] == expected
    for position, name in enumerate(expected, start=1):
        assert f"{position}. {name}: {id_number(ipm[(name, 2023)])}" in reply.text
    assert "Selisih" not in reply.text


async def test_comparison_over_a_range_gives_each_regions_series(send: Send) -> None:
    tpt = demo_values("tpt")
    years = range(2019, 2024)

    reply = only(await send("TPT Kota Batu dibanding Kota Malang 2019-2023"))

    assert reply.data is not None
    by_region = {r["region_name"]: r for r in reply.data["regions"]}
    assert set(by_region) == {"Kota Batu", "Kota Malang"}
    for name, series in by_region.items():
        assert series["periods"] == [str(y) for y in years]
        assert series["values"] == [tpt[(name, y)] for y in years]
    batu_first, batu_last = tpt[("Kota Batu", 2019)], tpt[("Kota Batu", 2023)]
    assert (
        f"• Kota Batu: {id_number(batu_first)} persen (2019) → {id_number(batu_last)} persen (2023)"
    ) in reply.text
    assert_png_attachment(reply)


async def test_comparison_without_a_year_uses_the_latest_common_year(send: Send) -> None:
    year = min(latest_year("tpt", "Kota Batu"), latest_year("tpt", "Kota Malang"))

    reply = only(await send("bandingkan TPT Kota Batu dan Kota Malang"))

    assert reply.data is not None
    assert reply.data["period"] == str(year)


# --- rankings ---------------------------------------------------------------------------


async def test_top_five_kabupaten_by_poverty_in_jawa_timur(send: Send) -> None:
    year = latest_year("persentase_penduduk_miskin", "Kabupaten Sampang")
    kabupaten = jatim_kabkota("persentase_penduduk_miskin", year, "kabupaten")
    top = sorted(kabupaten.items(), key=lambda item: -item[1])[:5]
    assert top[0] == ("Kabupaten Sampang", 20.61)  # the demo data this test was written against

    reply = only(await send("5 kabupaten dengan kemiskinan tertinggi di Jawa Timur"))

    assert (
        f"{year}: 5 tertinggi dari {len(kabupaten)} kabupaten di Provinsi Jawa Timur"
    ) in reply.text
    assert "1. Kabupaten Sampang: 20,61 persen" in reply.text
    for position, (name, value) in enumerate(top, start=1):
        assert f"{position}. {name}: {id_number(value)} persen" in reply.text
    assert reply.data is not None
    assert reply.data["period"] == str(year)
    assert [(r["region_name"], r["value"]) for r in reply.data["ranking"]] == top
    assert [r["rank"] for r in reply.data["ranking"]] == [1, 2, 3, 4, 5]
    assert_png_attachment(reply)


async def test_ranking_every_kabupaten_kota_draws_a_taller_chart_than_comparing_two(
    send: Send,
) -> None:
    few = assert_png_attachment(only(await send("bandingkan TPT Kota Batu dan Kota Malang 2023")))
    many = assert_png_attachment(only(await send("TPT tertinggi di Jawa Timur 2023")))

    assert many.size[1] > few.size[1]  # 38 bars need a taller picture than 2


async def test_lowest_ranking_starts_from_the_lowest_value(send: Send) -> None:
    year = latest_year("persentase_penduduk_miskin", "Kota Batu")
    kabkota = jatim_kabkota("persentase_penduduk_miskin", year)
    bottom = sorted(kabkota.items(), key=lambda item: item[1])[:5]

    reply = only(await send("kemiskinan terendah di Jawa Timur"))

    assert f"5 terendah dari {len(kabkota)} kabupaten/kota di Provinsi Jawa Timur" in reply.text
    assert reply.data is not None
    assert reply.data["direction"] == "low"
    assert [(r["region_name"], r["value"]) for r in reply.data["ranking"]] == bottom


async def test_top_three_lists_three(send: Send) -> None:
    year = latest_year("ipm_lfsp2020", "Kota Surabaya")
    kabkota = jatim_kabkota("ipm_lfsp2020", year)
    top = sorted(kabkota.items(), key=lambda item: -item[1])[:3]

    reply = only(await send("top 3 IPM Jawa Timur"))

    assert reply.data is not None
    assert [(r["region_name"], r["value"]) for r in reply.data["ranking"]] == top
    assert "4. " not in reply.text


async def test_three_kabupaten_with_the_highest_ipm_lists_three(send: Send) -> None:
    reply = only(await send("3 kabupaten dengan IPM tertinggi di Jawa Timur"))

    assert reply.data is not None
    assert len(reply.data["ranking"]) == 3


async def test_provinces_ranked_by_lowest_ipm_in_a_year(send: Send) -> None:
    # The new IPM series covers only Jawa Timur; the province ranking uses the old series.
    every_province = provinces("ipm", 2024)
    bottom = sorted(every_province.items(), key=lambda item: item[1])[:5]

    reply = only(await send("provinsi dengan IPM terendah 2024"))

    assert reply.data is not None
    assert (reply.data["dataset"], reply.data["period"]) == ("ipm", "2024")
    assert [(r["region_name"], r["value"]) for r in reply.data["ranking"]] == bottom
    assert f"5 terendah dari {len(every_province)} provinsi" in reply.text
    assert all(r["region_name"].startswith("Provinsi ") for r in reply.data["ranking"])


async def test_ranking_about_one_region_gives_its_position_among_its_neighbours(
    send: Send,
) -> None:
    year = latest_year("ipm_lfsp2020", "Kota Batu")
    kabkota = jatim_kabkota("ipm_lfsp2020", year)
    batu = kabkota["Kota Batu"]
    position = 1 + sum(value > batu for value in kabkota.values())

    reply = only(await send("peringkat IPM Kota Batu"))

    assert (
        f"Kota Batu: {id_number(batu)}, peringkat {position} dari {len(kabkota)} "
        "(urut dari nilai tertinggi)."
    ) in reply.text
    assert reply.data is not None and reply.data["period"] == str(year)


async def test_tied_regions_share_their_place_in_the_list(send: Send) -> None:
    lpe = jatim_kabkota("laju_pertumbuhan_ekonomi", 2021)
    tied = lpe["Kota Malang"]
    assert lpe["Kabupaten Sidoarjo"] == tied  # the tie this test is about
    place = 1 + sum(value > tied for value in lpe.values())

    reply = only(await send("peringkat LPE Kota Malang 2021 top 6"))

    assert f"Kota Malang: {id_number(tied)} persen, peringkat {place} dari" in reply.text
    assert reply.data is not None
    places = {r["region_name"]: r["rank"] for r in reply.data["ranking"]}
    assert places["Kota Malang"] == places["Kabupaten Sidoarjo"] == place


async def test_a_region_button_keeps_how_many_regions_were_asked_for(send: Send) -> None:
    choice = only(await send("3 terendah kemiskinan Pasuruan"))

    reply = only(await send(callback_data=buttons_of(choice)["Kabupaten Pasuruan"].data))

    assert reply.data is not None
    assert len(reply.data["ranking"]) == 3


async def test_a_region_button_keeps_the_trend_and_its_span(send: Send) -> None:
    choice = only(await send("tren IPM Pasuruan 5 tahun terakhir"))

    reply = only(await send(callback_data=buttons_of(choice)["Kota Pasuruan"].data))

    assert reply.data is not None
    assert reply.data["type"] == "indicator_trend"
    assert reply.data["region_name"] == "Kota Pasuruan"
    assert len(reply.data["periods"]) == 5
    assert_png_attachment(reply)


async def test_a_region_button_keeps_the_ranking_and_its_focus(send: Send) -> None:
    choice = only(await send("peringkat IPM Pasuruan"))

    reply = only(await send(callback_data=buttons_of(choice)["Kota Pasuruan"].data))

    assert reply.data is not None and reply.data["type"] == "indicator_ranking"
    assert re.search(r"Kota Pasuruan: [\d,]+, peringkat \d+ dari \d+", reply.text)


# --- questions about the registry ---------------------------------------------------------


def opd_name_of(dataset_code: str) -> str:
    spec = registry()
    opd = next(d["opd"] for d in spec["dataset"] if d["code"] == dataset_code)
    return next(o["name"] for o in spec["opd"] if o["code"] == opd)


async def test_producer_question_names_the_producing_opd(send: Send) -> None:
    producer = opd_name_of("tpt")
    assert producer == "Dinas Tenaga Kerja dan Transmigrasi"

    reply = only(await send("siapa produsen data TPT"))

    assert reply.text == f"Produsen data “Tingkat Pengangguran Terbuka (TPT)”: {producer}."
    assert reply.data == {"type": "dataset_producer", "dataset": "tpt", "producer": producer}


async def test_last_update_of_the_old_ipm_series_says_how_late_the_next_year_is(
    send: Send,
) -> None:
    latest = max(year for (_, year) in demo_values("ipm"))
    due = date(latest + 2, 3, 31)  # annual data: due 31 March of the following year
    days_late = (NOW.date() - due).days
    assert (latest, days_late) == (2024, 236)

    reply = only(await send("kapan terakhir diperbarui IPM seri lama"))

    assert "Indeks Pembangunan Manusia (UHH basis SP2010, seri lama)" in reply.text
    assert f"Periode terbaru di registri: {latest}" in reply.text
    assert f"Terakhir diperbarui: {UPDATED_AT}" in reply.text
    assert "⚠️ Terlambat 236 hari: periode 2025 jatuh tempo 31 Maret 2026." in reply.text
    assert reply.data == {
        "type": "dataset_updated",
        "dataset": "ipm",
        "latest_period": str(latest),
        "status": "terlambat",
        "due": due.isoformat(),
    }


async def test_last_update_of_a_current_dataset_gives_the_next_due_date(send: Send) -> None:
    latest = max(year for (_, year) in demo_values("tpt"))

    reply = only(await send("kapan terakhir diperbarui TPT"))

    assert f"Periode terbaru di registri: {latest}" in reply.text
    assert "Status: mutakhir; periode 2026 jatuh tempo 31 Maret 2027." in reply.text
    assert "Terlambat" not in reply.text
    assert reply.data is not None and reply.data["status"] == "mutakhir"


async def test_dataset_list_of_an_opd_gives_every_dataset_it_produces(send: Send) -> None:
    titles = sorted(d["title"] for d in registry()["dataset"] if d["opd"] == "dinkes")
    assert len(titles) == 2

    reply = only(await send("data apa saja dari Dinas Kesehatan"))

    assert reply.text.startswith("🗂 Data dari Dinas Kesehatan:")
    for title in titles:
        assert f"• {title} (tahunan, terbuka)" in reply.text
    assert reply.data is not None
    assert reply.data["opds"] == ["Dinas Kesehatan"]
    assert set(reply.data["datasets"]) == {
        d["code"] for d in registry()["dataset"] if d["opd"] == "dinkes"
    }


async def test_dataset_list_without_an_opd_lists_the_registry_by_opd(send: Send) -> None:
    reply = only(await send("data apa saja"))

    assert reply.text.startswith("🗂 Data di registri:")
    producing = {d["opd"] for d in registry()["dataset"]}
    for opd in registry()["opd"]:
        assert (f"🏛 {opd['name']}\n" in reply.text) == (opd["code"] in producing)


# --- English ----------------------------------------------------------------------------


async def test_english_value_answer_translates_words_and_units(send: Send) -> None:
    tpt = demo_values("tpt")
    now, before = tpt[("Kota Surabaya", 2023)], tpt[("Kota Surabaya", 2022)]

    text = only(await send("unemployment rate Surabaya City 2023")).text

    assert f"Kota Surabaya (3578), 2023: {id_number(now)} percent" in text
    assert f"Down {id_number(before - now)} points from 2022 ({id_number(before)})." in text
    assert "Ranked " in text and "regencies/cities in Provinsi Jawa Timur" in text
    assert "Last updated: 22 November 2026 10:00 WIB" in text
    for indonesian in ("persen", "Sumber", "Turun", "Peringkat", "Terakhir diperbarui"):
        assert indonesian not in text


async def test_english_trend(send: Send) -> None:
    text = only(await send("trend of HDI Batu City last 3 years")).text

    assert "Up from 79,07 (2023) to 80,35 (2025), 1,28 points over 2 periods" in text
    assert "Highest 80,35 (2025), lowest 79,07 (2023)." in text
    assert "Naik" not in text


async def test_english_ranking(send: Send) -> None:
    text = only(await send("top 3 regencies with the highest poverty rate in East Java")).text

    assert "3 highest of 29 regencies in Provinsi Jawa Timur" in text
    assert "1. Kabupaten Sampang: 20,61 percent" in text
    assert "tertinggi" not in text


async def test_english_comparison(send: Send) -> None:
    text = only(await send("compare unemployment rate Batu City and Malang City 2023")).text

    assert "1. Kota Malang: 6,80 percent" in text
    assert "Difference: 2,28 percent." in text
    assert "Selisih" not in text


async def test_english_registry_questions(send: Send) -> None:
    producer = only(await send("who produces the unemployment rate")).text
    updated = only(await send("when was the unemployment rate last updated")).text
    listing = only(await send("what data from Dinas Kesehatan")).text

    assert producer == (
        "“Tingkat Pengangguran Terbuka (TPT)” is produced by Dinas Tenaga Kerja dan Transmigrasi."
    )
    assert "Status: up to date; period 2026 is due 31 March 2027." in updated
    assert listing.startswith("🗂 Datasets from Dinas Kesehatan:")


# --- the deployment's own region ------------------------------------------------------------


@pytest.fixture
async def kabupaten_runtime(demo_db: Path) -> AsyncIterator[Runtime]:
    """The bot as deployed for Kabupaten Malang (3507), on a copy of the demo registry."""
    settings = settings_for(
        demo_db, SATUDATA_REGION_CODE="3507", SATUDATA_REGION_NAME="Kabupaten Malang"
    )
    runtime = await build_runtime(settings, NOW)
    yield runtime
    await runtime.close()


async def ask_in(runtime: Runtime, text: str = "", **fields: object) -> Reply:
    incoming = Incoming(CHAT_ID, USER_ID, text=text, **fields)  # type: ignore[arg-type]
    return only(await runtime.dispatcher.handle(incoming, NOW))


DEPLOYMENT_NOTE = (
    "(Nama wilayah itu ada lebih dari satu; saya memakai Kabupaten Malang, "
    "wilayah layanan bot ini.)"
)


async def test_an_ambiguous_name_means_the_deployments_own_region_and_says_so(
    kabupaten_runtime: Runtime,
) -> None:
    reply = await ask_in(kabupaten_runtime, "IPM Malang 2023")

    assert reply.buttons == []
    assert "Kabupaten Malang (3507), 2023: " in reply.text
    assert DEPLOYMENT_NOTE in reply.text


async def test_the_deployment_note_is_in_english_for_an_english_question(
    kabupaten_runtime: Runtime,
) -> None:
    reply = await ask_in(kabupaten_runtime, "what is the HDI of Malang")

    assert (
        "(Several regions have that name; I used Kabupaten Malang, the region this bot serves.)"
        in reply.text
    )


async def test_a_region_named_in_full_is_kept_even_next_to_the_deployment(
    kabupaten_runtime: Runtime,
) -> None:
    reply = await ask_in(kabupaten_runtime, "IPM Kota Malang 2023")

    assert "Kota Malang (3573), 2023: " in reply.text
    assert "wilayah layanan" not in reply.text


async def test_other_ambiguous_names_still_offer_a_choice(kabupaten_runtime: Runtime) -> None:
    reply = await ask_in(kabupaten_runtime, "IPM Pasuruan")

    assert set(buttons_of(reply)) == {"Kabupaten Pasuruan", "Kota Pasuruan"}


async def test_no_region_means_the_deployments_own(kabupaten_runtime: Runtime) -> None:
    reply = await ask_in(kabupaten_runtime, "IPM 2023")

    assert "Kabupaten Malang (3507), 2023: " in reply.text
    assert "(Wilayah tidak disebut, jadi saya memakai Kabupaten Malang.)" in reply.text


@pytest.mark.parametrize(
    ("question", "shows"),
    [
        ("tren IPM Malang 5 tahun terakhir", r"— Kabupaten Malang \(3507\), \d{4}–\d{4}\n"),
        ("bandingkan IPM Malang dan Kota Batu 2023", r"\n\d\. Kabupaten Malang: [\d,]+\n"),
        ("peringkat IPM Malang", r"\nKabupaten Malang: [\d,]+, peringkat \d+ dari \d+ "),
    ],
)
async def test_every_kind_of_answer_uses_the_deployments_region_for_an_ambiguous_name(
    kabupaten_runtime: Runtime, question: str, shows: str
) -> None:
    reply = await ask_in(kabupaten_runtime, question)

    assert reply.buttons == []
    assert re.search(shows, reply.text), reply.text


@pytest.mark.parametrize(
    "question",
    [
        "tren IPM Malang 5 tahun terakhir",
        "bandingkan IPM Malang dan Kota Batu 2023",
        "peringkat IPM Malang",
    ],
)
async def test_every_kind_of_answer_says_it_chose_the_deployments_region(
    kabupaten_runtime: Runtime, question: str
) -> None:
    reply = await ask_in(kabupaten_runtime, question)

    assert DEPLOYMENT_NOTE in reply.text


# --- freshness and missing years --------------------------------------------------------


async def test_value_answer_says_when_the_data_was_last_updated(send: Send) -> None:
    text = only(await send("IPM Kota Batu")).text

    assert f"Terakhir diperbarui: {UPDATED_AT}" in text
    assert "⚠️" not in text  # the new IPM series is up to date


async def test_update_time_is_shown_on_the_deployments_clock(demo_db: Path) -> None:
    runtime = await build_runtime(settings_for(demo_db, SATUDATA_TIMEZONE="WITA"), NOW)
    try:
        reply = await ask_in(runtime, "IPM Kota Batu")
    finally:
        await runtime.close()

    assert "Terakhir diperbarui: 22 November 2026 11.00 WITA" in reply.text


async def test_value_from_an_overdue_dataset_warns_how_late_it_is(send: Send) -> None:
    # 2015 exists only in the old IPM series, whose 2025 figures were due 31 March 2026.
    text = only(await send("IPM Kota Malang 2015")).text

    assert (
        "⚠️ Data ini terlambat 236 hari: periode 2025 seharusnya tersedia paling lambat "
        "31 Maret 2026."
    ) in text


async def test_a_year_without_data_says_the_latest_year_instead(send: Send) -> None:
    latest = latest_year("ipm_lfsp2020", "Kota Batu")
    value = demo_values("ipm_lfsp2020")[("Kota Batu", latest)]

    reply = only(await send("IPM Kota Batu 2030"))

    assert reply.text.startswith(f"Data 2030 belum tersedia; terbaru {latest}:")
    assert f"Kota Batu (3579), {latest}: {id_number(value)}" in reply.text
    assert f"Terakhir diperbarui: {UPDATED_AT}" in reply.text


async def test_a_year_after_a_datasets_last_year_says_which_is_latest(send: Send) -> None:
    latest = latest_year("jumlah_penduduk", "Kota Batu")
    assert latest < 2025

    reply = only(await send("jumlah penduduk Kota Batu 2025"))

    assert reply.text.startswith(f"Data 2025 belum tersedia; terbaru {latest}:")
    assert reply.data is not None and reply.data["period"] == str(latest)


async def test_english_year_without_data(send: Send) -> None:
    text = only(await send("HDI Batu City 2030")).text

    assert text.startswith("No data for 2030 yet; latest is 2025:")


# --- who may see what, through every channel ------------------------------------------------

RESTRICTED = "berklasifikasi terbatas"
A_VALUE = re.compile(r"\d+,\d\d")  # 6,76 — the way every value is written


@pytest.fixture
async def classified(demo_db: Path) -> AsyncIterator[Runtime]:
    """The demo registry with TPT `terbatas` and TPAK `tertutup` (both by Disnakertrans)."""
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE datasets SET classification = 'terbatas' WHERE code = 'tpt'")
        conn.execute("UPDATE datasets SET classification = 'tertutup' WHERE code = 'tpak'")
    conn.close()
    runtime = await build_runtime(settings_for(demo_db), NOW)
    yield runtime
    await runtime.close()


async def person_with(
    runtime: Runtime, role: str, opd: str | None = None, not_opd: str | None = None
) -> int:
    """The id of a demo person holding `role` (in, or outside of, an OPD by code)."""
    async with runtime.uow() as uow:
        opd_codes = {o.id: o.code for o in await uow.opds.all()}
        for person in await uow.people.all():
            code = opd_codes.get(person.opd_id) if person.opd_id else None
            if (
                role in person.role_names
                and (opd is None or code == opd)
                and (not_opd is None or code != not_opd)
            ):
                return person.id
    raise LookupError(f"no demo person with role {role} (opd {opd}, not {not_opd})")


async def viewer(runtime: Runtime, who: str) -> int | None:
    """public | walidata | pimpinan | liaison (produsen of Disnakertrans, which makes TPT
    and TPAK) | other_liaison (produsen of another OPD) | other_head (kepala_opd elsewhere)."""
    match who:
        case "public":
            return None
        case "liaison":
            return await person_with(runtime, "produsen", opd="disnakertrans")
        case "other_liaison":
            return await person_with(runtime, "produsen", not_opd="disnakertrans")
        case "other_head":
            return await person_with(runtime, "kepala_opd", not_opd="disnakertrans")
        case role:
            return await person_with(runtime, role)


async def ask_as(runtime: Runtime, who: str, text: str = "", **fields: object) -> Reply:
    person = await viewer(runtime, who)
    return await ask_in(runtime, text, person_id=person, **fields)


def button(
    runtime: Runtime,
    intent: str,
    dataset: str,
    regions: tuple[str, ...],
    period: PeriodAsk | None = None,
    direction: str = "high",
    level: str | None = None,
) -> str:
    """Button data as the bot would build it for this question."""
    catalog = runtime.dispatcher.app.catalog
    entry = next(d for d in catalog.datasets.values() if d.code == dataset)
    named = tuple(next(r for r in catalog.regions.values() if r.name == n) for n in regions)
    ask = Ask(intent, entry, named, period or PeriodAsk(), direction, level=level)
    return ask.button_data("id")


def assert_nothing_shown(reply: Reply) -> None:
    assert not A_VALUE.search(reply.text), reply.text
    assert reply.data is None
    assert reply.chart is None
    assert reply.attachment is None
    assert reply.buttons == []


TPT_QUESTIONS = {
    "value": "TPT Kota Surabaya 2023",
    "trend": "tren TPT Kota Surabaya",
    "rank": "TPT tertinggi di Jawa Timur",
    "focus rank": "peringkat TPT Kota Batu",
    "compare": "bandingkan TPT Kota Batu dan Kota Malang 2023",
    "range compare": "TPT Kota Batu dibanding Kota Malang 2019-2023",
    "english": "unemployment rate Surabaya City 2023",
}
TPAK_QUESTIONS = {
    "value": "TPAK Kabupaten Nganjuk 2019",
    "trend": "tren TPAK Kabupaten Nganjuk",
    "rank": "TPAK tertinggi di Jawa Timur",
    "compare": "bandingkan TPAK Kota Batu dan Kota Malang",
}


def tpt_buttons(runtime: Runtime) -> dict[str, str]:
    return {
        "value": button(runtime, "value", "tpt", ("Kota Surabaya",)),
        "trend": button(runtime, "trend", "tpt", ("Kota Surabaya",), PeriodAsk("last_n", count=5)),
        "rank": button(runtime, "rank", "tpt", ("Provinsi Jawa Timur",)),
        "rank low": button(runtime, "rank", "tpt", (), direction="low", level="kabupaten"),
        "compare": button(runtime, "compare", "tpt", ("Kota Batu", "Kota Malang")),
        "no region": button(runtime, "value", "tpt", ()),
    }


@pytest.mark.parametrize("kind", list(TPT_QUESTIONS))
async def test_public_gets_the_polite_refusal_for_restricted_values(
    classified: Runtime, kind: str
) -> None:
    reply = await ask_as(classified, "public", TPT_QUESTIONS[kind])

    if kind == "english":
        assert "are restricted and cannot be shown to you" in reply.text
    else:
        assert reply.text == (
            "Maaf, nilai data “Tingkat Pengangguran Terbuka (TPT)” berklasifikasi terbatas dan "
            "tidak dapat ditampilkan untuk Anda. Hubungi walidata bila Anda memerlukan akses."
        )
    assert_nothing_shown(reply)


@pytest.mark.parametrize("kind", ["value", "trend", "rank", "rank low", "compare", "no region"])
async def test_public_pressing_a_crafted_button_gets_the_refusal(
    classified: Runtime, kind: str
) -> None:
    data = tpt_buttons(classified)[kind]

    reply = await ask_as(classified, "public", callback_data=data)

    assert RESTRICTED in reply.text
    assert_nothing_shown(reply)


async def test_the_same_crafted_buttons_do_answer_the_walidata(classified: Runtime) -> None:
    """The buttons above are well formed: only the classification stops the public."""
    for kind, data in tpt_buttons(classified).items():
        reply = await ask_as(classified, "walidata", callback_data=data)
        assert A_VALUE.search(reply.text), (kind, reply.text)
        assert reply.data is not None, kind


async def test_public_choosing_a_region_for_a_restricted_dataset_gets_the_refusal(
    classified: Runtime,
) -> None:
    choice = await ask_as(classified, "public", "tren TPT Pasuruan")
    assert not A_VALUE.search(choice.text)

    reply = await ask_as(
        classified, "public", callback_data=buttons_of(choice)["Kota Pasuruan"].data
    )

    assert RESTRICTED in reply.text
    assert_nothing_shown(reply)


async def test_a_walidatas_button_replayed_by_the_public_is_refused(classified: Runtime) -> None:
    choice = await ask_as(classified, "walidata", "TPT Pasuruan 2023")
    data = buttons_of(choice)["Kota Pasuruan"].data
    assert A_VALUE.search((await ask_as(classified, "walidata", callback_data=data)).text)

    reply = await ask_as(classified, "public", callback_data=data)

    assert RESTRICTED in reply.text
    assert_nothing_shown(reply)


@pytest.mark.parametrize("who", ["walidata", "pimpinan", "liaison"])
@pytest.mark.parametrize("kind", ["value", "trend", "rank", "compare", "range compare"])
async def test_allowed_readers_see_restricted_values_with_charts(
    classified: Runtime, who: str, kind: str
) -> None:
    reply = await ask_as(classified, who, TPT_QUESTIONS[kind])

    assert RESTRICTED not in reply.text
    assert A_VALUE.search(reply.text)
    assert reply.data is not None
    if kind != "value":
        assert_png_attachment(reply)


async def test_allowed_reader_sees_the_registry_values(classified: Runtime) -> None:
    tpt = demo_values("tpt")

    reply = await ask_as(classified, "liaison", TPT_QUESTIONS["value"])

    assert f"Kota Surabaya (3578), 2023: {id_number(tpt[('Kota Surabaya', 2023)])} persen" in (
        reply.text
    )


@pytest.mark.parametrize("who", ["other_liaison", "other_head"])
@pytest.mark.parametrize("kind", ["value", "trend", "rank", "compare"])
async def test_people_of_other_opds_do_not_see_restricted_values(
    classified: Runtime, who: str, kind: str
) -> None:
    reply = await ask_as(classified, who, TPT_QUESTIONS[kind])

    assert RESTRICTED in reply.text
    assert_nothing_shown(reply)


@pytest.mark.parametrize("who", ["other_liaison", "other_head"])
async def test_people_of_other_opds_do_not_see_restricted_values_through_buttons(
    classified: Runtime, who: str
) -> None:
    for kind, data in tpt_buttons(classified).items():
        reply = await ask_as(classified, who, callback_data=data)
        assert RESTRICTED in reply.text, kind
        assert_nothing_shown(reply)


@pytest.mark.parametrize("who", ["public", "walidata", "pimpinan", "liaison", "other_liaison"])
@pytest.mark.parametrize("kind", list(TPAK_QUESTIONS))
async def test_nobody_sees_closed_values(classified: Runtime, who: str, kind: str) -> None:
    reply = await ask_as(classified, who, TPAK_QUESTIONS[kind])

    assert_nothing_shown(reply)


@pytest.mark.parametrize("who", ["public", "walidata", "pimpinan", "liaison"])
async def test_nobody_sees_closed_values_through_buttons(classified: Runtime, who: str) -> None:
    buttons = [
        button(
            classified, "value", "tpak", ("Kabupaten Nganjuk",), PeriodAsk("exact", code="2019")
        ),
        button(classified, "trend", "tpak", ("Kabupaten Nganjuk",)),
        button(classified, "rank", "tpak", ("Provinsi Jawa Timur",)),
        button(classified, "compare", "tpak", ("Kota Batu", "Kota Malang")),
    ]
    for data in buttons:
        reply = await ask_as(classified, who, callback_data=data)
        assert_nothing_shown(reply)


async def test_the_walidata_asking_a_closed_value_is_told_it_is_closed(classified: Runtime) -> None:
    reply = await ask_as(classified, "walidata", TPAK_QUESTIONS["value"])

    assert_nothing_shown(reply)
    assert "berklasifikasi tertutup" in reply.text
    assert RESTRICTED not in reply.text and "Hubungi walidata" not in reply.text
    assert "Dinas Tenaga Kerja dan Transmigrasi" in reply.text  # who holds the values


@pytest.mark.parametrize("who", ["public", "pimpinan", "liaison", "other_liaison"])
async def test_closed_datasets_are_left_out_of_dataset_lists(classified: Runtime, who: str) -> None:
    reply = await ask_as(classified, who, "data apa saja dari Disnakertrans")

    assert "Tingkat Pengangguran Terbuka (TPT) (tahunan, terbatas)" in reply.text
    assert "Partisipasi Angkatan Kerja" not in reply.text
    assert reply.data is not None and reply.data["datasets"] == ["tpt"]


async def test_the_walidata_sees_closed_datasets_in_lists(classified: Runtime) -> None:
    reply = await ask_as(classified, "walidata", "data apa saja dari Disnakertrans")

    assert "Tingkat Partisipasi Angkatan Kerja (TPAK) (tahunan, tertutup)" in reply.text
    assert reply.data is not None and set(reply.data["datasets"]) == {"tpt", "tpak"}


@pytest.mark.parametrize("who", ["public", "pimpinan", "liaison", "other_liaison"])
@pytest.mark.parametrize("question", ["siapa produsen data TPAK", "kapan terakhir diperbarui TPAK"])
async def test_closed_datasets_get_no_producer_or_update_answer(
    classified: Runtime, who: str, question: str
) -> None:
    reply = await ask_as(classified, who, question)

    assert reply.data is None
    assert "Dinas Tenaga Kerja dan Transmigrasi" not in reply.text
    assert "Periode terbaru" not in reply.text


async def test_the_walidata_gets_producer_and_update_answers_for_closed_datasets(
    classified: Runtime,
) -> None:
    producer = await ask_as(classified, "walidata", "siapa produsen data TPAK")
    updated = await ask_as(classified, "walidata", "kapan terakhir diperbarui TPAK")

    assert producer.data == {
        "type": "dataset_producer",
        "dataset": "tpak",
        "producer": "Dinas Tenaga Kerja dan Transmigrasi",
    }
    assert updated.data is not None and updated.data["dataset"] == "tpak"


async def test_restricted_datasets_still_have_public_producer_answers(classified: Runtime) -> None:
    # terbatas hides values, not the dataset's existence.
    reply = await ask_as(classified, "public", "siapa produsen data TPT")

    assert (
        reply.data is not None and reply.data["producer"] == "Dinas Tenaga Kerja dan Transmigrasi"
    )


@pytest.mark.parametrize("who", ["public", "liaison"])
async def test_closed_dataset_titles_are_not_suggested(classified: Runtime, who: str) -> None:
    reply = await ask_as(classified, who, "siapa produsen data TPAK")

    assert "Partisipasi Angkatan Kerja" not in reply.text


@pytest.mark.parametrize("who", ["public", "liaison"])
async def test_value_questions_do_not_reveal_closed_datasets(classified: Runtime, who: str) -> None:
    reply = await ask_as(classified, who, "TPAK Kabupaten Nganjuk 2019")

    assert "Partisipasi Angkatan Kerja" not in reply.text
    assert "terbatas" not in reply.text
