"""Reading a portal into a `Snapshot`, before anything in the registry is touched.

Reading first and writing afterwards in one transaction is what makes a sync all or nothing:
a portal that fails half-way raises `PortalUnavailable` here and the registry never sees a
partial picture. Which packages are read is the source's business (`RegistrySource.changes`);
reading their tables, recording each package's outcome and fetching the organizations when a
package names one the registry does not know happen here, the same for every source.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from storage.portal.report import Outcome, SyncReport
from storage.portal.source import (
    Known,
    OrganizationRecord,
    PackageRecord,
    PackageUnreadable,
    Portal,
    RegistrySource,
    Unread,
)
from storage.region_codes import kemendagri_from_bps
from storage.tables.gazetteer import Gazetteer
from storage.tables.reader import read_table
from storage.tables.reading import Reading, TableContext, describe_problem

Progress = Callable[[int, int | None], None]  # (packages seen, packages listed in all)


@dataclass
class Staged:
    """A new or changed package, read completely."""

    record: PackageRecord
    readings: list[Reading] | None  # None: no table to take values from
    digest: str | None = None  # what its tables looked like (None: read it again next time)


@dataclass
class Snapshot:
    changed: list[Staged] = field(default_factory=list)
    organizations: list[OrganizationRecord] = field(default_factory=list)
    removed: dict[str, str] = field(default_factory=dict)  # package id → deleted / withdrawn
    listed: int = 0
    high_water: datetime | None = None

    def seen(self, modified: datetime) -> None:
        self.listed += 1
        if self.high_water is None or modified > self.high_water:
            self.high_water = modified


class Collector:
    def __init__(
        self,
        source: RegistrySource,
        portal: Portal,
        known: Known,
        report: SyncReport,
        progress: Progress | None = None,
    ) -> None:
        self.source = source
        self.portal = portal
        self.known = known
        self.report = report
        self.progress = progress or (lambda done, total: None)
        self._gazetteer = Gazetteer.default()
        self._home = kemendagri_from_bps(portal.home_region_code) or ""

    async def read(self, since: datetime | None, *, reread: bool) -> Snapshot:
        """Everything new or changed (since `since`; None: the whole portal, with removals)."""
        snapshot = Snapshot()
        async for page in self.source.changes(since, self.known, reread=reread):
            for label, why in page.skipped:
                self.report.skip(f"record:{label}", label, why)
            for head in page.unchanged:
                snapshot.seen(head.modified)
                self.report.package(head.id, head.name, head.title, Outcome.UNCHANGED)
            for record in page.changed:
                snapshot.seen(record.modified)
                entry = self.report.package(record.id, record.name, record.title, Outcome.CHANGED)
                entry.reason = page.reasons.get(record.id, "")
                entry.warnings += record.warnings
            snapshot.removed.update(page.removed)
            snapshot.changed += await self._stage_all(page.changed)
            self.progress(snapshot.listed, page.total)
        self.report.used_fallback = self.source.used_fallback
        await self._organizations(snapshot)
        return snapshot

    # -- reading changed packages -------------------------------------------------------------

    async def _stage_all(self, records: list[PackageRecord]) -> list[Staged]:
        if not records:
            return []
        gate = asyncio.Semaphore(self.portal.concurrency)

        async def one(record: PackageRecord) -> Staged | None:
            async with gate:
                return await self._stage(record)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(record)) for record in records]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the first failure (portal down) stops all
        return [staged for task in tasks if (staged := task.result()) is not None]

    async def _stage(self, record: PackageRecord) -> Staged | None:
        entry = self.report.entry(record.id)
        context = TableContext(
            dataset_code=record.name,
            dataset_title=record.title,
            periodicity=record.periodicity,
            unit=record.unit,
            home_code=self._home,
            default_place=self._home,
        )
        readings: list[Reading] | None = None
        try:
            async for table in self.source.tables(record):
                readings = [] if readings is None else readings
                if isinstance(table, Unread):
                    entry.unread.append((table.name, table.reason))
                    readings.append(Reading(unread=table.reason))  # keeps its cells from pruning
                    continue
                reading = read_table(table, context, self._gazetteer)
                readings.append(reading)
                if reading.unread is not None:
                    entry.unread.append((table.name, reading.unread))
                entry.rows_skipped += [describe_problem(p, table.name) for p in reading.problems]
        except PackageUnreadable as error:
            self.report.skip(record.id, record.name, str(error), record.title)
            return None
        return Staged(record, readings, self.source.tables_digest(record))

    # -- organizations ------------------------------------------------------------------------

    async def _organizations(self, snapshot: Snapshot) -> None:
        """The organization list is read when a package names one the registry does not
        know (always on the first sync), so an unchanged portal costs no extra request."""
        named = {s.record.organization for s in snapshot.changed if s.record.organization}
        if self.known.organizations and all(o.id in self.known.organizations for o in named):
            snapshot.organizations = sorted(named, key=lambda o: o.id)
            return
        listed: dict[str, OrganizationRecord] = {o.id: o for o in named}
        organizations = await self.source.organizations()
        for label, why in organizations.problems:
            self.report.problems.append((label, why))
        for organization in organizations.found:
            listed[organization.id] = organization
        snapshot.organizations = sorted(listed.values(), key=lambda o: o.id)
