"""The arithmetic behind an answer: change, rank, trend. Pure functions on plain values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Change in these units reads as points ("naik 0,66 poin"); in others as a percentage.
POINT_UNITS = frozenset({"persen", "indeks", "tahun"})


@dataclass(frozen=True)
class Point:
    period: str
    value: float
    decimals: int
    status: str = "final"
    computed: bool = False  # a total summed from its categories, which the answer says


@dataclass(frozen=True)
class Change:
    direction: str  # up, down, flat
    amount: float  # absolute points, or percent when `relative`
    decimals: int
    relative: bool
    previous: Point


@dataclass(frozen=True)
class Rank:
    position: int  # 1 = highest value
    total: int


@dataclass(frozen=True)
class Trend:
    first: Point
    last: Point
    change: Change
    per_period: float  # average change per step, in the change's terms
    highest: Point
    lowest: Point


def change(current: Point, previous: Point | None, unit: str) -> Change | None:
    if previous is None:
        return None
    delta = current.value - previous.value
    relative = unit not in POINT_UNITS and previous.value != 0
    amount = abs(delta) / abs(previous.value) * 100 if relative else abs(delta)
    decimals = 2 if relative else max(current.decimals, previous.decimals)
    # Flat when the change as shown rounds to zero ("naik 0,00%" would read oddly).
    direction = "flat" if round(amount, decimals) == 0 else "up" if delta > 0 else "down"
    return Change(direction, amount, decimals, relative, previous)


def rank(values: Mapping[int, float], key: int) -> Rank | None:
    """Position of `key` among `values`, highest first; ties share the better position."""
    if key not in values or len(values) < 2:
        return None
    mine = values[key]
    return Rank(1 + sum(v > mine for v in values.values()), len(values))


def trend(points: Sequence[Point], unit: str) -> Trend | None:
    if len(points) < 2:
        return None
    first, last = points[0], points[-1]
    overall = change(last, first, unit)
    assert overall is not None
    per_period = overall.amount / (len(points) - 1)
    return Trend(
        first=first,
        last=last,
        change=overall,
        per_period=per_period,
        highest=max(points, key=lambda p: p.value),
        lowest=min(points, key=lambda p: p.value),
    )
