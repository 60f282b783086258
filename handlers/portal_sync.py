"""/sinkron: a walidata syncs the registry with the region's CKAN portal and gets the report.

The same sync the hourly job runs; reminders of datasets whose new period it finds are closed
in its transaction, and the catalog is reloaded so new datasets are answerable at once.
"""

from __future__ import annotations

from handlers.catalog import Catalog
from handlers.context import Request
from handlers.messages import Reply
from reports.portal_sync import render_sync_report

MAX_REPLY = 4000  # Telegram's limit is 4096 characters


async def sinkron(request: Request) -> list[Reply]:
    t = request.texts  # only the walidata get here: see its declaration in handlers.commands
    portal = request.app.portal
    if portal is None:
        return [Reply(t.t("sinkron_not_configured"))]
    if portal.busy:
        return [Reply(t.t("sinkron_busy"))]
    report = await portal.run(request.now)
    async with request.app.uow() as uow:
        uow.audit.record(
            at=request.now,
            action="portal_sync",
            person_id=request.viewer.person_id,
            chat_id=request.incoming.chat_id,
            detail=report.as_dict(),
        )
        await uow.commit()
        if report.ok:
            request.app.catalog = await Catalog.load(uow)
    deployment = request.app.deployment
    text = render_sync_report(
        report, request.language, deployment.timezone, deployment.timezone_abbreviation
    )
    if len(text) > MAX_REPLY:
        text = text[: MAX_REPLY - 1] + "…"
    return [Reply(text, data={"type": "portal_sync", **report.as_dict()})]
