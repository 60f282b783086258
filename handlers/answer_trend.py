"""A trend: the series over a range, a sentence on its direction, and a line chart."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from handlers import holdings, readings
from handlers.answer_value import answer_value
from handlers.context import Request
from handlers.messages import Reply
from reports import charts
from reports.summary import trend
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from handlers.indicators import Ask


async def answer_trend(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    region = ask.regions[0]
    # A category is read from the dataset asked; other series need not share its breakdown.
    series = (ask.dataset,) if ask.categories else ask.series
    key = ask.categories_key
    observed = {
        d.id: readings.window(await readings.points(uow, d, region, key), ask.period)
        for d in series
    }
    chosen = max(series, key=lambda d: (len(observed[d.id]), d.id == ask.dataset.id))
    points = observed[chosen.id]
    if len(points) < 2:
        if points or any(observed.values()):
            return await answer_value(request, uow, replace(ask, intent="value"))
        title = readings.of_category(ask.dataset, ask.categories).title
        return [await holdings.not_held(request, uow, ask.dataset, title, region)]
    chosen = readings.of_category(chosen, ask.categories)
    summary = trend(points, chosen.unit)
    lines = [charts.Line(chosen.title, [(p.period, p.value) for p in points])]
    others = [d for d in series if d.id != chosen.id and len(observed[d.id]) >= 2]
    lines += [charts.Line(d.title, [(p.period, p.value) for p in observed[d.id]]) for d in others]
    freshness = await readings.freshness(request, uow, chosen)
    text = t.render(
        "trend",
        dataset=chosen,
        region=region,
        trend=summary,
        points=points,
        others=others,
        region_note=ask.region_note,
        freshness=freshness,
    )
    title = t.t("chart_trend_title", title=chosen.title, region=region.name)
    chart = charts.LineChart(
        f"tren-{chosen.code}.png",
        lines,
        title=title,
        unit=chosen.unit,
        source=readings.source_line(request, chosen),
        decimals=readings.decimals(points),
    )
    data = {
        "type": "indicator_trend",
        **readings.ids(chosen, region),
        "categories": dict(ask.categories),
        "periods": [p.period for p in points],
        "values": [p.value for p in points],
    }
    return [Reply(text, data=data, chart=chart)]
