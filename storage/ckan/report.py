"""What one sync did, for the command line, the /sinkron reply and the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SyncReport:
    portal: str
    mode: str  # "full" (every package listed) or "incremental" (modified since `since`)
    since: datetime | None
    dry_run: bool
    organizations_new: int = 0
    organizations_renamed: int = 0
    datasets_new: list[str] = field(default_factory=list)  # titles
    datasets_changed: int = 0
    datasets_unchanged: int = 0
    datasets_removed: list[tuple[str, str]] = field(default_factory=list)  # (title, why)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (package or record, why)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # kept, with a remark
    observations_loaded: int = 0  # added or changed values
    observations_removed: int = 0
    regions_new: int = 0
    periods_arrived: list[tuple[str, str]] = field(default_factory=list)  # (title, period)
    used_fallback: bool = False  # listed with current_package_list_with_resources
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None  # the portal could not be read: nothing was changed
    notified: int = 0  # walidata told about an outage (or its end) by this run

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, object]:
        return {
            "portal": self.portal,
            "mode": self.mode,
            "since": self.since.isoformat() if self.since else None,
            "dry_run": self.dry_run,
            "error": self.error,
            "organizations_new": self.organizations_new,
            "organizations_renamed": self.organizations_renamed,
            "datasets_new": len(self.datasets_new),
            "datasets_changed": self.datasets_changed,
            "datasets_unchanged": self.datasets_unchanged,
            "datasets_removed": len(self.datasets_removed),
            "skipped": len(self.skipped),
            "observations_loaded": self.observations_loaded,
            "observations_removed": self.observations_removed,
            "periods_arrived": len(self.periods_arrived),
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
        }
