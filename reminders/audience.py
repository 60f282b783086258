"""Who a data request goes to, and the message each recipient gets.

Shared by the composer (preview, confirmation), the walidata's follow-ups and the request
reminders, so the count in the preview is exactly the number of messages written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.access import Viewer, may_see_metadata
from domain.telegram_limits import CAPTION_LIMIT, TEXT_LIMIT
from domain.terms import DeadlineStatus, Role
from reminders.request_buttons import AnswerChoice, RequestButton
from reminders.status import dataset_statuses
from storage.models import DataRequest, Dataset, Person
from storage.uow import UnitOfWork
from texts.i18n import Texts, texts


class AudienceKind(StrEnum):
    """Who a request goes to, as the walidata chooses it (stored in the request's audience)."""

    LIAISONS = "liaisons"  # every liaison
    OPDS = "opds"  # the liaisons of the OPDs chosen
    OVERDUE = "overdue"  # the liaisons of OPDs with an overdue dataset
    HEADS = "heads"  # every head of an OPD
    OFFICIALS = "officials"  # the officials


AUDIENCES = tuple(AudienceKind)
KIND_VALUES = frozenset(AudienceKind)
ROLE_OF = {
    AudienceKind.LIAISONS: Role.PRODUSEN,
    AudienceKind.OPDS: Role.PRODUSEN,
    AudienceKind.OVERDUE: Role.PRODUSEN,
    AudienceKind.HEADS: Role.KEPALA_OPD,
    AudienceKind.OFFICIALS: Role.PIMPINAN,
}
MAX_NAMED = 30  # names of unreachable people shown in a preview
# The walidata's own words: one Telegram message, with room for the header and footer in
# either language. A file that cannot take the whole text as caption goes in its own message.
MAX_REQUEST_TEXT = TEXT_LIMIT - 400


@dataclass(frozen=True)
class Audience:
    people: list[Person]

    @property
    def reachable(self) -> list[Person]:
        return [p for p in self.people if p.telegram_user_id is not None]

    @property
    def unreachable(self) -> list[Person]:
        return [p for p in self.people if p.telegram_user_id is None]


def kind_of(audience: Mapping[str, object]) -> AudienceKind | None:
    """The kind an audience description names; None for one not (yet) chosen."""
    kind = audience.get("kind")
    return AudienceKind(kind) if isinstance(kind, str) and kind in KIND_VALUES else None


def chosen_opds(audience: Mapping[str, object]) -> list[int]:
    """The OPDs an audience description names, in the order they were chosen."""
    opds = audience.get("opds")
    return [int(o) for o in opds] if isinstance(opds, list) else []


async def resolve(uow: UnitOfWork, audience: Mapping[str, object], today: date) -> Audience:
    """The active people an audience description names, each once, by id."""
    kind = kind_of(audience)
    if kind is None:
        return Audience([])
    role = ROLE_OF[kind]
    opds: set[int] | None = None
    if kind is AudienceKind.OPDS:
        opds = set(chosen_opds(audience))
    elif kind is AudienceKind.OVERDUE:
        late = await dataset_statuses(uow, today)
        opds = {s.row.opd_id for s in late if s.deadline.status == DeadlineStatus.TERLAMBAT}
    people = [
        p
        for p in await uow.people.all()
        if p.active and role in p.role_names and (opds is None or p.opd_id in opds)
    ]
    return Audience(people)


def describe(audience: Mapping[str, object], opd_names: dict[int, str], language: str) -> str:
    """ "Semua penghubung data", or the chosen OPDs' names."""
    t = texts(language)
    kind = kind_of(audience)
    if kind is AudienceKind.OPDS:
        chosen = [opd_names.get(o, "?") for o in chosen_opds(audience)]
        return f"{t.t('aud_opds')}: {', '.join(chosen)}"
    return t.t(f"aud_{kind}") if kind is not None else ""


def request_text(request: DataRequest, language: str, sender: str, dataset: str | None) -> str:
    """`dataset`: as `named_for` names it to the recipient, or None."""
    return texts(language).render(
        "data_request",
        id=request.id or 0,
        sender=sender,
        text=request.text,
        deadline=request.deadline,
        dataset=dataset,
    )


def dataset_label(dataset: Dataset) -> str:
    return f"{dataset.title} ({dataset.code})"


def named_for(reader: Viewer, dataset: Dataset, name: str, t: Texts) -> str:
    """`name` (the dataset's title or label) in a message to `reader`, or "dataset tertutup"
    when the reader may not know it exists (`domain.access`)."""
    return name if may_see_metadata(reader, dataset) else t.t("closed_dataset")


def caption_fits(text: str) -> bool:
    return len(text) <= CAPTION_LIMIT


def answer_buttons(request_id: int, language: str) -> list[list[dict[str, str]]]:
    """The recipient's four answers, as an outbox message stores its buttons."""
    t = texts(language)

    def button(key: str, choice: AnswerChoice) -> dict[str, str]:
        return {"text": t.t(key), "data": RequestButton.answer(request_id, choice).pack()}

    return [
        [
            button("btn_req_received", AnswerChoice.RECEIVED),
            button("btn_req_promise", AnswerChoice.PROMISE),
        ],
        [
            button("btn_req_sent", AnswerChoice.SENT),
            button("btn_req_not_ours", AnswerChoice.NOT_OURS),
        ],
    ]
