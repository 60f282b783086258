"""What reading one published table yields, whichever source it came from.

The reader (`storage.tables.reader`) turns a `Table` — a CKAN DataStore table, a CSV or XLSX
resource, a spreadsheet a liaison sent — into a `Reading`; the applier
(`storage.tables.apply`) writes a `Reading` into one dataset. Keeping this seam small is what
lets every source share one way of understanding tables and one way of storing them.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from storage.region_codes import bps_from_kemendagri

# A category of an observation: (dimension key, value key), e.g. ("jenis_kelamin", "perempuan").
Category = tuple[str, str]
# The categories of one observation, sorted by dimension key; () is the total.
Categories = tuple[Category, ...]
MAX_PROBLEM_EXAMPLES = 20  # examples kept per reason; the count is always complete


def normal_key(label: str) -> str:
    """`Laki-laki`, `LAKI LAKI`, `laki_laki` → `laki_laki`; `65-69` → `65_69`: one spelling to
    match labels, column names and words in questions by."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def categories_key(categories: Categories) -> str:
    """The stored form of an observation's categories: `jenis_kelamin=perempuan;...`."""
    return ";".join(f"{dimension}={value}" for dimension, value in sorted(categories))


@dataclass(frozen=True)
class Table:
    """Cells as published: a header and rows of cells (text, numbers or None).

    `name` is the resource's or sheet's name: a table published once per year often carries
    its year only there ("Jumlah Penduduk 2023.xlsx")."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    name: str = ""
    first_row: int = 2  # the number of `rows[0]` as the source shows it (1 is the header)
    # A spreadsheet's letter for each column ("C"), so a problem can name the cell the walidata
    # sees; empty for sources without letters (a DataStore table).
    column_letters: tuple[str, ...] = ()
    # What the file itself could not give (a formula without a stored value, a CSV row with
    # more cells than the header); rows and cells concerned are empty in `rows`.
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class TableContext:
    """What the registry knows about the table before reading it."""

    dataset_code: str
    dataset_title: str
    periodicity: str  # a Periodicity
    unit: str = ""  # the dataset's unit (`satuan`), when the metadata gives one
    home_code: str = ""  # Kemendagri code of the deployment's region ("35", "35.14")
    # The region a table without a region column is about (the dataset's or the portal's).
    default_place: str = ""


@dataclass(frozen=True)
class Place:
    """A region of the Kemendagri list: dotted code, official name, level and parent."""

    code: str  # "35", "35.14", "35.14.01", "35.14.01.2001"
    name: str  # "Jawa Timur", "Kabupaten Pasuruan", "Purwodadi"
    level: str  # provinsi, kabupaten, kota, kecamatan, desa, kelurahan
    parent: str | None

    @property
    def bps_code(self) -> str | None:
        """BPS and Kemendagri agree down to kabupaten/kota (35.14 = 3514), not below, and not
        in Papua."""
        return bps_from_kemendagri(self.code)


@dataclass(frozen=True)
class IndicatorSpec:
    """One value column (or the table's single value) as an indicator of the dataset."""

    key: str  # normalised ("produksi"); the dataset's code when the table has one value
    label: str  # as published ("Produksi (Ton)")
    unit: str


@dataclass(frozen=True)
class CategoryLabel:
    key: str  # normalised for matching ("perempuan", "65_69")
    label: str  # as published ("Perempuan", "65-69")


@dataclass(frozen=True)
class Dimension:
    key: str  # "jenis_kelamin"
    label: str  # "Jenis Kelamin"
    values: tuple[CategoryLabel, ...]  # in published order, without the total


class Value(NamedTuple):
    indicator: str  # an IndicatorSpec key
    place: Place
    period: str  # canonical: 2023, 2023-S1, 2023-Q2, 2023-07, 2023-W05, 2023-07-31
    categories: Categories
    value: float
    decimals: int
    computed: bool  # a total the table did not publish, summed from its categories


@dataclass(frozen=True)
class Problem:
    """Why cells were not read: one reason, how many times, and where it first happened."""

    reason: str  # Indonesian, for the walidata ("nilai 'abc' bukan angka")
    count: int
    examples: tuple[tuple[int, str], ...]  # (row number as the source shows it, column)


class Values:
    """The values of a reading, kept compactly: a portal sync holds millions of them before
    it writes, so each is a few machine words in arrays, not a Python object."""

    def __init__(self) -> None:
        self._places: list[Place] = []
        self._place_index: dict[str, int] = {}
        self._texts: list[Any] = []  # indicators, periods and category tuples, interned
        self._text_index: dict[Any, int] = {}
        self._indicator = array("I")
        self._place = array("I")
        self._period = array("I")
        self._categories = array("I")
        self._value = array("d")
        self._decimals = array("b")
        self._computed = array("b")

    def add(self, value: Value) -> None:
        self._indicator.append(self._intern(value.indicator))
        self._place.append(self._intern_place(value.place))
        self._period.append(self._intern(value.period))
        self._categories.append(self._intern(value.categories))
        self._value.append(value.value)
        self._decimals.append(max(-128, min(127, value.decimals)))
        self._computed.append(value.computed)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Iterator[Value]:
        texts, places = self._texts, self._places
        for i in range(len(self._value)):
            yield Value(
                texts[self._indicator[i]],
                places[self._place[i]],
                texts[self._period[i]],
                texts[self._categories[i]],
                self._value[i],
                self._decimals[i],
                bool(self._computed[i]),
            )

    def _intern(self, item: Any) -> int:
        index = self._text_index.get(item)
        if index is None:
            index = self._text_index[item] = len(self._texts)
            self._texts.append(item)
        return index

    def _intern_place(self, place: Place) -> int:
        index = self._place_index.get(place.code)
        if index is None:
            index = self._place_index[place.code] = len(self._places)
            self._places.append(place)
        return index


@dataclass
class Reading:
    """A table understood: its indicators, breakdowns and values, and what could not be read.

    `roles` maps each column to what the reader took it for ("wilayah", "periode",
    "kategori: Jenis Kelamin", "nilai: Produksi", "diabaikan"); `unread` says why nothing
    could be read, naming the columns seen, the roles found and what was missing."""

    indicators: list[IndicatorSpec] = field(default_factory=list)
    dimensions: list[Dimension] = field(default_factory=list)
    values: Values = field(default_factory=Values)
    roles: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unread: str | None = None
    missing: int = 0  # cells marked as not available ("-", "", "n/a"): neither zero nor errors

    @property
    def ok(self) -> bool:
        return self.unread is None

    @property
    def rows_skipped(self) -> int:
        return sum(p.count for p in self.problems)


def describe_problem(problem: Problem, table: str = "", shown: int = 3) -> str:
    """`Tabel X: 2 sel tidak dimuat: nilai 'abc' bukan angka (baris 7 kolom C, …)`."""
    places = ", ".join(f"baris {row} kolom {column}" for row, column in problem.examples[:shown])
    more = ", …" if problem.count > min(shown, len(problem.examples)) else ""
    where = f" ({places}{more})" if places else ""
    head = f"{table}: " if table else ""
    return f"{head}{problem.count} sel tidak dimuat: {problem.reason}{where}"
