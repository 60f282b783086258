"""`satudata admin`: the operator's side of people and roles, for when chat cannot help.

The first walidata is invited from here (no walidata exists yet to invite them in chat);
people can be listed and revoked, and the audit log exported as CSV.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime, time

import httpx

from bot.config import Settings
from bot.operations import OperationError, prepared
from domain.terms import Role
from handlers.invites import create, invitation_link
from handlers.people_admin import revoke_person
from storage.models import Invitation, Person
from storage.people import OPD_ROLES, ROLES, held_role, link_problem
from storage.uow import UnitOfWork

CSV_COLUMNS = ("id", "at", "person_id", "person", "chat_id", "action", "detail")
# A cell starting so is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


async def invite(
    settings: Settings, role: Role, name: str, opd_code: str | None, days: int, now: datetime
) -> str:
    """A link for someone new. A name already in the registry is refused: the operator means
    that person (`invite_person`) or must tell the two apart."""
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise OperationError("--name must be a person's name of 1 to 120 characters")
    _check_days(days)
    async with prepared(settings, now) as uow_factory, uow_factory() as uow:
        opd_id = await _opd_id(uow, role, opd_code)
        known = [p for p in await uow.people.all() if p.name.casefold() == name.casefold()]
        if any(p.active for p in known):
            ids = ", ".join(str(p.id) for p in known if p.active)
            raise OperationError(
                f"{name!r} is already in the registry (id {ids}): link them with "
                "--person ID, or give the new person a name that tells them apart"
            )
        invitation, token = await create(
            uow, name=name, role=role, opd_id=opd_id, created_by=None, now=now, days=days
        )
        return await _issued(settings, uow, invitation, token, opd_code, now)


async def invite_person(
    settings: Settings, who: str, role: Role | None, opd_code: str | None, days: int, now: datetime
) -> str:
    """A link for someone in the registry without a linked account (imported, or whose link
    was lost), with the roles they hold and `role` if given. Never for someone linked: the
    link would hand their access to whoever opens it."""
    _check_days(days)
    async with prepared(settings, now) as uow_factory, uow_factory() as uow:
        person = _one_person(await uow.people.all(), who)
        problem = link_problem(person)
        if problem == "no_role" and role is not None:
            problem = None  # the operator gives them their first role
        if problem is not None:
            raise OperationError(_LINK_PROBLEMS[problem].format(p=person))
        role = role or held_role(person)
        assert role is not None
        if role in OPD_ROLES and person.opd_id is None:
            opd_id = await _opd_id(uow, role, opd_code)
        elif opd_code is not None:
            raise OperationError(f"--opd: {person.name} is already bound to their OPD")
        else:
            opd_id = person.opd_id if role in OPD_ROLES else None
        invitation, token = await create(
            uow,
            name=person.name,
            role=role,
            opd_id=opd_id,
            created_by=None,
            now=now,
            days=days,
            person=person,
        )
        return await _issued(settings, uow, invitation, token, opd_code, now)


_LINK_PROBLEMS = {
    "gone": "{p.name} (id {p.id}) has no access: invite them with --name as someone new",
    "linked": (
        "{p.name} (id {p.id}) is already linked to a Telegram account; a link would hand "
        "their access to whoever opens it. Revoke them first (satudata admin revoke) if that "
        "account is lost"
    ),
    "no_role": "{p.name} (id {p.id}) holds no role: give one with --role",
}


def _check_days(days: int) -> None:
    if not 1 <= days <= 90:
        raise OperationError("--days must be a whole number from 1 to 90")


async def _issued(
    settings: Settings,
    uow: UnitOfWork,
    invitation: Invitation,
    token: str,
    opd_code: str | None,
    now: datetime,
) -> str:
    """Audit and commit the invitation, and say how to pass its link on."""
    uow.audit.record(
        at=now,
        action="invitation_issued",
        detail={
            "invitation": invitation.id,
            "name": invitation.name,
            "role": invitation.role,
            "opd": opd_code,
            "person": invitation.person_id,
            "via": "cli",
        },
    )
    await uow.commit()
    assert invitation.expires_at is not None
    expires = invitation.expires_at.astimezone(settings.timezone)
    username = await _bot_username(settings)
    existing = " (already in the registry)" if invitation.person_id else ""
    lines = [
        f"Invitation for {invitation.name}{existing} as {invitation.role}"
        f"{f' ({opd_code})' if opd_code else ''}, "
        f"valid until {expires:%Y-%m-%d %H:%M} {settings.timezone_abbreviation}. "
        "It works once; send it to that person only.",
    ]
    if username:
        lines.append(f"Link: {invitation_link(token, username)}")
    else:
        lines.append("Link: set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN) to print it.")
    lines.append(f"Or, in a private chat with the bot, send: /start {token}")
    return "\n".join(lines)


async def _opd_id(uow: UnitOfWork, role: Role, opd_code: str | None) -> int | None:
    if opd_code is None:
        if role in OPD_ROLES:
            raise OperationError(f"--opd is required for the role {role} (an OPD code)")
        return None
    opd = await uow.opds.by_code(opd_code)
    if opd is None:
        codes = ", ".join(o.code for o in await uow.opds.all())
        raise OperationError(f"--opd {opd_code!r}: no such OPD (codes: {codes})")
    return opd.id


async def _bot_username(settings: Settings) -> str | None:
    """TELEGRAM_BOT_USERNAME, else Telegram's getMe when a token is set and it answers."""
    if settings.telegram_bot_username or not settings.telegram_token:
        return settings.telegram_bot_username
    url = f"{settings.telegram_api_base_url}{settings.telegram_token}/getMe"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            body = (await client.get(url)).json()
    except (httpx.HTTPError, ValueError):
        return None
    result = body.get("result") if isinstance(body, dict) else None
    return result.get("username") if isinstance(result, dict) else None


async def list_people(settings: Settings, now: datetime) -> str:
    async with prepared(settings, now) as uow_factory, uow_factory() as uow:
        people = list(await uow.people.all())
        opds = {o.id: o.code for o in await uow.opds.all()}
    rows = [("id", "name", "roles", "opd", "telegram", "active")]
    rows += [
        (
            str(p.id),
            p.name,
            ",".join(r for r in ROLES if r in p.role_names) or "-",
            opds.get(p.opd_id, "-") if p.opd_id else "-",
            "linked" if p.telegram_user_id else "-",
            "yes" if p.active else "no",
        )
        for p in people
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


async def revoke(settings: Settings, who: str, now: datetime) -> str:
    async with prepared(settings, now) as uow_factory, uow_factory() as uow:
        person = _one_person(await uow.people.all(), who)
        if not person.active:
            return f"{person.name} (id {person.id}) has no access already."
        await revoke_person(uow, person, actor_id=None, chat_id=None, now=now)
        await uow.commit()
    return f"Revoked every role of {person.name} (id {person.id}) and unlinked their Telegram."


def _one_person(people: Sequence[Person], who: str) -> Person:
    wanted = who.strip()
    found = [p for p in people if str(p.id) == wanted or p.name.casefold() == wanted.casefold()]
    if not found:
        raise OperationError(f"no person with id or name {who!r} (see: satudata admin list-people)")
    if len(found) > 1:
        ids = ", ".join(str(p.id) for p in found)
        raise OperationError(f"{who!r} names several people (ids {ids}); give the id instead")
    return found[0]


def parse_day(text: str, settings: Settings) -> datetime:
    """`2026-11-01`: the start of that day in the deployment's time zone."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise OperationError(f"--since {text!r}: write a date such as 2026-11-01") from None
    return datetime.combine(day, time(0), tzinfo=settings.timezone)


async def audit_csv(settings: Settings, since: datetime, now: datetime) -> str:
    async with prepared(settings, now) as uow_factory, uow_factory() as uow:
        entries = await uow.audit.since(since)
        names = {p.id: p.name for p in await uow.people.all()}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            (
                entry.id,
                entry.at.isoformat(),
                entry.person_id or "",
                _text_cell(names.get(entry.person_id, "") if entry.person_id else ""),
                "" if entry.chat_id is None else entry.chat_id,
                _text_cell(entry.action),
                json.dumps(entry.detail or {}, ensure_ascii=False, sort_keys=True),
            )
        )
    return out.getvalue().rstrip("\n")


def _text_cell(text: str) -> str:
    """A name typed as "=HYPERLINK(...)" stays text when the CSV is opened in a spreadsheet:
    a leading apostrophe, as spreadsheets themselves mark text (numbers are left as they are)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
