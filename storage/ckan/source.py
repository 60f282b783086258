"""A CKAN portal as a `RegistrySource`: its packages, organizations and tables.

Packages are listed with `package_search` (newest modification first; private ones with a
token), or with `current_package_list_with_resources` where search is unavailable. A package
is read again when its `metadata_modified` moved, when what the listing shows of its resources
changed (times, sizes, ids), or — on the full sync, one `datastore_search` with `limit=0` per
table — when a DataStore table's row count changed. Its tables are its DataStore tables; a
package without one is read from its CSV and XLSX files, downloaded within the mapping's size
and time limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from storage.ckan.client import ActionError, ActionUnavailable, CkanClient
from storage.ckan.mapping import PortalMapping
from storage.ckan.publish import publish
from storage.ckan.records import (
    Malformed,
    datastore_tables,
    organization_record,
    package_head,
    parse_package,
    resources_digest,
)
from storage.portal.digest import same_listing, same_tables, tables_digest
from storage.portal.source import (
    Head,
    Known,
    KnownPackage,
    Organizations,
    PackageRecord,
    PackageUnreadable,
    Page,
    PortalUnavailable,
    Published,
    Resource,
    Unread,
    VerifiedTable,
)
from storage.tables.files import TableFileError, read_tables
from storage.tables.limits import FileLimits
from storage.tables.reading import Table

NOT_RECORDED = "dibaca ulang: keadaan tabelnya belum tercatat"
RESOURCES_CHANGED = "berkas atau tabelnya berubah walau waktu ubah paket tetap"
ROWS_CHANGED = "jumlah baris tabelnya berubah walau waktu ubah paket tetap"


@dataclass(frozen=True)
class CkanPortal:
    """A CKAN portal as configured (CKAN_URL, CKAN_API_TOKEN, CKAN_MAPPING)."""

    url: str
    token: str | None
    mapping: PortalMapping
    home_region_code: str  # where values of tables without a region column belong
    home_region_name: str = ""
    client_factory: Callable[[], CkanClient] | None = None

    @property
    def digest(self) -> str:
        """What the registry was synced with: another mapping, or a token that shows private
        packages, means every package is read again."""
        return f"{self.mapping.digest[:56]}:{'token' if self.token else 'anon'}"

    @property
    def name(self) -> str:
        return self.mapping.name or urlparse(self.url).hostname or self.url

    @property
    def concurrency(self) -> int:
        return self.mapping.concurrency

    @property
    def writable(self) -> bool:
        return bool(self.token)

    def open(self) -> CkanSource:
        client = self.client_factory() if self.client_factory else CkanClient(self.url, self.token)
        return CkanSource(client, self.mapping)

    async def publish(self, package_id: str, table: VerifiedTable) -> Published:
        """Tried once per call: whoever publishes keeps the table and tries again later."""
        factory = self.client_factory or (lambda: CkanClient(self.url, self.token, attempts=1))
        async with factory() as client:
            return await publish(client, self.mapping, package_id, table)


class CkanSource:
    def __init__(self, client: CkanClient, mapping: PortalMapping) -> None:
        self.client = client
        self.mapping = mapping
        self.used_fallback = False
        self._seen: set[str] = set()
        self._digests: dict[str, str | None] = {}

    @property
    def requests(self) -> int:
        return self.client.requests

    async def close(self) -> None:
        await self.client.close()

    # -- which packages changed -----------------------------------------------------------------

    async def changes(
        self, since: datetime | None, known: Known, *, reread: bool
    ) -> AsyncIterator[Page]:
        async for raws, total in self._listing(since):
            page = Page(total=total)
            await self._sort(raws, known, page, reread=reread, count_rows=since is None)
            yield page
        if since is None:
            yield await self._removals(known, reread)

    async def _sort(
        self, raws: list[Any], known: Known, page: Page, *, reread: bool, count_rows: bool
    ) -> None:
        """Each listed package into changed, unchanged or skipped."""
        changed: list[Any] = []
        to_count: list[tuple[Any, KnownPackage]] = []
        for raw in raws:
            head = self._head(raw, page)
            if head is None:
                continue
            held = known.packages.get(head[0])
            if reread or held is None or held.withdrawn or held.modified != head[1]:
                changed.append(raw)
            elif not same_listing(held.digest, resources_digest(raw)):
                page.reasons[head[0]] = NOT_RECORDED if held.digest is None else RESOURCES_CHANGED
                changed.append(raw)
            elif count_rows and self.mapping.count_rows and datastore_tables(raw.get("resources")):
                to_count.append((raw, held))
            else:
                page.unchanged.append(_unchanged(raw, head[1]))
        counted = await self._same_counts(to_count)
        for (raw, _), same in zip(to_count, counted, strict=True):
            if same:
                page.unchanged.append(_unchanged(raw, package_head(raw)[1]))
            else:
                page.reasons[raw["id"]] = ROWS_CHANGED
                changed.append(raw)
        for raw in changed:
            record = self._record(raw, page)
            if record is not None:
                page.changed.append(record)

    async def _same_counts(self, packages: list[tuple[Any, KnownPackage]]) -> list[bool]:
        """Whether each package's DataStore tables hold as many rows as when last read."""
        gate = asyncio.Semaphore(self.mapping.concurrency)

        async def same(raw: Any, held: KnownPackage) -> bool:
            counts = {}
            async with gate:
                for resource_id in datastore_tables(raw.get("resources")):
                    try:
                        counts[resource_id] = await self.client.datastore_total(resource_id)
                    except (ActionError, ActionUnavailable):
                        return False  # read it: the reading says what is wrong
            return same_tables(held.digest, tables_digest(resources_digest(raw), counts))

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(same(raw, held)) for raw, held in packages]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    def _head(self, raw: Any, page: Page) -> tuple[str, datetime] | None:
        try:
            package_id, modified = package_head(raw)
        except Malformed as error:
            page.skipped.append((_label(raw), str(error)))
            return None
        if package_id in self._seen:
            return None  # shifted across a page boundary by a change during the listing
        self._seen.add(package_id)
        return package_id, modified

    def _record(self, raw: dict[str, Any], page: Page) -> PackageRecord | None:
        try:
            return parse_package(raw, self.mapping)
        except Malformed as error:
            page.skipped.append((_label(raw), str(error)))
            return None

    # -- listing -------------------------------------------------------------------------------

    async def _listing(self, since: datetime | None) -> AsyncIterator[tuple[list[Any], int | None]]:
        rows = self.mapping.page_size
        private = bool(self.client.token)
        try:
            total, page = await self.client.search_page(0, rows, since, private=private)
        except (ActionUnavailable, ActionError):
            self.used_fallback = True
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

    async def _removals(self, known: Known, reread: bool) -> Page:
        """Packages the registry holds but the full listing did not show: ask for each, since
        a listing can miss a package that moved during paging."""
        page = Page()
        for package_id, held in known.packages.items():
            if package_id in self._seen or held.withdrawn:
                continue
            try:
                raw = await self.client.package(package_id)
            except ActionUnavailable as error:
                page.skipped.append((package_id, f"tidak dapat diperiksa ({error})"))
                continue
            except ActionError as error:
                if error.kind == "Not Found Error":
                    page.removed[package_id] = "deleted"
                elif error.kind == "Authorization Error":
                    page.removed[package_id] = "withdrawn"
                else:
                    page.skipped.append((package_id, str(error)))
                continue
            if raw.get("state") == "deleted":
                page.removed[package_id] = "deleted"
            elif raw.get("private") is True and not self.client.token:
                page.removed[package_id] = "withdrawn"
            else:
                await self._sort([raw], known, page, reread=reread, count_rows=True)
        return page

    async def organizations(self) -> Organizations:
        listed = Organizations()
        try:
            found = await self.client.organizations()
        except (ActionUnavailable, ActionError) as error:
            listed.problems.append(("organization_list", str(error)))
            return listed
        for raw in found:
            try:
                listed.found.append(organization_record(raw))
            except Malformed as error:
                listed.problems.append((_label(raw), str(error)))
        return listed

    # -- tables ---------------------------------------------------------------------------------

    async def tables(self, record: PackageRecord) -> AsyncIterator[Table | Unread]:
        """The table this registry published after a walidata's review first, so its values
        win over an agency's older table of the same cells; then the agency's DataStore
        tables, or where it has none its files."""
        verified = [r for r in record.resources if r.verified and r.datastore]
        stored = [r for r in record.resources if r.datastore and not r.verified]
        counts = {}
        for resource in verified + stored:
            try:
                table = await self._datastore_table(resource)
            except (ActionError, ActionUnavailable) as error:
                raise PackageUnreadable(f"DataStore tidak terbaca ({error})") from None
            counts[resource.id] = len(table.rows)
            yield table
        if stored:
            self._digests[record.id] = tables_digest(record.digest, counts)
            return
        complete = True
        for resource in record.resources:
            if not self.mapping.read_files or not _is_table_file(resource, self.mapping):
                continue
            try:
                for table in await self._file_tables(resource):
                    yield table
            except ActionError as error:  # the download failed: tried again next time
                complete = False
                yield Unread(resource.name, str(error))
            except TableFileError as error:
                yield Unread(resource.name, str(error))
        self._digests[record.id] = tables_digest(record.digest, counts) if complete else None

    def tables_digest(self, record: PackageRecord) -> str | None:
        return self._digests.pop(record.id, None)

    async def _datastore_table(self, resource: Resource) -> Table:
        columns: tuple[str, ...] | None = None
        rows: list[tuple[Any, ...]] = []
        async for records, fields in self.client.datastore_pages(
            resource.id, self.mapping.datastore_page_size
        ):
            if columns is None:
                first = records[0] if records and isinstance(records[0], dict) else {}
                columns = tuple(f for f in fields or list(first) if f != "_id")
            rows += (
                tuple(item.get(c) for c in columns) if isinstance(item, dict) else ()
                for item in records
            )
        return Table(columns or (), rows, name=resource.name, first_row=1)

    async def _file_tables(self, resource: Resource) -> list[Table]:
        content = await self.client.download(
            resource.url,
            max_bytes=self.mapping.max_file_bytes,
            time_limit=self.mapping.file_timeout,
        )
        limits = FileLimits(max_bytes=self.mapping.max_file_bytes)
        return read_tables(content, resource.name, limits=limits)


def _is_table_file(resource: Resource, mapping: PortalMapping) -> bool:
    if not resource.url.startswith(("http://", "https://")):
        return False
    kind = resource.format.casefold().strip(".")
    extension = urlparse(resource.url).path.rsplit(".", 1)[-1].casefold()
    return kind in mapping.file_formats or extension in mapping.file_formats


def _unchanged(raw: dict[str, Any], modified: datetime) -> Head:
    name, title = raw.get("name"), raw.get("title")
    name = name if isinstance(name, str) and name else str(raw["id"])
    return Head(str(raw["id"]), name, title if isinstance(title, str) and title else name, modified)


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
