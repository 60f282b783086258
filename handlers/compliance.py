"""/kepatuhan [OPD]: how current each agency keeps its data, by who is asking.

Officials and the walidata see every OPD (or the one they name); heads of OPD and liaisons see
their own agency; the public is told who the command is for.
"""

from __future__ import annotations

from datetime import timedelta

from rapidfuzz import fuzz, process

from domain.access import may_see_metadata
from domain.terms import OPD_ROLES, REGION_WIDE_ROLES
from handlers.context import Request
from handlers.messages import Reply
from handlers.text import tokens
from reminders.status import dataset_statuses
from reports.compliance import compliance, with_history


async def kepatuhan(request: Request) -> list[Reply]:
    t = request.texts
    viewer = request.viewer
    asked = request.incoming.argument
    catalog = request.app.catalog
    named = catalog.find_opds(catalog.correct(tokens(asked))) if asked else []
    opd = named[0].payloads[0] if named else None
    if asked and opd is None:
        names = [o.name for o in catalog.opds.values()]
        close = [
            name
            for name, score, _ in process.extract(asked, names, scorer=fuzz.WRatio, limit=3)
            if score >= 60
        ]
        return [Reply(t.t("opd_unknown", opd=asked, suggestions=close))]
    scope = opd.id if opd else None
    if not viewer.roles & REGION_WIDE_ROLES:
        if not viewer.roles & OPD_ROLES or viewer.opd_id is None:
            return [Reply(t.t("kepatuhan_who"))]
        if scope is not None and scope != viewer.opd_id:
            return [Reply(t.t("kepatuhan_own_only"))]
        scope = viewer.opd_id
    today = request.today
    week = today - timedelta(days=today.weekday())
    async with request.app.uow() as uow:
        # The registry's OPDs, not the catalog's: an import may have added one since the
        # catalog was loaded, and its datasets and people are already here.
        opds = {o.id: o for o in await uow.opds.all()}
        statuses = await dataset_statuses(uow, today, scope)
        history = await uow.snapshots.since(week - timedelta(weeks=1))
    # tertutup datasets are counted for everyone, named only to the walidata.
    report = compliance(
        statuses,
        opds,
        opds[scope].name if scope is not None else request.app.deployment.region_name,
        shown=lambda s: may_see_metadata(viewer, s.row),
    )
    if scope is None:
        with_history(report, history, week)
    listed = [s for s in statuses if may_see_metadata(viewer, s.row)]
    text = t.render(
        "compliance", report=report, single=scope is not None, today=today, statuses=listed
    )
    data = {
        "type": "compliance",
        "scope": report.region.name,
        "percent": round(report.region.percent, 1),
        "scheduled": report.region.scheduled,
        "overdue": report.region.overdue,
        "opds": [
            {"opd": c.name, "percent": round(c.percent, 1), "overdue": c.overdue}
            for c in report.opds
        ],
    }
    return [Reply(text, data=data)]
