"""Invitations: the only way into a role. Nobody becomes a liaison, official or walidata by
saying so in chat.

A walidata types `/undang <name>`, chooses the role (and the OPD, for roles bound to one)
with buttons, and gets a deep link `https://t.me/<bot>?start=<token>` to pass on. Tokens are
random, single-use and expiring; only their SHA-256 is stored. Opening the link binds the
Telegram account to the person and gives them the role; a used, expired, revoked or unknown
token is answered clearly and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.access import admin_refusal
from handlers.audit import record
from handlers.context import Request
from handlers.me import describe, role_label
from handlers.messages import Button, Reply, button_id
from handlers.notices import notify
from storage.models import Invitation, Opd, Person, PersonRole
from storage.people import OPD_ROLES, ROLES, replan_for
from storage.uow import UnitOfWork
from texts.i18n import texts

log = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 32 characters of A-Z a-z 0-9 _ -; a /start payload may have 64
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_DAYS = 7
DRAFT_LIFETIME = timedelta(hours=24)  # role and OPD buttons of a draft work this long
MAX_NAME = 120


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str, bot_username: str | None) -> str:
    """The deep link, or the `/start` form when the bot's username is not known."""
    if bot_username:
        return f"https://t.me/{bot_username}?start={token}"
    return f"/start {token}"


def issue(invitation: Invitation, now: datetime, days: int = DEFAULT_DAYS) -> str:
    """Turn a draft into a working invitation; the token is returned once and never stored."""
    token = new_token()
    invitation.token_hash = token_hash(token)
    invitation.expires_at = now + timedelta(days=days)
    return token


async def same_person(uow: UnitOfWork, name: str, role: str, opd_id: int | None) -> Person | None:
    """An active person of that name already in the registry (e.g. imported without a
    Telegram account) whom the invitation should bind instead of creating a second one."""
    for person in await uow.people.all():
        if not person.active or person.name.casefold() != name.casefold():
            continue
        if role in OPD_ROLES and person.opd_id not in (None, opd_id):
            continue
        return person
    return None


async def create(
    uow: UnitOfWork,
    *,
    name: str,
    role: str,
    opd_id: int | None,
    created_by: int | None,
    now: datetime,
    days: int = DEFAULT_DAYS,
) -> tuple[Invitation, str]:
    """An invitation issued in one step (the command line)."""
    existing = await same_person(uow, name, role, opd_id)
    invitation = Invitation(
        name=name,
        role=role,
        opd_id=opd_id,
        person_id=existing.id if existing else None,
        created_by=created_by,
        created_at=now,
    )
    token = issue(invitation, now, days)
    uow.session.add(invitation)
    await uow.session.flush()
    return invitation, token


# -- the walidata's side ----------------------------------------------------------------------


async def undang(request: Request) -> list[Reply]:
    """/undang <name>: start an invitation; role and OPD follow as buttons."""
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    name = " ".join(request.incoming.argument.split())
    if not name:
        return [Reply(t.t("invite_usage"))]
    if len(name) > MAX_NAME or not any(c.isalpha() for c in name):
        return [Reply(t.t("invite_bad_name", limit=MAX_NAME))]
    async with request.app.uow() as uow:
        draft = Invitation(name=name, created_by=request.viewer.person_id, created_at=request.now)
        uow.session.add(draft)
        await uow.session.flush()
        await uow.commit()
    buttons = [[Button(role_label(t, role), f"u:r:{draft.id}:{role}")] for role in ROLES]
    return [Reply(t.t("invite_choose_role", name=name), buttons=buttons)]


async def undangan(request: Request) -> list[Reply]:
    """/undangan: the links that still work, each with a button to revoke it."""
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    async with request.app.uow() as uow:
        invitations = list(await uow.invitations.open(request.now))
    zone = request.app.deployment.timezone
    rows = [
        {
            "name": i.name,
            "role": role_label(t, i.role or ""),
            "opd": i.opd.name if i.opd else "",
            "expires": i.expires_at.astimezone(zone) if i.expires_at else None,
        }
        for i in invitations
    ]
    buttons = [
        [Button(t.t("btn_revoke_invitation", name=i.name), f"u:x:{i.id}")] for i in invitations
    ]
    return [Reply(t.render("invitations", rows=rows), buttons=buttons)]


@dataclass(frozen=True)
class InviteButton:
    action: str  # r: role chosen, o: OPD chosen, x: revoke
    invitation_id: int
    value: str


def _parse(data: str) -> InviteButton | None:
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != "u":
        return None
    invitation_id = button_id(parts[2])
    if invitation_id is None or parts[1] not in ("r", "o", "x"):
        return None
    if (parts[1] == "x") != (len(parts) == 3):
        return None
    return InviteButton(parts[1], invitation_id, parts[3] if len(parts) == 4 else "")


async def on_button(request: Request) -> list[Reply]:
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    button = _parse(request.incoming.callback_data or "")
    if button is None:
        return [Reply(t.t("stale_button"))]
    async with request.app.uow() as uow:
        invitation = await uow.invitations.get(button.invitation_id)
        if invitation is None:
            return [Reply(t.t("stale_button"))]
        if button.action == "x":
            replies = _revoke(request, uow, invitation)
        else:
            replies = await _choose(request, uow, invitation, button)
        await uow.commit()
    return replies


def _revoke(request: Request, uow: UnitOfWork, invitation: Invitation) -> list[Reply]:
    t = request.texts
    if invitation.token_hash is None or invitation.used_at or invitation.revoked_at:
        return [Reply(t.t("invite_not_open", name=invitation.name))]
    invitation.revoked_at = request.now
    record(request, uow, "invitation_revoked", invitation=invitation.id, name=invitation.name)
    return [Reply(t.t("invite_revoked_done", name=invitation.name))]


async def _choose(
    request: Request, uow: UnitOfWork, invitation: Invitation, button: InviteButton
) -> list[Reply]:
    t = request.texts
    if invitation.token_hash is not None:
        return [Reply(t.t("invite_already_issued", name=invitation.name))]
    if (
        invitation.created_by != request.viewer.person_id
        or request.now - invitation.created_at > DRAFT_LIFETIME
    ):
        return [Reply(t.t("stale_button"))]
    if button.action == "r":
        if button.value not in ROLES:
            return [Reply(t.t("stale_button"))]
        invitation.role, invitation.opd_id = button.value, None
        if button.value in OPD_ROLES:
            opds = await uow.opds.all()
            buttons = [[Button(o.name, f"u:o:{invitation.id}:{o.id}")] for o in opds]
            label = role_label(t, button.value)
            return [Reply(t.t("invite_choose_opd", name=invitation.name, role=label), buttons)]
    else:
        opd = next((o for o in await uow.opds.all() if str(o.id) == button.value), None)
        if invitation.role not in OPD_ROLES or opd is None:
            return [Reply(t.t("stale_button"))]
        invitation.opd_id = opd.id
    return await _issue(request, uow, invitation)


async def _issue(request: Request, uow: UnitOfWork, invitation: Invitation) -> list[Reply]:
    assert invitation.role is not None
    existing = await same_person(uow, invitation.name, invitation.role, invitation.opd_id)
    invitation.person_id = existing.id if existing else None
    token = issue(invitation, request.now)
    await uow.session.flush()
    opd = await uow.session.get(Opd, invitation.opd_id) if invitation.opd_id else None
    record(
        request,
        uow,
        "invitation_issued",
        invitation=invitation.id,
        name=invitation.name,
        role=invitation.role,
        opd=opd.code if opd else None,
    )
    zone = request.app.deployment.timezone
    assert invitation.expires_at is not None
    text = request.texts.render(
        "invitation_issued",
        name=invitation.name,
        role=role_label(request.texts, invitation.role),
        opd=opd.name if opd else "",
        link=invitation_link(token, request.app.bot_username),
        start_form=f"/start {token}",
        expires=invitation.expires_at.astimezone(zone),
        existing=existing is not None,
    )
    return [Reply(text)]


# -- the invited person's side ------------------------------------------------------------------


async def accept(request: Request, token: str) -> list[Reply]:
    """`/start <token>` from a deep link."""
    t = request.texts
    incoming = request.incoming
    if incoming.in_group:
        return [Reply(t.t("invite_private_only"))]
    async with request.app.uow() as uow:
        invitation = (
            await uow.invitations.by_hash(token_hash(token))
            if TOKEN_SHAPE.fullmatch(token)
            else None
        )
        problem = _unusable(request, invitation)
        if problem is not None:
            log.info("invitation refused for chat %s: %s", incoming.chat_id, problem)
            return [Reply(problem)]
        assert invitation is not None and invitation.role is not None
        if incoming.user_id is None:
            return [Reply(t.t("invite_open_in_telegram"))]
        person = await _bind_target(request, uow, invitation, incoming.user_id)
        if isinstance(person, Reply):
            return [person]
        if not await uow.invitations.use(invitation.id, person.id, request.now):
            return [Reply(t.t("invite_used"))]  # opened twice at once: the other one won
        role = invitation.role
        if role not in person.role_names:
            person.roles.append(PersonRole(role=role))
        if person.opd_id is None:
            person.opd_id = invitation.opd_id
        person.telegram_user_id, person.active = incoming.user_id, True
        await uow.session.flush()
        await _notify_inviter(request, uow, invitation, person)
        await replan_for(uow, [person], request.now)
        uow.audit.record(
            at=request.now,
            action="invitation_accepted",
            person_id=person.id,
            chat_id=incoming.chat_id,
            detail={"invitation": invitation.id, "role": role},
        )
        opd = await uow.session.get(Opd, person.opd_id) if person.opd_id else None
        await uow.commit()
    opd_name = opd.name if opd else ""
    welcome = t.t("invite_welcome", name=person.name, role=role_label(t, role), opd=opd_name)
    about = describe(t, person.role_names, opd_name, request.app.reminders.cadence)
    return [Reply(welcome + "\n\n" + about)]


def _unusable(request: Request, invitation: Invitation | None) -> str | None:
    t = request.texts
    if invitation is None or invitation.role is None or invitation.expires_at is None:
        return t.t("invite_unknown")
    if invitation.used_at is not None:
        return t.t("invite_used")
    if invitation.revoked_at is not None:
        return t.t("invite_revoked")
    if invitation.expires_at <= request.now:
        zone = request.app.deployment.timezone
        return t.t("invite_expired", expired=invitation.expires_at.astimezone(zone))
    return None


async def _bind_target(
    request: Request, uow: UnitOfWork, invitation: Invitation, user_id: int
) -> Person | Reply:
    """The person this account becomes: the one the invitation names (someone already in the
    registry, perhaps already on this account: a new role), or a new person. An account that
    belongs to someone else is refused: a link must not add roles to whoever opens it."""
    t = request.texts
    holder = await uow.people.holding_account(user_id)
    target = await uow.people.get(invitation.person_id) if invitation.person_id else None
    if holder is not None and not holder.active:
        holder.telegram_user_id = None  # a revoked person's old account starts afresh
        await uow.session.flush()
        holder = None
    if holder is not None and (target is None or holder.id != target.id):
        return Reply(t.t("invite_account_taken", name=holder.name))
    if target is None:
        target = Person(
            name=invitation.name,
            opd_id=invitation.opd_id,
            language=request.language,
            active=True,
            created_at=request.now,
            roles=[],
        )
        uow.session.add(target)
        await uow.session.flush()
    elif invitation.role in OPD_ROLES and target.opd_id not in (None, invitation.opd_id):
        return Reply(t.t("invite_other_opd", name=target.name))
    return target


async def _notify_inviter(
    request: Request, uow: UnitOfWork, invitation: Invitation, person: Person
) -> None:
    """The walidata who issued the link learns that it was used, and by whom."""
    inviter = await uow.people.get(invitation.created_by) if invitation.created_by else None
    if inviter is None:
        return
    role = role_label(texts(inviter.language or "id"), invitation.role or "")
    await notify(
        uow,
        inviter,
        f"invitation-accepted:{invitation.id}",
        "invite_accepted_for_walidata",
        request.now,
        name=person.name,
        role=role,
    )
