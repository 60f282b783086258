"""A ranking: the top (or bottom) regions of a scope, or one region's place in it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import readings
from handlers.catalog import Catalog, DatasetEntry, RegionEntry
from handlers.context import Request
from handlers.messages import Reply
from reports import charts
from reports.summary import Point, rank
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from handlers.indicators import Ask


DEFAULT_TOP = 5
RANKED_LEVELS = {  # a ranking's level word → the levels it ranks
    "kabupaten": frozenset({"kabupaten"}),
    "kota": frozenset({"kota"}),
    "kabkota": frozenset({"kabupaten", "kota"}),
}


async def answer_rank(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    t = request.texts
    scope, focus = rank_scope(request, ask)
    if not scope:
        return [Reply(t.t("no_default_region"))]
    # A category is read from the dataset asked; other series need not share its breakdown.
    series = (ask.dataset,) if ask.categories else ask.series
    category = ask.categories_key
    wanted = ask.period.code if ask.period.kind == "exact" else None
    ids = {r.id for r in scope}
    # Prefer the asked (headline) series while it covers nine in ten regions, then the
    # newest period, then the widest coverage.
    best: tuple[tuple[bool, bool, str, int], DatasetEntry, str, dict[int, Point]] | None = None
    for dataset in series:
        periods = await uow.observations.periods(dataset.indicator_id, category)
        exact = readings.match_period(periods, wanted)
        read = await readings.cross_sections(
            uow, dataset, [exact] if exact else periods[-3:], ids, category
        )
        for period, cross in read.items():
            key = (len(cross) >= 0.9 * len(ids), dataset.id == ask.dataset.id, period, len(cross))
            if best is None or key > best[0]:
                best = (key, dataset, period, cross)
    if best is None:
        title = readings.of_category(ask.dataset, ask.categories).title
        return [Reply(t.t("no_data_scope", title=title))]
    _, chosen, period, cross = best
    chosen = readings.of_category(chosen, ask.categories)
    regions = request.app.catalog.regions
    ordered = sorted(cross.items(), key=lambda item: -item[1].value)
    if ask.direction == "low":
        ordered.reverse()
    limit = min(ask.limit or DEFAULT_TOP, len(ordered))
    values = [point.value for _, point in ordered]

    def place(value: float) -> int:
        """Ties share the better place, as in the focus line."""
        better = (v > value if ask.direction == "high" else v < value for v in values)
        return 1 + sum(better)

    listed = [(place(point.value), regions[rid], point) for rid, point in ordered[:limit]]
    missing_period = wanted if wanted and not readings.match_period([period], wanted) else None
    focus_rank = rank({rid: p.value for rid, p in cross.items()}, focus.id) if focus else None
    text = t.render(
        "rank",
        dataset=chosen,
        period=period,
        listed=listed,
        total=len(ordered),
        direction=ask.direction,
        scope=readings.scope_label(request, scope),
        focus=focus,
        focus_point=cross.get(focus.id) if focus else None,
        focus_rank=focus_rank,
        region_note=ask.region_note,
        missing_period=missing_period,
    )
    top_ids = {regions[rid].id for rid, _ in ordered[:limit]}
    bars = [
        charts.Bar(
            readings.chart_name(regions[rid]),
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
        source=readings.source_line(request, chosen),
        decimals=readings.decimals(list(cross.values())),
    )
    parent = regions.get(scope[0].parent_id or -1)
    data = {
        "type": "indicator_ranking",
        "dataset": chosen.code,
        "indicator": chosen.indicator_code,
        "unit": chosen.unit,
        "categories": dict(ask.categories),
        "period": period,
        "requested_period": missing_period,
        "direction": ask.direction,
        "level": _level_of(scope),
        "parent": readings.region_fields(parent) if parent else None,
        "total": len(ordered),
        "ranking": [
            {"rank": pos, **readings.region_fields(r), "value": p.value} for pos, r, p in listed
        ],
    }
    return [Reply(text, data=data, chart=chart)]


def rank_scope(request: Request, ask: Ask) -> tuple[list[RegionEntry], RegionEntry | None]:
    """Which regions compete, and which one the question is about (if any).

    A named province ranks its kabupaten/kota, a region named with a level below it ranks
    those ("desa … di Kecamatan Purwodadi"); a region named alone is placed among its
    neighbours. "provinsi" alone ranks provinces; "kabupaten" alone, in a kabupaten's
    registry, its province's kabupaten; nothing named ranks the deployment's own children.
    """
    catalog = request.app.catalog
    if ask.regions:
        region = ask.regions[0]
        children = catalog.children.get(region.id, [])
        below = ask.level in readings.SMALL_LEVELS or (
            region.level == "provinsi" and ask.level != "provinsi"
        )
        if children and below:
            return _filter_level(catalog, children, ask.level), None
        return sorted(readings.comparable_regions(request, region), key=lambda r: r.id), region
    if ask.level == "provinsi":
        return [r for r in catalog.regions.values() if r.level == "provinsi"], None
    own = catalog.by_code.get(request.app.deployment.region_code)
    if own is None:
        return [], None
    children = catalog.children.get(own.id, [])
    if children and (own.level == "provinsi" or ask.level not in RANKED_LEVELS):
        return _filter_level(catalog, children, ask.level), None
    neighbours = sorted(readings.comparable_regions(request, own), key=lambda r: r.id)
    return _filter_level(catalog, neighbours, ask.level), own


def _level_of(scope: list[RegionEntry]) -> str:
    """The scope's level as the answer contract names it: one level, or "kabkota" for
    kabupaten and kota together, "desa" for desa and kelurahan together."""
    levels = {r.level for r in scope}
    if len(levels) == 1:
        return levels.pop()
    return "desa" if levels <= {"desa", "kelurahan"} else "kabkota"


def _filter_level(
    catalog: Catalog, regions: list[RegionEntry], level: str | None
) -> list[RegionEntry]:
    """The regions of `level` among `regions` or below them ("desa di Kabupaten X" are the
    desa of its kecamatan); without a level, `regions` themselves."""
    if level is None:
        return regions
    if level in RANKED_LEVELS:
        return [r for r in regions if r.level in RANKED_LEVELS[level]] or regions
    same = {"desa", "kelurahan"} if level in ("desa", "kelurahan") else {level}
    if any(r.level in same for r in regions):
        return [r for r in regions if r.level in same]
    below = [child for r in regions for child in catalog.children.get(r.id, [])]
    return _filter_level(catalog, below, level) if below else regions
