"""Values that read fine but look unlikely against the period before: warnings, not errors.

A count that triples or falls to a third, a percentage that moves more than 20 points or
leaves 0–100, a region that falls to zero: each may be true (a new kecamatan split off, a
programme ended), and only the liaison knows. So they are said, the liaison confirms them
with a note, and the walidata reads both. Totals a table's categories add up to are left
out: their parts are checked already.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from storage.tables.reading import Value, categories_key
from storage.tables.units import additive
from texts.formatting import number

COUNT_RATIO = 3.0  # a count this many times larger or smaller than the period before
PERCENT_POINTS = 20.0  # a percentage moving more than this
PERCENT_UNITS = frozenset({"persen", "%"})

# (indicator key, Kemendagri code, categories key) → the previous period's value
Previous = Mapping[tuple[str, str, str], float]


def warnings(
    values: Iterable[Value],
    previous: Previous,
    previous_period: str,
    units: Mapping[str, tuple[str, str]],  # indicator key → (unit, label)
    labels: Mapping[str, str],  # "dimension=key" → the category's label
) -> list[str]:
    found = []
    for value in values:
        if value.computed:
            continue
        unit, label = units[value.indicator]
        key = categories_key(value.categories)
        before = previous.get((value.indicator, value.place.code, key))
        reason = _unlikely(value.value, before, unit.casefold(), additive(unit, label))
        if reason is None:
            continue
        where = ", ".join(
            [value.place.name, *(labels.get(f"{d}={k}", k) for d, k in value.categories)]
        )
        was = (
            f" ({previous_period}: {number(before, value.decimals)})" if before is not None else ""
        )
        found.append(f"{where}: {number(value.value, value.decimals)}{was}, {reason}")
    return found


def _unlikely(value: float, before: float | None, unit: str, count: bool) -> str | None:
    if unit in PERCENT_UNITS:
        if not 0 <= value <= 100:
            return "di luar 0–100 persen"
        if before is not None and abs(value - before) > PERCENT_POINTS:
            return f"berubah {number(abs(value - before), 1)} poin"
        return None
    if before is None or before == value:
        return None
    if value == 0:
        return "turun ke 0"
    if count and before > 0:
        if value >= COUNT_RATIO * before:
            return f"naik {number(value / before, 1)} kali lipat"
        if value * COUNT_RATIO <= before:
            return f"turun ke {number(100 * value / before, 0)} persen"
    return None
