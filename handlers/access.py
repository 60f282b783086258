"""Who may see what of a dataset, by its classification (klasifikasi). One policy, used by
answers, charts, buttons, dataset lists, /status, /kepatuhan and digests alike.

- terbuka: values and metadata for anyone who talks to the bot;
- terbatas: values for leaders, the walidata and the producing OPD's head and liaisons;
  metadata for all;
- tertutup: values never in chat; even the dataset's existence only for the walidata.

A group chat may hold anyone, so what is said there is held to the public's rights whoever
asked. Anything that is not a known classification is treated as tertutup.

The in-memory catalog can be minutes behind the registry; `current` re-reads classification
and producer from the database, so a dataset closed a moment ago is closed now.

Outside a request (digests, exports) build the reader with `Viewer.of(person)`, or
`Viewer.of(None, in_group=True)` for a group, and name only `listable` datasets (status rows
work too: they carry classification and OPD).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Literal, Protocol, TypeVar

from domain.terms import OPD_ROLES, Classification, Role
from handlers.catalog import DatasetEntry
from handlers.context import Request, Viewer
from handlers.messages import Reply
from storage.uow import UnitOfWork

# terbatas values: leadership, the data steward, and the producing OPD's own people.
RESTRICTED_READERS = frozenset({Role.PIMPINAN, Role.WALIDATA})
LISTED = frozenset({Classification.TERBUKA, Classification.TERBATAS})


class Classified(Protocol):
    """Anything that says how it is classified and who produces it: a catalog entry, a
    status row (`ChaseRow`), a dataset row."""

    @property
    def classification(self) -> str: ...

    @property
    def opd_id(self) -> int: ...


C = TypeVar("C", bound=Classified)


def may_see_values(viewer: Viewer, dataset: Classified) -> bool:
    if dataset.classification == Classification.TERBUKA:
        return True
    if dataset.classification != Classification.TERBATAS or viewer.in_group:
        return False  # tertutup: never in chat; groups: as the public
    return bool(viewer.roles & RESTRICTED_READERS) or (
        bool(viewer.roles & OPD_ROLES) and viewer.opd_id == dataset.opd_id
    )


def may_see_metadata(viewer: Viewer, dataset: Classified) -> bool:
    """A tertutup dataset's existence (title, code, producer) is itself for the walidata."""
    if dataset.classification in LISTED:
        return True
    return Role.WALIDATA in viewer.roles and not viewer.in_group


def listable(viewer: Viewer, items: Iterable[C]) -> list[C]:
    """The items whose title may be shown to this reader: for lists, digests and exports."""
    return [item for item in items if may_see_metadata(viewer, item)]


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
