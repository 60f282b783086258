"""Reading an indicator's values for answers: series, cross-sections, windows, freshness.

Shared by the value, trend, comparison and ranking answers; everything here is read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from handlers.catalog import DatasetEntry, RegionEntry, base_name
from handlers.context import Request
from handlers.understanding import PeriodAsk
from reminders.status import standing
from reports.summary import Point
from storage.uow import UnitOfWork

SMALL_LEVELS = frozenset({"kecamatan", "desa", "kelurahan"})
TREND_POINTS = 15  # a trend without a range shows at most this many recent periods


async def points(
    uow: UnitOfWork, dataset: DatasetEntry, region: RegionEntry, categories: str = ""
) -> list[Point]:
    rows = await uow.observations.series(dataset.indicator_id, region.id, categories)
    return [Point(o.period, o.value, o.decimals, o.status, o.computed) for o in rows]


async def cross_sections(
    uow: UnitOfWork,
    dataset: DatasetEntry,
    periods: Sequence[str],
    region_ids: set[int],
    categories: str = "",
) -> dict[str, dict[int, Point]]:
    """period → region → value, for the regions asked (periods without any are left out)."""
    rows = await uow.observations.for_periods(dataset.indicator_id, periods, region_ids, categories)
    found: dict[str, dict[int, Point]] = {}
    for o in rows:
        point = Point(o.period, o.value, o.decimals, o.status, o.computed)
        found.setdefault(o.period, {})[o.region_id] = point
    return found


BREAKDOWN_SHOWN = 6  # categories listed under a total; more are counted, not listed


async def breakdown(
    uow: UnitOfWork, dataset: DatasetEntry, region: RegionEntry, period: str
) -> list[list[tuple[str, Point]]]:
    """A total's categories as published, one list of (label, value) per dimension in the
    table's order: shown under the total so "Laki-laki 52.114 · Perempuan 51.870" need not
    be asked for."""
    if not dataset.categories:
        return []
    order = {
        f"{dimension}={key}": (index, dimension, category_label(key, label))
        for index, (dimension, key, label) in enumerate(dataset.categories)
    }
    rows = await uow.observations.breakdown(dataset.indicator_id, region.id, period)
    by_dimension: dict[str, list[tuple[str, Point]]] = {}
    for (_, dimension, label), row in sorted(
        (order[r.categories], r) for r in rows if r.categories in order
    ):
        by_dimension.setdefault(dimension, []).append(
            (label, Point(period, row.value, row.decimals))
        )
    return list(by_dimension.values())


def category_labels(dataset: DatasetEntry, categories: tuple[tuple[str, str], ...]) -> list[str]:
    """The categories asked, as the answer names them."""
    labels = {(d, k): label for d, k, label in dataset.categories}
    return [category_label(key, labels.get((d, key), "")) for d, key in categories]


def of_category(dataset: DatasetEntry, categories: tuple[tuple[str, str], ...]) -> DatasetEntry:
    """The dataset as an answer about one of its categories heads it: "… · Perempuan"."""
    if not categories:
        return dataset
    return replace(
        dataset, title=" · ".join([dataset.title, *category_labels(dataset, categories)])
    )


def category_label(key: str, label: str) -> str:
    """A category as a reader wants it: the table's label ("Perempuan"), or where the table
    used a letter ("P") or a column name ("laki_laki"), its key as words ("Laki-laki")."""
    if len(label) > 2 and label != key:
        return label
    return key.replace("_", "-").capitalize()


def chart_name(region: RegionEntry) -> str:
    """A region as a chart labels it: "Bangil" among kecamatan (the title says which level),
    the full name for kabupaten and kota, where "Kota Malang" and "Kabupaten Malang" differ."""
    return base_name(region.name) if region.level in SMALL_LEVELS else region.name


def comparable_regions(request: Request, region: RegionEntry) -> list[RegionEntry]:
    """Kabupaten and kota of the same province compete together; provinces among provinces."""
    siblings = request.app.catalog.children.get(region.parent_id or -1, [])
    return [r for r in siblings if (r.level == "provinsi") == (region.level == "provinsi")]


def comparable(request: Request, region: RegionEntry) -> set[int]:
    return {r.id for r in comparable_regions(request, region)}


def peer_label(request: Request, region: RegionEntry) -> str:
    parent = request.app.catalog.regions.get(region.parent_id or -1)
    key = {
        "provinsi": "peers_provinces",
        "kecamatan": "peers_kecamatan",
        "desa": "peers_desa",
        "kelurahan": "peers_desa",
    }.get(region.level, "peers_kabkota")
    return request.texts.t(key, parent=parent.name if parent else "")


def scope_label(request: Request, scope: Sequence[RegionEntry]) -> str:
    levels = {r.level for r in scope}
    parent = request.app.catalog.regions.get(scope[0].parent_id or -1)
    if levels == {"provinsi"}:
        return request.texts.t("peers_provinces", parent="")
    name = parent.name if parent else ""
    if levels == {"kecamatan"}:
        return request.texts.t("peers_kecamatan", parent=name)
    if levels <= {"desa", "kelurahan"}:
        return request.texts.t("peers_desa", parent=name)
    key = "scope_" + (
        "kabupaten" if levels == {"kabupaten"} else "kota" if levels == {"kota"} else "kabkota"
    )
    return request.texts.t(key, parent=name)


def match_period(available: Iterable[str], wanted: str | None) -> str | None:
    """The period a question means: exactly `wanted`, or for a year asked of monthly or
    quarterly data ("2024"), that year's latest period ("2024-12")."""
    if not wanted:
        return None
    periods = set(available)
    if wanted in periods:
        return wanted
    within = [p for p in periods if len(wanted) == 4 and p.startswith(wanted + "-")]
    return max(within, default=None)


def find(points: Sequence[Point], wanted: str | None) -> Point | None:
    period = match_period((p.period for p in points), wanted)
    return next((p for p in points if p.period == period), None) if period else None


def at(points: Sequence[Point], period: str) -> Point:
    """The point of a period known to be in `points` (e.g. one common to every region)."""
    return next(p for p in points if p.period == period)


def window(points: list[Point], period: PeriodAsk) -> list[Point]:
    if period.kind == "range":
        return [p for p in points if period.first <= int(p.period[:4]) <= period.last]  # type: ignore[operator]
    if period.kind == "last_n":
        return points[-(period.count or 1) :]
    if period.kind == "exact":
        # A year asked of monthly data ends with its December: "2024-12" is in "2024".
        code = period.code or ""
        upto = [p for p in points if p.period[: len(code)] <= code]
        return upto[-TREND_POINTS:]
    return points[-TREND_POINTS:]


def decimals(points: Sequence[Point]) -> int:
    return max((p.decimals for p in points), default=0)


async def freshness(
    request: Request, uow: UnitOfWork, dataset: DatasetEntry
) -> dict[str, object] | None:
    """When the dataset was last updated and, if it is overdue, since when."""
    zone = request.app.deployment.timezone
    today: date = request.now.astimezone(zone).date()
    found = await standing(uow, dataset.id, today)
    if found is None:
        return None
    row, due = found.schedule, found.deadline
    updated = row.last_updated_at.astimezone(zone) if row.last_updated_at else None
    return {
        "updated": updated,
        "latest_period": row.latest_period,
        "overdue": due if due and due.status == "terlambat" else None,
        "timezone": request.app.deployment.timezone_abbreviation,
    }


def source_line(request: Request, dataset: DatasetEntry) -> str:
    return request.texts.t("chart_source", source=dataset.source, producer=dataset.opd_name)


def region_fields(region: RegionEntry) -> dict[str, object]:
    """A region as a program checking an answer needs it: both codes and its level."""
    return {
        "region_code": region.code,
        "region_kemendagri_code": region.kemendagri_code,
        "region_name": region.name,
        "region_level": region.level,
    }


def ids(dataset: DatasetEntry, region: RegionEntry) -> dict[str, object]:
    return {
        "dataset": dataset.code,
        "indicator": dataset.indicator_code,
        **region_fields(region),
        "unit": dataset.unit,
        "source": dataset.source,
        "producer": dataset.opd_name,
    }


def value_data(
    dataset: DatasetEntry,
    region: RegionEntry,
    point: Point,
    other: tuple[DatasetEntry, Point] | None,
    categories: tuple[tuple[str, str], ...] = (),
    missing: str | None = None,
    parts: Sequence[Sequence[tuple[str, Point]]] = (),
) -> dict[str, object]:
    """`requested_period`: the period asked for when the registry has none, so `period` is
    the latest it has instead (as the text says); `computed`: the total was summed from the
    table's categories; `breakdown`: the total's categories."""
    return {
        "type": "indicator_value",
        **ids(dataset, region),
        "dataset_title": dataset.title,
        "requested_period": missing,
        "period": point.period,
        "value": point.value,
        "decimals": point.decimals,
        "status": point.status,
        "computed": point.computed,
        "categories": dict(categories),
        "breakdown": [
            {"category": label, "value": p.value} for dimension in parts for label, p in dimension
        ],
        "other_series": {"dataset": other[0].code, "value": other[1].value} if other else None,
    }
