"""Reminders and escalations for data requests with a deadline, on the datasets' cadence.

The same steps (H-3, H-1, H, H+1, escalations…), working-day calendar and sending window as a
dataset's chase. A step reminds the recipients who have not answered "sudah dikirim" or "bukan
wewenang kami" (the cadence's liaison role means the request's own recipients) and escalates to
heads of their OPDs, the walidata or officials by the same audience rules. Each step is
recorded on the request and keyed in the outbox, so it goes once.
"""

from __future__ import annotations

from datetime import datetime

from domain.cadence import LIAISON, current, plan, sending_allowed
from domain.engine import WEEKLY_HORIZON, ReminderSettings
from domain.terms import REGION_WIDE_ROLES, OutboxKind, RequestAnswer, RequestStatus
from reminders.audience import answer_buttons
from storage.models import DataRequest, OutboxMessage, Person
from storage.uow import UnitOfWorkFactory
from texts.i18n import texts

SETTLED = frozenset({RequestAnswer.SENT, RequestAnswer.NOT_OURS})
TEXT_EXCERPT = 600


async def run_request_tick(
    uow_factory: UnitOfWorkFactory, now: datetime, settings: ReminderSettings
) -> int:
    """Enqueue the step due now for every open request with a deadline; returns messages."""
    local = now.astimezone(settings.timezone)
    if not sending_allowed(local, settings.window, settings.calendar):
        return 0
    today = local.date()
    written = 0
    async with uow_factory() as uow:
        people = {p.id: p for p in await uow.people.all() if p.active}
        opd_names = {o.id: o.name for o in await uow.opds.all()}
        for request in await uow.requests.with_status(RequestStatus.OPEN):
            if request.deadline is None:
                continue
            planned = plan(
                request.deadline, settings.cadence, settings.calendar, today + WEEKLY_HORIZON
            )
            step = current(planned, today)
            if step is None or step.key in request.reminded_steps:
                continue
            request.reminded_steps = [*request.reminded_steps, step.key]
            owing = [
                r
                for r in await uow.requests.recipients(request.id)
                if r.answer not in SETTLED and r.person_id in people
            ]
            if not owing:
                continue
            late_opds = sorted({opd_names.get(r.opd_id or -1, "—") for r in owing})
            opd_ids = {r.opd_id for r in owing}
            told: set[int] = set()
            for role in step.step.audience:
                if role == LIAISON:
                    targets = [people[r.person_id] for r in owing]
                else:
                    targets = [
                        p
                        for p in people.values()
                        if role in p.role_names
                        and (role in REGION_WIDE_ROLES or p.opd_id in opd_ids)
                    ]
                for person in targets:
                    if person.id in told or person.telegram_user_id is None:
                        continue
                    told.add(person.id)
                    key = f"request:{request.id}:step:{step.key}:{person.id}"
                    if await uow.outbox.exists(key):
                        continue
                    reminder = role == LIAISON
                    uow.outbox.add(_message(request, person, key, now, reminder, late_opds))
                    written += 1
        await uow.commit()
    return written


def _message(
    request: DataRequest,
    person: Person,
    key: str,
    now: datetime,
    reminder: bool,
    late_opds: list[str],
) -> OutboxMessage:
    language = person.language or "id"
    t = texts(language)
    excerpt = (
        request.text if len(request.text) <= TEXT_EXCERPT else request.text[:TEXT_EXCERPT] + "…"
    )
    if reminder:
        text = t.t("req_reminder", id=request.id, deadline=request.deadline, text=excerpt)
        buttons = answer_buttons(request.id, language)
    else:
        text = t.t(
            "req_escalation", id=request.id, deadline=request.deadline, opds=late_opds, text=excerpt
        )
        buttons = []
    return OutboxMessage.to_person(
        person,
        key=key,
        kind=OutboxKind.REQUEST_REMINDER if reminder else OutboxKind.NOTICE,
        text=text,
        now=now,
        buttons=buttons,
    )
