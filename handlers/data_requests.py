"""Answers to a data request, and /permintaan where the walidata follows them up.

Buttons are `RequestButton`s (see `reminders.request_buttons`, which the broadcast and the
reminders build them with). A recipient answers (received, a promised date, sent, not ours);
the walidata views the answers, reminds the silent, exports, closes or cancels (`FOLLOW_UPS`).
Messages to other people go through the outbox with keys that make each one go once, however
often a button is pressed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from domain.terms import OutboxKind, OutboxStatus, RequestAnswer, RequestStatus, Role
from handlers.context import Request
from handlers.messages import Attachment, Button, Reply
from handlers.notices import tell
from reminders.audience import answer_buttons
from reminders.request_buttons import (
    RECIPIENT_ACTIONS,
    RECORDED,
    AnswerChoice,
    RequestAction,
    RequestButton,
)
from reports.xlsx import write_sheet
from storage.models import DataRequest, DataRequestRecipient, OutboxMessage, Person
from storage.uow import UnitOfWork
from texts.i18n import Texts, texts

PROMISE_DAYS = (1, 3, 5, 10)  # working days from today offered as promise dates
MAX_LISTED = 20
XLSX_WIDTHS = (34, 28, 14, 16, 16, 20, 8)


def _is_walidata(request: Request) -> bool:
    return Role.WALIDATA in request.viewer.roles


async def permintaan(request: Request) -> list[Reply]:
    t = request.texts
    if not _is_walidata(request):
        return [Reply(t.t("permintaan_walidata_only"))]
    async with request.app.uow() as uow:
        open_requests = list(await uow.requests.with_status(RequestStatus.OPEN))
    if not open_requests:
        return [Reply(t.t("req_none_open"))]
    buttons = [
        [Button(f"#{r.id} · {_headline(r.text)}", _follow_up(RequestAction.VIEW, r.id))]
        for r in reversed(open_requests[-MAX_LISTED:])
    ]
    return [Reply(t.t("req_list"), buttons=buttons)]


async def on_button(request: Request, button: RequestButton) -> list[Reply]:
    """A recipient's answer, or one of the walidata's follow-ups; the button is well formed
    (the dispatcher answered any other), but its request may be gone or still a draft."""
    t = request.texts
    async with request.app.uow() as uow:
        data_request = await uow.requests.get(button.request_id)
        if data_request is None or data_request.status == RequestStatus.DRAFT:
            return [Reply(t.t("stale_button"))]
        if button.action in RECIPIENT_ACTIONS:
            replies = await _answer(request, uow, data_request, button)
        elif not _is_walidata(request):
            return [Reply(t.t("walidata_only"))]
        else:
            replies = await FOLLOW_UPS[button.action](request, uow, data_request)
        await uow.commit()
    return replies


def _follow_up(action: RequestAction, request_id: int) -> str:
    return RequestButton.follow_up(action, request_id).pack()


async def _answer(
    request: Request, uow: UnitOfWork, data_request: DataRequest, button: RequestButton
) -> list[Reply]:
    t = request.texts
    if data_request.status != RequestStatus.OPEN:
        return [Reply(t.t("req_closed", id=data_request.id, status=data_request.status))]
    person_id = request.viewer.person_id
    recipient = (
        None if person_id is None else await uow.requests.recipient(data_request.id, person_id)
    )
    if recipient is None:
        return [Reply(t.t("req_not_yours"))]
    today = request.today
    if button.choice is AnswerChoice.PROMISE:
        return [_promise_dates(request, data_request, today)]
    if button.action is RequestAction.PROMISE:
        promised = button.promised
        assert promised is not None  # RequestButton.unpack checked the shape
        if not today <= promised <= _promise_days(request, today)[-1]:
            return [Reply(t.t("stale_button"))]  # past, or later than any date offered
        recipient.answer, recipient.promised_date = RequestAnswer.PROMISED, promised
        reply = t.t("req_answer_promised", id=data_request.id, date=promised)
    else:
        assert button.choice is not None  # RequestButton.unpack checked the shape
        answer = RECORDED[button.choice]
        recipient.answer, recipient.promised_date = answer, None
        if answer == RequestAnswer.NOT_OURS:
            told = await _tell_not_ours(request, uow, data_request)
            reply = t.t("req_answer_not_ours", id=data_request.id, walidata=told)
        else:
            reply = t.t(f"req_answer_{answer}", id=data_request.id)
    recipient.answered_at = request.now
    uow.audit.record(
        at=request.now,
        action="request_answered",
        person_id=person_id,
        chat_id=request.incoming.chat_id,
        detail={"request": data_request.id, "answer": recipient.answer or ""},
    )
    return [Reply(reply)]


async def _tell_not_ours(request: Request, uow: UnitOfWork, data_request: DataRequest) -> str:
    """The walidata who sent the request (every walidata, when they are gone) is asked to
    review an agency's "not ours"; the name of whom, for the presser."""
    author = await uow.people.get(data_request.created_by)
    people = (
        [author]
        if author is not None and author.active and Role.WALIDATA in author.role_names
        else await uow.people.active_with_role(Role.WALIDATA)
    )
    viewer = request.viewer
    opd = await uow.opds.get(viewer.opd_id) if viewer.opd_id else None
    view = _follow_up(RequestAction.VIEW, data_request.id)
    for person in people:
        await tell(
            uow,
            person,
            f"req:{data_request.id}:notours:{viewer.person_id}:{person.id}",  # told once
            "req_not_ours_for_walidata",
            request.now,
            buttons=[[{"text": texts(person.language or "id").t("btn_req_view"), "data": view}]],
            id=data_request.id,
            person=viewer.name,
            opd=opd.name if opd else "",
            text=_headline(data_request.text),
        )
    return ", ".join(p.name for p in people)


def _promise_dates(request: Request, data_request: DataRequest, today: date) -> Reply:
    """The working days a recipient may promise the data for."""
    t = request.texts
    buttons = [
        [Button(t.t("btn_extend_to", date=day), RequestButton.promise(data_request.id, day).pack())]
        for day in _promise_days(request, today)
    ]
    return Reply(t.t("req_choose_date"), buttons=buttons)


def _promise_days(request: Request, today: date) -> list[date]:
    """`PROMISE_DAYS` working days after `today`, earliest first."""
    calendar = request.app.reminders.calendar
    days, day = [], today
    for count in range(1, PROMISE_DAYS[-1] + 1):
        day = calendar.on_or_after(day + timedelta(days=1))
        if count in PROMISE_DAYS:
            days.append(day)
    return days


async def attach_answer_file(request: Request) -> list[Reply] | None:
    """A document from someone who just said "Sudah dikirim" is the file they sent."""
    incoming, person_id = request.incoming, request.viewer.person_id
    if (incoming.document is None and incoming.file is None) or person_id is None:
        return None
    async with request.app.uow() as uow:
        recipient = await uow.requests.awaiting_file(person_id)
        if recipient is None:
            return None
        document = await incoming.fetch_document()
        if document is None:
            return None
        stored = await uow.outbox.file(document.filename, document.content, request.now)
        await uow.requests.attach_answer_file(recipient, stored)
        await uow.commit()
    name, request_id = document.filename, recipient.request_id
    return [Reply(request.texts.t("req_file_received", name=name, id=request_id))]


@dataclass
class OpdAnswers:
    opd: str
    received: int = 0
    promised: int = 0
    sent: int = 0
    not_ours: int = 0
    silent: int = 0
    promised_dates: list[date] = field(default_factory=list)


async def _detail(request: Request, uow: UnitOfWork, data_request: DataRequest) -> list[Reply]:
    t = request.texts
    opd_names = {o.id: o.name for o in await uow.opds.all()}
    per_opd: dict[str, OpdAnswers] = {}
    for recipient in await uow.requests.recipients(data_request.id):
        name = opd_names.get(recipient.opd_id or -1, "—")
        row = per_opd.setdefault(name, OpdAnswers(name))
        answer = recipient.answer or "silent"
        setattr(row, answer, getattr(row, answer) + 1)
        if recipient.promised_date is not None:
            row.promised_dates.append(recipient.promised_date)
    text = t.render(
        "request_detail",
        id=data_request.id,
        sent_at=(data_request.sent_at or data_request.created_at).astimezone(
            request.app.deployment.timezone
        ),
        deadline=data_request.deadline,
        text=_headline(data_request.text, 300),
        rows=sorted(per_opd.values(), key=lambda r: r.opd),
    )
    ref, is_open = data_request.id, data_request.status == RequestStatus.OPEN
    remind = Button(t.t("btn_req_remind"), _follow_up(RequestAction.REMIND, ref))
    buttons = [[remind]] if is_open else []
    buttons.append([Button(t.t("btn_req_export"), _follow_up(RequestAction.EXPORT, ref))])
    if is_open:
        buttons.append(
            [
                Button(t.t("btn_req_close"), _follow_up(RequestAction.CLOSE, ref)),
                Button(t.t("btn_req_cancel"), _follow_up(RequestAction.CANCEL, ref)),
            ]
        )
    return [Reply(text, buttons=buttons)]


async def _remind(request: Request, uow: UnitOfWork, data_request: DataRequest) -> list[Reply]:
    """Once a day at most per person: the key carries the local date."""
    t = request.texts
    if data_request.status != RequestStatus.OPEN:
        return [Reply(t.t("req_already_closed", id=data_request.id, status=data_request.status))]
    today = request.today
    silent = await silent_people(uow, data_request)
    if not silent:
        return [Reply(t.t("req_nobody_silent"))]
    count = 0
    for person in silent:
        key = f"request:{data_request.id}:remind:{person.id}:{today.isoformat()}"
        if await uow.outbox.exists(key):
            continue
        uow.outbox.add(reminder_message(data_request, person, key, request.now))
        count += 1
    return [Reply(t.t("req_reminded", count=count))]


async def silent_people(uow: UnitOfWork, data_request: DataRequest) -> list[Person]:
    """Recipients on Telegram who have not answered yet."""
    people = {p.id: p for p in await uow.people.all()}
    return [
        people[r.person_id]
        for r in await uow.requests.recipients(data_request.id)
        if r.answer is None and people[r.person_id].telegram_user_id is not None
    ]


def reminder_message(
    data_request: DataRequest, person: Person, key: str, now: datetime
) -> OutboxMessage:
    language = person.language or "id"
    return OutboxMessage.to_person(
        person,
        key=key,
        kind=OutboxKind.NOTICE,
        text=texts(language).t(
            "req_reminder",
            id=data_request.id,
            deadline=data_request.deadline,
            text=_headline(data_request.text, 600),
        ),
        now=now,
        buttons=answer_buttons(data_request.id, language),
    )


async def _close(request: Request, uow: UnitOfWork, data_request: DataRequest) -> list[Reply]:
    return await _end(request, uow, data_request, RequestStatus.CLOSED)


async def _cancel(request: Request, uow: UnitOfWork, data_request: DataRequest) -> list[Reply]:
    return await _end(request, uow, data_request, RequestStatus.CANCELLED)


async def _end(
    request: Request, uow: UnitOfWork, data_request: DataRequest, status: RequestStatus
) -> list[Reply]:
    """Close (done) or cancel (withdrawn): unsent messages are dropped, the others told once."""
    t = request.texts
    if data_request.status != RequestStatus.OPEN:
        return [Reply(t.t("req_already_closed", id=data_request.id, status=data_request.status))]
    data_request.status, data_request.closed_at = status, request.now
    for message in await uow.requests.pending_messages(data_request.id):
        message.status, message.error = OutboxStatus.CANCELLED, f"request {status}"
    # Only those the request reached hear that it ended.
    delivered = {
        m.id for m in await uow.requests.messages(data_request.id) if m.status == OutboxStatus.SENT
    }
    people = {p.id: p for p in await uow.people.all()}
    count = 0
    for recipient in await uow.requests.recipients(data_request.id):
        if recipient.outbox_id not in delivered:
            continue
        person = people[recipient.person_id]
        key = f"request:{data_request.id}:end:{person.id}"
        if await uow.outbox.exists(key):
            continue
        uow.outbox.add(
            OutboxMessage.to_person(
                person,
                key=key,
                kind=OutboxKind.NOTICE,
                text=texts(person.language or "id").t(
                    "req_closed_notice", id=data_request.id, status=status
                ),
                now=request.now,
            )
        )
        count += 1
    uow.audit.record(
        at=request.now,
        action=f"request_{status}",
        person_id=request.viewer.person_id,
        chat_id=request.incoming.chat_id,
        detail={"request": data_request.id},
    )
    return [Reply(t.t("req_closed_walidata", id=data_request.id, status=status, count=count))]


async def _export(request: Request, uow: UnitOfWork, data_request: DataRequest) -> list[Reply]:
    t = request.texts
    content = answers_sheet(
        t,
        await uow.requests.recipients(data_request.id),
        {p.id: p for p in await uow.people.all()},
        {o.id: o.name for o in await uow.opds.all()},
        {m.id: m.status for m in await uow.requests.messages(data_request.id)},
        request.app.deployment.timezone,
    )
    name = t.t("req_xlsx_name", id=data_request.id)
    caption = t.t("req_xlsx_caption", id=data_request.id)
    return [Reply(caption, attachment=Attachment("document", name, content))]


FollowUp = Callable[[Request, UnitOfWork, DataRequest], Awaitable[list[Reply]]]
# What each of the walidata's buttons does.
FOLLOW_UPS: dict[RequestAction, FollowUp] = {
    RequestAction.VIEW: _detail,
    RequestAction.REMIND: _remind,
    RequestAction.EXPORT: _export,
    RequestAction.CLOSE: _close,
    RequestAction.CANCEL: _cancel,
}


def answers_sheet(
    t: Texts,
    recipients: Sequence[DataRequestRecipient],
    people: dict[int, Person],
    opd_names: dict[int, str],
    delivery: dict[int, str],
    timezone: tzinfo,
) -> bytes:
    """One row per recipient: who, whether it reached them, what they answered and when."""
    rows = []
    deliveries: dict[str | None, str] = {
        None: t.t("delivery_unreachable"),
        OutboxStatus.SENT: t.t("delivery_sent"),
        OutboxStatus.PENDING: t.t("delivery_pending"),
    }
    for r in recipients:
        status = delivery.get(r.outbox_id) if r.outbox_id is not None else None
        delivered = deliveries.get(status, t.t("delivery_failed"))
        answered = (
            r.answered_at.astimezone(timezone).strftime("%Y-%m-%d %H:%M") if r.answered_at else None
        )
        rows.append(
            [
                opd_names.get(r.opd_id or -1, ""),
                people[r.person_id].name,
                delivered,
                t.t(f"answer_{r.answer or 'silent'}"),
                r.promised_date,
                answered,
                "✓" if r.answer_file_id else "",
            ]
        )
    rows.sort(key=lambda row: (str(row[0]), str(row[1])))
    header = t.t("req_xlsx_columns").split("|")
    return write_sheet(t.t("req_xlsx_sheet"), header, rows, XLSX_WIDTHS)


def _headline(text: str, limit: int = 40) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"
