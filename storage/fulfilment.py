"""When the registry shows a new period: stop the chase, cancel what is pending, say thanks.

Called in the same unit of work as the registry change (import, portal sync, walidata
confirmation), so the thanks and the cancellations commit together with it.
"""

from __future__ import annotations

from datetime import datetime

from domain.terms import LIAISON, OutboxKind, OutboxStatus
from storage.models import Dataset, OutboxMessage
from storage.uow import UnitOfWork
from texts.i18n import texts


async def period_arrived(uow: UnitOfWork, dataset: Dataset, period: str, now: datetime) -> bool:
    """Record that `period` is in the registry; False when it is not newer than what was."""
    if dataset.latest_period is not None and period <= dataset.latest_period:
        return False
    previous = dataset.latest_period
    dataset.latest_period = period
    dataset.last_updated_at = now
    await close_chase(uow, dataset, period, now, previous_delivered=previous, confirmed=False)
    return True


async def close_chase(
    uow: UnitOfWork,
    dataset: Dataset,
    period: str,
    now: datetime,
    previous_delivered: str | None,
    *,
    confirmed: bool,
) -> None:
    """Cancel pending reminders up to `period` and thank the liaisons who were chased.

    `confirmed`: a walidata confirmed delivery before the registry shows it.
    """
    dataset.next_action_at = now  # the tick plans the next period's chase
    chased = await uow.reminders.chased_periods(dataset.id, after=previous_delivered, upto=period)
    for chased_period in chased:
        for message in await uow.outbox.pending_for_datasets(dataset.id, chased_period):
            if await _all_delivered(uow, message):
                message.status = OutboxStatus.CANCELLED
                message.error = f"{dataset.code} {period} arrived"
    if not chased:
        return
    liaisons = [
        p
        for p in await uow.people.all()
        if p.active and LIAISON in p.role_names and p.opd_id == dataset.opd_id
    ]
    for person in liaisons:
        key = f"thanks:{dataset.id}:{period}:{person.id}"
        if await uow.outbox.exists(key):
            continue
        language = person.language or "id"
        text = texts(language).t(
            "thanks_confirmed" if confirmed else "thanks_updated",
            title=dataset.title,
            period=period,
        )
        uow.outbox.add(
            OutboxMessage.to_person(person, key=key, kind=OutboxKind.THANKS, text=text, now=now)
        )


async def _all_delivered(uow: UnitOfWork, message: OutboxMessage) -> bool:
    """A reminder is pointless once every dataset period it names has been delivered; one
    that still names an owed period keeps its reason to be sent."""
    for dataset_id, period in await uow.reminders.periods_in(message.id):
        dataset = await uow.datasets.get(dataset_id)
        if dataset is None:
            continue
        delivered = max(dataset.latest_period or "", dataset.confirmed_period or "")
        if delivered < period:
            return False
    return True
