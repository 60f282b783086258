"""/saya: a person's roles, OPD, and what the bot does for them; the same description
welcomes someone who just accepted an invitation."""

from __future__ import annotations

from collections.abc import Iterable

from domain.cadence import Cadence
from domain.terms import Role
from handlers.context import Request
from handlers.messages import Reply
from reports.digest_schedule import DigestSchedule
from storage.people import ROLES
from texts.i18n import Texts


def role_label(t: Texts, role: str) -> str:
    return t.t(f"role_{role}") if role in ROLES else role


def describe(
    t: Texts, roles: Iterable[str], opd: str, cadence: Cadence, digest: DigestSchedule
) -> str:
    """Roles, what each brings (the reminder steps come from the configured cadence, the
    weekly digest's day and time from its schedule), and which data the person may read."""
    held = [role for role in Role if role in set(roles)]
    steps = {role: [s.name for s in cadence.steps if role in s.audience] for role in held}
    return t.render(
        "me",
        roles=held,
        labels=[role_label(t, role) for role in held],
        opd=opd,
        steps=steps,
        weekly=set(cadence.weekly_audience),
        reads=_reads(held),
        digest=digest,
    )


def _reads(held: list[Role]) -> str:
    """Which of the template's sentences says what the person may read: the widest of their
    roles decides, since terbatas values follow the role (see handlers.access)."""
    for role in (Role.WALIDATA, Role.PIMPINAN):
        if role in held:
            return role
    return "opd" if held else "publik"


async def saya(request: Request) -> list[Reply]:
    t = request.texts
    viewer = request.viewer
    if not viewer.is_known:
        return [Reply(t.t("me_public"))]
    async with request.app.uow() as uow:
        opd = await uow.opds.get(viewer.opd_id) if viewer.opd_id else None
    name_line = t.t("me_name", name=viewer.name)
    app = request.app
    about = describe(t, viewer.roles, opd.name if opd else "", app.reminders.cadence, app.digest)
    return [Reply(name_line + "\n" + about)]
