"""Registry periods: `2025`, `2025-S1`, `2025-Q3`, `2025-07`, `2025-W14`, `2025-07-31`.

Canonical strings sort in time order within one periodicity (weeks are zero-padded), which
lets the database answer "latest period" with a plain MAX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_PATTERNS = {
    "tahunan": re.compile(r"^(\d{4})$"),
    "semesteran": re.compile(r"^(\d{4})-S([12])$"),
    "triwulanan": re.compile(r"^(\d{4})-Q([1-4])$"),
    "bulanan": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "mingguan": re.compile(r"^(\d{4})-W(\d{1,2})$"),
    "harian": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
}


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: str

    @property
    def code(self) -> str:
        year = self.start.year
        match self.kind:
            case "tahunan":
                return f"{year}"
            case "semesteran":
                return f"{year}-S{1 if self.start.month == 1 else 2}"
            case "triwulanan":
                return f"{year}-Q{(self.start.month - 1) // 3 + 1}"
            case "bulanan":
                return f"{year}-{self.start.month:02d}"
            case "mingguan":
                iso_year, week, _ = self.start.isocalendar()
                return f"{iso_year}-W{week:02d}"
            case _:
                return self.start.isoformat()


def annual_period(year: int) -> str:
    return str(year)


def parse_period(text: str) -> Period:
    """Parse a canonical period string; raises ValueError with a readable reason."""
    text = text.strip().upper()
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        if kind == "tahunan":
            return Period(date(year, 1, 1), date(year, 12, 31), kind)
        if kind == "semesteran":
            half = int(match.group(2))
            start = date(year, 1 + 6 * (half - 1), 1)
            return Period(start, _month_end(year, start.month + 5), kind)
        if kind == "triwulanan":
            quarter = int(match.group(2))
            start = date(year, 1 + 3 * (quarter - 1), 1)
            return Period(start, _month_end(year, start.month + 2), kind)
        if kind == "bulanan":
            month = int(match.group(2))
            return Period(date(year, month, 1), _month_end(year, month), kind)
        if kind == "mingguan":
            start = date.fromisocalendar(year, int(match.group(2)), 1)
            return Period(start, start + timedelta(days=6), kind)
        day = date(year, int(match.group(2)), int(match.group(3)))
        return Period(day, day, kind)
    raise ValueError(f"unrecognised period {text!r}")


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)
