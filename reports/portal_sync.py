"""The report of a portal sync, in the reader's language (CLI, /sinkron)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from storage.ckan.report import SyncReport
from texts.formatting import long_date, period_label
from texts.i18n import texts


def render_sync_report(report: SyncReport, language: str, zone: ZoneInfo, zone_name: str) -> str:
    t = texts(language)
    since = ""
    if report.since is not None:
        local = report.since.astimezone(zone)
        since = f"{long_date(local, t.language)} {local:%H.%M} {zone_name}"
    text = t.render(
        "sync_report",
        report=report,
        since=since,
        arrived=[f"{title}: {period_label(p, t.language)}" for title, p in report.periods_arrived],
        removed=[f"{title} ({t.t('removed_' + why)})" for title, why in report.datasets_removed],
        skipped=[f"{label}: {why}" for label, why in report.skipped],
        warnings=[f"{label}: {why}" for label, why in report.warnings],
    )
    return re.sub(r"\n{3,}", "\n\n", text)  # sections left out leave no gaps
