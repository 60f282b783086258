"""Questions about the registry itself: who produces a dataset, when it was updated, what an
OPD publishes."""

from __future__ import annotations

from domain.access import listable
from handlers.access import current
from handlers.catalog import DatasetEntry
from handlers.context import Request
from handlers.messages import Reply
from handlers.suggestions import no_match
from handlers.understanding import Question
from reminders.status import standing
from storage.uow import UnitOfWork

MAX_LISTED = 30


async def answer(request: Request, uow: UnitOfWork, question: Question) -> list[Reply]:
    t = request.texts
    catalog = request.app.catalog
    if question.intent == "list":
        opd_ids = {opd.id for opd in question.opds}
        if not opd_ids:
            return [
                Reply(t.t("list_which_opd", opds=sorted(o.name for o in catalog.opds.values())))
            ]
        stored = await current(uow, catalog.by_opd(opd_ids))
        listed = sorted(listable(request.viewer, stored), key=lambda d: d.title)
        opd_names = [o.name for o in question.opds]
        text = t.render(
            "dataset_list",
            opds=opd_names,
            datasets=listed[:MAX_LISTED],
            more=max(0, len(listed) - MAX_LISTED),
        )
        return [
            Reply(
                text,
                data={
                    "type": "dataset_list",
                    "opds": opd_names,
                    "datasets": [d.code for d in listed],
                },
            )
        ]
    named = [s.dataset for s in question.datasets if s.score == question.datasets[0].score]
    if not named:
        return [await no_match(request, uow, question)]
    dataset = _headline(named)
    if question.intent == "producer":
        return [
            Reply(
                t.t("producer", title=dataset.title, producer=dataset.opd_name),
                data={
                    "type": "dataset_producer",
                    "dataset": dataset.code,
                    "producer": dataset.opd_name,
                },
            )
        ]
    zone = request.app.deployment.timezone
    today = request.now.astimezone(zone).date()
    found = await standing(uow, dataset.id, today)
    assert found is not None
    row, due = found.schedule, found.deadline
    text = t.render(
        "dataset_updated",
        dataset=dataset,
        latest_period=row.latest_period,
        updated=row.last_updated_at.astimezone(zone) if row.last_updated_at else None,
        timezone=request.app.deployment.timezone_abbreviation,
        due=due,
        periodicity=row.periodicity,
    )
    data = {
        "type": "dataset_updated",
        "dataset": dataset.code,
        "latest_period": row.latest_period,
        "status": due.status if due else None,
    }
    return [Reply(text, data=data)]


def _headline(datasets: list[DatasetEntry]) -> DatasetEntry:
    return next((d for d in datasets if d.is_headline), datasets[0])
