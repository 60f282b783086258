"""The demo registry as read from the published BPS tables (storage/demo_data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storage import db, demo
from storage.demo import DEMO_DATA, load_demo, read_long_csv
from storage.uow import UnitOfWorkFactory

from .conftest import NOW


def rows_of(file: str, region_code: str) -> dict[str, demo.CsvRow]:
    return {r.period: r for r in read_long_csv(DEMO_DATA / file) if r.region_code == region_code}


def test_values_keep_the_precision_they_were_published_with() -> None:
    bojonegoro = rows_of("pengeluaran_per_kapita.csv", "3522")

    assert (bojonegoro["2011"].value, bojonegoro["2011"].decimals) == (8413.29, 2)
    assert (bojonegoro["2017"].value, bojonegoro["2017"].decimals) == (9553, 0)
    assert bojonegoro["2011"].unit == "ribu rupiah/orang/tahun"


def test_trailing_zeros_count_as_published_decimals() -> None:
    # "70.00" was published with two decimals even though the value is a whole number.
    jatim_tpak = rows_of("tpak.csv", "35")

    assert (jatim_tpak["2021"].value, jatim_tpak["2021"].decimals) == (70.0, 2)


def test_preliminary_pdrb_figures_are_flagged_and_the_flag_is_cut_from_the_source() -> None:
    pacitan = rows_of("pdrb_per_kapita_adhb.csv", "3501")

    assert pacitan["2023"].status == "final"
    assert pacitan["2024"].status == "sementara"
    assert pacitan["2025"].status == "sangat_sementara"
    for row in pacitan.values():
        assert "[angka" not in row.table
        assert row.table == (
            "BPS Jatim: PDRB per Kapita Atas Dasar Harga Berlaku Menurut Kabupaten/Kota"
        )


def test_every_preliminary_row_is_from_2024_or_2025() -> None:
    statuses = {
        (row.period, row.status)
        for row in read_long_csv(DEMO_DATA / "pdrb_per_kapita_adhb.csv")
        if row.status != "final"
    }
    assert statuses == {("2024", "sementara"), ("2025", "sangat_sementara")}


def test_regions_without_a_confirmed_code_have_none_not_an_empty_string() -> None:
    codes = {
        r.region_name: r.region_code for r in read_long_csv(DEMO_DATA / "garis_kemiskinan.csv")
    }

    assert codes["Kabupaten Pasuruan"] == "3514"
    assert codes["Provinsi Papua Tengah"] is None  # new province, BPS code not confirmed


async def test_both_ipm_series_are_separate_datasets_with_lf_sp2020_as_headline(
    demo_db: Path,
) -> None:
    engine = db.create_engine(f"sqlite:///{demo_db}")
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            lfsp2020 = await uow.datasets.by_code("ipm_lfsp2020")
            sp2010 = await uow.datasets.by_code("ipm")
    finally:
        await engine.dispose()

    assert lfsp2020 is not None and sp2010 is not None
    assert lfsp2020.series_group == sp2010.series_group == "ipm"
    assert (lfsp2020.is_headline, sp2010.is_headline) == (True, False)
    assert lfsp2020.indicators[0].id != sp2010.indicators[0].id
    assert (lfsp2020.latest_period, sp2010.latest_period) == ("2025", "2024")
    assert lfsp2020.opd.code == "bappeda"


@pytest.fixture
def editable_demo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo CSV files that the loader reads instead of the real ones."""
    copy = tmp_path / "demo_data"
    shutil.copytree(DEMO_DATA, copy)
    monkeypatch.setattr(demo, "DEMO_DATA", copy)
    return copy


async def test_reloading_after_the_tables_gained_a_year_adds_only_that_year(
    demo_db: Path, editable_demo_data: Path
) -> None:
    tpt = editable_demo_data / "tpt.csv"
    source = "BPS Jatim: Tingkat Pengangguran Terbuka (TPT) Menurut Kabupaten/Kota (Agustus)"
    with tpt.open("a", encoding="utf-8") as handle:
        handle.write(f"tpt,3579,Kota Batu,2026,4.10,persen,{source} | S5=x | sumber tunggal\n")

    engine = db.create_engine(f"sqlite:///{demo_db}")
    try:
        uow_factory = UnitOfWorkFactory(engine)
        report = await load_demo(uow_factory, NOW)
        async with uow_factory() as uow:
            dataset = await uow.datasets.by_code("tpt")
            batu = await uow.regions.by_code("3579")
            assert dataset is not None and batu is not None
            series = await uow.observations.series(dataset.indicators[0].id, batu.id)
    finally:
        await engine.dispose()

    assert report.as_dict() == {
        "regions_added": 0,
        "datasets_added": 0,
        "people_added": 0,
        "observations_added": 1,
        "observations_updated": 0,
    }
    assert (series[-1].period, series[-1].value, series[-1].decimals) == ("2026", 4.1, 2)
    assert dataset.latest_period == "2026"


async def test_reloading_after_a_revision_updates_the_published_value(
    demo_db: Path, editable_demo_data: Path
) -> None:
    tpt = editable_demo_data / "tpt.csv"
    original = tpt.read_text(encoding="utf-8")
    line = next(
        line for line in original.splitlines() if line.startswith("tpt,3578,Kota Surabaya,2023,")
    )
    revised = line.replace(",2023,6.76,", ",2023,6.8,")
    assert revised != line
    tpt.write_text(original.replace(line, revised), encoding="utf-8")

    engine = db.create_engine(f"sqlite:///{demo_db}")
    try:
        uow_factory = UnitOfWorkFactory(engine)
        report = await load_demo(uow_factory, NOW)
        async with uow_factory() as uow:
            dataset = await uow.datasets.by_code("tpt")
            surabaya = await uow.regions.by_code("3578")
            assert dataset is not None and surabaya is not None
            series = await uow.observations.series(dataset.indicators[0].id, surabaya.id)
    finally:
        await engine.dispose()

    assert (report.observations_added, report.observations_updated) == (0, 1)
    revised_2023 = next(o for o in series if o.period == "2023")
    assert (revised_2023.value, revised_2023.decimals) == (6.8, 1)
