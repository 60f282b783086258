"""Questions about the registry itself: who produces a dataset, when it was updated and
falls due, what is available (with the years covered), what is late."""

from __future__ import annotations

from collections import Counter, defaultdict

from domain.access import listable, may_see_metadata
from domain.terms import OPD_ROLES, REGION_WIDE_ROLES, DeadlineStatus
from handlers.access import current
from handlers.catalog import DatasetEntry, RegionEntry, close_matches
from handlers.context import Request
from handlers.messages import Reply
from handlers.suggestions import no_match
from handlers.understanding import Question
from reminders.status import dataset_statuses, standing
from storage.uow import UnitOfWork

MAX_LISTED = 30
OWED = frozenset({DeadlineStatus.TERLAMBAT, DeadlineStatus.JATUH_TEMPO})


async def answer(request: Request, uow: UnitOfWork, question: Question) -> list[Reply]:
    t = request.texts
    named = [s.dataset for s in question.datasets if s.score == question.datasets[0].score]
    if question.intent == "late" and not (question.datasets and question.datasets[0].named):
        return [await _late(request, uow, question)]
    if question.intent == "list":
        return [await _available(request, uow, question)]
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
        ask=question.intent,
    )
    data = {
        "type": "dataset_updated",
        "dataset": dataset.code,
        "latest_period": row.latest_period,
        "status": due.status if due else None,
        "due": due.due.isoformat() if due else None,
    }
    return [Reply(text, data=data)]


async def _available(request: Request, uow: UnitOfWork, question: Question) -> Reply:
    """What the registry holds, with the years each covers: of the OPDs named, of the
    topic named ("data kemiskinan apa saja"), or all of it; by OPD when it is too long."""
    t = request.texts
    catalog = request.app.catalog
    region = _one_region(question)
    if question.regions and region is None:
        names = [r.name for m in question.regions for r in m.candidates]
        return Reply(t.t("list_which_region", names=names))
    if question.opds:
        entries = catalog.by_opd({opd.id for opd in question.opds})
    elif question.datasets:
        entries = [s.dataset for s in close_matches(question.datasets)]
    else:
        entries = list(catalog.datasets.values())
    one_each = list({d.id: d for d in entries}.values())  # a table of several is one dataset
    listed = sorted(listable(request.viewer, await current(uow, one_each)), key=lambda d: d.title)
    spans = await uow.observations.spans(
        [d.indicator_id for d in listed], region.id if region else None
    )
    if region is not None:  # "data apa saja untuk Kota Batu": those holding a value for it
        listed = [d for d in listed if d.indicator_id in spans]
    opd_names = [o.name for o in question.opds]
    data = {
        "type": "dataset_list",
        "opds": opd_names,
        "region": region.name if region else None,
        "datasets": [d.code for d in listed],
    }
    if not question.opds and not question.datasets and len(listed) > MAX_LISTED:
        counts = Counter(d.opd_name for d in listed)
        return Reply(t.t("list_which_opd", counts=sorted(counts.items())), data=data)
    groups: dict[str, list[DatasetEntry]] = defaultdict(list)
    for dataset in listed[:MAX_LISTED]:
        groups[dataset.opd_name].append(dataset)
    text = t.render(
        "dataset_list",
        opds=opd_names,
        topic=" ".join(question.topic) if question.datasets and not question.opds else "",
        region=region.name if region else "",
        groups=sorted(groups.items()),
        spans=spans,
        more=max(0, len(listed) - MAX_LISTED),
    )
    return Reply(text, data=data)


async def _late(request: Request, uow: UnitOfWork, question: Question) -> Reply:
    """The datasets overdue or due today: every OPD's for the walidata and the leaders
    (those named, when the question names some), a liaison's and head's own OPD's."""
    t = request.texts
    viewer = request.viewer
    if viewer.roles & REGION_WIDE_ROLES:
        opd_id = None
    elif viewer.roles & OPD_ROLES and viewer.opd_id is not None:
        opd_id = viewer.opd_id
    else:
        return Reply(t.t("late_who"))
    statuses = await dataset_statuses(uow, request.today, opd_id)
    named = {opd.id for opd in question.opds}
    late = [
        s
        for s in statuses
        if s.deadline.status in OWED
        and may_see_metadata(viewer, s.row)
        and (opd_id is not None or not named or s.row.opd_id in named)
    ]
    opds = request.app.catalog.opds
    scope = [opds[opd_id].name] if opd_id is not None else [opds[i].name for i in sorted(named)]
    text = t.render(
        "late_list",
        statuses=late[:MAX_LISTED],
        more=max(0, len(late) - MAX_LISTED),
        scope=scope,
        opds={i: o.name for i, o in opds.items()},
        today=request.today,
    )
    data = {"type": "late_datasets", "datasets": [s.row.code for s in late], "opds": scope}
    return Reply(text, data=data)


def _one_region(question: Question) -> RegionEntry | None:
    if len(question.regions) == 1 and len(question.regions[0].candidates) == 1:
        return question.regions[0].candidates[0]
    return None


def _headline(datasets: list[DatasetEntry]) -> DatasetEntry:
    return next((d for d in datasets if d.is_headline), datasets[0])
