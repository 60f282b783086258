"""Who a data request goes to, and the message each recipient gets.

Shared by the composer (preview, confirmation), the walidata's follow-ups and the request
reminders, so the count in the preview is exactly the number of messages written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.telegram_limits import CAPTION_LIMIT, TEXT_LIMIT
from reminders.status import dataset_statuses
from storage.models import DataRequest, Person
from storage.uow import UnitOfWork
from texts.i18n import texts

AUDIENCES = ("liaisons", "opds", "overdue", "heads", "officials")
ROLE_OF = {
    "liaisons": "produsen",
    "opds": "produsen",
    "overdue": "produsen",
    "heads": "kepala_opd",
    "officials": "pimpinan",
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


async def resolve(uow: UnitOfWork, audience: dict[str, object], today: date) -> Audience:
    """The active people an audience description names, each once, by id."""
    kind = str(audience.get("kind", ""))
    role = ROLE_OF.get(kind)
    if role is None:
        return Audience([])
    opds: set[int] | None = None
    if kind == "opds":
        opds = {int(o) for o in audience.get("opds", []) or []}  # type: ignore[union-attr]
    elif kind == "overdue":
        late = await dataset_statuses(uow, today)
        opds = {s.row.opd_id for s in late if s.deadline.status == "terlambat"}
    people = [
        p
        for p in await uow.people.all()
        if p.active and role in p.role_names and (opds is None or p.opd_id in opds)
    ]
    return Audience(people)


def describe(audience: dict[str, object], opd_names: dict[int, str], language: str) -> str:
    """ "Semua penghubung data", or the chosen OPDs' names."""
    t = texts(language)
    kind = str(audience.get("kind", ""))
    if kind == "opds":
        chosen = [opd_names.get(int(o), "?") for o in audience.get("opds", []) or []]  # type: ignore[union-attr]
        return f"{t.t('aud_opds')}: {', '.join(chosen)}"
    return t.t(f"aud_{kind}") if kind in AUDIENCES else ""


def request_text(request: DataRequest, language: str, sender: str, dataset: str | None) -> str:
    return texts(language).render(
        "data_request",
        id=request.id or 0,
        sender=sender,
        text=request.text,
        deadline=request.deadline,
        dataset=dataset,
    )


def caption_fits(text: str) -> bool:
    return len(text) <= CAPTION_LIMIT


def answer_buttons(request_id: int, language: str) -> list[list[dict[str, str]]]:
    t = texts(language)
    ref = f"d:a:{request_id}"
    return [
        [
            {"text": t.t("btn_req_received"), "data": f"{ref}:rcv"},
            {"text": t.t("btn_req_promise"), "data": f"{ref}:prm"},
        ],
        [
            {"text": t.t("btn_req_sent"), "data": f"{ref}:snt"},
            {"text": t.t("btn_req_not_ours"), "data": f"{ref}:no"},
        ],
    ]
