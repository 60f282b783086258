"""The request-side part of the access policy (`domain.access`): the catalog's view of a
dataset made current, and who may run administrative commands where.

The in-memory catalog can be minutes behind the registry; `current` re-reads classification
and producer from the database, so a dataset closed a moment ago is closed now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from domain.terms import Role
from handlers.catalog import DatasetEntry
from handlers.context import Request
from handlers.messages import Reply
from storage.uow import UnitOfWork


async def current(uow: UnitOfWork, datasets: Sequence[DatasetEntry]) -> list[DatasetEntry]:
    """The same catalog entries with classification and producer as stored now; datasets
    that no longer exist are left out."""
    stored = await uow.datasets.access_of([d.id for d in datasets])
    return [
        d
        if (d.classification, d.opd_id) == stored[d.id]
        else replace(d, classification=stored[d.id][0], opd_id=stored[d.id][1])
        for d in datasets
        if d.id in stored
    ]


def admin_refusal(
    request: Request, *, where: Literal["private", "group"] = "private"
) -> Reply | None:
    """Administrative commands and buttons are the walidata's, in the right kind of chat:
    `private` (invitations, roles, audit: links and names must not land in a group) or
    `group` (registering the group itself). None when the request may go ahead."""
    t = request.texts
    if Role.WALIDATA not in request.viewer.roles:
        return Reply(t.t("walidata_only_action"))
    if where == "private" and request.incoming.in_group:
        return Reply(t.t("admin_private_only"))
    if where == "group" and not request.incoming.in_group:
        return Reply(t.t("group_command_only"))
    return None
