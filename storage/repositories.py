"""Repositories: the only place that builds queries, so handlers stay free of SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Dataset, Observation, Opd, Person, Region


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
    due_months: int | None
    due_day: int | None
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
    Dataset.due_months,
    Dataset.due_day,
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

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count(Observation.id))) or 0)


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
