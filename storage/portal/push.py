"""Publishing accepted tables to the portal, from the queue their acceptance wrote.

Each queued table (`PortalPush`) is published with `Portal.publish`, which is safe to repeat:
a push whose answer was lost is simply published again. A portal that cannot be reached is
tried again with a growing pause (one minute, doubling, at most an hour) for as long as it
takes; one that refuses the table (no right to write, no such package) is not, and the
walidata who accepted it is told why and what to do. Only the newest table of a dataset is
published: it holds the whole dataset, so an older one still waiting is superseded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.terms import OutboxKind, PushStatus, Role
from storage.models import Dataset, OutboxMessage, Person, PortalPush, Submission
from storage.portal.source import (
    Portal,
    PortalUnavailable,
    Published,
    PublishRefused,
    VerifiedTable,
)
from storage.uow import UnitOfWork, UnitOfWorkFactory
from texts.i18n import texts

log = logging.getLogger(__name__)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
MAX_ERROR = 300  # characters of the portal's answer kept and told


@dataclass
class PushRound:
    """What one round of publishing did."""

    published: int = 0
    delayed: int = 0
    failed: int = 0
    superseded: int = 0
    # (dataset code, what happened) of each table tried, for an operator's terminal.
    outcomes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.published or self.delayed or self.failed)


def retry_after(attempts: int) -> timedelta:
    doubled: timedelta = FIRST_RETRY * 2 ** max(0, attempts - 1)
    return min(LAST_RETRY, doubled)


class PortalPusher:
    def __init__(self, uow: UnitOfWorkFactory, portal: Portal) -> None:
        self.uow = uow
        self.portal = portal

    async def run_due(self, now: datetime) -> PushRound:
        """Publish every table whose time has come, one dataset at a time."""
        async with self.uow() as uow:
            datasets = list(dict.fromkeys(p.dataset_id for p in await uow.pushes.due(now)))
        done = PushRound()
        for dataset_id in datasets:
            await self._publish_newest(dataset_id, now, done)
        return done

    async def _publish_newest(self, dataset_id: int, now: datetime, done: PushRound) -> None:
        async with self.uow() as uow:
            waiting = await uow.pushes.waiting(dataset_id)
            if not waiting or waiting[-1].next_attempt_at > now:
                return
            *older, newest = waiting
            for stale in older:
                stale.status = PushStatus.SUPERSEDED
            done.superseded += len(older)
            await uow.commit()
            push_id, package_id = newest.id, newest.package_id
            table = VerifiedTable.from_json(newest.table)
        published: Published | None = None
        error, permanent = "", False
        try:
            published = await self.portal.publish(package_id, table)
        except PublishRefused as refused:
            error, permanent = str(refused), True
        except PortalUnavailable as unavailable:
            error = str(unavailable)
        except Exception as unexpected:  # an answer no CKAN gives: tried again, and logged
            log.exception("publishing %s to the portal failed", table.code)
            error = f"{unexpected.__class__.__name__}: {unexpected}"
        async with self.uow() as uow:
            push = await uow.pushes.get(push_id)
            push.attempts += 1
            if published is not None:
                await self._published(uow, push, published, table, now)
                done.published += 1
                outcome = f"{published.rows} rows in resource {published.resource_id}"
            elif permanent:
                await self._refused(uow, push, error, table, now)
                done.failed += 1
                outcome = f"refused: {push.error}"
            else:
                await self._delayed(uow, push, error, table, now)
                done.delayed += 1
                again = f"{push.next_attempt_at:%Y-%m-%d %H:%M} UTC"
                outcome = f"not reached, tried again from {again}: {push.error}"
            await uow.commit()
        done.outcomes.append((table.code, outcome))

    async def _published(
        self,
        uow: UnitOfWork,
        push: PortalPush,
        published: Published,
        table: VerifiedTable,
        now: datetime,
    ) -> None:
        push.status, push.pushed_at = PushStatus.DONE, now
        push.resource_id, push.rows, push.error = published.resource_id, published.rows, ""
        self._audit(uow, push, "portal_push_done", now, rows=published.rows)
        await self._tell(
            uow, push, "portal_push_done", now, table, published.rows, published.resource_name
        )

    async def _refused(
        self, uow: UnitOfWork, push: PortalPush, error: str, table: VerifiedTable, now: datetime
    ) -> None:
        push.status, push.error = PushStatus.FAILED, error[:MAX_ERROR]
        self._audit(uow, push, "portal_push_failed", now, error=push.error)
        await self._tell(uow, push, "portal_push_failed", now, table)

    async def _delayed(
        self, uow: UnitOfWork, push: PortalPush, error: str, table: VerifiedTable, now: datetime
    ) -> None:
        push.error = error[:MAX_ERROR]
        push.next_attempt_at = now + retry_after(push.attempts)
        log.warning(
            "portal push of %s failed (attempt %d), next at %s: %s",
            table.code,
            push.attempts,
            push.next_attempt_at.isoformat(),
            push.error,
        )
        if not push.delay_told:
            push.delay_told = True
            await self._tell(uow, push, "portal_push_delayed", now, table)

    def _audit(
        self, uow: UnitOfWork, push: PortalPush, action: str, now: datetime, **detail: object
    ) -> None:
        uow.audit.record(
            at=now,
            action=action,
            detail={
                "submission": push.submission_id,
                "package": push.package_id,
                "portal": self.portal.url,
                **detail,
            },
        )

    async def _tell(
        self,
        uow: UnitOfWork,
        push: PortalPush,
        key: str,
        now: datetime,
        table: VerifiedTable,
        rows: int = 0,
        resource: str = "",
    ) -> None:
        """The walidata who accepted the file; every walidata when they are gone."""
        submission = await uow.session.get(Submission, push.submission_id)
        dataset = await uow.session.get(Dataset, push.dataset_id)
        decider = (
            await uow.people.get(submission.decided_by)
            if submission and submission.decided_by
            else None
        )
        people: list[Person] = (
            [decider]
            if decider is not None and decider.active
            else await uow.people.active_with_role(Role.WALIDATA)
        )
        for person in people:
            text = texts(person.language or "id").t(
                key,
                title=dataset.title if dataset else table.title,
                code=table.code,
                period=submission.period if submission else table.latest_period,
                portal=self.portal.name,
                rows=rows,
                resource=resource,
                latest=table.latest_period,
                package=push.package_id,
                error=push.error,
            )
            uow.outbox.add(
                OutboxMessage.to_person(
                    person,
                    key=f"{key}:{push.id}:{push.attempts}:{person.id}",  # once per attempt
                    kind=OutboxKind.NOTICE,
                    text=text,
                    now=now,
                )
            )
