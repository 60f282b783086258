"""`satudata import data`: an OPD's spreadsheet fills a fresh registry, on SQLite and PostgreSQL.

The tables are the corpus's (`tests/regional_corpus.py`), saved as the CSV and XLSX files an
OPD would send; each form goes into a dataset of its own, registered first with a Daftar
Data import, so what one form leaves out the other cannot hide. The registry is then read
back with plain queries over observations, regions, indicators and their categories and
compared with the ground truth: every published cell once, in the right region (created with
its parents from the Kemendagri list), period, categories, indicator and unit. A file with
one bad cell changes nothing and says, in Indonesian, which row and column to fix.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.cli_runner import cli_env, satudata_async
from tests.regional_corpus import (
    BY_NAME,
    Case,
    Resource,
    csv_bytes,
    daftar_data,
    file_name,
    first_row,
    xlsx_bytes,
)
from tests.regional_registry import (
    difference,
    dimensions,
    expected,
    held,
    regions,
    registry_name,
)

FORMS = ("csv", "xlsx")
IMPORTED = (
    "long_by_sex_with_totals",
    "wide_by_year_text_numbers",
    "wide_by_sex_with_total",
    "several_indicators",
    "one_resource_per_year",
    "desa_with_kecamatan",
    "two_dimensions",
    "no_region_with_activities",
    "missing_markers",
)


def dataset_code(case: Case, form: str) -> str:
    return f"{case.context.dataset_code}-{form}"


def saved(resource: Resource, form: str, folder: Path) -> Path:
    path = folder / file_name(resource, form)
    path.write_bytes(csv_bytes(resource) if form == "csv" else xlsx_bytes(resource))
    return path


async def register(cases: list[Case], env: dict[str, str], folder: Path) -> None:
    path = folder / "daftar-data.csv"
    path.write_bytes(
        daftar_data((dataset_code(case, form), case.context) for case in cases for form in FORMS)
    )
    done = await satudata_async("import", "daftar-data", str(path), cwd=folder, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def environment(url: str, home: str) -> dict[str, str]:
    return cli_env(url, SATUDATA_REGION_CODE=home.replace(".", ""))


@pytest.mark.parametrize("name", IMPORTED)
async def test_a_spreadsheet_fills_the_registry_with_every_published_cell_once(
    name: str, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    case = BY_NAME[name]
    env = environment(database_url, case.context.home_code)
    await register([case], env, tmp_path)

    for form in FORMS:
        code = dataset_code(case, form)
        for resource in case.resources:
            path = saved(resource, form, tmp_path)
            done = await satudata_async(
                "import", "data", str(path), "--dataset", code, cwd=tmp_path, env=env
            )
            assert done.returncode == 0, f"{form}: {done.stdout}{done.stderr}"
        truth, got = expected(case, code), await held(engine, code)
        assert got == truth, f"{case.shape} ({form})\n{difference(truth, got)}"
        assert await dimensions(engine, code) == list(case.dimensions)

    # Each region is the Kemendagri list's, under its own parent: desa Purwodadi under
    # kecamatan Purwodadi under Kabupaten Pasuruan.
    found = await regions(engine)
    for place in {cell.place for cell in case.truth}:
        assert found[place] == (registry_name(place), place.rpartition(".")[0] or None), place


BAD_CELL = "dua ribu"  # a number written in words: not a value


def with_a_bad_cell(resource: Resource, row: int, column: str) -> Resource:
    index = resource.columns.index(column)
    rows = list(resource.rows)
    rows[row] = (*rows[row][:index], BAD_CELL, *rows[row][index + 1 :])
    return Resource(resource.name, resource.columns, tuple(rows), resource.title, resource.labels)


@pytest.mark.parametrize("form", FORMS)
async def test_a_file_with_one_bad_cell_imports_nothing_and_names_its_row_and_column(
    form: str, database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    case = BY_NAME["long_by_sex_with_totals"]
    env = environment(database_url, case.context.home_code)
    await register([case], env, tmp_path)
    row, column = 7, "jumlah_penduduk"
    resource = with_a_bad_cell(case.resources[0], row, column)

    path = saved(resource, form, tmp_path)
    done = await satudata_async(
        "import", "data", str(path), "--dataset", dataset_code(case, form), cwd=tmp_path, env=env
    )

    assert done.returncode == 1, done.stdout + done.stderr
    number = first_row(resource, form) + row
    label = resource.header(form)[resource.columns.index(column)]
    assert "Impor dibatalkan" in done.stdout, done.stdout
    assert f"baris {number} kolom {label!r}" in done.stdout, done.stdout
    assert f"{BAD_CELL!r} bukan angka" in done.stdout, done.stdout
    assert await held(engine, dataset_code(case, form)) == Counter()


async def test_an_unknown_kecamatan_stops_the_import_and_is_named(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    case = BY_NAME["one_unknown_kecamatan"]
    env = environment(database_url, case.context.home_code)
    await register([case], env, tmp_path)
    ((index, column),) = case.bad_rows

    path = saved(case.resources[0], "csv", tmp_path)
    done = await satudata_async(
        "import", "data", str(path), "--dataset", dataset_code(case, "csv"), cwd=tmp_path, env=env
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"baris {first_row(case.resources[0], 'csv') + index} kolom {column!r}" in done.stdout
    assert case.bad_names[0] in done.stdout, done.stdout
    assert await held(engine, dataset_code(case, "csv")) == Counter()


async def test_a_dry_run_reads_the_whole_file_and_changes_nothing(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    case = BY_NAME["two_dimensions"]
    env = environment(database_url, case.context.home_code)
    await register([case], env, tmp_path)

    path = saved(case.resources[0], "xlsx", tmp_path)
    code = dataset_code(case, "xlsx")
    done = await satudata_async(
        "import", "data", str(path), "--dataset", code, "--dry-run", cwd=tmp_path, env=env
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(case.truth)} nilai dari 1 tabel" in done.stdout, done.stdout
    assert await held(engine, code) == Counter()
