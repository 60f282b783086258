"""One reader for every table a registry source gives: a CKAN DataStore table, a CSV or XLSX
resource, a liaison's spreadsheet. `read_table` finds what each column is
(`storage.tables.columns`) and reads every published cell once, into a place, a period,
categories and an indicator; what it cannot read it reports by reason, with the row and
column where it happened, and never fills in.

Tables repeat the same few region names, periods and categories over many rows, so every
distinct cell is read once per table and looked up afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import prod
from typing import Any, NamedTuple

from storage.tables import categories
from storage.tables.cells import NotANumber, Style, number, number_style
from storage.tables.columns import Layout, RegionColumn, ValueColumn, detect, explain
from storage.tables.gazetteer import Gazetteer
from storage.tables.periods import (
    PARTS_A_YEAR,
    PeriodError,
    PeriodPart,
    cell_part,
    cell_text,
    join,
    period_code,
)
from storage.tables.reading import (
    MAX_PROBLEM_EXAMPLES,
    Categories,
    Category,
    CategoryLabel,
    Dimension,
    Place,
    Problem,
    Reading,
    Table,
    TableContext,
    Value,
    Values,
)
from storage.tables.regions import Regions, Resolution, code_text
from storage.tables.units import additive

SKIP = "skip"  # a row adding up the table in a way the dataset does not keep
DUPLICATE = "nilai ganda: wilayah, periode dan kategori yang sama tertulis lebih dari sekali"
Key = tuple[str, str, str, Categories]  # indicator, place code, period, categories
Number = tuple[float, int] | str | None  # (value, decimals), why not a number, or missing
RowPeriod = tuple[PeriodPart, int] | str  # what a row's period cells say (numbered), or why not


def read_table(table: Table, context: TableContext, gazetteer: Gazetteer) -> Reading:
    layout = detect(table, context, gazetteer)
    if layout.unread is not None:
        return Reading(roles=_in_order(layout.roles, table), unread=layout.unread)
    return _Reader(table, context, gazetteer, layout).read()


class _Slot(NamedTuple):
    """A value column, with what its cells need looked up."""

    column: ValueColumn
    at: int  # the column's position
    header: str
    category: Category | None  # the category its name gives (None: none, or the total)
    numbers: dict[Any, Number]  # its distinct cells, read
    codes: dict[int, str | PeriodError]  # a row period's number → the period of its cells


class _CategorySlot(NamedTuple):
    at: int
    dimension: str
    header: str
    read: dict[Any, Category | str | None]  # cell → category, why not, or None for a total


class _Reader:
    def __init__(
        self, table: Table, context: TableContext, gazetteer: Gazetteer, layout: Layout
    ) -> None:
        self.table = table
        self.context = context
        self.layout = layout
        home = gazetteer.place(context.home_code) if context.home_code else None
        self.regions = Regions(gazetteer, home)
        self.problems: dict[str, tuple[list[int], list[tuple[int, str]]]] = {}
        self.missing = 0
        # Category labels as published, per dimension, in the order the table shows them.
        self.labels: dict[str, dict[str, str]] = {}
        self.places: dict[str, Place] = {}
        self.published: dict[Key, int] = {}  # → position in `cells`
        self.cells: list[tuple[Key, float, int]] = []
        self.first_rows: list[int] = []
        self.dropped: set[int] = set()  # positions of cells published twice
        self.holes: set[Key] = set()  # cells missing or unreadable: no total is summed over them

    def read(self) -> Reading:
        layout, table = self.layout, self.table
        width, headers = len(table.columns), table.columns
        slots = [self._slot(column) for column in layout.values]
        category_slots = [
            _CategorySlot(c.index, c.dimension, headers[c.index], {}) for c in layout.categories
        ]
        merged: dict[tuple[Categories, Category | None], Categories] = {}
        one_region = layout.regions[0] if len(layout.regions) == 1 else None
        region_cache: dict[Any, Resolution] = {}
        nested_caches: list[dict[tuple[str, Any], Resolution]] = [{} for _ in layout.regions]
        periods: dict[tuple[Any, Any, Any], RowPeriod] = {}
        year, whole = layout.year, layout.period
        sub = layout.sub[0] if layout.sub else None
        no_period: tuple[Any, Any, Any] = (None, None, None)
        wide = any(v.period is not None for v in layout.values)
        published, cells, first_rows, holes = (
            self.published,
            self.cells,
            self.first_rows,
            self.holes,
        )
        problem = self._problem
        # The detector leaves a table without region columns unread unless it has a place.
        fixed = layout.place or Place("", "", "", None)
        previous_outer: Any = None
        row_number = table.first_row - 1
        for row in table.rows:
            row_number += 1
            if len(row) < width:
                row = [*row, *([None] * (width - len(row)))]
            # -- where ------------------------------------------------------------------
            if one_region is not None:
                cell = row[one_region.index]
                try:
                    resolution = region_cache.get(cell)
                except TypeError:
                    cell, resolution = str(cell), None
                if resolution is None:
                    resolution = region_cache[cell] = self._resolve(
                        one_region, cell, one_region.scope
                    )
                if resolution.place is None:
                    problem(resolution.problem, row_number, headers[one_region.index])
                    continue
                place = resolution.place
            elif layout.regions:
                found, previous_outer = self._place(row, row_number, nested_caches, previous_outer)
                if found is None:
                    continue
                place = found
            else:
                place = fixed
            # -- when ---------------------------------------------------------------------
            key = no_period
            if year is not None or sub is not None or whole is not None:
                key = (
                    row[year] if year is not None else None,
                    row[sub] if sub is not None else None,
                    row[whole] if whole is not None else None,
                )
            try:
                said = periods.get(key)
            except TypeError:
                key = (str(key[0]), str(key[1]), str(key[2]))
                said = periods.get(key)
            if said is None:
                part = self._row_period(key)
                said = periods[key] = part if isinstance(part, str) else (part, len(periods))
            if isinstance(said, str):
                if said is not SKIP:
                    problem(said, row_number, self._period_header())
                continue
            period, period_number = said
            # -- which categories -------------------------------------------------------
            row_categories: Categories = ()
            for slot in category_slots:
                cell = row[slot.at]
                try:
                    category = slot.read[cell]
                except KeyError:
                    category = slot.read[cell] = self._category(slot.dimension, cell)
                except TypeError:
                    category = self._category(slot.dimension, str(cell))
                if isinstance(category, str):
                    problem(category, row_number, slot.header)
                    break
                if category is not None:
                    row_categories += (category,)
            else:  # every category read: the row's values
                # -- the values -----------------------------------------------------------
                place_code = place.code
                for column, index, header, extra, numbers, codes in slots:
                    code = codes.get(period_number)
                    if code is None:
                        code = codes[period_number] = self._code(column, period, key)
                    if isinstance(code, PeriodError):
                        problem(str(code), row_number, header if wide else self._period_header())
                        if wide:
                            continue
                        break
                    cats = merged.get((row_categories, extra))
                    if cats is None:
                        both = (*row_categories, extra) if extra else row_categories
                        cats = merged[(row_categories, extra)] = tuple(sorted(both))
                    cell = row[index]
                    try:
                        parsed = numbers[cell]
                    except (KeyError, TypeError):
                        parsed = _parse(cell, None)
                    cell_key = (column.indicator, place_code, code, cats)
                    if parsed is None:
                        self.missing += 1
                        holes.add(cell_key)
                    elif isinstance(parsed, str):
                        problem(parsed, row_number, header)
                        holes.add(cell_key)
                    elif cell_key in published:
                        self._duplicate(cell_key, row_number, header)
                    else:
                        published[cell_key] = len(cells)
                        cells.append((cell_key, parsed[0], parsed[1]))
                        first_rows.append(row_number)
                        if place_code not in self.places:
                            self.places[place_code] = place
        return self._reading()

    # -- setting up ---------------------------------------------------------------------------

    def _slot(self, column: ValueColumn) -> _Slot:
        """A value column with every distinct cell read once, the way the column writes its
        numbers (see `cells.number_style`)."""
        index, header = column.index, self.table.columns[column.index]
        try:
            distinct = {row[index] for row in self.table.rows if index < len(row)}
        except TypeError:  # a cell that is a list or a mapping: read when met
            distinct = {
                row[index]
                for row in self.table.rows
                if index < len(row) and isinstance(row[index], str | int | float)
            }
        style: Style | None = number_style(distinct)
        category: Category | None = None
        if column.category is not None:
            dimension, value = column.category
            if value is not None:
                category = (dimension, value)
                self._label(dimension, value, column.category_label or header)
        return _Slot(
            column,
            index,
            header,
            category,
            {cell: _parse(cell, style) for cell in distinct},
            {},
        )

    # -- rows ---------------------------------------------------------------------------------

    def _place(
        self,
        row: Sequence[Any],
        row_number: int,
        caches: list[dict[tuple[str, Any], Resolution]],
        previous_outer: Any,
    ) -> tuple[Place | None, Any]:
        """The row's place: the outer region column's, then each inner one within it. A
        blank outer cell above a filled inner one continues the group above it (a merged
        cell in the spreadsheet)."""
        regions = self.layout.regions
        scope = regions[0].scope
        outer = row[regions[0].index]
        if _blank(outer) and not _blank(row[regions[1].index]):
            outer = previous_outer
        for position, column in enumerate(regions):
            cell = outer if position == 0 else row[column.index]
            cache = caches[position]
            scope_code = scope.code if scope is not None else ""
            try:
                resolution = cache[(scope_code, cell)]
            except KeyError:
                resolution = cache[(scope_code, cell)] = self._resolve(column, cell, scope)
            except TypeError:
                resolution = self._resolve(column, str(cell), scope)
            if resolution.place is None:
                self._problem(resolution.problem, row_number, self.table.columns[column.index])
                return None, outer
            scope = resolution.place
        return scope, outer

    def _resolve(self, column: RegionColumn, cell: Any, scope: Place | None) -> Resolution:
        top = column is self.layout.regions[0]
        return self.regions.resolve(code_text(cell), scope, column.level, column.codes, top)

    def _row_period(self, cells: tuple[Any, Any, Any]) -> PeriodPart | str:
        """What the row's period columns (and the table's name) say, or why they say
        nothing."""
        layout = self.layout
        year, sub, whole = (cell_text(c) for c in cells)
        parts = []
        try:
            if layout.year is not None:
                if not year:
                    return f"{self.table.columns[layout.year]} kosong"
                parts.append(cell_part(year))
            if layout.sub is not None:
                if not sub:
                    return f"{self.table.columns[layout.sub[0]]} kosong"
                if not categories.is_total(sub):
                    parts.append(cell_part(sub, layout.sub[1]))
                elif self.context.periodicity in PARTS_A_YEAR:
                    return SKIP  # "Jumlah" in a bulan column: the months are kept, not it
            if layout.period is not None:
                parts.append(cell_part(whole, self.context.periodicity))
            if layout.name_period is not None:
                parts.append(layout.name_period)
            return join(" ".join(t for t in (year, sub, whole) if t), *parts)
        except PeriodError as error:
            return str(error)

    def _code(
        self, column: ValueColumn, row: PeriodPart, cells: tuple[Any, Any, Any]
    ) -> str | PeriodError:
        """The period of a column's cells in rows whose period cells say `row`."""
        written = " ".join(t for t in (cell_text(c) for c in cells) if t)
        if column.period is not None:
            written = f"{written} {self.table.columns[column.index]}".strip()
        if not written and self.layout.name_period is not None:
            written = self.table.name
        try:
            part = join(written, row, column.period) if column.period is not None else row
            return period_code(part, self.context.periodicity, written)
        except PeriodError as error:
            return error

    def _category(self, dimension: str, cell: Any) -> Category | str | None:
        text = cell_text(cell)
        if not text:
            return f"kategori {self.layout.dimension_labels.get(dimension, dimension)!r} kosong"
        key = categories.value_key(dimension, text)
        if key is None:
            return None
        self._label(dimension, key, text)
        return (dimension, key)

    def _label(self, dimension: str, key: str, label: str) -> None:
        self.labels.setdefault(dimension, {}).setdefault(key, label)

    def _duplicate(self, key: Key, row: int, column: str) -> None:
        """The same cell twice: neither is kept, since which one is right is not known."""
        earlier = self.published[key]
        if earlier not in self.dropped:
            self.dropped.add(earlier)
            self._problem(DUPLICATE, self.first_rows[earlier], column)
        self._problem(DUPLICATE, row, column)
        self.holes.add(key)

    def _problem(self, reason: str, row: int, column: str) -> None:
        found = self.problems.get(reason)
        if found is None:
            found = self.problems[reason] = ([0], [])
        found[0][0] += 1
        if len(found[1]) < MAX_PROBLEM_EXAMPLES:
            found[1].append((row, column))

    def _period_header(self) -> str:
        layout = self.layout
        sub = layout.sub[0] if layout.sub else None
        index = next((i for i in (layout.year, layout.period, sub) if i is not None), None)
        return self.table.columns[index] if index is not None else self.table.name

    # -- the reading --------------------------------------------------------------------------

    def _reading(self) -> Reading:
        values = Values()
        places = self.places
        for position, (key, value, decimals) in enumerate(self.cells):
            if position not in self.dropped:
                indicator, place, period, cats = key
                values.add(Value(indicator, places[place], period, cats, value, decimals, False))
        for (indicator, place, period, cats), value, decimals in self._totals():
            values.add(Value(indicator, places[place], period, cats, value, decimals, True))
        labels = self.layout.dimension_labels
        unread = None
        if not values and self.problems:
            reasons = sorted(self.problems.items(), key=lambda item: -item[1][0][0])
            said = "; ".join(f"{reason} ({count[0]} kali)" for reason, (count, _) in reasons[:3])
            unread = explain(self.layout, self.table, [f"tidak ada baris yang terbaca: {said}"])
        return Reading(
            indicators=list(self.layout.indicators),
            dimensions=[
                Dimension(
                    key, labels.get(key, key), tuple(CategoryLabel(*c) for c in found.items())
                )
                for key, found in self.labels.items()
            ],
            values=values,
            roles=_in_order(self.layout.roles, self.table),
            problems=[
                Problem(reason, count[0], tuple(examples))
                for reason, (count, examples) in self.problems.items()
            ],
            unread=unread,
            missing=self.missing,
        )

    def _totals(self) -> list[tuple[Key, float, int]]:
        """Totals the table does not publish, summed from its fully broken-down cells where
        the unit adds up: over each set of dimensions, keeping the others, and only where
        every category of the dimensions summed is there, read and published once (a
        missing or doubtful cell leaves its totals out)."""
        summable = {s.key for s in self.layout.indicators if additive(s.unit, s.label)}
        dropped, published = self.dropped, self.published
        kinds = {
            (key[0], key[3])
            for position, (key, _, _) in enumerate(self.cells)
            if key[3] and key[0] in summable and position not in dropped
        }
        dimensions: dict[str, frozenset[str]] = {}  # indicator → every dimension it has
        for indicator, cats in kinds:
            dimensions[indicator] = dimensions.get(indicator, frozenset()) | {d for d, _ in cats}
        seen: dict[tuple[str, str], set[str]] = {}  # categories of the full breakdown
        for indicator, cats in kinds:
            if len(cats) == len(dimensions[indicator]):
                for dimension, category in cats:
                    seen.setdefault((indicator, dimension), set()).add(category)
        targets: dict[Categories, list[Categories]] = {}
        sums: dict[Key, list[float]] = {}  # → [sum, cells, decimals]
        poisoned: set[Key] = set()
        for position, ((indicator, place, period, cats), value, decimals) in enumerate(self.cells):
            if not cats or len(cats) != len(dimensions.get(indicator, ())):
                continue
            above = targets.get(cats)
            if above is None:
                above = targets[cats] = _targets(cats)
            if position in dropped:
                poisoned.update((indicator, place, period, c) for c in above)
                continue
            for kept in above:
                target = (indicator, place, period, kept)
                total = sums.get(target)
                if total is None:
                    sums[target] = [value, 1, decimals]
                else:
                    total[0] += value
                    total[1] += 1
                    if decimals > total[2]:
                        total[2] = decimals
        for indicator, place, period, cats in self.holes:
            if cats and len(cats) == len(dimensions.get(indicator, ())):
                poisoned.update((indicator, place, period, c) for c in _targets(cats))
        # (indicator, dimensions kept) → how many cells a total over the others needs; 0 when
        # a dimension summed over shows one category only, of which there is no total.
        needs: dict[tuple[str, tuple[str, ...]], int] = {}
        computed = []
        for target, (amount, count, most) in sums.items():
            if target in published or target in poisoned:
                continue
            shape = (target[0], tuple(d for d, _ in target[3]))
            needed = needs.get(shape)
            if needed is None:
                sizes = [
                    len(found)
                    for (indicator, dimension), found in seen.items()
                    if indicator == shape[0] and dimension not in shape[1]
                ]
                needed = needs[shape] = prod(sizes) if min(sizes) >= 2 else 0
            if count == needed:
                decimals = int(most)
                computed.append((target, round(amount, decimals), decimals))
        return computed


def _targets(cats: Categories) -> list[Categories]:
    """The totals a fully broken-down cell adds to: over each non-empty set of its
    dimensions, keeping the others."""
    return [
        tuple(c for c in cats if c not in summed)
        for size in range(1, len(cats) + 1)
        for summed in combinations(cats, size)
    ]


def _parse(cell: Any, style: Style | None) -> Number:
    try:
        return number(cell, style)
    except NotANumber as error:
        return str(error)


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _in_order(roles: dict[str, str], table: Table) -> dict[str, str]:
    return {header: roles.get(header, "diabaikan") for header in table.columns}
