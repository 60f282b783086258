"""Who may see what of a dataset, by its classification (klasifikasi). One policy for every
message the bot composes for a person or a group: answers, charts, buttons and their
refusals, dataset lists, /status, /kepatuhan, reminders, escalations, digests and exports.

- terbuka: values and metadata for anyone who talks to the bot;
- terbatas: values for leaders, the walidata and the producing OPD's head and liaisons;
  metadata for all;
- tertutup: values never in chat; even the dataset's existence (title, code, producer) only
  for the walidata. Anyone else is told how many there are, never which.

A group chat may hold anyone, so what is said there is held to the public's rights whoever
asked. Anything that is not a known classification is treated as tertutup.

Build the reader with `Viewer.of(person)`, or `Viewer.of(None, in_group=True)` for a group,
and name only `listable` datasets (status rows and reminder items work too: they carry
classification and OPD).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from domain.terms import OPD_ROLES, Classification, Role


class Member(Protocol):
    """A person of the registry, as far as what they may read goes."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def role_names(self) -> frozenset[str]: ...

    @property
    def opd_id(self) -> int | None: ...

    @property
    def language(self) -> str | None: ...

    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class Viewer:
    """The person behind a message, or an anonymous member of the public.

    `in_group`: the reply goes to a group chat, where anyone may read it.
    `language`: the person's own, stored with them (when they accepted their invitation, the
    language they were answered in; or the `bahasa` of an imported list); None for the public
    and for a person who has not chosen one (imported without it), whose Telegram app's
    language or the deployment's default is used instead.
    """

    person_id: int | None
    name: str
    roles: frozenset[str]
    opd_id: int | None
    language: str | None
    in_group: bool = False

    @property
    def is_known(self) -> bool:
        return self.person_id is not None

    @classmethod
    def of(cls, person: Member | None, *, in_group: bool = False) -> Viewer:
        """The reader a message to this person (or, with None, to the public) is for."""
        if person is None or not person.active:
            return cls(None, "", frozenset(), None, None, in_group)
        return cls(
            person.id, person.name, person.role_names, person.opd_id, person.language, in_group
        )


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
