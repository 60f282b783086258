"""When the registry shows a new period: stop the chase, cancel what is pending, say thanks.

Called in the same unit of work as the registry change (import, portal sync, walidata
confirmation), so the thanks and the cancellations commit together with it.
"""

from __future__ import annotations

from datetime import datetime

from reports.i18n import texts
from storage.models import Dataset, OutboxMessage
from storage.uow import UnitOfWork


async def period_arrived(uow: UnitOfWork, dataset: Dataset, period: str, now: datetime) -> bool:
    """Record that `period` is in the registry; False when it is not newer than what was."""
    if dataset.latest_period is not None and period <= dataset.latest_period:
        return False
    previous = dataset.latest_period
    dataset.latest_period = period
    dataset.last_updated_at = now
    await close_chase(uow, dataset, period, now, previous_delivered=previous)
    return True


async def close_chase(
    uow: UnitOfWork,
    dataset: Dataset,
    period: str,
    now: datetime,
    previous_delivered: str | None,
) -> None:
    """Cancel pending reminders up to `period` and thank the liaisons who were chased."""
    dataset.next_action_at = now  # the tick plans the next period's chase
    chased = await uow.reminders.chased_periods(dataset.id, after=previous_delivered, upto=period)
    for chased_period in chased:
        for message in await uow.outbox.pending_for_datasets(dataset.id, chased_period):
            if await _only_about(uow, message, dataset.id):
                message.status, message.error = "cancelled", f"{dataset.code} {period} arrived"
    if not chased:
        return
    liaisons = [
        p
        for p in await uow.people.all()
        if p.active and "produsen" in p.role_names and p.opd_id == dataset.opd_id
    ]
    for person in liaisons:
        key = f"thanks:{dataset.id}:{period}:{person.id}"
        if await uow.outbox.exists(key):
            continue
        language = person.language or "id"
        uow.session.add(
            OutboxMessage(
                key=key,
                kind="thanks",
                person_id=person.id,
                chat_id=person.telegram_user_id,
                text=texts(language).t("thanks_updated", title=dataset.title, period=period),
                buttons=[],
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                error="",
            )
        )


async def _only_about(uow: UnitOfWork, message: OutboxMessage, dataset_id: int) -> bool:
    """A reminder that lists other datasets too still has a reason to be sent."""
    return await uow.reminders.dataset_ids_in(message.id) == {dataset_id}
