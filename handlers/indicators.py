"""Indicator questions: one value, a trend, a comparison of regions, or a ranking.

Every path ends in `answer`, which checks the dataset's classification first, so an answer
reached through a button (or a replayed button) is held to the same rule as a typed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from handlers.access import may_see_values
from handlers.catalog import DatasetEntry, RegionEntry
from handlers.context import Request
from handlers.messages import Button, Reply
from handlers.understanding import PeriodAsk, Question
from reminders.schedule import dataset_deadline
from reports import charts
from reports.summary import Point, change, rank, trend
from storage.uow import UnitOfWork

INTENT_CODES = {"value": "v", "trend": "t", "compare": "c", "rank": "r", "rank_low": "R"}
CODE_INTENTS = {code: intent for intent, code in INTENT_CODES.items()}
LEVEL_CODES = {None: "", "provinsi": "p", "kabupaten": "k", "kota": "c"}
CODE_LEVELS = {code: level for level, code in LEVEL_CODES.items()}
TREND_POINTS = 15  # a trend without a range shows at most this many recent periods
DEFAULT_TOP = 5
MAX_COMPARE = 6


@dataclass(frozen=True)
class Ask:
    """A resolved question: everything needed to answer, and to re-ask from a button."""

    intent: str
    dataset: DatasetEntry
    regions: tuple[RegionEntry, ...]
    period: PeriodAsk
    direction: str = "high"
    limit: int | None = None
    level: str | None = None
    region_note: str | None = None  # "default" or "deployment": say how the region was chosen

    def button_data(self, language: str) -> str:
        intent = "rank_low" if self.intent == "rank" and self.direction == "low" else self.intent
        regions = ".".join(str(r.id) for r in self.regions)
        level = LEVEL_CODES[self.level]
        return (
            f"q:{language}:{INTENT_CODES[intent]}{level}:{self.dataset.id}:{regions}:"
            f"{self.period.encode()}"
        )


def ask_from_button(request: Request, data: str) -> tuple[Ask, str] | None:
    """Decode `q:` button data; None when it is malformed or names unknown things."""
    catalog = request.app.catalog
    try:
        _, language, intent_code, dataset_id, region_ids, period = data.split(":")
        if not 1 <= len(intent_code) <= 2:
            return None
        intent = CODE_INTENTS[intent_code[0]]
        level = CODE_LEVELS[intent_code[1:]]
        dataset = catalog.datasets[int(dataset_id)]
        regions = tuple(catalog.regions[int(i)] for i in region_ids.split(".") if i)
        period_ask = PeriodAsk.decode(period)
    except (ValueError, KeyError, IndexError):
        return None
    if language not in ("id", "en") or len(regions) > MAX_COMPARE:
        return None
    direction = "low" if intent == "rank_low" else "high"
    intent = "rank" if intent.startswith("rank") else intent
    return Ask(intent, dataset, regions, period_ask, direction, level=level), language


async def answer_text(request: Request, question: Question) -> list[Reply]:
    catalog = request.app.catalog
    t = request.texts
    best = question.datasets[0][1]
    top = sorted((d for d, s in question.datasets if s == best), key=lambda d: not d.is_headline)
    resolved: list[RegionEntry] = []
    region_note = None
    for mention in question.regions[:MAX_COMPARE]:
        if len(mention.candidates) == 1:
            resolved.append(mention.candidates[0])
            continue
        own = [r for r in mention.candidates if r.code == request.app.deployment.region_code]
        if own:
            resolved.append(own[0])
            region_note = "deployment"
            continue
        base = Ask(
            question.intent,
            top[0],
            tuple(resolved),
            question.period,
            question.direction,
            question.limit,
            question.level,
        )
        buttons = [
            [Button(r.name, replace(base, regions=(*resolved, r)).button_data(request.language))]
            for r in mention.candidates
        ]
        return [Reply(t.t("which_region"), buttons=buttons)]
    ask = Ask(
        question.intent,
        top[0],
        tuple(resolved),
        question.period,
        question.direction,
        question.limit,
        question.level,
        region_note,
    )
    groups = {d.group for d in top}
    if len(groups) > 1:
        choices = [d for d in top if d.is_headline or d.series_group is None][:5]
        buttons = [
            [Button(d.title, replace(ask, dataset=d).button_data(request.language))]
            for d in choices
        ]
        return [Reply(t.t("which_dataset"), buttons=buttons)]
    if not ask.regions and ask.intent in ("value", "trend"):
        default = catalog.by_code.get(request.app.deployment.region_code)
        if default is None:
            return [Reply(t.t("no_default_region"))]
        ask = replace(ask, regions=(default,), region_note="default")
    return await answer(request, ask)


async def answer_button(request: Request) -> list[Reply]:
    decoded = ask_from_button(request, request.incoming.callback_data or "")
    if decoded is None:
        return [Reply(request.texts.t("stale_button"))]
    ask, language = decoded
    request = replace(request, language=language)
    if not ask.regions and ask.intent in ("value", "trend"):
        default = request.app.catalog.by_code.get(request.app.deployment.region_code)
        if default is None:
            return [Reply(request.texts.t("no_default_region"))]
        ask = replace(ask, regions=(default,), region_note="default")
    return await answer(request, ask)


async def answer(request: Request, ask: Ask) -> list[Reply]:
    if not may_see_values(request.viewer, ask.dataset):
        return [Reply(request.texts.t("restricted", title=ask.dataset.title))]
    async with request.app.uow() as uow:
        if ask.intent == "rank":
            return await _rank(request, uow, ask)
        if ask.intent == "compare":
            if len(ask.regions) < 2:
                return await _rank(request, uow, ask)
            return await _compare(request, uow, ask)
        if ask.intent == "trend":
            return await _trend(request, uow, ask)
        return await _value(request, uow, ask)


# -- one value ---------------------------------------------------------------------------------


async def _value(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    region = ask.regions[0]
    series = _series_group(request, ask.dataset)
    observed = {d.id: await _points(uow, d, region) for d in series}
    available = [d for d in series if observed[d.id]]
    if not available:
        return [Reply(t.t("no_data_region", title=ask.dataset.title, region=region.name))]
    wanted = ask.period.code if ask.period.kind == "exact" else None
    chosen = next((d for d in available if _find(observed[d.id], wanted)), None)
    missing = wanted if wanted and chosen is None else None
    chosen = chosen or available[0]
    points = observed[chosen.id]
    index = points.index(_find(points, wanted)) if wanted and not missing else len(points) - 1
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
    cross = await _cross_section(uow, chosen, point.period, _comparable(request, region))
    freshness = await _freshness(request, uow, chosen)
    text = t.render(
        "answer",
        dataset=chosen,
        region=region,
        point=point,
        change=change(point, points[index - 1] if index > 0 else None, chosen.unit),
        rank=rank({rid: p.value for rid, p in cross.items()}, region.id),
        peers=_peer_label(request, region),
        other=other,
        missing=missing,
        region_note=ask.region_note,
        freshness=freshness,
    )
    return [Reply(text, data=_value_data(chosen, region, point, other))]


# -- trend ---------------------------------------------------------------------------------------


async def _trend(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    region = ask.regions[0]
    series = _series_group(request, ask.dataset)
    observed = {d.id: _window(await _points(uow, d, region), ask.period) for d in series}
    chosen = max(series, key=lambda d: (len(observed[d.id]), d.id == ask.dataset.id))
    points = observed[chosen.id]
    if len(points) < 2:
        if points or any(observed.values()):
            return await _value(request, uow, replace(ask, intent="value"))
        return [Reply(t.t("no_data_region", title=ask.dataset.title, region=region.name))]
    summary = trend(points, chosen.unit)
    lines = [charts.Line(chosen.title, [(p.period, p.value) for p in points])]
    others = [d for d in series if d.id != chosen.id and len(observed[d.id]) >= 2]
    lines += [charts.Line(d.title, [(p.period, p.value) for p in observed[d.id]]) for d in others]
    freshness = await _freshness(request, uow, chosen)
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
        source=_source_line(request, chosen),
        decimals=_decimals(points),
    )
    data = {
        "type": "indicator_trend",
        **_ids(chosen, region),
        "periods": [p.period for p in points],
        "values": [p.value for p in points],
    }
    return [Reply(text, data=data, chart=chart)]


# -- comparison ----------------------------------------------------------------------------------


async def _compare(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    series = _series_group(request, ask.dataset)
    observed = {d.id: {r.id: await _points(uow, d, r) for r in ask.regions} for d in series}
    chosen = max(
        series,
        key=lambda d: (sum(bool(v) for v in observed[d.id].values()), d.id == ask.dataset.id),
    )
    by_region = observed[chosen.id]
    missing = [r.name for r in ask.regions if not by_region[r.id]]
    regions = [r for r in ask.regions if by_region[r.id]]
    if len(regions) < 2:
        return [Reply(t.t("compare_not_enough", title=chosen.title, regions=missing))]
    if ask.period.kind in ("range", "last_n"):
        windows = {r.id: _window(by_region[r.id], ask.period) for r in regions}
        lines = [
            charts.Line(r.name, [(p.period, p.value) for p in windows[r.id]])
            for r in regions
            if windows[r.id]
        ]
        text = t.render(
            "compare_trend", dataset=chosen, regions=regions, windows=windows, missing=missing
        )
        title = t.t("chart_compare_title", title=chosen.title)
        chart = charts.LineChart(
            f"banding-{chosen.code}.png",
            lines,
            title=title,
            unit=chosen.unit,
            source=_source_line(request, chosen),
            decimals=_decimals([p for w in windows.values() for p in w]),
        )
        data = {
            "type": "indicator_comparison",
            "dataset": chosen.code,
            "regions": [
                {
                    "region_code": r.code,
                    "region_name": r.name,
                    "periods": [p.period for p in windows[r.id]],
                    "values": [p.value for p in windows[r.id]],
                }
                for r in regions
            ],
        }
        return [Reply(text, data=data, chart=chart)]
    wanted = ask.period.code if ask.period.kind == "exact" else None
    common = set.intersection(*({p.period for p in by_region[r.id]} for r in regions))
    period = wanted if wanted in common else max(common) if common else None
    if period is None:
        return [Reply(t.t("compare_no_common_period", title=chosen.title))]
    values = sorted(
        ((r, _find(by_region[r.id], period)) for r in regions), key=lambda item: -item[1].value
    )
    text = t.render(
        "compare",
        dataset=chosen,
        values=values,
        period=period,
        missing_period=wanted if wanted and wanted != period else None,
        missing=missing,
    )
    title = t.t("chart_compare_period_title", title=chosen.title, period=period)
    chart = charts.BarChart(
        f"banding-{chosen.code}.png",
        [charts.Bar(r.name, p.value) for r, p in values],
        title=title,
        unit=chosen.unit,
        source=_source_line(request, chosen),
        decimals=_decimals([p for _, p in values]),
    )
    data = {
        "type": "indicator_comparison",
        "dataset": chosen.code,
        "period": period,
        "regions": [
            {"region_code": r.code, "region_name": r.name, "value": p.value} for r, p in values
        ],
    }
    return [Reply(text, data=data, chart=chart)]


# -- ranking -------------------------------------------------------------------------------------


async def _rank(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    scope, focus = _rank_scope(request, ask)
    if not scope:
        return [Reply(t.t("no_default_region"))]
    series = _series_group(request, ask.dataset)
    wanted = ask.period.code if ask.period.kind == "exact" else None
    ids = {r.id for r in scope}
    # Prefer the asked (headline) series while it covers nine in ten regions, then the
    # newest period, then the widest coverage.
    best: tuple[tuple[bool, bool, str, int], DatasetEntry, str, dict[int, Point]] | None = None
    for dataset in series:
        periods = await uow.observations.periods(dataset.indicator_id)
        for period in [wanted] if wanted in periods else periods[-3:]:
            cross = await _cross_section(uow, dataset, period, ids)
            key = (len(cross) >= 0.9 * len(ids), dataset.id == ask.dataset.id, period, len(cross))
            if cross and (best is None or key > best[0]):
                best = (key, dataset, period, cross)
    if best is None:
        return [Reply(t.t("no_data_scope", title=ask.dataset.title))]
    _, chosen, period, cross = best
    regions = request.app.catalog.regions
    ordered = sorted(cross.items(), key=lambda item: -item[1].value)
    if ask.direction == "low":
        ordered.reverse()
    limit = min(ask.limit or DEFAULT_TOP, len(ordered))
    listed = [
        (position, regions[rid], point) for position, (rid, point) in enumerate(ordered, start=1)
    ][:limit]
    focus_rank = rank({rid: p.value for rid, p in cross.items()}, focus.id) if focus else None
    text = t.render(
        "rank",
        dataset=chosen,
        period=period,
        listed=listed,
        total=len(ordered),
        direction=ask.direction,
        scope=_scope_label(request, scope),
        focus=focus,
        focus_point=cross.get(focus.id) if focus else None,
        focus_rank=focus_rank,
        missing_period=wanted if wanted and wanted != period else None,
    )
    top_ids = {regions[rid].id for rid, _ in ordered[:limit]}
    bars = [
        charts.Bar(
            regions[rid].name,
            p.value,
            highlight=(focus is not None and rid == focus.id) or (focus is None and rid in top_ids),
        )
        for rid, p in sorted(cross.items(), key=lambda item: -item[1].value)
    ]
    title = t.t("chart_rank_title", title=chosen.title, period=period)
    chart = charts.BarChart(
        f"peringkat-{chosen.code}.png",
        bars,
        title=title,
        unit=chosen.unit,
        source=_source_line(request, chosen),
        decimals=_decimals(list(cross.values())),
    )
    data = {
        "type": "indicator_ranking",
        "dataset": chosen.code,
        "period": period,
        "direction": ask.direction,
        "ranking": [
            {"rank": pos, "region_code": r.code, "region_name": r.name, "value": p.value}
            for pos, r, p in listed
        ],
    }
    return [Reply(text, data=data, chart=chart)]


def _rank_scope(request: Request, ask: Ask) -> tuple[list[RegionEntry], RegionEntry | None]:
    """Which regions compete, and which one the question is about (if any).

    A named province ranks its kabupaten/kota; a named kabupaten/kota is placed among its
    neighbours; "provinsi" alone ranks provinces; nothing named ranks the deployment's own
    kabupaten/kota.
    """
    catalog = request.app.catalog
    if ask.regions:
        region = ask.regions[0]
        children = catalog.children.get(region.id, [])
        if children and ask.level != "provinsi":
            return _filter_level(children, ask.level), None
        return sorted(_comparable_regions(request, region), key=lambda r: r.id), region
    if ask.level == "provinsi":
        return [r for r in catalog.regions.values() if r.level == "provinsi"], None
    own = catalog.by_code.get(request.app.deployment.region_code)
    if own is None:
        return [], None
    children = catalog.children.get(own.id, [])
    if children:
        return _filter_level(children, ask.level), None
    return sorted(_comparable_regions(request, own), key=lambda r: r.id), own


def _filter_level(regions: list[RegionEntry], level: str | None) -> list[RegionEntry]:
    if level in ("kabupaten", "kota"):
        return [r for r in regions if r.level == level] or regions
    return regions


# -- shared helpers ------------------------------------------------------------------------------


def _series_group(request: Request, dataset: DatasetEntry) -> list[DatasetEntry]:
    """The dataset first, then the other series of the same indicator, headline first."""
    group = request.app.catalog.groups[dataset.group]
    return sorted(group, key=lambda d: (d.id != dataset.id, not d.is_headline))


async def _points(uow: UnitOfWork, dataset: DatasetEntry, region: RegionEntry) -> list[Point]:
    rows = await uow.observations.series(dataset.indicator_id, region.id)
    return [Point(o.period, o.value, o.decimals, o.status) for o in rows]


async def _cross_section(
    uow: UnitOfWork, dataset: DatasetEntry, period: str, region_ids: set[int]
) -> dict[int, Point]:
    rows = await uow.observations.for_period(dataset.indicator_id, period)
    return {
        o.region_id: Point(o.period, o.value, o.decimals, o.status)
        for o in rows
        if o.region_id in region_ids
    }


def _comparable_regions(request: Request, region: RegionEntry) -> list[RegionEntry]:
    """Kabupaten and kota of the same province compete together; provinces among provinces."""
    siblings = request.app.catalog.children.get(region.parent_id or -1, [])
    return [r for r in siblings if (r.level == "provinsi") == (region.level == "provinsi")]


def _comparable(request: Request, region: RegionEntry) -> set[int]:
    return {r.id for r in _comparable_regions(request, region)}


def _peer_label(request: Request, region: RegionEntry) -> str:
    parent = request.app.catalog.regions.get(region.parent_id or -1)
    key = "peers_provinces" if region.level == "provinsi" else "peers_kabkota"
    return request.texts.t(key, parent=parent.name if parent else "")


def _scope_label(request: Request, scope: Sequence[RegionEntry]) -> str:
    levels = {r.level for r in scope}
    parent = request.app.catalog.regions.get(scope[0].parent_id or -1)
    if levels == {"provinsi"}:
        return request.texts.t("peers_provinces", parent="")
    key = "scope_" + (
        "kabupaten" if levels == {"kabupaten"} else "kota" if levels == {"kota"} else "kabkota"
    )
    return request.texts.t(key, parent=parent.name if parent else "")


def _find(points: Sequence[Point], period: str | None) -> Point | None:
    return next((p for p in points if p.period == period), None) if period else None


def _window(points: list[Point], period: PeriodAsk) -> list[Point]:
    if period.kind == "range":
        return [p for p in points if period.first <= int(p.period[:4]) <= period.last]  # type: ignore[operator]
    if period.kind == "last_n":
        return points[-(period.count or 1) :]
    if period.kind == "exact":
        upto = [p for p in points if p.period <= (period.code or "")]
        return upto[-TREND_POINTS:]
    return points[-TREND_POINTS:]


def _decimals(points: Sequence[Point]) -> int:
    return max((p.decimals for p in points), default=0)


async def _freshness(request: Request, uow: UnitOfWork, dataset: DatasetEntry) -> dict | None:
    """When the dataset was last updated and, if it is overdue, since when."""
    row = await uow.datasets.by_id(dataset.id)
    if row is None:
        return None
    zone = request.app.deployment.timezone
    today: date = request.now.astimezone(zone).date()
    due = dataset_deadline(row.periodicity, row.latest_period, today, row.due_months, row.due_day)
    updated = row.last_updated_at.astimezone(zone) if row.last_updated_at else None
    return {
        "updated": updated,
        "latest_period": row.latest_period,
        "overdue": due if due and due.status == "terlambat" else None,
        "timezone": request.app.deployment.timezone_abbreviation,
    }


def _source_line(request: Request, dataset: DatasetEntry) -> str:
    return request.texts.t("chart_source", source=dataset.source, producer=dataset.opd_name)


def _ids(dataset: DatasetEntry, region: RegionEntry) -> dict[str, object]:
    return {
        "dataset": dataset.code,
        "indicator": dataset.code,
        "region_code": region.code,
        "region_name": region.name,
        "unit": dataset.unit,
        "source": dataset.source,
        "producer": dataset.opd_name,
    }


def _value_data(
    dataset: DatasetEntry,
    region: RegionEntry,
    point: Point,
    other: tuple[DatasetEntry, Point] | None,
) -> dict[str, object]:
    return {
        "type": "indicator_value",
        **_ids(dataset, region),
        "dataset_title": dataset.title,
        "period": point.period,
        "value": point.value,
        "decimals": point.decimals,
        "status": point.status,
        "other_series": {"dataset": other[0].code, "value": other[1].value} if other else None,
    }
