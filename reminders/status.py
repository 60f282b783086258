"""Where every scheduled dataset stands today: for /status, and for the walidata's overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.engine import ChaseState, owed_deadline
from domain.schedule import Deadline
from domain.terms import URGENCY
from storage.repositories import ChaseRow, ScheduleRow
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class DatasetStatus:
    row: ChaseRow
    deadline: Deadline


@dataclass(frozen=True)
class Standing:
    """One dataset's last update and, when it is chased, the deadline it owes today."""

    schedule: ScheduleRow
    deadline: Deadline | None


async def dataset_statuses(
    uow: UnitOfWork, today: date, opd_id: int | None = None, dataset_id: int | None = None
) -> list[DatasetStatus]:
    """Most urgent first: overdue (longest first), due today, due soon, up to date."""
    rows = await uow.reminders.scheduled(opd_id=opd_id, dataset_id=dataset_id)
    extended = await uow.reminders.extended_dues([r.id for r in rows])
    statuses = []
    for row in rows:
        state = ChaseState.of(row)
        owed = owed_deadline(state, today, extended.get(row.id))
        if owed is not None:
            statuses.append(DatasetStatus(row, owed))
    return sorted(
        statuses, key=lambda s: (URGENCY[s.deadline.status], s.deadline.days_left, s.row.code)
    )


async def status_of(uow: UnitOfWork, dataset_id: int, today: date) -> DatasetStatus | None:
    found = await dataset_statuses(uow, today, dataset_id=dataset_id)
    return found[0] if found else None


async def standing(uow: UnitOfWork, dataset_id: int, today: date) -> Standing | None:
    row = await uow.datasets.schedule(dataset_id)
    if row is None:
        return None
    deadline = (
        None if row.withdrawn else owed_deadline(ChaseState.of(row), today, row.extended_dues)
    )
    return Standing(row, deadline)
