"""/peran: a walidata gives or takes away a person's roles, or revokes their access.

Guided with buttons (a `PeopleButton`: `p:<action>:<person>[:<role>[:<opd>]]`); every change
is audited, the person is told through the outbox, and the reminder tick re-plans the chases
they are in. The last walidata cannot take the role from themselves in chat (the command line
can always invite a new one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rapidfuzz import fuzz, process

from domain.callbacks import CallbackData
from domain.terms import OPD_ROLES, Role
from handlers.access import admin_refusal
from handlers.audit import record
from handlers.context import Request
from handlers.me import role_label
from handlers.messages import Button, Reply
from handlers.notices import notify
from reminders.buttons import LinkButton
from storage.models import Person, PersonRole
from storage.people import link_problem, replan_for
from storage.uow import UnitOfWork
from texts.i18n import Texts, texts

MAX_CHOICES = 8


class PeopleAction(StrEnum):
    SHOW = "s"  # the person's card
    ADD = "a"  # give a role
    ADD_IN_OPD = "o"  # give an OPD's role to someone not yet bound to an OPD, in this one
    REMOVE = "d"  # take a role away
    REMOVE_OWN = "D"  # confirmed: a walidata takes their own walidata role away
    ASK_REVOKE = "x"  # ask to confirm taking all access away
    REVOKE = "X"  # confirmed: take all access away


# Whether each action carries a role, and an OPD: a press of any other shape is stale.
SHAPES = {
    PeopleAction.SHOW: (False, False),
    PeopleAction.ADD: (True, False),
    PeopleAction.ADD_IN_OPD: (True, True),
    PeopleAction.REMOVE: (True, False),
    PeopleAction.REMOVE_OWN: (True, False),
    PeopleAction.ASK_REVOKE: (False, False),
    PeopleAction.REVOKE: (False, False),
}


@dataclass(frozen=True)
class PeopleButton(CallbackData, prefix="p"):
    """Unused trailing fields are left off the wire (`p:s:7`, `p:a:7:produsen`), as in the
    buttons sent before payloads were typed, so those keep working."""

    action: PeopleAction
    person_id: int
    role: Role | None = None
    opd_id: int | None = None

    def valid(self) -> bool:
        """The action's `SHAPES`: a role and an OPD exactly where it carries them."""
        return SHAPES[self.action] == (self.role is not None, self.opd_id is not None)


async def peran(request: Request) -> list[Reply]:
    """/peran <name>: find the person, then show their roles with buttons."""
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    wanted = " ".join(request.incoming.argument.split())
    if not wanted:
        return [Reply(t.t("role_usage"))]
    async with request.app.uow() as uow:
        people = [p for p in await uow.people.all() if p.active]
        found = _matches(people, wanted)
        if len(found) == 1:
            return [await _card(t, uow, found[0])]
    if not found:
        return [Reply(t.t("person_unknown", name=wanted))]
    buttons = [[Button(p.name, PeopleButton(PeopleAction.SHOW, p.id).pack())] for p in found]
    return [Reply(t.t("person_choose"), buttons=buttons)]


def _matches(people: list[Person], wanted: str) -> list[Person]:
    exact = [p for p in people if p.name.casefold() == wanted.casefold()]
    if exact:
        return exact[:MAX_CHOICES]
    partial = [p for p in people if wanted.casefold() in p.name.casefold()]
    if partial:
        return partial[:MAX_CHOICES]
    names = {p.id: p.name for p in people}
    close = process.extract(wanted, names, scorer=fuzz.WRatio, limit=MAX_CHOICES)
    by_id = {p.id: p for p in people}
    return [by_id[key] for _name, score, key in close if score >= 75]


async def _card(t: Texts, uow: UnitOfWork, person: Person, note: str = "") -> Reply:
    opd = await uow.opds.get(person.opd_id) if person.opd_id else None
    held = [role for role in Role if role in person.role_names]
    text = t.render(
        "person_card",
        note=note,
        name=person.name,
        roles=[role_label(t, role) for role in held],
        opd=opd.name if opd else "",
        linked=person.telegram_user_id is not None,
    )
    buttons = [
        [
            Button(
                t.t(
                    "btn_role_remove" if role in held else "btn_role_add", role=role_label(t, role)
                ),
                PeopleButton(
                    PeopleAction.REMOVE if role in held else PeopleAction.ADD, person.id, role
                ).pack(),
            )
        ]
        for role in Role
    ]
    if link_problem(person) is None:  # imported or invited without opening the link
        label = t.t("btn_link_person", name=person.name, opd="")
        buttons.append([Button(label, LinkButton(person.id).pack())])
    revoke = PeopleButton(PeopleAction.ASK_REVOKE, person.id).pack()
    buttons.append([Button(t.t("btn_person_revoke"), revoke)])
    return Reply(text, buttons=buttons)


async def on_button(request: Request, button: PeopleButton) -> list[Reply]:
    t = request.texts
    refusal = admin_refusal(request)
    if refusal is not None:
        return [refusal]
    async with request.app.uow() as uow:
        person = await uow.people.get(button.person_id)
        if person is None or not person.active:
            return [Reply(t.t("stale_button"))]
        if button.action is PeopleAction.SHOW:
            return [await _card(t, uow, person)]
        if button.action is PeopleAction.ASK_REVOKE:
            confirm = PeopleButton(PeopleAction.REVOKE, person.id).pack()
            return [
                Reply(
                    t.t("person_revoke_confirm", name=person.name),
                    buttons=[[Button(t.t("btn_person_revoke_confirm"), confirm)]],
                )
            ]
        if button.action is PeopleAction.REVOKE:
            reply = await _revoke(request, uow, person)
        else:
            assert button.role is not None  # unpack checked the shape of each action
            own = person.id == request.viewer.person_id and button.role is Role.WALIDATA
            if button.action is PeopleAction.REMOVE and own:
                return [await _ask_own_removal(request, uow, person)]
            if button.action in (PeopleAction.REMOVE, PeopleAction.REMOVE_OWN):
                reply = await _remove(request, uow, person, button.role)
            else:
                reply = await _add(request, uow, person, button.role, button.opd_id)
        await uow.commit()
    return [reply]


async def _add(
    request: Request, uow: UnitOfWork, person: Person, role: Role, chosen_opd: int | None
) -> Reply:
    """Give `role`; one bound to an OPD, to someone not yet in one, first asks which OPD."""
    t = request.texts
    if role in person.role_names:
        return await _card(t, uow, person, t.t("role_already", role=role_label(t, role)))
    opd_id = person.opd_id
    if role in OPD_ROLES and opd_id is None:
        opds = {o.id: o for o in await uow.opds.all()}
        if chosen_opd not in opds:
            buttons = [
                [
                    Button(
                        o.name, PeopleButton(PeopleAction.ADD_IN_OPD, person.id, role, o.id).pack()
                    )
                ]
                for o in opds.values()
            ]
            label = role_label(t, role)
            return Reply(t.t("role_choose_opd", name=person.name, role=label), buttons=buttons)
        opd_id = person.opd_id = chosen_opd
    person.roles.append(PersonRole(role=role))
    opd = await uow.opds.get(opd_id) if opd_id else None
    record(
        request,
        uow,
        "role_added",
        person=person.id,
        name=person.name,
        role=role,
        opd=opd.code if opd else None,
    )
    await _changed(request, uow, person, [])
    return await _card(t, uow, person, t.t("role_added", role=role_label(t, role)))


async def _ask_own_removal(request: Request, uow: UnitOfWork, person: Person) -> Reply:
    """One tap would end the walidata's own access to this desk: they confirm it first."""
    t = request.texts
    if await _last_walidata(uow, person):
        return Reply(t.t("role_last_walidata"))
    confirm = PeopleButton(PeopleAction.REMOVE_OWN, person.id, Role.WALIDATA).pack()
    return Reply(
        t.t("role_remove_own_confirm"),
        buttons=[[Button(t.t("btn_role_remove_own_confirm"), confirm)]],
    )


async def _remove(request: Request, uow: UnitOfWork, person: Person, role: Role) -> Reply:
    t = request.texts
    if role not in person.role_names:
        return await _card(t, uow, person)
    if role is Role.WALIDATA and await _last_walidata(uow, person):
        return Reply(t.t("role_last_walidata"))
    person.roles = [r for r in person.roles if r.role != role]
    for invitation in await uow.invitations.open_for(person.id, request.now):
        if invitation.role == role:  # an open link must not give the role back
            invitation.revoked_at = request.now
    record(request, uow, "role_removed", person=person.id, name=person.name, role=role)
    await _changed(request, uow, person, [role])
    return await _card(t, uow, person, t.t("role_removed", role=role_label(t, role)))


async def _revoke(request: Request, uow: UnitOfWork, person: Person) -> Reply:
    if Role.WALIDATA in person.role_names and await _last_walidata(uow, person):
        return Reply(request.texts.t("role_last_walidata"))
    await revoke_person(
        uow,
        person,
        actor_id=request.viewer.person_id,
        chat_id=request.incoming.chat_id,
        now=request.now,
    )
    return Reply(request.texts.t("person_revoked", name=person.name))


async def _changed(request: Request, uow: UnitOfWork, person: Person, removed: list[str]) -> None:
    """Tell the person, and let the tick re-plan what they should (no longer) receive."""
    held = [role for role in Role if role in person.role_names]
    reader = texts(person.language or "id")
    await notify(
        uow,
        person,
        f"roles:{person.id}:{request.now.timestamp():.0f}:{'+'.join(held) or '-'}",
        "roles_changed_for_person",
        request.now,
        roles=[role_label(reader, role) for role in held],
    )
    await replan_for(uow, [person], request.now, roles=removed)


async def _last_walidata(uow: UnitOfWork, person: Person) -> bool:
    others = [
        p
        for p in await uow.people.all()
        if p.active and p.id != person.id and Role.WALIDATA in p.role_names
    ]
    return not others


async def revoke_person(
    uow: UnitOfWork, person: Person, *, actor_id: int | None, chat_id: int | None, now: datetime
) -> None:
    """Take every role away, unbind the Telegram account and cancel open invitations for the
    person; they are told first (while their account is still known)."""
    roles = sorted(person.role_names)
    await notify(
        uow, person, f"revoked:{person.id}:{now.timestamp():.0f}", "revoked_for_person", now
    )
    for invitation in await uow.invitations.open_for(person.id, now):
        invitation.revoked_at = now
    person.roles, person.active, person.telegram_user_id = [], False, None
    uow.audit.record(
        at=now,
        action="person_revoked",
        person_id=actor_id,
        chat_id=chat_id,
        detail={"person": person.id, "name": person.name, "roles": roles},
    )
    await replan_for(uow, [person], now, roles=roles)
