"""Repositories: the only place that builds queries, so handlers stay free of SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEntry,
    Dataset,
    Extension,
    Observation,
    Opd,
    OutboxMessage,
    Person,
    Region,
    ReminderSend,
)


class RegionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Region]:
        return (await self.session.scalars(select(Region).order_by(Region.id))).all()

    async def by_code(self, code: str) -> Region | None:
        return await self.session.scalar(select(Region).where(Region.code == code))


class OpdRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Opd]:
        return (await self.session.scalars(select(Opd).order_by(Opd.name))).all()

    async def by_code(self, code: str) -> Opd | None:
        return await self.session.scalar(select(Opd).where(Opd.code == code))


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def by_telegram_id(self, telegram_user_id: int) -> Person | None:
        return await self.session.scalar(
            select(Person).where(Person.telegram_user_id == telegram_user_id, Person.active)
        )

    async def all(self) -> Sequence[Person]:
        return (await self.session.scalars(select(Person).order_by(Person.id))).all()


class ScheduleRow(NamedTuple):
    """The fields of a dataset that change with every update, read without its relations."""

    periodicity: str
    latest_period: str | None
    last_updated_at: datetime | None


class ValueRow(NamedTuple):
    region_id: int
    period: str
    value: float
    decimals: int
    status: str


# The statements behind every answer, built once: plain columns, not ORM objects, since
# answers read many values and never change them.
VALUE_COLUMNS = (
    Observation.region_id,
    Observation.period,
    Observation.value,
    Observation.decimals,
    Observation.status,
)
SERIES = (
    select(*VALUE_COLUMNS)
    .where(
        Observation.indicator_id == bindparam("indicator"),
        Observation.region_id == bindparam("region"),
    )
    .order_by(Observation.period)
)
CROSS_SECTION = select(*VALUE_COLUMNS).where(
    Observation.indicator_id == bindparam("indicator"), Observation.period == bindparam("period")
)
SCHEDULE = select(
    Dataset.periodicity,
    Dataset.latest_period,
    Dataset.last_updated_at,
).where(Dataset.id == bindparam("dataset"))


class DatasetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedule(self, dataset_id: int) -> ScheduleRow | None:
        row = (await self.session.execute(SCHEDULE, {"dataset": dataset_id})).first()
        return ScheduleRow(*row) if row else None

    async def any(self) -> bool:
        return await self.session.scalar(select(Dataset.id).limit(1)) is not None

    async def all(self) -> Sequence[Dataset]:
        return (await self.session.scalars(select(Dataset).order_by(Dataset.id))).all()

    async def by_code(self, code: str) -> Dataset | None:
        return await self.session.scalar(select(Dataset).where(Dataset.code == code))


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def series(self, indicator_id: int, region_id: int) -> list[ValueRow]:
        """All periods of one indicator for one region, oldest first."""
        parameters = {"indicator": indicator_id, "region": region_id}
        return [ValueRow(*row) for row in await self.session.execute(SERIES, parameters)]

    async def for_period(self, indicator_id: int, period: str) -> list[ValueRow]:
        """Every region's value of one indicator in one period (for ranks and comparisons)."""
        parameters = {"indicator": indicator_id, "period": period}
        return [ValueRow(*row) for row in await self.session.execute(CROSS_SECTION, parameters)]

    async def periods(self, indicator_id: int) -> list[str]:
        """Periods with at least one value, oldest first."""
        query = (
            select(Observation.period)
            .where(Observation.indicator_id == indicator_id)
            .distinct()
            .order_by(Observation.period)
        )
        return list((await self.session.scalars(query)).all())


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self,
        *,
        at: datetime,
        action: str,
        person_id: int | None = None,
        chat_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEntry(
                at=at, action=action, person_id=person_id, chat_id=chat_id, detail=detail or {}
            )
        )

    async def recent(self, limit: int = 20) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()


class ChaseRow(NamedTuple):
    """A scheduled dataset as the reminder tick needs it, OPD due-rule overrides applied."""

    id: int
    code: str
    title: str
    opd_id: int
    periodicity: str
    latest_period: str | None
    confirmed_period: str | None
    due_months: int | None
    due_day: int | None


CHASE_COLUMNS = (
    Dataset.id,
    Dataset.code,
    Dataset.title,
    Dataset.opd_id,
    Dataset.periodicity,
    Dataset.latest_period,
    Dataset.confirmed_period,
    func.coalesce(Dataset.due_months, Opd.due_months),
    func.coalesce(Dataset.due_day, Opd.due_day),
)


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def actionable(self, now: datetime) -> list[ChaseRow]:
        """Datasets whose next action time has come: an index range, not a registry scan."""
        query = (
            select(*CHASE_COLUMNS)
            .join(Opd, Opd.id == Dataset.opd_id)
            .where(Dataset.next_action_at <= now)
            .order_by(Dataset.next_action_at)
        )
        return [ChaseRow(*row) for row in await self.session.execute(query)]

    async def scheduled(
        self, *, opd_id: int | None = None, dataset_id: int | None = None
    ) -> list[ChaseRow]:
        """Datasets with a schedule, all or one OPD's or one (plans must not rely on ticks)."""
        query = (
            select(*CHASE_COLUMNS)
            .join(Opd, Opd.id == Dataset.opd_id)
            .where(Dataset.periodicity != "sewaktu-waktu")
            .order_by(Dataset.id)
        )
        if opd_id is not None:
            query = query.where(Dataset.opd_id == opd_id)
        if dataset_id is not None:
            query = query.where(Dataset.id == dataset_id)
        return [ChaseRow(*row) for row in await self.session.execute(query)]

    async def sent_steps(self, dataset_ids: Sequence[int]) -> dict[int, dict[str, set[str]]]:
        """dataset → period → step keys already sent, for the given datasets."""
        sent: dict[int, dict[str, set[str]]] = {}
        for chunk in _chunks(dataset_ids):
            query = select(ReminderSend.dataset_id, ReminderSend.period, ReminderSend.step).where(
                ReminderSend.dataset_id.in_(chunk)
            )
            for dataset_id, period, step in await self.session.execute(query):
                sent.setdefault(dataset_id, {}).setdefault(period, set()).add(step)
        return sent

    async def extended_dues(self, dataset_ids: Sequence[int]) -> dict[int, dict[str, date]]:
        """dataset → period → the latest approved extended due date."""
        dues: dict[int, dict[str, date]] = {}
        for chunk in _chunks(dataset_ids):
            query = select(Extension.dataset_id, Extension.period, Extension.new_due).where(
                Extension.dataset_id.in_(chunk), Extension.status == "approved"
            )
            for dataset_id, period, new_due in await self.session.execute(query):
                periods = dues.setdefault(dataset_id, {})
                periods[period] = max(new_due, periods.get(period, new_due))
        return dues

    async def set_next_actions(self, next_actions: dict[int, datetime | None]) -> None:
        if next_actions:
            await self.session.execute(
                update(Dataset),
                [{"id": k, "next_action_at": v} for k, v in next_actions.items()],
            )

    async def replan(self, opd_ids: set[int] | None, now: datetime) -> None:
        """Make the next tick look at these OPDs' scheduled datasets (None: every dataset)."""
        query = (
            update(Dataset)
            .where(Dataset.periodicity != "sewaktu-waktu")
            .values(next_action_at=now)
            .execution_options(synchronize_session=False)
        )
        if opd_ids is not None:
            query = query.where(Dataset.opd_id.in_(opd_ids))
        await self.session.execute(query)

    async def extensions_for(self, dataset_id: int, period: str) -> Sequence[Extension]:
        query = select(Extension).where(
            Extension.dataset_id == dataset_id, Extension.period == period
        )
        return (await self.session.scalars(query)).all()

    async def extension(self, extension_id: int) -> Extension | None:
        return await self.session.get(Extension, extension_id)

    async def datasets_in(self, outbox_id: int) -> list[tuple[str, str]]:
        """(code, title) of the datasets a reminder message was about."""
        query = (
            select(Dataset.code, Dataset.title)
            .join(ReminderSend, ReminderSend.dataset_id == Dataset.id)
            .where(ReminderSend.outbox_id == outbox_id)
            .order_by(Dataset.code)
        )
        return [(code, title) for code, title in await self.session.execute(query)]

    async def periods_in(self, outbox_id: int) -> set[tuple[int, str]]:
        """(dataset, period) pairs a reminder message chases."""
        query = select(ReminderSend.dataset_id, ReminderSend.period).where(
            ReminderSend.outbox_id == outbox_id
        )
        return {(dataset_id, period) for dataset_id, period in await self.session.execute(query)}

    async def chased_periods(self, dataset_id: int, after: str | None, upto: str) -> list[str]:
        """Periods of this dataset that reminders were sent for, in (after, upto]."""
        query = (
            select(ReminderSend.period)
            .where(ReminderSend.dataset_id == dataset_id, ReminderSend.period <= upto)
            .distinct()
        )
        if after is not None:
            query = query.where(ReminderSend.period > after)
        return sorted((await self.session.scalars(query)).all())

    async def sends_for(self, dataset_id: int, period: str) -> Sequence[ReminderSend]:
        query = (
            select(ReminderSend)
            .where(ReminderSend.dataset_id == dataset_id, ReminderSend.period == period)
            .order_by(ReminderSend.id)
        )
        return (await self.session.scalars(query)).all()


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exists(self, key: str) -> bool:
        query = select(OutboxMessage.id).where(OutboxMessage.key == key)
        return await self.session.scalar(query) is not None

    async def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def next_attempt(self) -> datetime | None:
        query = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == "pending"
        )
        return await self.session.scalar(query)

    async def unreported_failures(self) -> Sequence[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "undeliverable",
                OutboxMessage.reported_at.is_(None),
                OutboxMessage.kind != "unreachable",
            )
            .order_by(OutboxMessage.id)
        )
        return (await self.session.scalars(query)).all()

    async def pending_for_datasets(self, dataset_id: int, period: str) -> Sequence[OutboxMessage]:
        """Unsent reminders that name this dataset period."""
        naming = select(ReminderSend.outbox_id).where(
            ReminderSend.dataset_id == dataset_id, ReminderSend.period == period
        )
        query = select(OutboxMessage).where(
            OutboxMessage.id.in_(naming), OutboxMessage.status == "pending"
        )
        return (await self.session.scalars(query)).all()


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    """Keep IN lists under the engines' parameter limits."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
