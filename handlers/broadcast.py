"""/siaran: a walidata composes a data request, sees exactly who gets it, and confirms.

The draft is a `data_requests` row in status "draft" owned by the walidata, so two walidata
composing at once never touch each other's draft and a restart keeps it. Nothing reaches the
outbox before "Kirim"; then every recipient's message and row are written in one transaction.

The composing is a small state machine. The draft's step (`DraftStep`) is kept in its
`audience` ("stage"), and `TRANSITIONS` says which events each step takes and which steps
they may lead to (None: the draft is sent or deleted). Presses are `SiaranButton`s; what is
typed counts as the one `Typed` event its step takes:

    /siaran                           → TEXT      a new draft, or the walidata's own restarted
    TEXT     + the text typed         → AUDIENCE  a button per audience
    AUDIENCE + an audience            → OPDS      "OPD tertentu": a button per OPD
                                      → DEADLINE  any other: the deadline buttons
                                      → AUDIENCE  nobody in it is on Telegram: asked again
    OPDS     + an OPD pressed, typed  → OPDS      chosen (pressed again: no longer chosen)
    OPDS     + "Selesai"              → DEADLINE  (OPDS while none is chosen; AUDIENCE when
                                                  nobody in them is on Telegram)
    DEADLINE + a deadline             → PREVIEW   recipients, file, deadline, the unreachable
    PREVIEW  + a dataset code typed   → PREVIEW   the request names the dataset
    PREVIEW  + "Kirim"                → None      an open request, in the outbox (AUDIENCE
                                                  when nobody is reachable any more)
    any step + "Batal" (or /batal)    → None      the draft is deleted

The audience may be chosen again from any later step: its question stays in the chat. A file
sent at any step is attached. Any other press, such as a button of a step the draft has left
(a deadline after the preview), is answered with the step the draft waits at and changes
nothing; so is text typed at a step that takes none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from rapidfuzz import fuzz, process

from domain.access import LISTED, Viewer
from domain.calendar import WorkCalendar
from domain.callbacks import CallbackData
from domain.terms import OutboxKind, RequestStatus, Role
from handlers.context import Request
from handlers.messages import Button, Reply, button_id
from handlers.text import tokens
from reminders.audience import (
    AUDIENCES,
    KIND_VALUES,
    MAX_NAMED,
    MAX_REQUEST_TEXT,
    AudienceKind,
    answer_buttons,
    caption_fits,
    chosen_opds,
    dataset_label,
    describe,
    named_for,
    request_text,
    resolve,
)
from storage.models import DataRequest, DataRequestRecipient, OutboxMessage, Person
from storage.uow import UnitOfWork
from texts.i18n import Texts, texts

DEADLINE_DAYS = (3, 7, 14)
# Calendar days a deadline button may carry: a forged one must not reach past any real date.
MAX_DEADLINE_DAYS = 366
MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
OPD_BUTTONS_PER_ROW = 2
STAGE = "stage"  # the key of the draft's step in its audience


# -- the buttons ----------------------------------------------------------------------------


class SiaranAction(StrEnum):
    AUDIENCE = "a"  # an audience was chosen (value: an `AudienceKind`)
    OPD = "o"  # an OPD was pressed (value: its id)
    OPDS_DONE = "od"  # the OPDs are chosen
    DEADLINE = "d"  # a deadline was chosen (value: calendar days from today, 0 for none)
    SEND = "ok"  # "Kirim" on the preview
    CANCEL = "no"  # "Batal"


@dataclass(frozen=True)
class SiaranButton(CallbackData, prefix="s"):
    """`s:a:<audience>`, `s:o:<OPD id>`, `s:d:<days>`, `s:od`, `s:ok` or `s:no`, as sent before
    payloads were typed, so those buttons keep working. Build one with `audience`, `opd`,
    `deadline` or `plain`; a press of any other shape is stale."""

    action: SiaranAction
    value: str | None = None

    @classmethod
    def audience(cls, kind: AudienceKind) -> SiaranButton:
        return cls(SiaranAction.AUDIENCE, kind)

    @classmethod
    def opd(cls, opd_id: int) -> SiaranButton:
        return cls(SiaranAction.OPD, str(opd_id))

    @classmethod
    def deadline(cls, days: int) -> SiaranButton:
        return cls(SiaranAction.DEADLINE, str(days))

    @classmethod
    def plain(cls, action: SiaranAction) -> SiaranButton:
        """One of the buttons that carry nothing but their action."""
        assert action in PLAIN_ACTIONS, action
        return cls(action)

    @property
    def kind(self) -> AudienceKind | None:
        if self.action is not SiaranAction.AUDIENCE or self.value is None:
            return None
        return AudienceKind(self.value)

    @property
    def opd_id(self) -> int | None:
        if self.action is not SiaranAction.OPD or self.value is None:
            return None
        return button_id(self.value)

    @property
    def days(self) -> int | None:
        if self.action is not SiaranAction.DEADLINE or self.value is None:
            return None
        days = button_id(self.value)
        return days if days is not None and days <= MAX_DEADLINE_DAYS else None

    def valid(self) -> bool:
        """A value that fits the action: an audience, an OPD's id, days, or nothing."""
        if self.action is SiaranAction.AUDIENCE:
            return self.value in KIND_VALUES
        if self.action is SiaranAction.OPD:
            return self.opd_id is not None
        if self.action is SiaranAction.DEADLINE:
            return self.days is not None
        return self.value is None


PLAIN_ACTIONS = frozenset({SiaranAction.OPDS_DONE, SiaranAction.SEND, SiaranAction.CANCEL})


# -- the steps --------------------------------------------------------------------------------


class DraftStep(StrEnum):
    """Where a draft stands (see the module's docstring); stored as the audience's "stage"."""

    TEXT = "text"  # waiting for the request's text
    AUDIENCE = "audience"  # waiting for the choice of recipients
    OPDS = "opds"  # waiting for the OPDs to be chosen
    DEADLINE = "deadline"  # waiting for the deadline
    PREVIEW = "preview"  # shown; waiting for "Kirim" (or a dataset code)

    @classmethod
    def of(cls, draft: DataRequest) -> DraftStep:
        return cls(draft.audience.get(STAGE, cls.TEXT))


class Typed(StrEnum):
    """What typing means at a step that takes it."""

    TEXT = "text"  # the request's text
    OPD_NAME = "opd_name"  # an OPD to add, by name
    DATASET_CODE = "dataset_code"  # a dataset the request is about


DraftEvent = SiaranAction | Typed
Next = frozenset[DraftStep | None]
_CANCEL: dict[DraftEvent, Next] = {SiaranAction.CANCEL: frozenset({None})}
# Choosing the audience, from its own step or again from a later one.
_AUDIENCE: dict[DraftEvent, Next] = {
    SiaranAction.AUDIENCE: frozenset({DraftStep.OPDS, DraftStep.DEADLINE, DraftStep.AUDIENCE})
}
# The walidata's flow, in one place: the events each step takes, and where each may lead.
TRANSITIONS: dict[DraftStep, dict[DraftEvent, Next]] = {
    DraftStep.TEXT: {
        Typed.TEXT: frozenset({DraftStep.AUDIENCE}),
        **_CANCEL,
    },
    DraftStep.AUDIENCE: {**_AUDIENCE, **_CANCEL},
    DraftStep.OPDS: {
        SiaranAction.OPD: frozenset({DraftStep.OPDS}),
        Typed.OPD_NAME: frozenset({DraftStep.OPDS}),
        SiaranAction.OPDS_DONE: frozenset({DraftStep.DEADLINE, DraftStep.OPDS, DraftStep.AUDIENCE}),
        **_AUDIENCE,
        **_CANCEL,
    },
    DraftStep.DEADLINE: {
        SiaranAction.DEADLINE: frozenset({DraftStep.PREVIEW}),
        **_AUDIENCE,
        **_CANCEL,
    },
    DraftStep.PREVIEW: {
        Typed.DATASET_CODE: frozenset({DraftStep.PREVIEW}),
        SiaranAction.SEND: frozenset({None, DraftStep.AUDIENCE}),
        **_AUDIENCE,
        **_CANCEL,
    },
}


@dataclass(frozen=True)
class Moved:
    """What an event did: the step the draft goes to (None: it is sent or deleted), what the
    walidata is told, and the draft's new audience description (None: as it was)."""

    to: DraftStep | None
    replies: list[Reply]
    audience: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Refused:
    """The message is refused as a whole (a text too long): nothing of it is kept."""

    replies: list[Reply]


class IllegalTransition(RuntimeError):
    """A handler led the draft somewhere `TRANSITIONS` does not allow: a bug, rolled back."""


def _settle(draft: DataRequest, step: DraftStep, event: DraftEvent, moved: Moved) -> None:
    """Put the draft at the step the event led to, once the table allows that move."""
    if moved.to not in TRANSITIONS[step][event]:
        raise IllegalTransition(f"{step} + {event} → {moved.to}")
    if moved.to is not None:
        described = _description(draft) if moved.audience is None else moved.audience
        draft.audience = {**described, STAGE: moved.to}


def _description(draft: DataRequest) -> dict[str, object]:
    """Who the draft goes to, without the step it is at."""
    return {k: v for k, v in draft.audience.items() if k != STAGE}


def _typed_at(step: DraftStep) -> Typed | None:
    return next((e for e in TRANSITIONS[step] if isinstance(e, Typed)), None)


def _wrong_step(request: Request, step: DraftStep) -> Reply:
    return Reply(request.texts.t("siaran_wrong_step", step=step))


# -- the handlers -------------------------------------------------------------------------------


def _is_walidata(request: Request) -> bool:
    return Role.WALIDATA in request.viewer.roles and request.viewer.person_id is not None


def _in_group(request: Request) -> list[Reply] | None:
    """A draft's preview lists recipients by name: it is written in a private chat only."""
    if request.incoming.in_group:
        return [Reply(request.texts.t("admin_private_only"))]
    return None


async def siaran(request: Request) -> list[Reply]:
    t = request.texts
    if not _is_walidata(request):
        return [Reply(t.t("siaran_walidata_only"))]
    if refusal := _in_group(request):
        return refusal
    assert request.viewer.person_id is not None
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None:
            draft = DataRequest(
                created_by=request.viewer.person_id,
                created_at=request.now,
                text="",
                audience={STAGE: DraftStep.TEXT},
                status=RequestStatus.DRAFT,
                progress_text="",
                reminded_steps=[],
            )
            uow.requests.add(draft)
        else:  # start again from the text, keeping nothing half-chosen
            draft.text, draft.file_id, draft.deadline, draft.dataset_id = "", None, None, None
            draft.audience = {STAGE: DraftStep.TEXT}
        await uow.commit()
    return [Reply(t.t("siaran_ask_text"))]


async def batal(request: Request) -> list[Reply]:
    t = request.texts
    if not _is_walidata(request):
        return [Reply(t.t("siaran_walidata_only"))]
    if refusal := _in_group(request):
        return refusal
    assert request.viewer.person_id is not None
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None:
            return [Reply(t.t("siaran_no_draft"))]
        await uow.requests.delete(draft)
        await uow.commit()
    return [Reply(t.t("siaran_cancelled"))]


async def compose(request: Request) -> list[Reply] | None:
    """A walidata's plain message or document in private while a draft is open belongs to
    the draft; in a group it is a message like any other."""
    if not _is_walidata(request) or request.incoming.in_group:
        return None
    assert request.viewer.person_id is not None
    incoming = request.incoming
    t = request.texts
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None:
            return None
        replies: list[Reply] = []
        document = await incoming.fetch_document()
        if document is not None:
            if len(document.content) > MAX_FILE_BYTES:
                size = len(document.content)
                return [Reply(t.t("siaran_file_too_big", size=size, limit=MAX_FILE_BYTES))]
            draft.file = await uow.outbox.file(document.filename, document.content, request.now)
            replies.append(Reply(t.t("siaran_file_added", name=document.filename)))
        text = incoming.text.strip()
        step = DraftStep.of(draft)
        typed = _typed_at(step)
        if text and typed is not None:
            outcome = await ON_TYPED[typed](request, uow, draft, text)
            if isinstance(outcome, Refused):
                return outcome.replies
            _settle(draft, step, typed, outcome)
            replies.extend(outcome.replies)
        elif text or document is None:
            replies.append(Reply(t.t("siaran_draft_waiting")))
        await uow.commit()
    return replies


async def on_button(request: Request, button: SiaranButton) -> list[Reply]:
    """A press moves the walidata's own draft on if its step takes it (`TRANSITIONS`);
    otherwise it is told the step the draft waits at, and nothing changes."""
    t = request.texts
    if not _is_walidata(request):
        return [Reply(t.t("walidata_only"))]
    if refusal := _in_group(request):
        return refusal
    assert request.viewer.person_id is not None
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None:
            return [Reply(t.t("siaran_not_draft"))]
        step = DraftStep.of(draft)
        if button.action not in TRANSITIONS[step]:
            return [_wrong_step(request, step)]
        moved = await ON_PRESS[button.action](request, uow, draft, button)
        _settle(draft, step, button.action, moved)
        await uow.commit()
    return moved.replies


async def _write_text(
    request: Request, uow: UnitOfWork, draft: DataRequest, text: str
) -> Moved | Refused:
    """TEXT → AUDIENCE, unless the text cannot go in one Telegram message."""
    if len(text) > MAX_REQUEST_TEXT:
        too_long = request.texts.t(
            "siaran_text_too_long", length=len(text), limit=MAX_REQUEST_TEXT, with_file=False
        )
        return Refused([Reply(too_long)])
    draft.text = text
    return Moved(DraftStep.AUDIENCE, [_audience_question(request)], audience={})


def _audience_question(request: Request) -> Reply:
    t = request.texts
    buttons = [
        [Button(t.t(f"aud_{kind}"), SiaranButton.audience(kind).pack())] for kind in AUDIENCES
    ]
    buttons.append([_cancel_button(request)])
    return Reply(t.t("siaran_choose_audience"), buttons=buttons)


def _cancel_button(request: Request) -> Button:
    return Button(request.texts.t("btn_cancel"), SiaranButton.plain(SiaranAction.CANCEL).pack())


async def _choose_audience(
    request: Request, uow: UnitOfWork, draft: DataRequest, button: SiaranButton
) -> Moved:
    """→ OPDS for chosen OPDs; → DEADLINE (or back to AUDIENCE) for the others."""
    kind = button.kind
    assert kind is not None  # SiaranButton.unpack checked the shape
    if kind is AudienceKind.OPDS:
        audience = {"kind": kind, "opds": []}
        return Moved(DraftStep.OPDS, [await _opd_question(request, uow, audience)], audience)
    return await _deadline_or_refusal(request, uow, {"kind": kind})


async def _opd_question(request: Request, uow: UnitOfWork, audience: Mapping[str, object]) -> Reply:
    t = request.texts
    chosen = set(chosen_opds(audience))
    opds = await uow.opds.all()
    labels = [
        Button(("☑️ " if o.id in chosen else "") + o.short_name, SiaranButton.opd(o.id).pack())
        for o in opds
    ]
    rows = [labels[i : i + OPD_BUTTONS_PER_ROW] for i in range(0, len(labels), OPD_BUTTONS_PER_ROW)]
    done = SiaranButton.plain(SiaranAction.OPDS_DONE).pack()
    rows.append([Button(t.t("btn_opds_done"), done), _cancel_button(request)])
    names = [o.name for o in opds if o.id in chosen]
    return Reply(t.t("siaran_choose_opds", chosen=names), buttons=rows)


async def _toggle_opd(
    request: Request, uow: UnitOfWork, draft: DataRequest, button: SiaranButton
) -> Moved:
    """OPDS → OPDS: a pressed OPD is chosen, or no longer chosen if it was."""
    opd_id = button.opd_id
    assert opd_id is not None  # SiaranButton.unpack checked the shape
    chosen = chosen_opds(draft.audience)
    if opd_id in chosen:
        chosen.remove(opd_id)
    elif any(o.id == opd_id for o in await uow.opds.all()):
        chosen.append(opd_id)
    audience = {**_description(draft), "opds": chosen}
    return Moved(DraftStep.OPDS, [await _opd_question(request, uow, audience)], audience)


async def _add_opd(request: Request, uow: UnitOfWork, draft: DataRequest, typed: str) -> Moved:
    """OPDS → OPDS: a typed OPD name is added when recognised, else the closest are suggested."""
    t = request.texts
    catalog = request.app.catalog
    found = catalog.find_opds(catalog.correct(tokens(typed)))
    if not found:
        names = [o.name for o in catalog.opds.values()]
        close = [
            name
            for name, score, _ in process.extract(typed, names, scorer=fuzz.WRatio, limit=3)
            if score >= 60
        ]
        return Moved(DraftStep.OPDS, [Reply(t.t("opd_unknown", opd=typed, suggestions=close))])
    opd = found[0].payloads[0]
    chosen = chosen_opds(draft.audience)
    if opd.id not in chosen:
        chosen.append(opd.id)
    added = Reply(t.t("siaran_opd_added", opd=opd.name))
    return Moved(DraftStep.OPDS, [added], {**_description(draft), "opds": chosen})


async def _opds_done(
    request: Request, uow: UnitOfWork, draft: DataRequest, button: SiaranButton
) -> Moved:
    """OPDS → DEADLINE once an OPD is chosen (or back to AUDIENCE if none can be reached)."""
    if not chosen_opds(draft.audience):
        return Moved(DraftStep.OPDS, [Reply(request.texts.t("siaran_no_opd_chosen"))])
    return await _deadline_or_refusal(request, uow, _description(draft))


async def _deadline_or_refusal(
    request: Request, uow: UnitOfWork, audience: Mapping[str, object]
) -> Moved:
    """An audience nobody can be reached in is refused here, before any further question."""
    t = request.texts
    today = request.today
    resolved = await resolve(uow, audience, today)
    if not resolved.reachable:
        return await _refusal(request, uow, audience, resolved.unreachable)
    calendar = request.app.reminders.calendar
    buttons = []
    for days in DEADLINE_DAYS:
        due = _working_days_after(calendar, today, days)
        choose = SiaranButton.deadline((due - today).days).pack()
        buttons.append([Button(t.t("btn_deadline_days", days=days, date=due), choose)])
    buttons.append([Button(t.t("btn_no_deadline"), SiaranButton.deadline(0).pack())])
    question = Reply(t.t("siaran_choose_deadline"), buttons=buttons)
    return Moved(DraftStep.DEADLINE, [question], audience)


async def _refusal(
    request: Request, uow: UnitOfWork, audience: Mapping[str, object], unreachable: list[Person]
) -> Moved:
    """→ AUDIENCE: why nobody would get the request, and the audience question again."""
    t = request.texts
    opd_names = {o.id: o.name for o in await uow.opds.all()}
    refusal = t.t(
        "siaran_empty_audience",
        audience=describe(audience, opd_names, t.language),
        unreachable=[p.name for p in unreachable][:MAX_NAMED],
    )
    return Moved(DraftStep.AUDIENCE, [Reply(refusal), _audience_question(request)], {})


async def _choose_deadline(
    request: Request, uow: UnitOfWork, draft: DataRequest, button: SiaranButton
) -> Moved:
    """DEADLINE → PREVIEW."""
    days = button.days
    assert days is not None  # SiaranButton.unpack checked the shape
    draft.deadline = request.today + timedelta(days=days) if days else None
    return Moved(DraftStep.PREVIEW, [await _preview(request, uow, draft)])


async def _preview(request: Request, uow: UnitOfWork, draft: DataRequest) -> Reply:
    t = request.texts
    audience = await resolve(uow, draft.audience, request.today)
    opd_names = {o.id: o.name for o in await uow.opds.all()}
    dataset = await _dataset_label(uow, draft, t)
    text = t.render(
        "siaran_preview",
        text=draft.text,
        count=len(audience.reachable),
        audience=describe(draft.audience, opd_names, t.language),
        file=draft.file.name if draft.file else None,
        deadline=draft.deadline,
        dataset=dataset,
        unreachable=[p.name for p in audience.unreachable][:MAX_NAMED],
    )
    send = Button(t.t("btn_send"), SiaranButton.plain(SiaranAction.SEND).pack())
    return Reply(text, buttons=[[send, _cancel_button(request)]])


async def _link_dataset(request: Request, uow: UnitOfWork, draft: DataRequest, typed: str) -> Moved:
    """PREVIEW → PREVIEW: a typed dataset code names the dataset the request is about."""
    dataset = await uow.datasets.by_code(typed.strip().lower())
    if dataset is None:
        return Moved(DraftStep.PREVIEW, [Reply(request.texts.t("siaran_draft_waiting"))])
    draft.dataset_id = dataset.id
    linked = Reply(request.texts.t("siaran_dataset_linked", title=dataset.title))
    return Moved(DraftStep.PREVIEW, [linked, await _preview(request, uow, draft)])


async def _cancel(
    request: Request, uow: UnitOfWork, draft: DataRequest, button: SiaranButton
) -> Moved:
    """Any step → None: the draft is deleted."""
    await uow.requests.delete(draft)
    return Moved(None, [Reply(request.texts.t("siaran_cancelled"))])


async def _confirm(
    request: Request, uow: UnitOfWork, draft: DataRequest, button: SiaranButton
) -> Moved:
    """PREVIEW → None: the request opens with its progress line, then one message and one row
    per recipient. Back to AUDIENCE if nobody can be reached any more."""
    t = request.texts
    description = _description(draft)
    audience = await resolve(uow, description, request.today)
    if not audience.reachable:
        return await _refusal(request, uow, description, audience.unreachable)
    draft.status, draft.sent_at = RequestStatus.OPEN, request.now
    draft.audience = description
    progress = OutboxMessage.to_chat(
        request.incoming.chat_id,
        key=f"request:{draft.id}:progress",
        kind=OutboxKind.REQUEST_PROGRESS,
        text=t.t(
            "request_progress",
            id=draft.id,
            sent=0,
            total=len(audience.reachable),
            failed=0,
            pending=len(audience.reachable),
        ),
        now=request.now,
        person_id=request.viewer.person_id,
    )
    await uow.outbox.add_now([progress])  # sent first: it is the oldest row in the outbox
    draft.progress_outbox_id = progress.id
    draft.progress_text = progress.text
    await write_messages(uow, draft, audience.people, request.viewer.name, request)
    uow.audit.record(
        at=request.now,
        action="request_broadcast",
        person_id=request.viewer.person_id,
        chat_id=request.incoming.chat_id,
        detail={"request": draft.id, "recipients": len(audience.reachable)},
    )
    return Moved(None, [Reply(t.t("siaran_sent", id=draft.id, count=len(audience.reachable)))])


PressHandler = Callable[[Request, UnitOfWork, DataRequest, SiaranButton], Awaitable[Moved]]
TypedHandler = Callable[[Request, UnitOfWork, DataRequest, str], Awaitable[Moved | Refused]]
# What each event does to a draft whose step takes it.
ON_PRESS: dict[SiaranAction, PressHandler] = {
    SiaranAction.AUDIENCE: _choose_audience,
    SiaranAction.OPD: _toggle_opd,
    SiaranAction.OPDS_DONE: _opds_done,
    SiaranAction.DEADLINE: _choose_deadline,
    SiaranAction.SEND: _confirm,
    SiaranAction.CANCEL: _cancel,
}
ON_TYPED: dict[Typed, TypedHandler] = {
    Typed.TEXT: _write_text,
    Typed.OPD_NAME: _add_opd,
    Typed.DATASET_CODE: _link_dataset,
}


async def write_messages(
    uow: UnitOfWork, draft: DataRequest, people: list[Person], sender: str, request: Request
) -> None:
    """A recipient row for everyone; a message (and its file) for those on Telegram."""
    dataset = await uow.datasets.get(draft.dataset_id) if draft.dataset_id else None
    rendered: dict[tuple[str, str | None], str] = {}
    messages: list[OutboxMessage] = []
    main: dict[int, OutboxMessage] = {}  # each person's message with the answer buttons
    for person in people:
        if person.telegram_user_id is None:
            continue
        language = person.language or "id"
        label = None
        if dataset is not None:
            label = named_for(Viewer.of(person), dataset, dataset_label(dataset), texts(language))
        if (language, label) not in rendered:
            rendered[language, label] = request_text(draft, language, sender, label)
        text = rendered[language, label]
        own_message = draft.file is not None and not caption_fits(text)
        if own_message:  # the document first, the text with the buttons right after
            messages.append(
                OutboxMessage.to_person(
                    person,
                    key=f"request:{draft.id}:{person.id}:file",
                    kind=OutboxKind.REQUEST_FILE,
                    text=draft.file.name if draft.file else "",
                    now=request.now,
                    file=draft.file,
                    file_kind="document",
                )
            )
        main[person.id] = OutboxMessage.to_person(
            person,
            key=f"request:{draft.id}:{person.id}",
            kind=OutboxKind.REQUEST,
            text=text,
            now=request.now,
            buttons=answer_buttons(draft.id, language),
            file=None if own_message else draft.file,
            file_kind="document",
        )
        messages.append(main[person.id])
    await uow.outbox.add_now(messages)
    uow.requests.add_recipients(
        [
            DataRequestRecipient(
                request_id=draft.id,
                person_id=person.id,
                opd_id=person.opd_id,
                outbox_id=main[person.id].id if person.id in main else None,
            )
            for person in people
        ]
    )


async def _dataset_label(uow: UnitOfWork, draft: DataRequest, t: Texts) -> str | None:
    """The dataset as the walidata's preview names it, warning when recipients will not see
    its name (tertutup: only the walidata may know it exists)."""
    if draft.dataset_id is None:
        return None
    dataset = await uow.datasets.get(draft.dataset_id)
    if dataset is None:
        return None
    label = dataset_label(dataset)
    if dataset.classification not in LISTED:
        return t.t("siaran_dataset_closed", label=label)
    return label


def _working_days_after(calendar: WorkCalendar, start: date, days: int) -> date:
    day = start
    for _ in range(days):
        day = calendar.on_or_after(day + timedelta(days=1))
    return day
