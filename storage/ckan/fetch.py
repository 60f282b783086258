"""Reading the portal into a `Snapshot`, before anything in the registry is touched.

Reading first and writing afterwards in one transaction is what makes a sync all or nothing:
a portal that fails half-way raises `PortalUnavailable` here and the registry never sees a
partial picture. A package that has not changed since the last sync (same
`metadata_modified`) costs nothing beyond its line in a search page.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.ckan.client import ActionError, ActionUnavailable, CkanClient, PortalUnavailable
from storage.ckan.mapping import PortalMapping
from storage.ckan.records import (
    Malformed,
    OrganizationRecord,
    PackageRecord,
    number,
    organization_record,
    package_head,
    parse_package,
    row_period,
)
from storage.ckan.report import SyncReport

Progress = Callable[[int, int | None], None]  # (packages seen, packages listed in all)
StagedRow = tuple[str | None, str, float, int]  # (region as written, period, value, decimals)


@dataclass(frozen=True)
class KnownPackage:
    modified: datetime | None
    withdrawn: bool


@dataclass(frozen=True)
class Known:
    """What the registry already holds from this portal."""

    packages: dict[str, KnownPackage]
    organizations: frozenset[str]


@dataclass
class Staged:
    """A new or changed package, read completely."""

    record: PackageRecord
    rows: list[StagedRow] | None  # None: no DataStore table to take values from


@dataclass
class Snapshot:
    changed: list[Staged] = field(default_factory=list)
    organizations: list[OrganizationRecord] = field(default_factory=list)
    removed: dict[str, str] = field(default_factory=dict)  # package id → deleted / withdrawn
    listed: int = 0
    high_water: datetime | None = None


class Fetcher:
    def __init__(
        self,
        client: CkanClient,
        mapping: PortalMapping,
        known: Known,
        report: SyncReport,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.mapping = mapping
        self.known = known
        self.report = report
        self.progress = progress or (lambda done, total: None)
        self._seen: set[str] = set()
        self._strings: dict[str, str] = {}

    async def read(self, since: datetime | None, *, remap: bool) -> Snapshot:
        """Everything new or changed (since `since`; None: the whole portal, with removals)."""
        snapshot = Snapshot()
        async for page, total in self._listing(since):
            changed = []
            for raw in page:
                head = self._head(raw, snapshot)
                if head is None:
                    continue
                known = self.known.packages.get(head[0])
                if known and known.modified == head[1] and not known.withdrawn and not remap:
                    self.report.datasets_unchanged += 1
                else:
                    changed.append(raw)
            snapshot.changed += await self._stage_all(changed)
            self.progress(snapshot.listed, total)
        if since is None:
            await self._removals(snapshot, remap)
        await self._organizations(snapshot)
        return snapshot

    # -- listing -------------------------------------------------------------------------------

    async def _listing(self, since: datetime | None) -> AsyncIterator[tuple[list[Any], int | None]]:
        rows = self.mapping.page_size
        private = bool(self.client.token)
        try:
            total, page = await self.client.search_page(0, rows, since, private=private)
        except (ActionUnavailable, ActionError):
            self.report.used_fallback = True
            async for fallback_page in self._fallback(since):
                yield fallback_page, None
            return
        start = len(page)
        yield page, total
        while page and start < total:
            total, page = await self.client.search_page(start, rows, since, private=private)
            start += len(page)
            yield page, total

    async def _fallback(self, since: datetime | None) -> AsyncIterator[list[Any]]:
        """`current_package_list_with_resources` is newest first: an incremental read stops
        at the first package older than `since`."""
        offset, limit = 0, self.mapping.page_size
        while True:
            try:
                page = await self.client.package_list_page(offset, limit)
            except (ActionUnavailable, ActionError) as error:
                raise PortalUnavailable(
                    f"package_search dan daftar paket tidak tersedia: {error}"
                ) from None
            offset += len(page)
            if since is not None:
                recent = [p for p in page if not _older(p, since)]
                yield recent
                if len(recent) < len(page):
                    return
            else:
                yield page
            if len(page) < limit:
                return

    def _head(self, raw: Any, snapshot: Snapshot) -> tuple[str, datetime] | None:
        try:
            package_id, modified = package_head(raw)
        except Malformed as error:
            self.report.skipped.append((_label(raw), str(error)))
            return None
        if package_id in self._seen:
            return None  # shifted across a page boundary by a change during the listing
        self._seen.add(package_id)
        snapshot.listed += 1
        if snapshot.high_water is None or modified > snapshot.high_water:
            snapshot.high_water = modified
        return package_id, modified

    # -- reading changed packages -------------------------------------------------------------

    async def _stage_all(self, raws: list[Any]) -> list[Staged]:
        if not raws:
            return []
        gate = asyncio.Semaphore(self.mapping.concurrency)

        async def one(raw: Any) -> Staged | None:
            async with gate:
                return await self._stage(raw)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(raw)) for raw in raws]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the first failure (portal down) stops all
        return [staged for task in tasks if (staged := task.result()) is not None]

    async def _stage(self, raw: dict[str, Any]) -> Staged | None:
        try:
            record = parse_package(raw, self.mapping)
        except Malformed as error:
            self.report.skipped.append((_label(raw), str(error)))
            return None
        self.report.warnings += [(record.name, warning) for warning in record.warnings]
        if not record.tables:
            return Staged(record, None)
        rows: list[StagedRow] = []
        problems: Counter[str] = Counter()
        try:
            for table in record.tables:
                await self._read_table(record, table, rows, problems)
        except (ActionError, ActionUnavailable) as error:
            self.report.skipped.append((record.name, f"DataStore tidak terbaca ({error})"))
            return None
        if problems:
            reasons = ", ".join(f"{why} ({n})" for why, n in problems.most_common(5))
            self.report.skipped.append(
                (record.name, f"{sum(problems.values())} baris dilewati: {reasons}")
            )
        return Staged(record, rows)

    async def _read_table(
        self, record: PackageRecord, table: str, rows: list[StagedRow], problems: Counter[str]
    ) -> None:
        columns: dict[str, str | None] | None = None
        async for records, fields in self.client.datastore_pages(
            table, self.mapping.datastore_page_size
        ):
            if columns is None:
                columns = self.mapping.columns_for(record.name).pick(fields)
                missing = [m for m in ("period", "value") if columns[m] is None]
                if missing:
                    problems[f"tabel tanpa kolom {' dan '.join(missing)}"] += 1
                    return
            for item in records:
                try:
                    rows.append(self._row(item, columns, record.periodicity))
                except Malformed as error:
                    problems[str(error)] += 1

    def _row(self, item: Any, columns: dict[str, str | None], periodicity: str) -> StagedRow:
        if not isinstance(item, dict):
            raise Malformed("bukan catatan")
        period_column, sub_column = columns["period"], columns["subperiod"]
        assert period_column is not None and columns["value"] is not None
        period = row_period(
            item.get(period_column), item.get(sub_column) if sub_column else None, periodicity
        )
        value, decimals = number(item.get(columns["value"]))
        # Many rows repeat the same region and period strings: keep one copy of each.
        region = None
        if columns["region"] is not None:
            cell = item.get(columns["region"])
            name = str(cell).strip() if cell is not None else ""
            if not name:
                raise Malformed("wilayah kosong")
            region = self._intern(name)
        return (region, self._intern(period), value, decimals)

    def _intern(self, text: str) -> str:
        return self._strings.setdefault(text, text)

    # -- removals and organizations -----------------------------------------------------------

    async def _removals(self, snapshot: Snapshot, remap: bool) -> None:
        """Packages the registry holds but the full listing did not show: ask for each, since
        a listing can miss a package that moved during paging."""
        for package_id, known in self.known.packages.items():
            if package_id in self._seen or known.withdrawn:
                continue
            try:
                raw = await self.client.package(package_id)
            except ActionUnavailable as error:
                self.report.skipped.append((package_id, f"tidak dapat diperiksa ({error})"))
                continue
            except ActionError as error:
                if error.kind == "Not Found Error":
                    snapshot.removed[package_id] = "deleted"
                elif error.kind == "Authorization Error":
                    snapshot.removed[package_id] = "withdrawn"
                else:
                    self.report.skipped.append((package_id, str(error)))
                continue
            if raw.get("state") == "deleted":
                snapshot.removed[package_id] = "deleted"
            elif raw.get("private") is True and not self.client.token:
                snapshot.removed[package_id] = "withdrawn"
            elif (head := self._head(raw, snapshot)) is not None:
                if known.modified == head[1] and not remap:
                    self.report.datasets_unchanged += 1
                else:
                    snapshot.changed += await self._stage_all([raw])

    async def _organizations(self, snapshot: Snapshot) -> None:
        """The organization list is read when a package names one the registry does not
        know (always on the first sync), so an unchanged portal costs no extra request."""
        named = {s.record.organization for s in snapshot.changed if s.record.organization}
        if self.known.organizations and all(o.id in self.known.organizations for o in named):
            snapshot.organizations = sorted(named, key=lambda o: o.id)
            return
        listed: dict[str, OrganizationRecord] = {o.id: o for o in named}
        try:
            organizations = await self.client.organizations()
        except (ActionUnavailable, ActionError) as error:
            self.report.warnings.append(("organization_list", str(error)))
            organizations = []
        for raw in organizations:
            try:
                organization = organization_record(raw)
            except Malformed as error:
                self.report.skipped.append((_label(raw), str(error)))
                continue
            listed[organization.id] = organization
        snapshot.organizations = sorted(listed.values(), key=lambda o: o.id)


def _older(raw: Any, since: datetime) -> bool:
    try:
        return package_head(raw)[1] < since
    except Malformed:
        return False  # reported when the page is read


def _label(raw: Any) -> str:
    if isinstance(raw, dict):
        for key in ("name", "id", "title"):
            value = raw.get(key)
            if isinstance(value, str) and value:
                return value[:100]
    return "(catatan tanpa nama)"
