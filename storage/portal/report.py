"""What one sync did, package by package: for the command line, /sinkron, the audit and log.

Each package the sync met appears once, with its outcome: new, changed, unchanged, removed
(deleted or withdrawn on the portal) or skipped (with why), and what was remarkable on the way
(metadata words not recognised, rows not loaded, tables that could not be read and why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    SKIPPED = "skipped"


@dataclass
class PackageReport:
    name: str  # the package's name, or the best label a broken record has
    title: str
    outcome: Outcome
    reason: str = ""  # skipped: why; removed: deleted / withdrawn; changed: what showed it
    warnings: list[str] = field(default_factory=list)  # metadata kept with a remark
    rows_skipped: list[str] = field(default_factory=list)  # "Tabel X: 2 sel tidak dimuat: ..."
    unread: list[tuple[str, str]] = field(default_factory=list)  # (table, the reader's why)
    period: str | None = None  # a new period arrived
    values: int = 0  # values added or changed

    @property
    def remarkable(self) -> bool:
        return bool(self.warnings or self.rows_skipped or self.unread)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "warnings": self.warnings,
            "rows_skipped": self.rows_skipped,
            "unread": [{"table": table, "why": why} for table, why in self.unread],
            "new_period": self.period,
            "values": self.values,
        }


@dataclass
class SyncReport:
    portal: str
    mode: str  # "full" (every package listed) or "incremental" (modified since `since`)
    since: datetime | None
    dry_run: bool
    packages: list[PackageReport] = field(default_factory=list)
    organizations_new: int = 0
    organizations_linked: int = 0  # matched to an OPD of the registry by its names
    organizations_renamed: int = 0
    # An organization whose names fit several OPDs: (organization, the OPDs), not guessed.
    organizations_ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # not about one package
    observations_loaded: int = 0  # added or changed values
    observations_removed: int = 0
    regions_new: int = 0
    used_fallback: bool = False  # the listing left private packages out
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None  # the portal could not be read: nothing was changed
    notified: int = 0  # walidata told about an outage (or its end) by this run
    _by_key: dict[str, PackageReport] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    # -- recording ------------------------------------------------------------------------------

    def package(self, key: str, name: str, title: str, outcome: Outcome) -> PackageReport:
        """The package's entry (by its id), made or given a new outcome."""
        entry = self._by_key.get(key)
        if entry is None:
            entry = self._by_key[key] = PackageReport(name, title, outcome)
            self.packages.append(entry)
        else:
            entry.name, entry.title, entry.outcome = name, title or entry.title, outcome
        return entry

    def entry(self, key: str) -> PackageReport:
        """The entry of a package already met."""
        return self._by_key[key]

    def skip(self, key: str, name: str, why: str, title: str = "") -> None:
        self.package(key, name, title, Outcome.SKIPPED).reason = why

    # -- what happened, by kind ------------------------------------------------------------------

    def having(self, outcome: Outcome) -> list[PackageReport]:
        return [p for p in self.packages if p.outcome is outcome]

    @property
    def datasets_new(self) -> list[str]:
        return [p.title for p in self.having(Outcome.NEW)]

    @property
    def datasets_changed(self) -> int:
        return len(self.having(Outcome.CHANGED))

    @property
    def datasets_unchanged(self) -> int:
        return len(self.having(Outcome.UNCHANGED))

    @property
    def datasets_removed(self) -> list[tuple[str, str]]:
        return [(p.title, p.reason) for p in self.having(Outcome.REMOVED)]

    @property
    def datasets_skipped(self) -> int:
        return len(self.having(Outcome.SKIPPED))

    @property
    def skipped(self) -> list[tuple[str, str]]:
        """What was left out, with why: whole packages and rows of the packages read."""
        left_out = [(p.name, p.reason) for p in self.having(Outcome.SKIPPED)]
        rows = [(p.name, line) for p in self.packages for line in p.rows_skipped]
        return left_out + rows

    @property
    def warnings(self) -> list[tuple[str, str]]:
        return [(p.name, w) for p in self.packages for w in p.warnings] + self.problems

    @property
    def unread(self) -> list[tuple[str, str, str]]:
        """(package, table, why) of every table that could not be read."""
        return [(p.name, table, why) for p in self.packages for table, why in p.unread]

    @property
    def periods_arrived(self) -> list[tuple[str, str]]:
        return [(p.title, p.period) for p in self.packages if p.period is not None]

    def as_dict(self) -> dict[str, object]:
        """The counts: for the audit log, the log and a reply's data."""
        return {
            "portal": self.portal,
            "mode": self.mode,
            "since": self.since.isoformat() if self.since else None,
            "dry_run": self.dry_run,
            "error": self.error,
            "organizations_new": self.organizations_new,
            "organizations_linked": self.organizations_linked,
            "organizations_renamed": self.organizations_renamed,
            "organizations_ambiguous": len(self.organizations_ambiguous),
            "datasets_new": len(self.datasets_new),
            "datasets_changed": self.datasets_changed,
            "datasets_unchanged": self.datasets_unchanged,
            "datasets_removed": len(self.datasets_removed),
            "skipped": self.datasets_skipped,
            "tables_unread": len(self.unread),
            "observations_loaded": self.observations_loaded,
            "observations_removed": self.observations_removed,
            "periods_arrived": len(self.periods_arrived),
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
        }

    def as_json(self) -> dict[str, object]:
        """Everything: the counts, every package's outcome, and the remarks."""
        return {
            **self.as_dict(),
            "used_fallback": self.used_fallback,
            "regions_new": self.regions_new,
            "organizations_ambiguous": [
                {"organization": name, "opds": opds} for name, opds in self.organizations_ambiguous
            ],
            "problems": [{"record": label, "why": why} for label, why in self.problems],
            "packages": [p.as_dict() for p in self.packages],
        }
