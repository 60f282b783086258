"""When the registry has no value, the bot says so in the person's words, says what it
has instead, and never gives another indicator's figure.

"prevalensi stunting Jember 2023" names an indicator the registry lacks: the reply names it,
lists the closest datasets (or what there is), says the walidata can have it registered,
and offers a question that works. "pertumbuhan ekonomi jatim 2021" asks a province figure of
a dataset published per kabupaten/kota: the reply says for how many regions and which years
it is available, with an example that gets a value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.wiring import Runtime

from .people_helpers import classify, only, say
from .test_answers import demo_values

WALIDATA_OPD = "Dinas Komunikasi dan Informatika"


def example_of(text: str, marker: str) -> str:
    return text.split(marker, 1)[1].strip()


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("prevalensi stunting Jember 2023", "prevalensi stunting"),
        ("inflasi surabaya bulan oktober", "inflasi"),
        ("jumlah sekolah dasar di Kota Malang", "sekolah dasar"),
        ("berapa panjang jalan rusak di Kabupaten Malang?", "panjang jalan rusak"),
    ],
)
async def test_an_indicator_the_registry_lacks_is_said_to_be_missing(
    runtime: Runtime, question: str, named: str
) -> None:
    reply = only(await say(runtime, question))
    assert reply.data is None, reply.text  # no figure of another indicator
    assert reply.text.startswith(f"Maaf, saya belum menemukan data “{named}” di registri")
    assert f"walidata di {WALIDATA_OPD}" in reply.text
    example = example_of(reply.text, "misalnya:")
    assert only(await say(runtime, example)).data is not None, example


async def test_a_missing_indicator_is_not_read_as_a_follow_up(runtime: Runtime) -> None:
    first = only(await say(runtime, "PDRB per kapita Kota Malang 2022"))
    assert first.data is not None
    reply = only(await say(runtime, "jumlah sekolah dasar di Kota Malang"))
    assert reply.data is None and "“sekolah dasar”" in reply.text
    assert "PDRB" not in reply.text.split("\n")[0]


async def test_the_closest_datasets_share_a_word_of_the_topic(runtime: Runtime) -> None:
    text = only(await say(runtime, "jumlah sekolah dasar di Kota Malang")).text
    closest = text.split("Data terdekat yang ada:\n")[1].split("\nBila")[0]
    assert "• Harapan Lama Sekolah (HLS)" in closest
    assert "• Rata-rata Lama Sekolah (RLS)" in closest


async def test_a_topic_sharing_no_word_lists_what_there_is(runtime: Runtime) -> None:
    text = only(await say(runtime, "prevalensi stunting Jember 2023")).text
    listed = text.split("Data yang ada antara lain:\n")[1].split("\nBila")[0].splitlines()
    assert len(listed) == 3 and all(line.startswith("• ") for line in listed)


async def test_a_closed_dataset_is_never_offered_instead(runtime: Runtime, demo_db: Path) -> None:
    before = only(await say(runtime, "pembangunan jalan desa")).text
    assert "Indeks Pembangunan Manusia" in before
    classify(demo_db, ipm_lfsp2020="tertutup", ipm="tertutup")
    after = only(await say(runtime, "pembangunan jalan desa")).text
    assert "Indeks Pembangunan Manusia" not in after and "IPM" not in after


async def test_english_gets_the_same_in_english(runtime: Runtime) -> None:
    reply = only(await say(runtime, "what is the stunting prevalence in Jember in 2023?"))
    assert reply.text.startswith("Sorry, I could not find data on “stunting prevalence”")
    assert f"ask the walidata at {WALIDATA_OPD}" in reply.text


async def test_data_held_for_other_regions_says_where_and_when(runtime: Runtime) -> None:
    lpe = demo_values("laju_pertumbuhan_ekonomi")
    years = sorted({year for _, year in lpe})
    latest = [region for region, year in lpe if year == years[-1]]
    assert all(r.startswith(("Kabupaten", "Kota")) for r in latest)

    reply = only(await say(runtime, "pertumbuhan ekonomi jatim 2021"))
    assert reply.data is None
    assert reply.text.startswith(
        "Data “Laju Pertumbuhan Ekonomi (PDRB ADHK 2010)” belum tersedia untuk Provinsi Jawa Timur."
    )
    held = f"tersedia untuk {len(latest)} kabupaten/kota, {years[0]}–{years[-1]}."
    assert held in reply.text
    example = example_of(reply.text, "Coba:")
    answer = only(await say(runtime, example))
    assert answer.data is not None and answer.data["indicator"] == "laju_pertumbuhan_ekonomi"
    assert answer.data["region_name"] in latest and answer.data["period"] == str(years[-1])


async def test_a_trend_of_data_held_elsewhere_says_the_same(runtime: Runtime) -> None:
    reply = only(await say(runtime, "tren pertumbuhan ekonomi jawa timur"))
    assert "belum tersedia untuk Provinsi Jawa Timur" in reply.text
    assert "kabupaten/kota" in reply.text and "Coba:" in reply.text
