"""The pure deadline engine: which period is expected next, when it is due, and how late it is.

No I/O and no clock reads: the caller passes `today` (a date in the deployment's time zone),
so years of calendar can be walked in milliseconds.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from domain.periods import Period, parse_period
from domain.terms import DeadlineStatus

SOON_DAYS = 14
AD_HOC = "sewaktu-waktu"


@dataclass(frozen=True)
class DueRule:
    """Due `months` after the period's end month, on `day` (clamped to the month's length);
    weekly and daily data use `days` after the period instead."""

    months: int = 0
    day: int = 0
    days: int = 0

    def due_date(self, period: Period) -> date:
        if self.days:
            return period.end + timedelta(days=self.days)
        month_index = period.end.month - 1 + self.months
        year, month = period.end.year + month_index // 12, month_index % 12 + 1
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))


DEFAULT_RULES = {
    "tahunan": DueRule(months=3, day=31),
    "semesteran": DueRule(months=2, day=31),
    "triwulanan": DueRule(months=2, day=15),
    "bulanan": DueRule(months=1, day=15),
    "mingguan": DueRule(days=3),
    "harian": DueRule(days=1),
}


@dataclass(frozen=True)
class Deadline:
    expected: Period
    due: date
    status: DeadlineStatus
    days_late: int  # 0 unless terlambat
    days_left: int  # negative when late


def rule_for(periodicity: str, months: int | None = None, day: int | None = None) -> DueRule:
    """The periodicity's default rule, with a dataset's (or OPD's) overrides applied."""
    default = DEFAULT_RULES[periodicity]
    if default.days:
        return default
    return DueRule(
        months=default.months if months is None else months, day=default.day if day is None else day
    )


def next_period(period: Period) -> Period:
    """The period right after `period`, of the same periodicity."""
    return period_containing(period.end + timedelta(days=1), period.kind)


def period_containing(day: date, kind: str) -> Period:
    match kind:
        case "tahunan":
            code = f"{day.year}"
        case "semesteran":
            code = f"{day.year}-S{1 if day.month <= 6 else 2}"
        case "triwulanan":
            code = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        case "bulanan":
            code = f"{day.year}-{day.month:02d}"
        case "mingguan":
            iso_year, week, _ = day.isocalendar()
            code = f"{iso_year}-W{week:02d}"
        case _:
            code = day.isoformat()
    return parse_period(code)


def deadline(
    periodicity: str,
    latest_period: str | None,
    today: date,
    rule: DueRule | None = None,
    due_override: date | None = None,
) -> Deadline | None:
    """The next period owed after `latest_period`, or None for ad hoc datasets.

    With nothing in the registry yet, the owed period is the last one that has ended.
    `due_override` is an approved extension's date for that period.
    """
    if periodicity == AD_HOC or periodicity not in DEFAULT_RULES:
        return None
    rule = rule or DEFAULT_RULES[periodicity]
    if latest_period is None:
        current = period_containing(today, periodicity)
        expected = period_containing(current.start - timedelta(days=1), periodicity)
    else:
        expected = next_period(parse_period(latest_period))
    due = due_override or rule.due_date(expected)
    days_left = (due - today).days
    if days_left < 0:
        status = DeadlineStatus.TERLAMBAT
    elif days_left == 0:
        status = DeadlineStatus.JATUH_TEMPO
    elif days_left <= SOON_DAYS:
        status = DeadlineStatus.SEGERA
    else:
        status = DeadlineStatus.MUTAKHIR
    return Deadline(expected, due, status, max(0, -days_left), days_left)


@lru_cache(maxsize=8192)
def dataset_deadline(
    periodicity: str,
    latest_period: str | None,
    today: date,
    due_months: int | None = None,
    due_day: int | None = None,
    due_override: date | None = None,
) -> Deadline | None:
    """A registry dataset's deadline with its own due-rule overrides; None when ad hoc.

    Cached: thousands of datasets share a periodicity, latest period and due rule, and a
    digest or tick asks for all of them on the same day."""
    if periodicity not in DEFAULT_RULES:
        return None
    rule = rule_for(periodicity, due_months, due_day)
    return deadline(periodicity, latest_period, today, rule, due_override)
