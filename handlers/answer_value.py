"""One value: the number, its change, its rank among neighbours, and its freshness."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import holdings, readings
from handlers.context import Request
from handlers.messages import Reply
from reports.summary import change, rank
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from handlers.indicators import Ask


async def answer_value(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    region = ask.regions[0]
    # A category is read from the dataset asked; other series need not share its breakdown.
    series = (ask.dataset,) if ask.categories else ask.series
    observed = {d.id: await readings.points(uow, d, region, ask.categories_key) for d in series}
    available = [d for d in series if observed[d.id]]
    if not available:
        title = readings.of_category(ask.dataset, ask.categories).title
        return [await holdings.not_held(request, uow, ask.dataset, title, region)]
    wanted = ask.period.code if ask.period.kind == "exact" else None
    chosen = next((d for d in available if readings.find(observed[d.id], wanted)), None)
    missing = wanted if wanted and chosen is None else None
    chosen = chosen or available[0]
    points = observed[chosen.id]
    found = readings.find(points, wanted) if wanted and not missing else None
    index = points.index(found) if found is not None else len(points) - 1
    point = points[index]
    other = next(
        (
            (d, p)
            for d in available
            if d.id != chosen.id
            for p in observed[d.id]
            if p.period == point.period
        ),
        None,
    )
    cross = (
        {}
        if ask.categories
        else (
            await readings.cross_sections(
                uow, chosen, [point.period], readings.comparable(request, region)
            )
        ).get(point.period, {})
    )
    freshness = await readings.freshness(request, uow, chosen)
    parts = [] if ask.categories else await readings.breakdown(uow, chosen, region, point.period)
    text = t.render(
        "answer",
        dataset=chosen,
        region=region,
        point=point,
        change=change(point, points[index - 1] if index > 0 else None, chosen.unit),
        rank=rank({rid: p.value for rid, p in cross.items()}, region.id),
        peers=readings.peer_label(request, region),
        other=other,
        missing=missing,
        region_note=ask.region_note,
        freshness=freshness,
        categories=readings.category_labels(ask.dataset, ask.categories),
        parts=parts,
        shown=readings.BREAKDOWN_SHOWN,
    )
    data = readings.value_data(chosen, region, point, other, ask.categories, missing, parts)
    return [Reply(text, data=data)]
