"""People's roles: what a change of someone's roles means for the chase, and who may still be
linked to a Telegram account.

Imports, invitations and a walidata's role changes all go through here, so a new liaison is
reminded from the next tick on, whichever way they arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.terms import OPD_ROLES, Role
from storage.models import Person
from storage.uow import UnitOfWork

__all__ = ["OPD_ROLES", "ROLES", "held_role", "link_problem", "replan_for"]

# Every role, in the order people read them (menus, cards, imports' error messages).
ROLES = tuple(Role)


async def replan_for(
    uow: UnitOfWork, people: Iterable[Person], now: datetime, roles: Iterable[str] = ()
) -> None:
    """New or changed recipients: the tick looks again at the chases they are part of, so a
    step nobody could receive before reaches them now. `roles` adds roles just taken away."""
    people = list(people)
    if not people:
        return
    held = {role for person in people for role in person.role_names} | set(roles)
    if held - OPD_ROLES:
        await uow.reminders.replan(None, now)  # walidata and leaders follow every dataset
    else:
        await uow.reminders.replan({p.opd_id for p in people if p.opd_id is not None}, now)


def held_role(person: Person) -> Role | None:
    """The role a link for an existing person names (it keeps every role they hold)."""
    return next((role for role in Role if role in person.role_names), None)


def link_problem(person: Person | None) -> str | None:
    """Why no link may bind an account to this person already in the registry, or None. A
    link for someone already linked would hand their access to whoever opened it first, and
    unlink them: they are refused, and their roles are changed with /peran instead."""
    if person is None or not person.active:
        return "gone"
    if person.telegram_user_id is not None:
        return "linked"
    if held_role(person) is None:
        return "no_role"
    return None
