"""The seam between the registry and a data portal: what a sync asks of any portal.

A portal is read through a `RegistrySource`: its organizations, the packages that changed
(since a time, or all of them with the ones that left), and each package's tables as
`storage.tables.reading.Table`s. Everything else — deciding between a full and an incremental
sync, matching organizations to OPDs, writing datasets and values, the report, telling the
walidata about an outage — is shared (`storage.portal.sync`), so another kind of portal is one
module implementing `Portal` and `RegistrySource`. CKAN's is `storage.ckan.source`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.terms import Classification, Periodicity
from storage.tables.reading import Table


class PortalUnavailable(Exception):
    """The portal could not be reached or kept failing: nothing it said can be trusted."""


class PublishRefused(Exception):
    """The portal refused a table it was given (no right to write, no such package, a
    table it cannot take): trying again will not help. The message says why."""


class PackageUnreadable(Exception):
    """One package's tables cannot be fetched now; it is skipped and read again next time.
    The message is the reason shown in the report."""


@dataclass(frozen=True)
class OrganizationRecord:
    """A publishing organization as the portal names it."""

    id: str
    name: str  # its short name or slug: "dinkes", "dinas-kesehatan", "dispertanpp"
    title: str  # "Dinas Kesehatan", or an abbreviation such as "DISPERTANPP"
    description: str = ""  # sometimes the only place its full name is written


@dataclass(frozen=True)
class Resource:
    """A published file or table of a package."""

    id: str
    name: str
    url: str
    format: str  # as the portal writes it: "CSV", "XLSX", ""
    datastore: bool  # its rows are in the portal's own table store (CKAN DataStore)
    # The dataset code of the table this registry published here after a walidata's review
    # (`Portal.publish`); empty for the agency's own files and tables.
    verified: str = ""


@dataclass(frozen=True)
class PackageRecord:
    """A package in registry terms: the metadata of one dataset."""

    id: str
    name: str
    title: str
    notes: str
    modified: datetime
    private: bool
    organization: OrganizationRecord | None
    producer: str | None  # the OPD named in the metadata, when the mapping says where
    periodicity: Periodicity
    classification: Classification
    unit: str
    latest_period: str | None
    keywords: tuple[str, ...]
    tables: tuple[str, ...]  # ids of the resources whose rows are in the table store
    warnings: tuple[str, ...] = field(default=())
    resources: tuple[Resource, ...] = field(default=())
    # What the listing shows of its tables (see storage.portal.digest): a table can change
    # without the package's modification time moving.
    digest: str = ""


@dataclass(frozen=True)
class VerifiedTable:
    """A dataset's values as the registry holds them after a walidata accepted a file, laid
    out as the liaison's template (`handlers.table_layout`): what the portal is given. It is
    the whole dataset, since a sync makes a linked dataset hold what the portal's tables hold.

    `columns` are (name, type) with CKAN DataStore's types ("text", "int", "numeric"); `key`
    names the columns that identify a row (region, period, categories)."""

    code: str
    title: str
    latest_period: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    rows: tuple[tuple[str | int | float | None, ...], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "latest_period": self.latest_period,
            "columns": [list(column) for column in self.columns],
            "key": list(self.key),
            "rows": [list(row) for row in self.rows],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerifiedTable:
        return cls(
            code=data["code"],
            title=data["title"],
            latest_period=data["latest_period"],
            columns=tuple((name, kind) for name, kind in data["columns"]),
            key=tuple(data["key"]),
            rows=tuple(tuple(row) for row in data["rows"]),
        )


@dataclass(frozen=True)
class Published:
    """Where a verified table went: the portal's resource, and how many rows it holds."""

    resource_id: str
    resource_name: str
    rows: int


@dataclass(frozen=True)
class Head:
    """A listed package the registry already holds as it is: all a report needs of it."""

    id: str
    name: str
    title: str
    modified: datetime


@dataclass(frozen=True)
class KnownPackage:
    modified: datetime | None
    withdrawn: bool
    digest: str | None = None  # None: not known (synced before digests were kept)


@dataclass(frozen=True)
class Known:
    """What the registry already holds from this portal."""

    packages: dict[str, KnownPackage]
    organizations: frozenset[str]


@dataclass
class Page:
    """One step of a listing: what changed, what did not, what left, what cannot be used."""

    changed: list[PackageRecord] = field(default_factory=list)
    unchanged: list[Head] = field(default_factory=list)
    removed: dict[str, str] = field(default_factory=dict)  # package id → deleted / withdrawn
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (record, why)
    # Why a package is read again although its modification time did not move.
    reasons: dict[str, str] = field(default_factory=dict)
    total: int | None = None  # packages the listing holds in all, when the portal says


@dataclass
class Organizations:
    found: list[OrganizationRecord] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (record, why)


@dataclass(frozen=True)
class Unread:
    """A resource that looked like a table but could not be taken as one."""

    name: str
    reason: str  # Indonesian, for the walidata: what was wrong and what to do


class RegistrySource(Protocol):
    """An open connection to one portal, for one sync."""

    @property
    def requests(self) -> int:
        """Requests made so far (retries included): what the sync cost."""
        ...

    @property
    def used_fallback(self) -> bool:
        """The listing had to leave private packages out (e.g. search unavailable)."""
        ...

    def changes(self, since: datetime | None, known: Known, *, reread: bool) -> AsyncIterator[Page]:
        """Packages modified at or after `since`; with None every package, and last the ones
        `known` holds that the portal no longer publishes. `reread`: every listed package
        counts as changed. Raises PortalUnavailable when the portal cannot be read."""
        ...

    async def organizations(self) -> Organizations: ...

    def tables(self, record: PackageRecord) -> AsyncIterator[Table | Unread]:
        """The package's tables, named after their resources. Raises PackageUnreadable when
        they cannot be fetched now, PortalUnavailable when the portal is down."""
        ...

    def tables_digest(self, record: PackageRecord) -> str | None:
        """After `tables(record)`: what its tables looked like, to store with the dataset;
        None when something could not be read now, so the package is read again."""
        ...

    async def close(self) -> None: ...


class Portal(Protocol):
    """A configured portal: what the registry calls it, and how to open it."""

    @property
    def url(self) -> str:
        """Identifies the portal's sync state."""
        ...

    @property
    def name(self) -> str:
        """Shown as the source of its datasets' answers."""
        ...

    @property
    def digest(self) -> str:
        """What the registry reads it with (mapping, token): a change re-reads everything."""
        ...

    @property
    def home_region_code(self) -> str:
        """Where values of tables without a region column belong."""
        ...

    @property
    def home_region_name(self) -> str:
        """Left out where it ends an OPD's name ("Dinas Kesehatan Karanganyar")."""
        ...

    @property
    def concurrency(self) -> int:
        """Packages whose tables are read at the same time."""
        ...

    @property
    def writable(self) -> bool:
        """Whether the registry may publish to it (it was given a token)."""
        ...

    def open(self) -> RegistrySource: ...

    async def publish(self, package_id: str, table: VerifiedTable) -> Published:
        """Put a verified table into the package, replacing what an earlier publication of
        the same dataset put there; safe to repeat after a lost answer. Raises
        PortalUnavailable when it may succeed later, PublishRefused when it will not."""
        ...
