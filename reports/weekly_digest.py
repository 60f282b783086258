"""Sending the weekly digest: once per week per recipient, whatever restarts or workers do.

The week's snapshots, the outbox messages and their files are written in one transaction,
and the region snapshot is unique per week: a second worker (or a restart) that builds the
same digest finds the week taken, or fails on commit, and sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError

from domain.calendar import WorkCalendar
from domain.telegram_limits import fit_with_file
from domain.terms import OutboxKind
from reports.compliance import ComplianceReport
from reports.digest import Digest, DigestPlace, build_digest
from reports.digest_schedule import CATCH_UP, DigestSchedule
from storage.models import ComplianceSnapshot, OutboxMessage
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class DigestOutcome(StrEnum):
    """What a run did about its week; the scheduler and the command line tell them apart."""

    SENT = "sent"  # the snapshots were stored and the digest queued
    ALREADY = "already"  # the week was done before (by this process, another, or a restart)
    STALE = "stale"  # too late to send (past CATCH_UP): the snapshots only


@dataclass(frozen=True)
class DigestRun:
    week: date
    outcome: DigestOutcome
    messages: int = 0


async def run_weekly_digest(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    schedule: DigestSchedule,
    calendar: WorkCalendar,
    place: DigestPlace,
) -> DigestRun:
    week, moment = schedule.latest(now, place.zone, calendar)
    async with uow_factory() as uow:
        if await uow.snapshots.has_week(week):
            return DigestRun(week, DigestOutcome.ALREADY)
        stale = now - moment > CATCH_UP
        try:
            digest = await build_digest(uow, now, week, place)
            await uow.snapshots.add_week(snapshots_of(digest.report, week, now))
            messages = 0 if stale else await enqueue(uow, digest, now, moment + CATCH_UP)
            await uow.commit()
        except IntegrityError:
            log.info("digest of week %s was written by another worker", week)
            return DigestRun(week, DigestOutcome.ALREADY)
    if stale:
        log.warning("digest of week %s is %s late: snapshot kept, nothing sent", week, now - moment)
    return DigestRun(week, DigestOutcome.STALE if stale else DigestOutcome.SENT, messages)


def snapshots_of(report: ComplianceReport, week: date, now: datetime) -> list[ComplianceSnapshot]:
    return [
        ComplianceSnapshot(
            week=week,
            scope=item.scope,
            name=item.name,
            taken_at=now,
            scheduled=item.scheduled,
            up_to_date=item.up_to_date,
            due_soon=item.due_soon,
            overdue=item.overdue,
            average_days_late=item.average_days_late,
            worst_days_late=item.worst_days_late,
            percent=item.percent,
        )
        for item in (report.region, *report.opds)
    ]


async def enqueue(uow: UnitOfWork, digest: Digest, now: datetime, until: datetime) -> int:
    """Every delivery's parts as outbox messages, each within Telegram's size limits; not
    sent after `until` (a digest delivered days late is stale, as one built late is)."""
    count = 0
    for delivery in digest.deliveries:
        recipient = delivery.recipient
        prefix = f"digest:{digest.week.isoformat()}:{recipient.key}:{delivery.audience}"
        number = 0
        for part in delivery.parts:
            file = None
            if part.file is not None:
                file = await uow.outbox.file(part.file.name, part.file.content, now)
            for text in fit_with_file(part.text, file is not None):
                uow.outbox.add(
                    OutboxMessage.to_chat(
                        recipient.chat_id,
                        key=f"{prefix}:{number}",
                        kind=OutboxKind.DIGEST,
                        text=text,
                        now=now,
                        file=file,
                        file_kind=part.file.kind if part.file else None,
                        person_id=recipient.person.id if recipient.person else None,
                        expires_at=until,
                    )
                )
                file = None  # the file goes with the first message only
                number += 1
        count += number
    return count
