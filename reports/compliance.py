"""Kepatuhan: how many of each OPD's scheduled datasets are up to date at a moment.

A dataset counts as up to date unless it is overdue (terlambat); "due soon" counts the ones
due today or within 14 days. The figures come from the same deadline engine as reminders.
Last week's figures and the region's trend come from the weekly snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from domain.terms import DeadlineStatus
from reminders.status import DatasetStatus
from storage.models import ComplianceSnapshot

DUE_SOON = frozenset({DeadlineStatus.SEGERA, DeadlineStatus.JATUH_TEMPO})
TREND_WEEKS = 8


class Agency(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass
class Compliance:
    name: str
    code: str = ""  # the OPD's code; empty for the whole region
    scheduled: int = 0
    up_to_date: int = 0
    due_soon: int = 0
    overdue: int = 0
    days_late: list[int] = field(default_factory=list)
    change: float | None = None  # percentage points since last week's snapshot

    @property
    def scope(self) -> str:
        return f"opd:{self.code}" if self.code else "region"

    @property
    def percent(self) -> float:
        return 100.0 * self.up_to_date / self.scheduled if self.scheduled else 100.0

    @property
    def average_days_late(self) -> float:
        return sum(self.days_late) / len(self.days_late) if self.days_late else 0.0

    @property
    def worst_days_late(self) -> int:
        return max(self.days_late, default=0)

    def add(self, status: DatasetStatus) -> None:
        self.scheduled += 1
        deadline = status.deadline
        if deadline.status is DeadlineStatus.TERLAMBAT:
            self.overdue += 1
            self.days_late.append(deadline.days_late)
            return
        self.up_to_date += 1
        self.due_soon += deadline.status in DUE_SOON


@dataclass
class ComplianceReport:
    region: Compliance
    opds: list[Compliance]  # best first: highest percentage, then fewest days late
    longest_overdue: list[DatasetStatus]
    trend: list[tuple[date, float]] = field(default_factory=list)  # region %, oldest week first

    def best(self, n: int = 5) -> list[Compliance]:
        """At most n OPDs doing better than the region as a whole (or with everything up to
        date), best first: one below the region's figure is never called one of the best."""
        return self._better()[:n]

    def worst(self, n: int = 5) -> list[Compliance]:
        """The n lowest, worst first: never one of the best, never one fully up to date."""
        return self._weaker(n)[:n]

    def best_ties(self, n: int = 5) -> int:
        """OPDs left out of the best n with the same figure as the last one named."""
        return _tied(self._better(), n)

    def worst_ties(self, n: int = 5) -> int:
        return _tied(self._weaker(n), n)

    def _better(self) -> list[Compliance]:
        return [c for c in self.opds if c.percent >= 100.0 or c.percent > self.region.percent]

    def _weaker(self, n: int) -> list[Compliance]:
        best = {c.code for c in self.best(n)}
        return [c for c in reversed(self.opds) if c.code not in best and c.percent < 100.0]


def _tied(ranked: list[Compliance], n: int) -> int:
    if len(ranked) <= n or n == 0:
        return 0
    last = ranked[n - 1].percent
    return sum(1 for c in ranked[n:] if c.percent == last)


def compliance(
    statuses: Iterable[DatasetStatus],
    opds: Mapping[int, Agency],
    region_name: str,
    longest: int = 5,
    *,
    shown: Callable[[DatasetStatus], bool] = lambda status: True,
) -> ComplianceReport:
    """Every dataset counts; `longest_overdue` names only those `shown` to the reader (a
    tertutup title is for the walidata: pass `lambda s: may_see_metadata(reader, s.row)`)."""
    region = Compliance(region_name)
    per_opd: dict[int, Compliance] = {}
    overdue = []
    for status in statuses:
        region.add(status)
        opd_id = status.row.opd_id
        if opd_id not in per_opd:
            per_opd[opd_id] = Compliance(opds[opd_id].name, opds[opd_id].code)
        per_opd[opd_id].add(status)
        if status.deadline.status is DeadlineStatus.TERLAMBAT and shown(status):
            overdue.append(status)
    ranked = sorted(per_opd.values(), key=lambda c: (-c.percent, c.average_days_late, c.name))
    overdue.sort(key=lambda s: (-s.deadline.days_late, s.row.code))
    return ComplianceReport(region, ranked, overdue[:longest])


def with_history(
    report: ComplianceReport, snapshots: Sequence[ComplianceSnapshot], week: date
) -> ComplianceReport:
    """Fill in the change since last week and the region's trend up to `week` (this week's
    figures are the report's own, whether or not they were stored yet)."""
    last_week = week - timedelta(weeks=1)
    previous = {s.scope: s.percent for s in snapshots if s.week == last_week}
    for item in (report.region, *report.opds):
        if item.scope in previous:
            item.change = item.percent - previous[item.scope]
    first = week - timedelta(weeks=TREND_WEEKS - 1)
    report.trend = [
        (s.week, s.percent) for s in snapshots if s.scope == "region" and first <= s.week < week
    ] + [(week, report.region.percent)]
    return report
