"""Kepatuhan: how many of each OPD's scheduled datasets are up to date at a moment.

A dataset counts as up to date unless it is overdue (terlambat); "due soon" counts the ones
due today or within 14 days. The figures come from the same deadline engine as reminders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from reminders.status import DatasetStatus

DUE_SOON = frozenset({"segera", "jatuh_tempo"})


@dataclass
class Compliance:
    name: str
    scheduled: int = 0
    up_to_date: int = 0
    due_soon: int = 0
    overdue: int = 0
    days_late: list[int] = field(default_factory=list)

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
        if deadline.status == "terlambat":
            self.overdue += 1
            self.days_late.append(deadline.days_late)
            return
        self.up_to_date += 1
        self.due_soon += deadline.status in DUE_SOON


@dataclass(frozen=True)
class ComplianceReport:
    region: Compliance
    opds: list[Compliance]  # best first: highest percentage, then fewest days late
    longest_overdue: list[DatasetStatus]


def compliance(
    statuses: Iterable[DatasetStatus],
    opd_names: dict[int, str],
    region_name: str,
    longest: int = 5,
) -> ComplianceReport:
    region = Compliance(region_name)
    per_opd: dict[int, Compliance] = {}
    overdue = []
    for status in statuses:
        region.add(status)
        per_opd.setdefault(status.row.opd_id, Compliance(opd_names[status.row.opd_id])).add(status)
        if status.deadline.status == "terlambat":
            overdue.append(status)
    ranked = sorted(per_opd.values(), key=lambda c: (-c.percent, c.average_days_late, c.name))
    overdue.sort(key=lambda s: (-s.deadline.days_late, s.row.code))
    return ComplianceReport(region, ranked, overdue[:longest])
