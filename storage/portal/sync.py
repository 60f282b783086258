"""One sync with the region's data portal: read it, then apply it in one transaction.

Which packages are read: `since` (incremental, from a time), `full` (every package, which is
also how deletions and withdrawals are noticed), or by default incremental from the newest
modification seen, with a full sync once a day and whenever the mapping changed. The portal
itself is read through its `RegistrySource` (storage.portal.source).

A portal that cannot be read leaves the registry as it was; the walidata are told once per
outage (the outbox key names the outage's start) and once when it is over.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from domain.terms import OutboxKind, Role
from storage.models import Dataset, Opd, OutboxMessage, PortalSync
from storage.portal.apply import Applier
from storage.portal.report import SyncReport
from storage.portal.snapshot import Collector, Progress
from storage.portal.source import Known, KnownPackage, Portal, PortalUnavailable
from storage.uow import UnitOfWork, UnitOfWorkFactory
from texts.i18n import texts

FULL_SYNC_EVERY = timedelta(hours=24)


class PortalSyncer:
    """Runs syncs one at a time (the hourly job and /sinkron share one instance)."""

    def __init__(self, uow: UnitOfWorkFactory, portal: Portal) -> None:
        self.uow = uow
        self.portal = portal
        self._lock = asyncio.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    async def run(
        self,
        now: datetime,
        *,
        since: datetime | None = None,
        full: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> SyncReport:
        async with self._lock:
            started = time.perf_counter()
            report = await self._run(now, since, full, dry_run, progress)
            report.seconds = time.perf_counter() - started
            return report

    async def _run(
        self,
        now: datetime,
        since: datetime | None,
        full: bool,
        dry_run: bool,
        progress: Progress | None,
    ) -> SyncReport:
        async with self.uow() as uow:
            state = await _state(uow, self.portal.url)
            known = await _known(uow)
        remap = state is not None and state.mapping_digest != self.portal.digest
        if since is None and not full:
            full = (
                state is None
                or remap
                or state.high_water is None
                or state.last_full_at is None
                or now - state.last_full_at >= FULL_SYNC_EVERY
            )
            since = None if full else state.high_water  # type: ignore[union-attr]
        report = SyncReport(
            self.portal.url, "full" if since is None else "incremental", since, dry_run
        )
        source = self.portal.open()
        try:
            snapshot = await Collector(source, self.portal, known, report, progress).read(
                since, reread=remap and since is None
            )
        except PortalUnavailable as error:
            report.error = str(error)
            if not dry_run:
                await self._outage(now, str(error), report)
            return report
        finally:
            report.requests = source.requests
            await source.close()
        async with self.uow() as uow:
            await Applier(uow, self.portal, now, report).apply(snapshot)
            state = await _state(uow, self.portal.url) or _new_state(uow, self.portal.url)
            state.last_success_at = now
            if since is None:
                state.last_full_at = now
                state.mapping_digest = self.portal.digest
            if snapshot.high_water and (
                state.high_water is None or snapshot.high_water > state.high_water
            ):
                state.high_water = snapshot.high_water
            if state.outage_since is not None:
                await _tell_walidata(uow, state, "portal_back", now, report, portal=self.portal.url)
                state.outage_since, state.last_error = None, ""
            if not dry_run:
                await uow.commit()
        return report

    async def _outage(self, now: datetime, error: str, report: SyncReport) -> None:
        async with self.uow() as uow:
            state = await _state(uow, self.portal.url) or _new_state(uow, self.portal.url)
            state.last_error = error[:2000]
            if state.outage_since is None:
                state.outage_since = now
                await uow.session.flush()
                await _tell_walidata(
                    uow, state, "portal_down", now, report, portal=self.portal.url, error=error
                )
            await uow.commit()


async def _state(uow: UnitOfWork, portal: str) -> PortalSync | None:
    return await uow.session.scalar(select(PortalSync).where(PortalSync.portal == portal))


def _new_state(uow: UnitOfWork, portal: str) -> PortalSync:
    state = PortalSync(portal=portal, mapping_digest="", last_error="")
    uow.session.add(state)
    return state


async def _known(uow: UnitOfWork) -> Known:
    query = select(
        Dataset.external_id, Dataset.portal_modified, Dataset.withdrawn_at, Dataset.tables_digest
    ).where(Dataset.external_id.is_not(None))
    packages = {
        external_id: KnownPackage(modified, withdrawn is not None, digest)
        for external_id, modified, withdrawn, digest in await uow.session.execute(query)
    }
    organizations = frozenset(
        await uow.session.scalars(select(Opd.external_id).where(Opd.external_id.is_not(None)))
    )
    return Known(packages, organizations)  # type: ignore[arg-type]


async def _tell_walidata(
    uow: UnitOfWork,
    state: PortalSync,
    message: str,
    now: datetime,
    report: SyncReport,
    **context: str,
) -> None:
    """One message per walidata per outage: the key carries the outage's start."""
    assert state.outage_since is not None
    outage = state.outage_since.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    for person in await uow.people.all():
        if not person.active or Role.WALIDATA not in person.role_names:
            continue
        key = f"{message}:{state.id}:{outage}:{person.id}"
        if await uow.outbox.exists(key):
            continue
        text = texts(person.language or "id").t(message, **context)
        uow.outbox.add(
            OutboxMessage.to_person(person, key=key, kind=OutboxKind.NOTICE, text=text, now=now)
        )
        report.notified += 1
