"""Every shape of regional table is read to exactly what it publishes, from every form.

Each case of `tests/regional_corpus.py` is a ground truth rendered into a published table;
here it is read through the real reader with the whole Kemendagri list, from its DataStore
form, its CSV file and its XLSX file (title row, labelled and merged headers). What a user
would notice is checked: every published cell arrives once with the right place, period,
categories, indicator, unit and decimals; no cell is invented (no total of a percentage, no
zero for a dash, no region for a name that is none); a table that cannot be read says which
columns it has and what it lacks; a bad row is named by the row number the source shows.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from storage.tables.files import read_tables
from storage.tables.gazetteer import Gazetteer
from storage.tables.reader import read_table
from storage.tables.reading import Reading, Table
from tests.regional_corpus import (
    AGE_GROUPS,
    BY_NAME,
    CASES,
    KEGIATAN,
    OFFICIAL,
    UNKNOWN,
    Case,
    Cell,
    csv_bytes,
    datastore,
    datastore_table,
    file_name,
    first_row,
    xlsx_bytes,
)

FORMS = ("datastore", "csv", "xlsx")
WILAYAH = Path(__file__).parents[1] / "storage" / "wilayah" / "kode_wilayah_kemendagri_2025.csv.gz"
READABLE = [case for case in CASES if case.readable]
UNREADABLE = [case for case in CASES if not case.readable]
SHOWN = 15  # cells listed in a failure message


@cache
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


def tables(case: Case, form: str) -> list[Table]:
    """The case's tables as the registry meets them in `form`."""
    found: list[Table] = []
    for resource in case.resources:
        if form == "datastore":
            found.append(datastore_table(datastore(resource), resource.name))
        elif form == "csv":
            found += read_tables(csv_bytes(resource), file_name(resource, "csv"))
        else:
            found += read_tables(xlsx_bytes(resource), file_name(resource, "xlsx"))
    assert len(found) == len(case.resources), f"{form}: {len(found)} tables"
    return found


def read(case: Case, form: str) -> list[Reading]:
    return [read_table(table, case.context, gazetteer()) for table in tables(case, form)]


def cells(readings: list[Reading]) -> Counter[Cell]:
    """What was read, as the truth states it (units compared regardless of case)."""
    found: Counter[Cell] = Counter()
    for reading in readings:
        units = {indicator.key: indicator.unit.casefold() for indicator in reading.indicators}
        for value in reading.values:
            found[
                Cell(
                    value.indicator,
                    units.get(value.indicator, "<no indicator>"),
                    value.place.code,
                    value.period,
                    value.categories,
                    round(value.value, 9),
                    value.decimals,
                    value.computed,
                )
            ] += 1
    return found


def difference(truth: Counter[Cell], got: Counter[Cell]) -> str:
    missing, extra = truth - got, got - truth
    lines = [f"{sum(missing.values())} published cells not read, {sum(extra.values())} wrong:"]
    lines += [f"  missing {cell}" for cell in list(missing)[:SHOWN]]
    lines += [f"  wrong   {cell} ×{n}" for cell, n in list(extra.items())[:SHOWN]]
    return "\n".join(lines)


def case_id(case: Case) -> str:
    return case.name


def explained(readings: list[Reading]) -> str:
    return "; ".join(f"{r.unread} {r.roles} {r.problems}" for r in readings if r.unread)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", READABLE, ids=case_id)
def test_every_published_cell_is_read_once_and_nothing_else(case: Case, form: str) -> None:
    readings = read(case, form)

    assert all(r.ok for r in readings), f"{case.shape}: {explained(readings)}"
    truth = Counter(cell._replace(value=round(cell.value, 9)) for cell in case.truth)
    got = cells(readings)
    assert got == truth, f"{case.shape} ({form})\n{difference(truth, got)}"


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", [c for c in READABLE if c.dimensions], ids=case_id)
def test_breakdowns_keep_their_categories_in_published_order(case: Case, form: str) -> None:
    (reading,) = read(case, form)

    found = [(d.key, tuple(v.key for v in d.values)) for d in reading.dimensions]
    assert found == list(case.dimensions)


def sexes(form: str) -> tuple[str, str]:
    """Laki-laki and perempuan as the header of a wide table writes them in `form`."""
    return ("Laki-laki", "Perempuan") if form == "xlsx" else ("laki_laki", "perempuan")


# The labels each breakdown shows as published, by case, in each form.
LABELS: dict[str, Callable[[str], dict[str, tuple[str, ...]]]] = {
    "long_by_sex_with_totals": lambda form: {"jenis_kelamin": ("L", "P")},
    "wide_by_sex_with_total": lambda form: {"jenis_kelamin": sexes(form)},
    "two_dimensions": lambda form: {"jenis_kelamin": sexes(form), "kelompok_umur": AGE_GROUPS},
    "no_region_with_activities": lambda form: {"kegiatan": KEGIATAN},
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", LABELS)
def test_categories_keep_the_labels_they_were_published_with(name: str, form: str) -> None:
    """Under a merged "Jenis Kelamin" the category is "Laki-laki", as the sheet shows it."""
    (reading,) = read(BY_NAME[name], form)

    found = {d.key: tuple(v.label for v in d.values) for d in reading.dimensions}
    assert found == LABELS[name](form)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", READABLE, ids=case_id)
def test_every_column_gets_a_role(case: Case, form: str) -> None:
    """The roles the reading reports are those of the table's own columns, every one."""
    for table, reading in zip(tables(case, form), read(case, form), strict=True):
        assert set(reading.roles) == set(table.columns), reading.roles


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", UNREADABLE, ids=case_id)
def test_a_table_that_cannot_be_read_names_its_columns_and_what_is_missing(
    case: Case, form: str
) -> None:
    (reading,) = read(case, form)

    assert not reading.ok and len(reading.values) == 0, f"{case.shape}: read {len(reading.values)}"
    explanation = (reading.unread or "").casefold()
    for column in case.resources[0].header(form):
        assert column.casefold() in explanation, f"{column!r} not in {reading.unread!r}"
    for word in case.unread:
        assert word in explanation, f"{word!r} not in {reading.unread!r}"


def test_a_region_column_of_unknown_names_shows_one_of_them() -> None:
    (reading,) = read(BY_NAME["unknown_regions"], "csv")

    assert any(name.casefold() in (reading.unread or "").casefold() for name in UNKNOWN), (
        reading.unread
    )


@pytest.mark.parametrize("form", FORMS)
def test_an_unknown_kecamatan_is_reported_with_its_row_and_the_rest_is_read(form: str) -> None:
    case = BY_NAME["one_unknown_kecamatan"]
    (table,) = tables(case, form)
    reading = read_table(table, case.context, gazetteer())

    first = first_row(case.resources[0], form)
    assert table.first_row == first
    column = dict(zip(case.resources[0].columns, case.resources[0].header(form), strict=True))
    where = {(first + index, column[name]) for index, name in case.bad_rows}
    reported = {example for problem in reading.problems for example in problem.examples}
    assert where <= reported, reading.problems
    assert reading.rows_skipped == len(case.bad_rows)
    (problem,) = reading.problems
    assert case.bad_names[0].casefold() in problem.reason.casefold(), problem.reason


def test_the_corpus_names_real_places_by_their_official_names() -> None:
    """The truth is only worth something if its places are the Kemendagri list's."""
    with gzip.open(WILAYAH, "rt", encoding="utf-8") as packaged:
        official = {
            row["kode"]: row["nama"] for row in csv.DictReader(io.StringIO(packaged.read()))
        }
    for code, name in OFFICIAL.items():
        assert official.get(code) == name, code
    assert {cell.place for case in CASES for cell in case.truth} <= set(OFFICIAL)
    names = {name.casefold() for name in official.values()}
    assert not any(name.casefold() in names for name in UNKNOWN)
