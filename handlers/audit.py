"""The audit log: every administrative action and every read of a terbatas value.

`record` is how handlers write to it; `/audit [n]` shows the walidata the latest entries.
"""

from __future__ import annotations

from typing import Any

from handlers.access import admin_refusal
from handlers.context import Request
from handlers.messages import Reply, button_id
from storage.uow import UnitOfWork

DEFAULT_ENTRIES = 20
MAX_ENTRIES = 100


def record(request: Request, uow: UnitOfWork, action: str, **detail: Any) -> None:
    """Who (the person behind the request), when, what, from which chat."""
    uow.audit.record(
        at=request.now,
        action=action,
        person_id=request.viewer.person_id,
        chat_id=request.incoming.chat_id,
        detail={key: value for key, value in detail.items() if value is not None},
    )


async def audit(request: Request) -> list[Reply]:
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    asked = request.incoming.argument
    count = button_id(asked) if asked else DEFAULT_ENTRIES
    if count is None or not 1 <= count <= MAX_ENTRIES:
        return [Reply(t.t("audit_usage", limit=MAX_ENTRIES))]
    async with request.app.uow() as uow:
        entries = await uow.audit.recent(count)
        names = {p.id: p.name for p in await uow.people.all()}
    zone = request.app.deployment.timezone
    rows = [
        {
            "at": entry.at.astimezone(zone),
            "who": names.get(entry.person_id, "") if entry.person_id else "",
            "chat": entry.chat_id,
            "action": entry.action,
            "detail": entry.detail or {},
        }
        for entry in entries
    ]
    text = t.render(
        "audit", rows=rows, timezone=request.app.deployment.timezone_abbreviation, count=count
    )
    return [Reply(text)]
