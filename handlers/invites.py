"""Invitations: the only way into a role. Nobody becomes a liaison, official or walidata by
saying so in chat.

A walidata types `/undang <name>`, chooses the role (and the OPD, for roles bound to one)
with buttons, and gets a deep link `https://t.me/<bot>?start=<token>` to pass on. Tokens are
random, single-use and expiring; only their SHA-256 is stored. Opening the link binds the
Telegram account to the person and gives them the role; a used, expired, revoked or unknown
token is answered clearly and changes nothing.

The walidata's side is a small state machine. Its step (`InviteStep`) is read from the
invitation's row, and `TRANSITIONS` says which button (`InviteButton`) moves it on from which
step:

    /undang <name>          → ROLE    a draft, with a button per role
    ROLE + a region's role  → OPEN    the link is given (walidata, pimpinan)
    ROLE + an OPD's role    → OPD     a button per OPD (kepala_opd, produsen)
    OPD  + a role           → …       another role instead, as from ROLE
    OPD  + an OPD           → OPEN    the link is given
    OPEN + revoke           → CLOSED  from /undangan; opening the link closes it too

Any other press (a replayed or forged button: a role after the link was given, a revocation
of a draft) is answered by `MISFITS` and changes nothing. A draft's buttons work for the
walidata who started it, for `DRAFT_LIFETIME`; anyone else's press is stale.

A draft's link always makes someone new. A person already in the registry without a
Telegram account (imported, or unreachable) gets a link only when the walidata chooses them
by id (`LinkButton`, offered by the unreachable report, /peran and /undang of their name);
nobody's link ever binds a person who is already linked, so no link can take over an account.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.callbacks import CallbackData
from domain.terms import OPD_ROLES, Role
from handlers.access import admin_refusal
from handlers.audit import record
from handlers.context import Request
from handlers.me import describe, role_label
from handlers.messages import Button, Reply, button_id
from handlers.notices import notify
from reminders.buttons import LinkButton
from storage.models import Invitation, Person, PersonRole
from storage.people import ROLES, held_role, link_problem, replan_for
from storage.uow import UnitOfWork
from texts.i18n import Texts, texts

log = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 32 characters of A-Z a-z 0-9 _ -; a /start payload may have 64
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_DAYS = 7
DRAFT_LIFETIME = timedelta(hours=24)  # role and OPD buttons of a draft work this long
MAX_NAME = 120
SHOWN_TOKEN = re.compile(r"(?:/start(?:@\w+)?\s+|[?&]start=)([A-Za-z0-9_-]{20,64})")
THROTTLE_WINDOW = timedelta(hours=1)
FAILED_PER_ACCOUNT = 5  # failed openings one account may make per window
FAILED_OVERALL = 100  # failed openings of every account together: a flood of guesses waits


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


async def create(
    uow: UnitOfWork,
    *,
    name: str,
    role: str,
    opd_id: int | None,
    created_by: int | None,
    now: datetime,
    days: int = DEFAULT_DAYS,
    person: Person | None = None,
) -> tuple[Invitation, str]:
    """An invitation issued in one step: for a new person called `name`, or for `person`,
    already in the registry without an account (the caller checked `link_problem`), whose
    earlier open links stop working so only the newest one binds them."""
    if person is not None:
        for earlier in await uow.invitations.open_for(person.id, now):
            earlier.revoked_at = now
    invitation = Invitation(
        name=person.name if person else name,
        role=role,
        opd_id=opd_id,
        person_id=person.id if person else None,
        created_by=created_by,
        created_at=now,
    )
    token = issue(invitation, now, days)
    await uow.invitations.add(invitation)
    return invitation, token


# -- the walidata's buttons and steps -------------------------------------------------------


class InviteAction(StrEnum):
    ROLE = "r"  # a role was chosen
    OPD = "o"  # an OPD was chosen
    REVOKE = "x"  # an issued link is revoked


@dataclass(frozen=True)
class InviteButton(CallbackData, prefix="u"):
    """`u:r:<invitation>:<role>`, `u:o:<invitation>:<opd id>` or `u:x:<invitation>`, as sent
    before payloads were typed, so those buttons keep working. Build one with `choose_role`,
    `choose_opd` or `revoke`; a press of any other shape is stale."""

    action: InviteAction
    invitation_id: int
    value: str | None = None  # the role, or the OPD's id

    @classmethod
    def choose_role(cls, invitation_id: int, role: Role) -> InviteButton:
        return cls(InviteAction.ROLE, invitation_id, role)

    @classmethod
    def choose_opd(cls, invitation_id: int, opd_id: int) -> InviteButton:
        return cls(InviteAction.OPD, invitation_id, str(opd_id))

    @classmethod
    def revoke(cls, invitation_id: int) -> InviteButton:
        return cls(InviteAction.REVOKE, invitation_id)

    @property
    def role(self) -> Role | None:
        return Role(self.value) if self.action is InviteAction.ROLE and self.value else None

    @property
    def opd_id(self) -> int | None:
        return button_id(self.value) if self.action is InviteAction.OPD and self.value else None

    def valid(self) -> bool:
        """A role for ROLE, an OPD's id for OPD, nothing for REVOKE."""
        if self.action is InviteAction.ROLE:
            return self.value in ROLES
        if self.action is InviteAction.OPD:
            return self.opd_id is not None
        return self.value is None


class InviteStep(StrEnum):
    """Where an invitation stands in the walidata's flow (see the module's docstring)."""

    ROLE = "role"  # a draft: its role is to be chosen
    OPD = "opd"  # a draft with a role bound to an OPD: the OPD is to be chosen
    OPEN = "open"  # the link was given, and neither used nor revoked (it may have expired)
    CLOSED = "closed"  # the link was used or revoked

    @classmethod
    def of(cls, invitation: Invitation) -> InviteStep:
        if invitation.token_hash is None:
            return cls.OPD if invitation.role in OPD_ROLES else cls.ROLE
        if invitation.used_at is None and invitation.revoked_at is None:
            return cls.OPEN
        return cls.CLOSED


# What a press that does not fit the step is told (a catalogue key, given the name).
MISFITS: dict[tuple[InviteStep, InviteAction], str] = {
    (InviteStep.ROLE, InviteAction.OPD): "invite_role_first",
    (InviteStep.ROLE, InviteAction.REVOKE): "invite_not_open",
    (InviteStep.OPD, InviteAction.REVOKE): "invite_not_open",
    (InviteStep.OPEN, InviteAction.ROLE): "invite_already_issued",
    (InviteStep.OPEN, InviteAction.OPD): "invite_already_issued",
    (InviteStep.CLOSED, InviteAction.ROLE): "invite_already_issued",
    (InviteStep.CLOSED, InviteAction.OPD): "invite_already_issued",
    (InviteStep.CLOSED, InviteAction.REVOKE): "invite_not_open",
}
DRAFT_STEPS = frozenset({InviteStep.ROLE, InviteStep.OPD})


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
        await uow.invitations.add(draft)
        known = [
            p for p in await uow.people.all() if p.active and p.name.casefold() == name.casefold()
        ]
        opds = {o.id: o.name for o in await uow.opds.all()}
        await uow.commit()
    buttons = [
        [Button(role_label(t, role), InviteButton.choose_role(draft.id, role).pack())]
        for role in Role
    ]
    notes = []
    for person in known:  # the role buttons make someone new: the known are chosen by id
        opd = opds.get(person.opd_id or -1, "")
        if link_problem(person) is None:
            notes.append(t.t("invite_known_unlinked", name=person.name, opd=opd))
            label = t.t("btn_link_person", name=person.name, opd=opd)
            buttons.insert(0, [Button(label, LinkButton(person.id).pack())])
        else:
            notes.append(t.t("invite_known_linked", name=person.name, opd=opd))
    notes.append(t.t("invite_choose_role", name=name))
    return [Reply("\n\n".join(notes), buttons=buttons)]


async def on_link_button(request: Request, button: LinkButton) -> list[Reply]:
    """A link for a person already in the registry, chosen by the walidata from a list (the
    unreachable report, /peran, /undang): it binds an account to that person and their roles,
    and only while nobody is linked to them."""
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    async with request.app.uow() as uow:
        person = await uow.people.get(button.person_id)
        problem = link_problem(person)
        if problem is not None:
            name = person.name if person else ""
            return [Reply(t.t(f"invite_person_{problem}", name=name))]
        assert person is not None
        invitation, token = await create(
            uow,
            name=person.name,
            role=str(held_role(person)),
            opd_id=person.opd_id,
            created_by=request.viewer.person_id,
            now=request.now,
            person=person,
        )
        replies = await _issued(request, uow, invitation, token)
        await uow.commit()
    return replies


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
        [Button(t.t("btn_revoke_invitation", name=i.name), InviteButton.revoke(i.id).pack())]
        for i in invitations
    ]
    return [Reply(t.render("invitations", rows=rows), buttons=buttons)]


async def on_button(request: Request, button: InviteButton) -> list[Reply]:
    """A press moves the invitation on if it fits its step (`TRANSITIONS`); otherwise it is
    answered (`MISFITS`, or stale for someone else's or an old draft) and changes nothing."""
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    async with request.app.uow() as uow:
        invitation = await uow.invitations.get(button.invitation_id)
        if invitation is None:
            return [Reply(t.t("stale_button"))]
        step = InviteStep.of(invitation)
        transition = TRANSITIONS.get((step, button.action))
        if transition is None:
            return [Reply(t.t(MISFITS[step, button.action], name=invitation.name))]
        if step in DRAFT_STEPS and not _draft_of(request, invitation):
            return [Reply(t.t("stale_button"))]
        replies = await transition(request, uow, invitation, button)
        await uow.commit()
    return replies


def _draft_of(request: Request, invitation: Invitation) -> bool:
    """A draft is its walidata's alone, and not for ever: its buttons may be pressed again."""
    return (
        invitation.created_by == request.viewer.person_id
        and request.now - invitation.created_at <= DRAFT_LIFETIME
    )


async def _choose_role(
    request: Request, uow: UnitOfWork, invitation: Invitation, button: InviteButton
) -> list[Reply]:
    """ROLE or OPD → OPEN (a role of the whole region) or OPD (a role bound to an OPD)."""
    t = request.texts
    role = button.role
    assert role is not None  # InviteButton.unpack checked the shape
    invitation.role, invitation.opd_id = role, None
    if role not in OPD_ROLES:
        return await _issue(request, uow, invitation)
    buttons = [
        [Button(o.name, InviteButton.choose_opd(invitation.id, o.id).pack())]
        for o in await uow.opds.all()
    ]
    label = role_label(t, role)
    return [Reply(t.t("invite_choose_opd", name=invitation.name, role=label), buttons)]


async def _choose_opd(
    request: Request, uow: UnitOfWork, invitation: Invitation, button: InviteButton
) -> list[Reply]:
    """OPD → OPEN; an OPD that no longer exists makes the button stale."""
    opd = await uow.opds.get(button.opd_id) if button.opd_id is not None else None
    if opd is None:
        return [Reply(request.texts.t("stale_button"))]
    invitation.opd_id = opd.id
    return await _issue(request, uow, invitation)


async def _revoke(
    request: Request, uow: UnitOfWork, invitation: Invitation, button: InviteButton
) -> list[Reply]:
    """OPEN → CLOSED: the link stops working."""
    invitation.revoked_at = request.now
    record(request, uow, "invitation_revoked", invitation=invitation.id, name=invitation.name)
    return [Reply(request.texts.t("invite_revoked_done", name=invitation.name))]


Transition = Callable[[Request, UnitOfWork, Invitation, InviteButton], Awaitable[list[Reply]]]
# The walidata's flow, in one place: which press moves an invitation on from which step.
TRANSITIONS: dict[tuple[InviteStep, InviteAction], Transition] = {
    (InviteStep.ROLE, InviteAction.ROLE): _choose_role,
    (InviteStep.OPD, InviteAction.ROLE): _choose_role,  # another role instead of an OPD
    (InviteStep.OPD, InviteAction.OPD): _choose_opd,
    (InviteStep.OPEN, InviteAction.REVOKE): _revoke,
}


async def _issue(request: Request, uow: UnitOfWork, invitation: Invitation) -> list[Reply]:
    """A draft's link: always for someone new (people already in the registry are chosen by
    id, with a `LinkButton`)."""
    return await _issued(request, uow, invitation, issue(invitation, request.now))


async def _issued(
    request: Request, uow: UnitOfWork, invitation: Invitation, token: str
) -> list[Reply]:
    assert invitation.role is not None
    opd = await uow.opds.get(invitation.opd_id) if invitation.opd_id else None
    record(
        request,
        uow,
        "invitation_issued",
        invitation=invitation.id,
        name=invitation.name,
        role=invitation.role,
        opd=opd.code if opd else None,
        person=invitation.person_id,
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
        existing=invitation.person_id is not None,
    )
    return [Reply(text)]


# -- the invited person's side ------------------------------------------------------------------


def token_in(text: str) -> str | None:
    """An invitation token shown in a message: `/start <token>`, or a deep link."""
    match = SHOWN_TOKEN.search(text)
    return match.group(1) if match else None


async def seen_in_group(request: Request, token: str) -> list[Reply]:
    """Any member of a group could open a link shown there: it is revoked at once, and the
    walidata who issued it is told to send a new one privately."""
    t = request.texts
    async with request.app.uow() as uow:
        invitation = await _by_token(uow, token)
        if invitation is None or InviteStep.of(invitation) is not InviteStep.OPEN:
            return [Reply(t.t("invite_private_only"))]
        invitation.revoked_at = request.now
        record(request, uow, "invitation_revoked_in_group", invitation=invitation.id)
        inviter = await uow.people.get(invitation.created_by) if invitation.created_by else None
        if inviter is not None:
            await notify(
                uow,
                inviter,
                f"invitation-in-group:{invitation.id}",
                "invite_seen_in_group_for_walidata",
                request.now,
                name=invitation.name,
                group=request.incoming.chat_title or str(request.incoming.chat_id),
            )
        await uow.commit()
    return [Reply(t.t("invite_revoked_in_group"))]


async def accept(request: Request, token: str) -> list[Reply]:
    """`/start <token>` from a deep link. A failed attempt changes nothing but the audit log,
    and an account (or everyone together) failing too often waits `THROTTLE_WINDOW`."""
    t = request.texts
    incoming = request.incoming
    if incoming.in_group:
        return await seen_in_group(request, token)
    async with request.app.uow() as uow:
        if await _throttled(uow, incoming.chat_id, request.now):
            log.info("invitation attempts of chat %s throttled", incoming.chat_id)
            return [Reply(t.t("invite_throttled"))]
        outcome = await _redeem(request, uow, token)
        if not isinstance(outcome, Refused):
            await uow.commit()
            return outcome
    log.info("invitation refused for chat %s: %s", incoming.chat_id, outcome.reason)
    async with request.app.uow() as uow:  # the attempt's own changes are dropped, not its trace
        uow.audit.record(
            at=request.now,
            action="invitation_refused",
            chat_id=incoming.chat_id,
            detail={"reason": outcome.reason, "invitation": outcome.invitation_id},
        )
        await uow.commit()
    return [Reply(outcome.answer)]


@dataclass(frozen=True)
class Refused:
    """Why a link did not bind the account: the answer, and its reason for the audit log."""

    reason: str
    answer: str
    invitation_id: int | None = None


async def _throttled(uow: UnitOfWork, chat_id: int | None, now: datetime) -> bool:
    since = now - THROTTLE_WINDOW
    mine = await uow.audit.count("invitation_refused", since, chat_id=chat_id)
    return mine >= FAILED_PER_ACCOUNT or (
        await uow.audit.count("invitation_refused", since) >= FAILED_OVERALL
    )


async def _by_token(uow: UnitOfWork, token: str) -> Invitation | None:
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return await uow.invitations.by_hash(token_hash(token))


async def _redeem(request: Request, uow: UnitOfWork, token: str) -> list[Reply] | Refused:
    t = request.texts
    incoming = request.incoming
    invitation = await _by_token(uow, token)
    problem = _unusable(request, invitation)
    if problem is not None:
        return problem
    assert invitation is not None and invitation.role is not None
    if incoming.user_id is None:
        return Refused("invite_open_in_telegram", t.t("invite_open_in_telegram"), invitation.id)
    person = await _bind_target(request, uow, invitation, incoming.user_id)
    if isinstance(person, Refused):
        return person
    if not await uow.invitations.use(invitation.id, person.id, request.now):
        return Refused("invite_used", t.t("invite_used"), invitation.id)  # the other one won
    role = invitation.role
    if role not in person.role_names:
        person.roles.append(PersonRole(role=role))
    if person.opd_id is None:
        person.opd_id = invitation.opd_id
    person.telegram_user_id, person.active = incoming.user_id, True
    await _notify_inviter(request, uow, invitation, person)
    await replan_for(uow, [person], request.now)
    uow.audit.record(
        at=request.now,
        action="invitation_accepted",
        person_id=person.id,
        chat_id=incoming.chat_id,
        detail={"invitation": invitation.id, "role": role},
    )
    opd = await uow.opds.get(person.opd_id) if person.opd_id else None
    opd_name = opd.name if opd else ""
    welcome = t.t("invite_welcome", name=person.name, role=role_label(t, role), opd=opd_name)
    about = describe(
        t, person.role_names, opd_name, request.app.reminders.cadence, request.app.digest
    )
    return [Reply(welcome + "\n\n" + about)]


def _unusable(request: Request, invitation: Invitation | None) -> Refused | None:
    t = request.texts
    if invitation is None or invitation.role is None or invitation.expires_at is None:
        return Refused("invite_unknown", t.t("invite_unknown"))
    if invitation.used_at is not None:
        return Refused("invite_used", t.t("invite_used"), invitation.id)
    if invitation.revoked_at is not None:
        return Refused("invite_revoked", t.t("invite_revoked"), invitation.id)
    if invitation.expires_at <= request.now:
        zone = request.app.deployment.timezone
        expired = invitation.expires_at.astimezone(zone)
        return Refused("invite_expired", t.t("invite_expired", expired=expired), invitation.id)
    return None


async def _bind_target(
    request: Request, uow: UnitOfWork, invitation: Invitation, user_id: int
) -> Person | Refused:
    """The person this account becomes: the one the invitation names (someone already in the
    registry, perhaps already on this account: a new role), or a new person. An account that
    belongs to someone else is refused: a link must not add roles to whoever opens it; so is
    a person linked to another account since the link was made: binding never unlinks."""
    t = request.texts
    holder = await uow.people.holding_account(user_id)
    target = await uow.people.get(invitation.person_id) if invitation.person_id else None
    if holder is not None and not holder.active:
        await uow.people.release_account(holder)  # a revoked person's old account starts afresh
        holder = None
    if holder is not None and (target is None or holder.id != target.id):
        return _refused(t, invitation, "invite_account_taken", holder.name)
    if target is None:
        target = Person(
            name=invitation.name,
            opd_id=invitation.opd_id,
            language=request.language,
            active=True,
            created_at=request.now,
            roles=[],
        )
        await uow.people.add(target)
    elif target.telegram_user_id not in (None, user_id):
        return _refused(t, invitation, "invite_person_taken", target.name)  # never unlinks
    elif invitation.role in OPD_ROLES and target.opd_id not in (None, invitation.opd_id):
        return _refused(t, invitation, "invite_other_opd", target.name)
    return target


def _refused(t: Texts, invitation: Invitation, reason: str, name: str) -> Refused:
    return Refused(reason, t.t(reason, name=name), invitation.id)


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
