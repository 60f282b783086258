"""People's roles: what a change of someone's roles means for the chase.

Imports, invitations and a walidata's role changes all go through here, so a new liaison is
reminded from the next tick on, whichever way they arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.terms import OPD_ROLES, Role
from storage.models import Person
from storage.uow import UnitOfWork

__all__ = ["OPD_ROLES", "ROLES", "replan_for"]

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
