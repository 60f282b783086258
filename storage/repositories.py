"""Repositories: the only place that builds queries, so handlers stay free of SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
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


class DatasetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Dataset]:
        return (await self.session.scalars(select(Dataset).order_by(Dataset.id))).all()

    async def by_code(self, code: str) -> Dataset | None:
        return await self.session.scalar(select(Dataset).where(Dataset.code == code))

    async def by_id(self, dataset_id: int) -> Dataset | None:
        return await self.session.get(Dataset, dataset_id)


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def series(self, indicator_id: int, region_id: int) -> Sequence[Observation]:
        """All periods of one indicator for one region, oldest first."""
        query = (
            select(Observation)
            .where(Observation.indicator_id == indicator_id, Observation.region_id == region_id)
            .order_by(Observation.period)
        )
        return (await self.session.scalars(query)).all()

    async def for_period(self, indicator_id: int, period: str) -> Sequence[Observation]:
        """Every region's value of one indicator in one period (for ranks and comparisons)."""
        query = select(Observation).where(
            Observation.indicator_id == indicator_id, Observation.period == period
        )
        return (await self.session.scalars(query)).all()

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
