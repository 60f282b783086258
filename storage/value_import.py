"""Importing a dataset's values from the spreadsheets OPDs keep, without a data portal.

The file is read by the same reader as a portal's tables, so every shape a portal may publish
can be imported too. All or nothing: a table that cannot be read, or a single cell that
cannot, stops the import with every problem named by row and column, and nothing is
written; a period newer than the registry's closes its reminders, as a portal sync does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rapidfuzz import fuzz, process

from storage.importing import ImportFileError
from storage.tables.apply import ApplyStats, ReadingApplier
from storage.tables.files import TableFileError, read_path
from storage.tables.gazetteer import Gazetteer
from storage.tables.reader import read_table
from storage.tables.reading import Problem, Reading, TableContext
from storage.uow import UnitOfWorkFactory

CLOSE_CODES = 3


@dataclass
class ValueImportReport:
    dataset_code: str
    dataset_title: str
    tables: int = 0
    values: int = 0  # cells read from the file
    stats: ApplyStats = field(default_factory=ApplyStats)
    errors: list[str] = field(default_factory=list)  # Indonesian, one problem each

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unchanged(self) -> int:
        return self.values - self.stats.loaded - self.stats.changed


async def import_values(
    uow_factory: UnitOfWorkFactory,
    path: Path,
    dataset_code: str,
    now: datetime,
    *,
    dry_run: bool = False,
    home_code: str = "",
) -> ValueImportReport:
    """`home_code`: the Kemendagri code of the deployment's region, where regions are looked
    for first and where a table without a region column belongs."""
    async with uow_factory() as uow:
        dataset = await uow.datasets.by_code(dataset_code)
        if dataset is None:
            codes = [d.code for d in await uow.datasets.all()]
            raise ImportFileError(_unknown_dataset(dataset_code, codes))
        context = TableContext(
            dataset_code=dataset.code,
            dataset_title=dataset.title,
            periodicity=dataset.periodicity,
            unit=dataset.unit,
            home_code=home_code,
            default_place=home_code,
        )
    report = ValueImportReport(dataset.code, dataset.title)
    try:
        tables = read_path(path)
    except TableFileError as error:
        raise ImportFileError(str(error)) from None
    gazetteer = Gazetteer.default()
    readings = [read_table(table, context, gazetteer) for table in tables]
    report.tables = len(readings)
    for table, reading in zip(tables, readings, strict=True):
        report.errors += reading_errors(table.name, reading)
        report.values += len(reading.values)
    if not report.errors and not report.values:
        report.errors.append("tidak ada nilai yang terbaca dari berkas ini: periksa isinya")
    if report.errors:
        return report
    async with uow_factory() as uow:
        dataset = await uow.datasets.by_code(dataset_code)
        assert dataset is not None  # read above; a dataset is not deleted, only withdrawn
        applier = ReadingApplier(uow, gazetteer.place, now)
        # Values outside the file stay: a spreadsheet of one year does not withdraw the others.
        report.stats = await applier.apply(dataset, readings, prune=False)
        report.errors += [_problem_line(path.name, p) for p in report.stats.problems]
        if report.errors or dry_run:
            return report  # leaving without commit: nothing written
        uow.audit.record(
            at=now,
            action="values_imported",
            detail={
                "file": path.name,
                "via": "cli",
                "dataset": dataset.code,
                "loaded": report.stats.loaded,
                "changed": report.stats.changed,
                "regions_added": report.stats.regions_added,
            },
        )
        await uow.commit()
    return report


def reading_errors(table: str, reading: Reading) -> list[str]:
    """A table's problems, one line each, as an import and a liaison's submission say them."""
    if reading.unread is not None:
        return [f"{table}: tabel tidak dapat dibaca: {reading.unread}"]
    return [_problem_line(table, problem) for problem in reading.problems]


def _problem_line(table: str, problem: Problem) -> str:
    where = [f"baris {row} kolom {column!r}" for row, column in problem.examples]
    more = problem.count - len(problem.examples)
    if where and more > 0:
        where.append(f"dan {more} sel lainnya")
    elif not where and problem.count > 1:
        where.append(f"{problem.count} kali")
    return f"{table}: {problem.reason}" + (f" ({', '.join(where)})" if where else "")


def close_codes(code: str, codes: list[str]) -> list[str]:
    """The dataset codes a mistyped one may have meant, closest first."""
    return [
        found
        for found, _, _ in process.extract(
            code, codes, scorer=fuzz.WRatio, limit=CLOSE_CODES, score_cutoff=60
        )
    ]


def _unknown_dataset(code: str, codes: list[str]) -> str:
    close = close_codes(code, codes)
    hint = (
        f"; maksud Anda: {', '.join(close)}?"
        if close
        else "; daftarkan dulu lewat `satudata import daftar-data`"
    )
    return f"dataset dengan kode {code!r} tidak ada di registri{hint}"
