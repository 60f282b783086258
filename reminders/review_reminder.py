"""Files waiting for the walidata's pemeriksaan are recalled to them, on the reminders' calendar.

A liaison's reminders stop while their file waits (`tick.collect`), so a file nobody decides
on would leave the data neither chased nor loaded. From the working day after a file arrived,
every walidata is told once a day, within the reminders' hours, which files still wait.
"""

from __future__ import annotations

from datetime import datetime

from domain.engine import ReminderSettings
from domain.terms import OutboxKind, Role, SubmissionStatus
from storage.models import OutboxMessage
from storage.uow import UnitOfWork
from texts.i18n import texts

MAX_LISTED = 10


async def remind_reviews(uow: UnitOfWork, now: datetime, settings: ReminderSettings) -> int:
    """Queue today's recall to each walidata who has not had it; how many were queued."""
    local = now.astimezone(settings.timezone)
    today = local.date()
    window = settings.window
    if not settings.calendar.is_working_day(today) or not (
        window.start <= local.time() < window.end
    ):
        return 0
    waiting = [
        s
        for s in await uow.submissions.listed(SubmissionStatus.PENDING)
        if s.submitted_at.astimezone(settings.timezone).date() < today
    ]
    if not waiting:
        return 0
    datasets = {d.id: d for d in await uow.datasets.all()}
    people = await uow.people.all()
    names = {p.id: p.name for p in people}
    queued = 0
    for person in people:
        if not person.active or Role.WALIDATA not in person.role_names:
            continue
        key = f"review-reminder:{person.id}:{today.isoformat()}"
        if await uow.outbox.exists(key):
            continue
        t = texts(person.language or "id")
        files = [
            {
                "code": datasets[s.dataset_id].code if s.dataset_id in datasets else "?",
                "period": s.period,
                "sender": names.get(s.submitted_by, "?"),
                "days": (today - s.submitted_at.astimezone(settings.timezone).date()).days,
            }
            for s in waiting[:MAX_LISTED]
        ]
        text = t.t(
            "review_reminder",
            count=len(waiting),
            files=files,
            more=max(0, len(waiting) - MAX_LISTED),
        )
        uow.outbox.add(
            OutboxMessage.to_person(person, key=key, kind=OutboxKind.NOTICE, text=text, now=now)
        )
        queued += 1
    return queued
