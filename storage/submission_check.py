"""Checking a file a liaison sends for one period of a dataset, before anyone else sees it.

The file is read as every table is (`storage.tables`), so the template the bot hands out and
any shape an agency's own spreadsheet has are read alike; then what was read is held against
what the dataset expects: the period it owes, the regions of its last accepted table, no
negative counts. Every problem is one line in Indonesian naming the sheet, row and column
where it can be fixed; values that are possible but unlikely against the last accepted
period are warnings (`storage.plausibility`). Nothing here writes: a file with problems
changes nothing.

`check` is plain CPU work on bytes: a 10,000-row workbook takes a noticeable part of a
second, and in a thread it would hold the interpreter from every other chat for tenths of a
second at a time. `check_elsewhere` runs it in a worker process, one per bot process, started
at the first file.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import re
import threading
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from xml.etree import ElementTree

from storage.plausibility import Previous, warnings
from storage.tables.files import read_tables
from storage.tables.gazetteer import Gazetteer
from storage.tables.limits import TableFileError
from storage.tables.reader import read_table
from storage.tables.reading import Reading, Table, TableContext, describe_problem
from storage.tables.units import additive
from storage.value_import import reading_errors

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
TEMPLATE_KEYWORDS = re.compile(r"satudata:(?P<code>[^:\s]+):(?P<period>[0-9A-Z-]+)")
SHOWN_REGIONS = 5


@dataclass(frozen=True)
class Expected:
    """What the dataset expects of the file."""

    context: TableContext
    period: str  # the period owed ("2025")
    regions: dict[str, str]  # Kemendagri code → name, of the last accepted table ({}: unknown)
    previous: Previous = field(default_factory=dict)  # the last accepted period's values
    previous_period: str = ""
    published: frozenset[str] = frozenset()  # periods in the registry: a file may correct one


@dataclass
class Checked:
    values: int = 0  # values read, the totals a table's categories add up to included
    periods: list[str] = field(default_factory=list)
    regions: int = 0
    rows: int = 0  # table rows the values came from
    indicators: list[str] = field(default_factory=list)  # as labelled in the file
    dimensions: list[str] = field(default_factory=list)  # category dimensions, as labelled
    errors: list[str] = field(default_factory=list)  # Indonesian, one problem each
    warnings: list[str] = field(default_factory=list)  # unlikely values, for a note to explain
    # (region, new, previous) of the first indicator's totals the last period also has
    changes: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def template_of(content: bytes) -> tuple[str, str] | None:
    """(dataset code, period) of a template the bot wrote, from the workbook's keywords
    (Excel and LibreOffice keep them when the file is saved again); None for any other file."""
    try:
        with (
            zipfile.ZipFile(io.BytesIO(content)) as archive,
            archive.open("docProps/core.xml") as part,
        ):
            core = ElementTree.fromstring(part.read(64 * 1024))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, RuntimeError):
        return None
    for element in core.iter():
        if element.tag.endswith("}keywords") and element.text:
            found = TEMPLATE_KEYWORDS.search(element.text)
            if found:
                return found["code"], found["period"]
    return None


def read(
    content: bytes, name: str, context: TableContext, gazetteer: Gazetteer
) -> list[tuple[Table, Reading]]:
    """Each table of the file with what was read of it; raises TableFileError for a file
    that holds no table."""
    return [(table, read_table(table, context, gazetteer)) for table in read_tables(content, name)]


def check(content: bytes, name: str, expected: Expected, gazetteer: Gazetteer) -> Checked:
    checked = Checked()
    try:
        pairs = read(content, name, expected.context, gazetteer)
    except TableFileError as error:
        checked.errors.append(str(error))
        return checked
    readings = [reading for _, reading in pairs]
    for table, reading in pairs:
        checked.errors += reading_errors(table.name, reading)
        if reading.unread is not None:  # what the file could not give may be the reason
            checked.errors += [describe_problem(p, table.name) for p in table.problems]
    values = [value for reading in readings for value in reading.values]
    checked.values = len(values)
    if not values:
        if not checked.errors:
            checked.errors.append("tidak ada nilai yang terbaca dari berkas ini: isi sel nilainya")
        return checked
    # What was read is checked too, so every problem is told at once.
    checked.periods = sorted({v.period for v in values})
    held = {v.place.code for v in values}
    checked.regions = len(held)
    checked.rows = sum(len(table.rows) for table, reading in pairs if len(reading.values))
    checked.indicators = list(dict.fromkeys(i.label for r in readings for i in r.indicators))
    checked.dimensions = list(dict.fromkeys(d.label for r in readings for d in r.dimensions))
    other = [p for p in checked.periods if p != expected.period and p not in expected.published]
    if other:
        checked.errors.append(
            f"periode {', '.join(other)} bukan periode yang ditunggu ({expected.period}) dan "
            "belum ada di registri untuk dikoreksi: kirim data periode yang ditunggu"
        )
    missing = sorted(code for code in expected.regions if code not in held)
    if missing:
        names = [expected.regions[code] for code in missing[:SHOWN_REGIONS]]
        more = (
            f" dan {len(missing) - SHOWN_REGIONS} lainnya" if len(missing) > SHOWN_REGIONS else ""
        )
        checked.errors.append(
            f"{len(missing)} wilayah tanpa nilai: {', '.join(names)}{more}; isi nilainya "
            "(tabel terakhir dataset ini memuat wilayah itu)"
        )
    units = {s.key: (s.unit, s.label) for r in readings for s in r.indicators}
    negative = [
        v for v in values if v.value < 0 and not v.computed and additive(*units[v.indicator])
    ]
    if negative:
        first = negative[0]
        checked.errors.append(
            f"{len(negative)} nilai negatif untuk jumlah yang tidak bisa negatif "
            f"(misalnya {first.place.name}: {first.value:g})"
        )
    labels = {f"{d.key}={c.key}": c.label for r in readings for d in r.dimensions for c in d.values}
    checked.warnings = warnings(values, expected.previous, expected.previous_period, units, labels)
    main = readings[0].indicators[0].key if readings[0].indicators else None
    for v in values:
        before = expected.previous.get((v.indicator, v.place.code, ""))
        if v.indicator == main and not v.categories and before is not None:
            checked.changes.append((v.place.name, v.value, before))
    return checked


async def check_elsewhere(content: bytes, name: str, expected: Expected) -> Checked:
    """`check` in the worker process, with the packaged Kemendagri list."""
    return await asyncio.get_running_loop().run_in_executor(
        _pool(), _check_with_gazetteer, content, name, expected
    )


def _check_with_gazetteer(content: bytes, name: str, expected: Expected) -> Checked:
    return check(content, name, expected, Gazetteer.default())


def _pool() -> ProcessPoolExecutor:
    """Spawned, not forked: the bot's process runs threads (the database's among them)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return _POOL
