"""Periods as tables write them, in cells and in column names, turned into registry codes
(`2023`, `2023-S1`, `2023-Q2`, `2023-07`, `2023-W05`, `2023-07-31`).

A table spreads its period over several places: a `tahun` column and a `bulan` column, year
columns (`2019`, `tahun_2019`), month columns (`januari` … `desember`), or only the name of
the resource ("Jumlah Penduduk 2023.xlsx"). Each place gives a `PeriodPart`; `period_code`
joins them and checks the result against the dataset's periodicity, since a period that does
not fit the dataset is a mistake to report, not one to guess around.

School years ("tahun ajaran 2024/2025") are the registry year in which they start: the
figures of a school year (pupils, teachers, classes) are counted at the start of its first
semester, in Dapodik's cut-off that same calendar year, and BPS's regional statistics
("Kabupaten … Dalam Angka") list tahun ajaran N/N+1 with the data of year N. Its semesters are
calendar halves: semester ganjil (1) of 2024/2025 is July–December 2024 (2024-S2), genap (2) is
January–June 2025 (2025-S1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from domain.periods import parse_period
from domain.terms import Periodicity

YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d|2100)(?!\d)")
TOKENS = re.compile(r"[a-z]+|\d+")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "january", "jan"),
            ("februari", "february", "feb", "pebruari", "peb"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "agt", "ags", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov", "nopember", "nop"),
            ("desember", "december", "des", "dec"),
        ),
        start=1,
    )
    for name in names
}
FULL_MONTHS = frozenset(name for name in MONTHS if len(name) > 4 or name in ("mei", "juni", "juli"))
# Words naming a part of the year; in column names "s" and "w" are left out, since "s1" there
# is more often a degree (S1) than a semester.
KIND_WORDS = {
    "triwulan": Periodicity.TRIWULANAN,
    "tw": Periodicity.TRIWULANAN,
    "trw": Periodicity.TRIWULANAN,
    "kuartal": Periodicity.TRIWULANAN,
    "quarter": Periodicity.TRIWULANAN,
    "q": Periodicity.TRIWULANAN,
    "semester": Periodicity.SEMESTERAN,
    "smt": Periodicity.SEMESTERAN,
    "sem": Periodicity.SEMESTERAN,
    "bulan": Periodicity.BULANAN,
    "bln": Periodicity.BULANAN,
    "month": Periodicity.BULANAN,
    "minggu": Periodicity.MINGGUAN,
    "pekan": Periodicity.MINGGUAN,
    "week": Periodicity.MINGGUAN,
}
CELL_KIND_WORDS = {**KIND_WORDS, "s": Periodicity.SEMESTERAN, "w": Periodicity.MINGGUAN}
FILLER = frozenset(
    {"tahun", "th", "thn", "year", "periode", "period", "ke", "data", "ta", "ajaran", "pelajaran"}
)
SCHOOL_HALVES = {"ganjil": 1, "genap": 2}
# How many parts of each kind a year has.
PARTS_A_YEAR: dict[str, int] = {
    Periodicity.SEMESTERAN: 2,
    Periodicity.TRIWULANAN: 4,
    Periodicity.BULANAN: 12,
    Periodicity.MINGGUAN: 53,
}
ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")
LOCAL_DAY = re.compile(r"(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{4})")  # 31/12/2023, day first
SCHOOL_YEAR = re.compile(r"(\d{4})\s*/\s*(\d{4})")
CANONICAL = re.compile(r"\d{4}-(?:[sq]\d|w\d\d?|\d\d)")


class PeriodError(ValueError):
    """A period that cannot be read or does not fit; the message is for the walidata."""


@dataclass(frozen=True)
class PeriodPart:
    """What one place of a table says about a period: a year, a part of a year (kind and
    number), or a whole day."""

    year: int | None = None
    kind: str | None = None  # semesteran, triwulanan, bulanan, mingguan
    number: int | None = None
    day: date | None = None


def cell_text(cell: Any) -> str:
    """A period cell as text: `2023.0` from a numeric column is the year 2023."""
    if cell is None or isinstance(cell, bool):
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    text = str(cell).strip()
    return text[:-2] if re.fullmatch(r"\d{4}\.0", text) else text


def cell_part(text: str, kind: str | None = None) -> PeriodPart:
    """The period a cell (or a year cell and a sub-period cell joined) writes. `kind` is what
    bare numbers in it count (a `bulan` column: months)."""
    if not text:
        raise PeriodError("periode kosong")
    lowered = text.casefold()
    iso, local = ISO_DAY.fullmatch(lowered), LOCAL_DAY.fullmatch(lowered)
    if iso or local:
        year, month, day = iso.groups()[:3] if iso else reversed(local.groups())  # type: ignore[union-attr]
        try:
            return PeriodPart(day=date(int(year), int(month), int(day)))
        except ValueError:
            raise PeriodError(f"periode {text!r} bukan tanggal yang ada") from None
    if CANONICAL.fullmatch(lowered):
        canonical = parse_period(lowered)  # 2023-S1, 2023-Q2, 2023-07, 2023-W05
        year_text, _, rest = canonical.code.partition("-")
        return PeriodPart(int(year_text), canonical.kind, int(rest.lstrip("SQW")))
    part = _read(TOKENS.findall(lowered), kind, CELL_KIND_WORDS, abbreviations=True)
    if part is None:
        raise PeriodError(f"periode {text!r} tidak dikenali")
    return part


def column_part(key: str) -> tuple[PeriodPart, str] | None:
    """A period written in a column name (a normalised key): `2019`, `tahun_2019`, `th_2020`,
    `januari`, `produksi_2023`, `triwulan_ii`, `q1` → (the period, what is left of the name,
    e.g. `produksi`). None when the name holds no period."""
    tokens = TOKENS.findall(key)
    for size in range(len(tokens), 0, -1):
        for start in dict.fromkeys((len(tokens) - size, 0)):  # a period after the name first
            run = tokens[start : start + size]
            part = _read(run, None, KIND_WORDS, abbreviations=size == len(tokens), column=True)
            if part is not None:
                return part, "_".join(tokens[:start] + tokens[start + size :])
    return None


def name_part(text: str) -> PeriodPart | None:
    """The period a table's or resource's name gives, when it gives exactly one year (and at
    most one month, quarter or semester): "Jumlah Penduduk 2023.xlsx" → 2023."""
    tokens = TOKENS.findall(text.casefold())
    years = {int(t) for t in tokens if len(t) == 4 and YEAR.fullmatch(t)}
    school = SCHOOL_YEAR.search(text)
    if school and int(school.group(2)) == int(school.group(1)) + 1:
        years = {int(school.group(1))}
    if len(years) != 1:
        return None
    (year,) = years
    months = {MONTHS[t] for t in tokens if t in FULL_MONTHS}
    subs: set[tuple[str, int]] = {(Periodicity.BULANAN, m) for m in months}
    for word, following in pairwise(tokens):
        named = KIND_WORDS.get(word)
        number = _number(following)
        if named is not None and named != Periodicity.BULANAN and number is not None:
            subs.add((named, number))
    if len(subs) > 1:
        return None
    if subs:
        ((kind, number),) = subs
        return PeriodPart(year, kind, number)
    return PeriodPart(year)


def period_code(part: PeriodPart, periodicity: str, written: str) -> str:
    """The registry code of a joined period part, if it fits the dataset's periodicity.
    `written` is how the table wrote it, for the message."""
    code = _code(part, periodicity, written)
    kind = parse_period(code).kind
    if periodicity != Periodicity.SEWAKTU_WAKTU and kind != periodicity:
        raise PeriodError(f"periode {written!r} bukan {periodicity}")
    return code


def cell_period(cell: Any, sub_cell: Any, periodicity: str, sub_kind: str | None = None) -> str:
    """The code of a row's period cells: `2023` + `Triwulan III` → `2023-Q3`."""
    main, sub = cell_text(cell), cell_text(sub_cell)
    written = f"{main} {sub}".strip()
    hint = sub_kind or periodicity
    if not sub or sub_kind is None:
        return period_code(cell_part(written, hint), periodicity, written)
    year = cell_part(main) if main else PeriodPart()
    return period_code(join(written, year, cell_part(sub, hint)), periodicity, written)


def join(written: str, *parts: PeriodPart) -> PeriodPart:
    """One period from the parts places of a table give (a year column and a month column);
    parts that say different things are an error, never a choice."""
    year: int | None = None
    sub: tuple[str, int] | None = None
    day: date | None = None
    for part in parts:
        if part.day is not None:
            if day is not None and day != part.day:
                raise PeriodError(f"periode {written!r} menyebut dua tanggal")
            day = part.day
        if part.year is not None:
            if year is not None and year != part.year:
                raise PeriodError(f"periode {written!r} menyebut dua tahun")
            year = part.year
        if part.kind is not None and part.number is not None:
            if sub is not None and sub != (part.kind, part.number):
                raise PeriodError(f"periode {written!r} menyebut dua bagian tahun")
            sub = (part.kind, part.number)
    if day is not None:
        if (year is not None and year != day.year) or sub is not None:
            raise PeriodError(f"periode {written!r} menyebut tanggal dan periode lain")
        return PeriodPart(day=day)
    return PeriodPart(year, *(sub or (None, None)))


def _code(part: PeriodPart, periodicity: str, written: str) -> str:
    if part.day is not None:
        if periodicity == Periodicity.BULANAN:
            return f"{part.day.year}-{part.day.month:02d}"
        if periodicity == Periodicity.MINGGUAN:
            year, week, _ = part.day.isocalendar()
            return f"{year}-W{week:02d}"
        return part.day.isoformat()
    if part.year is None:
        raise PeriodError(f"periode {written!r} tanpa tahun")
    if part.kind is None or part.number is None:
        return str(part.year)
    match part.kind:
        case Periodicity.SEMESTERAN:
            return f"{part.year}-S{part.number}"
        case Periodicity.TRIWULANAN:
            return f"{part.year}-Q{part.number}"
        case Periodicity.BULANAN:
            return f"{part.year}-{part.number:02d}"
    return f"{part.year}-W{part.number:02d}"


def _read(
    tokens: list[str],
    hint: str | None,
    kinds: dict[str, Periodicity],
    *,
    abbreviations: bool,
    column: bool = False,
) -> PeriodPart | None:
    """Reads words like `tahun 2023`, `triwulan ii`, `tw 2 2024`, `maret 2023`, `2024 2025
    ganjil`; None when a word is not a period word or the words contradict each other. Bare
    numbers count what `hint` says; in a column name a number needs a part word before it
    (`tw_2`, not `kelas_2`), and the name needs a year, a month or a part word."""
    years: list[int] = []
    kind: str | None = None
    number: int | None = None
    half: int | None = None
    for token in tokens:
        found = _number(token)
        if len(token) == 4 and YEAR.fullmatch(token):
            years.append(int(token))
        elif token in kinds:
            if kind not in (None, kinds[token]):
                return None
            kind = kinds[token]
        elif token in MONTHS and (abbreviations or token in FULL_MONTHS):
            if number is not None or kind not in (None, Periodicity.BULANAN):
                return None
            kind, number = Periodicity.BULANAN, MONTHS[token]
        elif token in SCHOOL_HALVES and half is None:
            half = SCHOOL_HALVES[token]
        elif found is not None and number is None and not (column and kind is None):
            number = found
        elif token not in FILLER:
            return None
    school = len(years) == 2 and years[1] == years[0] + 1
    if len(years) > 1 and not school:
        return None  # a range of years is not one period
    year = years[0] if years else None
    if half is not None:
        return _school_half(years[0], half) if school and number is None else None
    if number is not None:
        kind = kind or (hint if hint in PARTS_A_YEAR else None)
        if kind is None or not 1 <= number <= PARTS_A_YEAR[kind]:
            return None
        if school:
            return _school_half(years[0], number) if kind == Periodicity.SEMESTERAN else None
        return PeriodPart(year, kind, number)
    if kind is not None or year is None:
        return None  # "triwulan" without its number, or only filler words
    return PeriodPart(year)


def _school_half(start: int, half: int) -> PeriodPart:
    """Semester 1 (ganjil) of a school year is the second half of the year it starts in."""
    if half == 1:
        return PeriodPart(start, Periodicity.SEMESTERAN, 2)
    return PeriodPart(start + 1, Periodicity.SEMESTERAN, 1)


def _number(token: str) -> int | None:
    if token.isdigit() and len(token) <= 2:
        return int(token)
    return ROMAN.get(token)
