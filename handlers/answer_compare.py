"""A comparison of named regions: at one period (bars) or over a range (lines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import readings
from handlers.context import Request
from handlers.messages import Reply
from reports import charts
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from handlers.indicators import Ask


async def answer_compare(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    # A category is read from the dataset asked; other series need not share its breakdown.
    series = (ask.dataset,) if ask.categories else ask.series
    key = ask.categories_key
    observed = {
        d.id: {r.id: await readings.points(uow, d, r, key) for r in ask.regions} for d in series
    }
    chosen = max(
        series,
        key=lambda d: (sum(bool(v) for v in observed[d.id].values()), d.id == ask.dataset.id),
    )
    chosen = readings.of_category(chosen, ask.categories)
    by_region = observed[chosen.id]
    missing = [r.name for r in ask.regions if not by_region[r.id]]
    regions = [r for r in ask.regions if by_region[r.id]]
    if len(regions) < 2:
        return [Reply(t.t("compare_not_enough", title=chosen.title, regions=missing))]
    if ask.period.kind in ("range", "last_n"):
        windows = {r.id: readings.window(by_region[r.id], ask.period) for r in regions}
        lines = [
            charts.Line(readings.chart_name(r), [(p.period, p.value) for p in windows[r.id]])
            for r in regions
            if windows[r.id]
        ]
        text = t.render(
            "compare_trend",
            dataset=chosen,
            regions=regions,
            windows=windows,
            missing=missing,
            region_note=ask.region_note,
        )
        title = t.t("chart_compare_title", title=chosen.title)
        chart = charts.LineChart(
            f"banding-{chosen.code}.png",
            lines,
            title=title,
            unit=chosen.unit,
            source=readings.source_line(request, chosen),
            decimals=readings.decimals([p for w in windows.values() for p in w]),
        )
        data = {
            "type": "indicator_comparison",
            "dataset": chosen.code,
            "indicator": chosen.indicator_code,
            "unit": chosen.unit,
            "categories": dict(ask.categories),
            "regions": [
                {
                    **readings.region_fields(r),
                    "periods": [p.period for p in windows[r.id]],
                    "values": [p.value for p in windows[r.id]],
                }
                for r in regions
            ],
        }
        return [Reply(text, data=data, chart=chart)]
    wanted = ask.period.code if ask.period.kind == "exact" else None
    common = set.intersection(*({p.period for p in by_region[r.id]} for r in regions))
    period = readings.match_period(common, wanted) or max(common, default=None)
    if period is None:
        return [Reply(t.t("compare_no_common_period", title=chosen.title))]
    values = sorted(
        ((r, readings.at(by_region[r.id], period)) for r in regions),
        key=lambda item: -item[1].value,
    )
    text = t.render(
        "compare",
        dataset=chosen,
        values=values,
        period=period,
        missing_period=wanted if wanted and not readings.match_period([period], wanted) else None,
        missing=missing,
        region_note=ask.region_note,
    )
    title = t.t("chart_compare_period_title", title=chosen.title, period=period)
    bars = charts.BarChart(
        f"banding-{chosen.code}.png",
        [charts.Bar(readings.chart_name(r), p.value) for r, p in values],
        title=title,
        unit=chosen.unit,
        source=readings.source_line(request, chosen),
        decimals=readings.decimals([p for _, p in values]),
    )
    data = {
        "type": "indicator_comparison",
        "dataset": chosen.code,
        "indicator": chosen.indicator_code,
        "unit": chosen.unit,
        "categories": dict(ask.categories),
        "period": period,
        "regions": [{**readings.region_fields(r), "value": p.value} for r, p in values],
    }
    return [Reply(text, data=data, chart=bars)]
