"""A question naming a category gets that category's value, or is told there is none.

"Penduduk perempuan Kecamatan Bangil" answered with the kecamatan's total would be a wrong
number an official quotes. The table is the corpus's population by kecamatan and sex
(`tests/regional_corpus.py`), imported into a copy of the demo registry the way an OPD's
spreadsheet is; expected values are read from the corpus's truth.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.console import CONSOLE_CHAT_ID
from bot.wiring import Runtime, build_runtime
from handlers.catalog import Catalog
from handlers.messages import Incoming, Reply
from reports.charts import BarChart
from storage.importing import import_datasets
from storage.value_import import import_values
from tests.regional_corpus import BY_NAME, Case, csv_bytes, daftar_data

from .conftest import NOW, settings_for

CASE = BY_NAME["long_by_sex_with_totals"]
CODE = CASE.context.dataset_code
BANGIL = "35.14.14"
# The dataset's own words: choosing a dataset by a part of its title is not this test's topic.
ASKED = "jumlah penduduk jenis kelamin"


def truth(place: str, period: str, category: str | None) -> float:
    categories = (("jenis_kelamin", category),) if category else ()
    return next(
        cell.value
        for cell in CASE.truth
        if (cell.place, cell.period, cell.categories) == (place, period, categories)
    )


def id_number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


async def load(runtime: Runtime, case: Case, folder: Path) -> None:
    """The case's table imported as an OPD's spreadsheet is, and the catalog read again."""
    context, code = case.context, case.context.dataset_code
    register = folder / f"daftar-{code}.csv"
    register.write_bytes(daftar_data([(code, context)]))
    data = folder / f"data-{code}.csv"
    data.write_bytes(csv_bytes(case.resources[0]))
    assert (await import_datasets(runtime.uow, register, NOW)).ok
    await import_values(runtime.uow, data, code, NOW, home_code="35.14")
    async with runtime.uow() as uow:
        runtime.dispatcher.app.catalog = await Catalog.load(uow)


@pytest.fixture
async def bot(demo_db: Path, tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(
        settings_for(
            demo_db, SATUDATA_REGION_CODE="3514", SATUDATA_REGION_NAME="Kabupaten Pasuruan"
        ),
        NOW,
    )
    await load(runtime, CASE, tmp_path)
    yield runtime
    await runtime.close()


async def ask(bot: Runtime, question: str) -> Reply:
    replies = await bot.dispatcher.handle(Incoming(CONSOLE_CHAT_ID, None, text=question), NOW)
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


async def test_a_named_category_is_answered_with_that_categorys_value(bot: Runtime) -> None:
    for words, key in (("perempuan", "perempuan"), ("wanita", "perempuan"), ("pria", "laki_laki")):
        reply = await ask(bot, f"{ASKED} {words} kecamatan bangil 2023")
        assert reply.data is not None, reply.text
        assert reply.data["categories"] == {"jenis_kelamin": key}
        assert reply.data["value"] == truth(BANGIL, "2023", key)
        assert id_number(truth(BANGIL, "2023", key)) in reply.text
        assert id_number(truth(BANGIL, "2023", None)) not in reply.text  # not the total
        assert ("Perempuan" if key == "perempuan" else "Laki-laki") in reply.text


async def test_without_a_category_the_total_is_answered_with_its_breakdown(bot: Runtime) -> None:
    reply = await ask(bot, f"{ASKED} kecamatan bangil 2023")
    assert reply.data is not None
    assert reply.data["categories"] == {}
    assert reply.data["value"] == truth(BANGIL, "2023", None)
    assert "dari 5 kecamatan di Kabupaten Pasuruan" in reply.text
    men, women = truth(BANGIL, "2023", "laki_laki"), truth(BANGIL, "2023", "perempuan")
    assert f"\nLaki-laki {id_number(men)} · Perempuan {id_number(women)}\n" in reply.text
    assert reply.data["breakdown"] == [
        {"category": "Laki-laki", "value": men},
        {"category": "Perempuan", "value": women},
    ]
    assert not reply.data["computed"]
    assert "dari rinciannya" not in reply.text  # the table published its total


async def test_a_total_the_table_did_not_publish_says_it_was_summed(
    bot: Runtime, tmp_path: Path
) -> None:
    case = BY_NAME["wide_by_sex_computed_total"]
    await load(bot, case, tmp_path)
    code = case.context.dataset_code
    total = next(c for c in case.truth if (c.place, c.period, c.categories) == (BANGIL, "2024", ()))
    assert total.computed

    reply = await ask(bot, f"{case.context.dataset_title} kecamatan bangil 2024")

    assert reply.data is not None and reply.data["dataset"] == code, reply.text
    assert reply.data["value"] == total.value and reply.data["computed"]
    assert f"{id_number(total.value)} jiwa (jumlah dari rinciannya)" in reply.text


async def test_a_category_the_dataset_lacks_is_said_with_the_ones_it_has(bot: Runtime) -> None:
    reply = await ask(bot, f"{ASKED} penyandang disabilitas kecamatan bangil 2023")
    assert reply.data is None
    assert "tidak dirinci menurut “penyandang disabilitas”" in reply.text
    assert "Rincian yang ada: Laki-laki, Perempuan" in reply.text


async def test_a_category_of_a_dataset_of_totals_only_gets_no_total(bot: Runtime) -> None:
    reply = await ask(bot, "TPT perempuan Kota Malang 2023")
    assert reply.data is None
    assert "tidak dirinci menurut “perempuan”" in reply.text
    assert "hanya berisi angka totalnya" in reply.text


async def test_a_ranking_by_category_ranks_that_categorys_values(bot: Runtime) -> None:
    reply = await ask(bot, f"3 kecamatan dengan {ASKED} perempuan tertinggi 2023")

    assert reply.data is not None, reply.text
    assert reply.data["categories"] == {"jenis_kelamin": "perempuan"}
    women = {
        cell.place: cell.value
        for cell in CASE.truth
        if cell.period == "2023" and cell.categories == (("jenis_kelamin", "perempuan"),)
    }
    top = sorted(women.values(), reverse=True)[:3]
    assert [row["value"] for row in reply.data["ranking"]] == top
    assert reply.data["total"] == len(women)
    assert "· Perempuan, 2023: 3 tertinggi dari" in reply.text
    # The chart's bars are the kecamatan by name: the title says they are kecamatan.
    assert isinstance(reply.chart, BarChart)
    assert "Bangil" in [bar.label for bar in reply.chart.bars]


async def test_a_comparison_by_category_compares_that_categorys_values(bot: Runtime) -> None:
    reply = await ask(bot, f"bandingkan {ASKED} laki-laki kec. bangil dan kec. pandaan 2023")

    assert reply.data is not None, reply.text
    values = {row["region_kemendagri_code"]: row["value"] for row in reply.data["regions"]}
    assert values == {
        BANGIL: truth(BANGIL, "2023", "laki_laki"),
        "35.14.11": truth("35.14.11", "2023", "laki_laki"),
    }


async def test_a_kecamatan_named_with_its_kabupaten_is_one_place(bot: Runtime) -> None:
    for question in (
        f"{ASKED} perempuan kecamatan bangil kabupaten pasuruan 2023",
        f"{ASKED} perempuan kec. bangil di kab. pasuruan 2023",
    ):
        reply = await ask(bot, question)
        assert reply.data is not None, reply.text
        assert reply.data["region_name"] == "Kecamatan Bangil"
        assert reply.data["value"] == truth(BANGIL, "2023", "perempuan")


async def test_a_follow_up_keeps_the_category_asked(bot: Runtime) -> None:
    """ "kalau Kecamatan Purwodadi?" after women of Bangil: Purwodadi's women, not its total."""
    await ask(bot, f"{ASKED} perempuan kecamatan bangil 2023")
    for follow_up, place, period in (
        ("kalau kecamatan purwodadi?", "35.14.01", "2023"),
        ("kalau tahun 2022?", "35.14.01", "2022"),
    ):
        reply = await ask(bot, follow_up)
        assert reply.data is not None, reply.text
        assert reply.data["categories"] == {"jenis_kelamin": "perempuan"}
        assert reply.data["region_kemendagri_code"] == place
        assert reply.data["value"] == truth(place, period, "perempuan")
        assert id_number(truth(place, period, None)) not in reply.text
