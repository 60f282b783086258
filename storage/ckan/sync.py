"""One sync with the region's CKAN portal: read it, then apply it in one transaction.

Which packages are read: `since` (incremental, from a time), `full` (every package, which is
also how deletions and withdrawals are noticed), or by default incremental from the newest
modification seen, with a full sync once a day and whenever the mapping changed.

A portal that cannot be read leaves the registry as it was; the walidata are told once per
outage (the outbox key names the outage's start) and once when it is over.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import select

from domain.terms import OutboxKind, Role
from storage.ckan.apply import Applier
from storage.ckan.client import CkanClient, PortalUnavailable
from storage.ckan.fetch import Fetcher, Known, KnownPackage, Progress
from storage.ckan.mapping import PortalMapping
from storage.ckan.report import SyncReport
from storage.models import Dataset, Opd, OutboxMessage, PortalSync
from storage.uow import UnitOfWork, UnitOfWorkFactory
from texts.i18n import texts

FULL_SYNC_EVERY = timedelta(hours=24)


@dataclass(frozen=True)
class PortalConfig:
    url: str
    token: str | None
    mapping: PortalMapping
    home_region_code: str  # where values of tables without a region column belong

    @property
    def digest(self) -> str:
        """What the registry was synced with: another mapping, or a token that shows private
        packages, means every package is read again."""
        return f"{self.mapping.digest[:56]}:{'token' if self.token else 'anon'}"

    @property
    def name(self) -> str:
        return self.mapping.name or urlparse(self.url).hostname or self.url


class PortalSyncer:
    """Runs syncs one at a time (the hourly job and /sinkron share one instance)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        config: PortalConfig,
        client_factory: Callable[[], CkanClient] | None = None,
    ) -> None:
        self.uow = uow
        self.config = config
        self.client_factory = client_factory or (lambda: CkanClient(config.url, config.token))
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
            state = await _state(uow, self.config.url)
            known = await _known(uow)
        remap = state is not None and state.mapping_digest != self.config.digest
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
            self.config.url, "full" if since is None else "incremental", since, dry_run
        )
        client = self.client_factory()
        try:
            snapshot = await Fetcher(client, self.config.mapping, known, report, progress).read(
                since, remap=remap and since is None
            )
        except PortalUnavailable as error:
            report.error = str(error)
            if not dry_run:
                await self._outage(now, str(error), report)
            return report
        finally:
            report.requests = client.requests
            await client.close()
        async with self.uow() as uow:
            applier = Applier(
                uow,
                self.config.mapping,
                self.config.name,
                self.config.home_region_code,
                now,
                report,
            )
            await applier.apply(snapshot)
            state = await _state(uow, self.config.url) or _new_state(uow, self.config.url)
            state.last_success_at = now
            if since is None:
                state.last_full_at = now
                state.mapping_digest = self.config.digest
            if snapshot.high_water and (
                state.high_water is None or snapshot.high_water > state.high_water
            ):
                state.high_water = snapshot.high_water
            if state.outage_since is not None:
                await _tell_walidata(uow, state, "portal_back", now, report, portal=self.config.url)
                state.outage_since, state.last_error = None, ""
            if not dry_run:
                await uow.commit()
        return report

    async def _outage(self, now: datetime, error: str, report: SyncReport) -> None:
        async with self.uow() as uow:
            state = await _state(uow, self.config.url) or _new_state(uow, self.config.url)
            state.last_error = error[:2000]
            if state.outage_since is None:
                state.outage_since = now
                await uow.session.flush()
                await _tell_walidata(
                    uow, state, "portal_down", now, report, portal=self.config.url, error=error
                )
            await uow.commit()


async def _state(uow: UnitOfWork, portal: str) -> PortalSync | None:
    return await uow.session.scalar(select(PortalSync).where(PortalSync.portal == portal))


def _new_state(uow: UnitOfWork, portal: str) -> PortalSync:
    state = PortalSync(portal=portal, mapping_digest="", last_error="")
    uow.session.add(state)
    return state


async def _known(uow: UnitOfWork) -> Known:
    packages = {
        external_id: KnownPackage(modified, withdrawn is not None)
        for external_id, modified, withdrawn in await uow.session.execute(
            select(Dataset.external_id, Dataset.portal_modified, Dataset.withdrawn_at).where(
                Dataset.external_id.is_not(None)
            )
        )
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
