"""/siaran: a walidata composes a data request, sees exactly who gets it, and confirms.

The draft is a `data_requests` row in status "draft" owned by the walidata, so two walidata
composing at once never touch each other's draft and a restart keeps it. The step the draft is
at lives in its `audience` ("stage"): text → audience (→ OPDs) → deadline → preview. Buttons
are `s:<action>[:<value>]` and always act on the presser's own draft. Nothing reaches the
outbox before "Kirim"; then every recipient's message and row are written in one transaction.
"""

from __future__ import annotations

from datetime import date, timedelta

from rapidfuzz import fuzz, process

from domain.calendar import WorkCalendar
from handlers.context import Request
from handlers.messages import Button, Reply
from handlers.text import tokens
from reminders.audience import (
    AUDIENCES,
    MAX_NAMED,
    MAX_REQUEST_TEXT,
    answer_buttons,
    caption_fits,
    describe,
    request_text,
    resolve,
)
from storage.models import DataRequest, DataRequestRecipient, Dataset, OutboxMessage, Person
from storage.uow import UnitOfWork

DEADLINE_DAYS = (3, 7, 14)
MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
OPD_BUTTONS_PER_ROW = 2


def _is_walidata(request: Request) -> bool:
    return "walidata" in request.viewer.roles and request.viewer.person_id is not None


async def siaran(request: Request) -> list[Reply]:
    t = request.texts
    if not _is_walidata(request):
        return [Reply(t.t("siaran_walidata_only"))]
    assert request.viewer.person_id is not None
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None:
            draft = DataRequest(
                created_by=request.viewer.person_id,
                created_at=request.now,
                text="",
                audience={"stage": "text"},
                status="draft",
                progress_text="",
                reminded_steps=[],
            )
            uow.session.add(draft)
        else:  # start again from the text, keeping nothing half-chosen
            draft.text, draft.file_id, draft.deadline, draft.dataset_id = "", None, None, None
            draft.audience = {"stage": "text"}
        await uow.commit()
    return [Reply(t.t("siaran_ask_text"))]


async def batal(request: Request) -> list[Reply]:
    t = request.texts
    if not _is_walidata(request):
        return [Reply(t.t("siaran_walidata_only"))]
    assert request.viewer.person_id is not None
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None:
            return [Reply(t.t("siaran_no_draft"))]
        await uow.session.delete(draft)
        await uow.commit()
    return [Reply(t.t("siaran_cancelled"))]


async def compose(request: Request) -> list[Reply] | None:
    """A walidata's plain message or document while a draft is open belongs to the draft."""
    if not _is_walidata(request):
        return None
    assert request.viewer.person_id is not None
    incoming = request.incoming
    t = request.texts
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None:
            return None
        stage = draft.audience.get("stage")
        replies: list[Reply] = []
        document = await incoming.fetch_document()
        if document is not None:
            if len(document.content) > MAX_FILE_BYTES:
                return [
                    Reply(
                        t.t("siaran_file_too_big", size=len(document.content), limit=MAX_FILE_BYTES)
                    )
                ]
            draft.file = await uow.outbox.file(document.filename, document.content, request.now)
            replies.append(Reply(t.t("siaran_file_added", name=document.filename)))
        text = incoming.text.strip()
        if stage == "text" and text:
            if len(text) > MAX_REQUEST_TEXT:
                return [
                    Reply(
                        t.t(
                            "siaran_text_too_long",
                            length=len(text),
                            limit=MAX_REQUEST_TEXT,
                            with_file=False,
                        )
                    )
                ]
            draft.text = text
            draft.audience = {"stage": "audience"}
            replies.append(_audience_question(request))
        elif stage == "opds" and text:
            replies.append(await _add_opd(request, draft, text))
        elif stage == "preview" and text:
            replies.extend(await _link_dataset(request, uow, draft, text))
        elif text or document is None:
            replies.append(Reply(t.t("siaran_draft_waiting")))
        await uow.commit()
    return replies


async def on_button(request: Request) -> list[Reply]:
    t = request.texts
    if not _is_walidata(request):
        return [Reply(t.t("walidata_only"))]
    assert request.viewer.person_id is not None
    parts = (request.incoming.callback_data or "").split(":")
    action, value = parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
    async with request.app.uow() as uow:
        draft = await uow.requests.draft_of(request.viewer.person_id)
        if draft is None or not draft.text:
            return [Reply(t.t("siaran_not_draft"))]
        if action == "a" and value in AUDIENCES:
            replies = await _choose_audience(request, uow, draft, value)
        elif action == "o" and value.isdigit():
            replies = await _toggle_opd(request, uow, draft, int(value))
        elif action == "od":
            replies = await _opds_done(request, uow, draft)
        elif action == "d" and value.isdigit():
            replies = await _choose_deadline(request, uow, draft, int(value))
        elif action == "ok" and draft.audience.get("stage") == "preview":
            replies = await _confirm(request, uow, draft)
        elif action == "no":
            await uow.session.delete(draft)
            replies = [Reply(t.t("siaran_cancelled"))]
        else:
            return [Reply(t.t("stale_button"))]
        await uow.commit()
    return replies


def _audience_question(request: Request) -> Reply:
    t = request.texts
    buttons = [[Button(t.t(f"aud_{kind}"), f"s:a:{kind}")] for kind in AUDIENCES]
    buttons.append([Button(t.t("btn_cancel"), "s:no")])
    return Reply(t.t("siaran_choose_audience"), buttons=buttons)


async def _choose_audience(
    request: Request, uow: UnitOfWork, draft: DataRequest, kind: str
) -> list[Reply]:
    if kind == "opds":
        draft.audience = {"stage": "opds", "kind": "opds", "opds": []}
        return [await _opd_question(request, uow, draft)]
    draft.audience = {"stage": "deadline", "kind": kind}
    return await _deadline_or_refusal(request, uow, draft)


async def _opd_question(request: Request, uow: UnitOfWork, draft: DataRequest) -> Reply:
    t = request.texts
    chosen = set(draft.audience.get("opds", []))
    opds = await uow.opds.all()
    labels = [Button(("☑️ " if o.id in chosen else "") + o.short_name, f"s:o:{o.id}") for o in opds]
    rows = [labels[i : i + OPD_BUTTONS_PER_ROW] for i in range(0, len(labels), OPD_BUTTONS_PER_ROW)]
    rows.append([Button(t.t("btn_opds_done"), "s:od"), Button(t.t("btn_cancel"), "s:no")])
    names = [o.name for o in opds if o.id in chosen]
    return Reply(t.t("siaran_choose_opds", chosen=names), buttons=rows)


async def _toggle_opd(
    request: Request, uow: UnitOfWork, draft: DataRequest, opd_id: int
) -> list[Reply]:
    if draft.audience.get("stage") != "opds":
        return [Reply(request.texts.t("stale_button"))]
    chosen = list(draft.audience.get("opds", []))
    if opd_id in chosen:
        chosen.remove(opd_id)
    elif any(o.id == opd_id for o in await uow.opds.all()):
        chosen.append(opd_id)
    draft.audience = {**draft.audience, "opds": chosen}
    return [await _opd_question(request, uow, draft)]


async def _add_opd(request: Request, draft: DataRequest, typed: str) -> Reply:
    """A typed OPD name: added when recognised, else the closest names are suggested."""
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
        return Reply(t.t("opd_unknown", opd=typed, suggestions=close))
    opd = found[0].payloads[0]
    chosen = list(draft.audience.get("opds", []))
    if opd.id not in chosen:
        chosen.append(opd.id)
    draft.audience = {**draft.audience, "opds": chosen}
    return Reply(t.t("siaran_opd_added", opd=opd.name))


async def _opds_done(request: Request, uow: UnitOfWork, draft: DataRequest) -> list[Reply]:
    if draft.audience.get("stage") != "opds":
        return [Reply(request.texts.t("stale_button"))]
    if not draft.audience.get("opds"):
        return [Reply(request.texts.t("siaran_no_opd_chosen"))]
    draft.audience = {**draft.audience, "stage": "deadline"}
    return await _deadline_or_refusal(request, uow, draft)


async def _deadline_or_refusal(
    request: Request, uow: UnitOfWork, draft: DataRequest
) -> list[Reply]:
    """An audience nobody can be reached in is refused here, before any further question."""
    t = request.texts
    audience = await resolve(uow, draft.audience, _today(request))
    if not audience.reachable:
        opd_names = {o.id: o.name for o in await uow.opds.all()}
        refusal = t.t(
            "siaran_empty_audience",
            audience=describe(draft.audience, opd_names, t.language),
            unreachable=[p.name for p in audience.unreachable][:MAX_NAMED],
        )
        draft.audience = {"stage": "audience"}
        return [Reply(refusal), _audience_question(request)]
    calendar = request.app.reminders.calendar
    today = _today(request)
    buttons = []
    for days in DEADLINE_DAYS:
        due = _working_days_after(calendar, today, days)
        buttons.append(
            [Button(t.t("btn_deadline_days", days=days, date=due), f"s:d:{(due - today).days}")]
        )
    buttons.append([Button(t.t("btn_no_deadline"), "s:d:0")])
    return [Reply(t.t("siaran_choose_deadline"), buttons=buttons)]


async def _choose_deadline(
    request: Request, uow: UnitOfWork, draft: DataRequest, days: int
) -> list[Reply]:
    if draft.audience.get("stage") != "deadline":
        return [Reply(request.texts.t("stale_button"))]
    draft.deadline = _today(request) + timedelta(days=days) if days else None
    draft.audience = {**draft.audience, "stage": "preview"}
    return [await _preview(request, uow, draft)]


async def _preview(request: Request, uow: UnitOfWork, draft: DataRequest) -> Reply:
    t = request.texts
    audience = await resolve(uow, draft.audience, _today(request))
    opd_names = {o.id: o.name for o in await uow.opds.all()}
    dataset = await _dataset_label(uow, draft)
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
    buttons = [[Button(t.t("btn_send"), "s:ok"), Button(t.t("btn_cancel"), "s:no")]]
    return Reply(text, buttons=buttons)


async def _link_dataset(
    request: Request, uow: UnitOfWork, draft: DataRequest, typed: str
) -> list[Reply]:
    dataset = await uow.datasets.by_code(typed.strip().lower())
    if dataset is None:
        return [Reply(request.texts.t("siaran_draft_waiting"))]
    draft.dataset_id = dataset.id
    linked = Reply(request.texts.t("siaran_dataset_linked", title=dataset.title))
    return [linked, await _preview(request, uow, draft)]


async def _confirm(request: Request, uow: UnitOfWork, draft: DataRequest) -> list[Reply]:
    """Open the request: its progress line, then one message and one row per recipient."""
    t = request.texts
    audience = await resolve(uow, draft.audience, _today(request))
    if not audience.reachable:
        return await _deadline_or_refusal(request, uow, draft)
    draft.status, draft.sent_at = "open", request.now
    draft.audience = {k: v for k, v in draft.audience.items() if k != "stage"}
    await uow.session.flush()
    progress = OutboxMessage.to_chat(
        request.incoming.chat_id,
        key=f"request:{draft.id}:progress",
        kind="request_progress",
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
    uow.session.add(progress)
    await uow.session.flush()  # sent first: it is the oldest row in the outbox
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
    return [Reply(t.t("siaran_sent", id=draft.id, count=len(audience.reachable)))]


async def write_messages(
    uow: UnitOfWork, draft: DataRequest, people: list[Person], sender: str, request: Request
) -> None:
    """A recipient row for everyone; a message (and its file) for those on Telegram."""
    dataset = await _dataset_label(uow, draft)
    rendered: dict[str, str] = {}
    rows: list[tuple[DataRequestRecipient, OutboxMessage | None]] = []
    for person in people:
        language = person.language or "id"
        if language not in rendered:
            rendered[language] = request_text(draft, language, sender, dataset)
        message = None
        if person.telegram_user_id is not None:
            text = rendered[language]
            own_message = draft.file is not None and not caption_fits(text)
            if own_message:  # the document first, the text with the buttons right after
                uow.session.add(
                    OutboxMessage.to_person(
                        person,
                        key=f"request:{draft.id}:{person.id}:file",
                        kind="request_file",
                        text=draft.file.name if draft.file else "",
                        now=request.now,
                        file=draft.file,
                        file_kind="document",
                    )
                )
            message = OutboxMessage.to_person(
                person,
                key=f"request:{draft.id}:{person.id}",
                kind="request",
                text=text,
                now=request.now,
                buttons=answer_buttons(draft.id, language),
                file=None if own_message else draft.file,
                file_kind="document",
            )
            uow.session.add(message)
        recipient = DataRequestRecipient(
            request_id=draft.id, person_id=person.id, opd_id=person.opd_id
        )
        uow.session.add(recipient)
        rows.append((recipient, message))
    await uow.session.flush()
    for recipient, message in rows:
        recipient.outbox_id = message.id if message is not None else None


async def _dataset_label(uow: UnitOfWork, draft: DataRequest) -> str | None:
    if draft.dataset_id is None:
        return None
    dataset = await uow.session.get(Dataset, draft.dataset_id)
    return f"{dataset.title} ({dataset.code})" if dataset else None


def _today(request: Request) -> date:
    return request.now.astimezone(request.app.deployment.timezone).date()


def _working_days_after(calendar: WorkCalendar, start: date, days: int) -> date:
    day = start
    for _ in range(days):
        day = calendar.on_or_after(day + timedelta(days=1))
    return day
