"""The report of a portal sync, in the reader's language (CLI, /sinkron).

Short by default: the counts and what went wrong, each list cut at a few lines. `verbose`
adds one line per package with its outcome; the command line's `--json` gives everything
(`SyncReport.as_json`).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from storage.portal.report import Outcome, PackageReport, SyncReport
from texts.formatting import long_date, period_label
from texts.i18n import Texts, texts


def render_sync_report(
    report: SyncReport,
    language: str,
    zone: ZoneInfo,
    zone_name: str,
    *,
    verbose: bool = False,
    hint: bool = False,
) -> str:
    """`hint`: say how to get every package's outcome (where options can be given)."""
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
        skipped=[f"{p.name}: {p.reason}" for p in report.having(Outcome.SKIPPED)],
        ambiguous=[f"{name}: {'; '.join(opds)}" for name, opds in report.organizations_ambiguous],
        unread=[f"{name} · {table}: {why}" for name, table, why in report.unread],
        rows=[f"{p.name}: {line}" for p in report.packages for line in p.rows_skipped],
        warnings=[f"{label}: {why}" for label, why in report.warnings],
        packages=[_line(p, t) for p in report.packages] if verbose else [],
        hint=hint and not verbose and not report.error,
    )
    return re.sub(r"\n{3,}", "\n\n", text)  # sections left out leave no gaps


def _line(package: PackageReport, t: Texts) -> str:
    """`ipm — berubah: jumlah baris tabelnya berubah ...; periode baru 2025`."""
    why = package.reason
    if package.outcome is Outcome.REMOVED:
        why = t.t(f"removed_{why}")
    parts = [why] if why else []
    if package.period:
        parts.append(t.t("sync_new_period", period=period_label(package.period, t.language)))
    parts += package.warnings + package.rows_skipped
    parts += [f"{table}: {reason}" for table, reason in package.unread]
    outcome = t.t(f"sync_outcome_{package.outcome}")
    return f"{package.name} — {outcome}" + (f": {'; '.join(parts)}" if parts else "")
