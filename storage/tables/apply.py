"""Writing readings into one dataset of the registry, inside the caller's unit of work.

Every source (a portal sync, a spreadsheet import) ends here, so a cell means the same thing
whoever read it: its region is a region of the Kemendagri list (created with its parents the
first time a table names it, never made up), its indicator one of the dataset's, its
categories a canonical key. A sync writes millions of cells, so cells travel as plain rows
in executemany batches (COPY on PostgreSQL), never as ORM objects, and the cells an
indicator already holds are read once, in one query.

Nothing here commits: the caller's unit of work decides, so an import that finds one problem
can leave the registry as it was, and a new period closes its reminders in the same
transaction as the values that show it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from domain.periods import parse_period
from storage.fulfilment import period_arrived
from storage.models import Base, Dataset, Indicator, IndicatorCategory, Observation, Region
from storage.region_codes import bps_from_kemendagri
from storage.tables.reading import (
    Categories,
    IndicatorSpec,
    Place,
    Problem,
    Reading,
    categories_key,
)
from storage.uow import UnitOfWork

INSERT_BATCH = 5000
CHUNK = 500  # values per IN list, under every engine's parameter limit
# The Kemendagri list names kabupaten and kota with their level, the other levels without.
LEVEL_NAMES = {
    "provinsi": "Provinsi ",
    "kecamatan": "Kecamatan ",
    "desa": "Desa ",
    "kelurahan": "Kelurahan ",
}
DUPLICATE_EXAMPLES = 5
OBSERVATIONS = Base.metadata.tables["observations"]
REGIONS = Base.metadata.tables["regions"]
CATEGORIES = Base.metadata.tables["indicator_categories"]
UPDATE_CATEGORY = (
    update(CATEGORIES)
    .where(CATEGORIES.c.id == bindparam("category_id"))
    .values(
        dimension_label=bindparam("dimension_label"),
        label=bindparam("label"),
        position=bindparam("position"),
    )
)
UPDATE_CELL = (
    update(OBSERVATIONS)
    .where(OBSERVATIONS.c.id == bindparam("row_id"))
    .values(
        value=bindparam("new_value"),
        decimals=bindparam("new_decimals"),
        computed=bindparam("new_computed"),
        status=bindparam("new_status"),
    )
)
REVISIONS = Base.metadata.tables["observation_revisions"]
REVISED = "perbaikan"  # BPS's "angka perbaikan": a published value corrected later

CELL_COLUMNS = (
    "indicator_id",
    "region_id",
    "period",
    "categories",
    "value",
    "decimals",
    "status",
    "computed",
)
# (region's Kemendagri code, period, categories key) → (value, decimals, computed)
Cells = dict[tuple[str, str, str], tuple[float, int, bool]]


@dataclass
class ApplyStats:
    """What applying the readings of one dataset changed."""

    loaded: int = 0  # cells new to the registry
    changed: int = 0  # cells whose value, precision or computed mark changed
    revised: int = 0  # of those, cells whose value changed: their old value is kept
    removed: int = 0  # cells the tables no longer hold (only when pruning)
    regions_added: int = 0
    latest_period: str | None = None  # the newest period with values in the readings
    period_arrived: bool = False  # a period newer than the registry's: the chase closed
    problems: list[Problem] = field(default_factory=list)


class ReadingApplier:
    """Writes readings into datasets. One applier serves a whole sync: the regions it found
    or created are remembered, since thousands of packages share them.

    `places` finds a region of the Kemendagri list by its dotted code (the gazetteer's
    `place`); it supplies the parents of a region written for the first time."""

    def __init__(
        self, uow: UnitOfWork, places: Callable[[str], Place | None], now: datetime
    ) -> None:
        self.uow = uow
        self.now = now
        self._regions = _Regions(uow, places)

    async def apply(
        self,
        dataset: Dataset,
        readings: Sequence[Reading],
        *,
        prune: bool,
        new: bool = False,
        published_at: datetime | None = None,
    ) -> ApplyStats:
        """Make the dataset hold what the readings say; unread readings are left out.

        `prune`: the dataset's values came from these tables, so cells, indicators and
        categories they no longer hold are removed (never when one of them could not be
        read, nor when they hold no values at all: an empty table is more likely a broken
        upload than a withdrawal). `new`: the dataset
        was created just now, so nobody has been chased for it and it holds no values yet.
        `published_at`: when the source published the values (default: now)."""
        stats = ApplyStats()
        read = [r for r in readings if r.ok]
        specs = _specs(read)
        cells, places = self._cells(read, stats)
        if not specs or not any(cells.values()):
            return stats
        # A table that could not be read this time may still hold its cells: none is pruned.
        prune = prune and not new and len(read) == len(readings)
        indicators, created = await self._indicators(dataset, specs, prune, new, stats)
        await self._categories(indicators, read, prune, set(indicators) if new else created)
        added_before = self._regions.added
        region_ids = await self._regions.ids(places)
        stats.regions_added = self._regions.added - added_before
        for key, indicator in indicators.items():
            empty = new or key in created  # nothing to compare with
            await self._write(indicator.id, cells.get(key, {}), region_ids, empty, prune, stats)
        periods = {period for key in indicators for _, period, _ in cells.get(key, {})}
        stats.latest_period = max(periods, key=lambda p: (parse_period(p).end, p))
        moment = published_at or self.now
        if new:
            dataset.latest_period = stats.latest_period
        elif await period_arrived(self.uow, dataset, stats.latest_period, self.now):
            stats.period_arrived = True
            dataset.last_updated_at = moment
        elif stats.loaded or stats.changed or stats.removed:
            dataset.last_updated_at = moment
        return stats

    # -- indicators and their categories ---------------------------------------------------------

    async def _indicators(
        self,
        dataset: Dataset,
        specs: list[IndicatorSpec],
        prune: bool,
        new: bool,
        stats: ApplyStats,
    ) -> tuple[dict[str, Indicator], set[str]]:
        """The dataset's indicator for each spec, and the specs whose indicator was created
        just now. A dataset of one indicator read as one value keeps that indicator, so its
        values keep their ids."""
        await self._load(dataset, "indicators", new)
        existing = list(dataset.indicators)
        by_code = {i.code: i for i in existing}
        found: dict[str, Indicator] = {}
        created: set[str] = set()
        if len(specs) == 1 and len(existing) == 1 and existing[0].code == dataset.code:
            found[specs[0].key] = existing[0]
        for position, spec in enumerate(specs):
            indicator = found.get(spec.key) or by_code.get(spec.key)
            if indicator is None:
                indicator = Indicator(code=spec.key[:64], name="", unit="", categories=[])
                dataset.indicators.append(indicator)
                created.add(spec.key)
            # The one value of a dataset is the dataset: its title says what it measures
            # better than the column it was published in ("nilai", "jumlah").
            indicator.name = (dataset.title if indicator.code == dataset.code else spec.label)[:300]
            indicator.unit = (spec.unit or indicator.unit)[:60]
            indicator.position = position
            found[spec.key] = indicator
        # An indicator the tables do not have goes when it holds nothing (the one a dataset
        # was registered with, before its tables showed several) or its values came from them.
        kept = {id(i) for i in found.values()}
        for indicator in existing:
            if id(indicator) in kept:
                continue
            if not new and indicator.id is not None:
                if not prune and await self._holds_values(indicator.id):
                    continue
                gone = await self.uow.session.execute(
                    delete(OBSERVATIONS).where(OBSERVATIONS.c.indicator_id == indicator.id)
                )
                stats.removed += _rowcount(gone)
            await self._load(indicator, "categories", new)  # removed with it
            dataset.indicators.remove(indicator)
        await self.uow.session.flush()
        return found, created

    async def _load(self, instance: Dataset | Indicator, relation: str, new: bool) -> None:
        """Read a relation an object written earlier in this unit of work has not loaded (an
        async session cannot load it on first use); a new dataset's is empty."""
        if relation in instance_state(instance).unloaded:
            if new:
                set_committed_value(instance, relation, [])
            else:
                await self.uow.session.refresh(instance, [relation])

    async def _holds_values(self, indicator_id: int) -> bool:
        query = select(Observation.id).where(Observation.indicator_id == indicator_id).limit(1)
        return await self.uow.session.scalar(query) is not None

    async def _categories(
        self,
        indicators: dict[str, Indicator],
        read: list[Reading],
        prune: bool,
        fresh: set[str],
    ) -> None:
        """Each indicator's categories with their published labels, in published order.

        Written as rows, not through `Indicator.categories`: every dataset of a sync has
        its own, and one statement each beats one per category."""
        session = self.uow.session
        for key, indicator in indicators.items():
            wanted: dict[tuple[str, str], tuple[str, str]] = {}
            for reading in read:
                if not any(spec.key == key for spec in reading.indicators):
                    continue
                for dimension in reading.dimensions:
                    for category in dimension.values:
                        wanted.setdefault(
                            (dimension.key[:64], category.key[:120]),
                            (dimension.label[:120], category.label[:200]),
                        )
            held: dict[tuple[str, str], tuple[int, str, str, int]] = {}
            if key not in fresh:
                query = select(
                    IndicatorCategory.id,
                    IndicatorCategory.dimension,
                    IndicatorCategory.key,
                    IndicatorCategory.dimension_label,
                    IndicatorCategory.label,
                    IndicatorCategory.position,
                ).where(IndicatorCategory.indicator_id == indicator.id)
                for (
                    row_id,
                    dimension_key,
                    value_key,
                    dimension_label,
                    label,
                    position,
                ) in await session.execute(query):
                    held[(dimension_key, value_key)] = (row_id, dimension_label, label, position)
            rows: list[dict[str, Any]] = []
            changes: list[dict[str, Any]] = []
            for position, ((dimension_key, value_key), labels) in enumerate(wanted.items()):
                stored = held.get((dimension_key, value_key))
                shown: dict[str, Any] = {
                    "dimension_label": labels[0],
                    "label": labels[1],
                    "position": position,
                }
                if stored is None:
                    rows.append(
                        {
                            "indicator_id": indicator.id,
                            "dimension": dimension_key,
                            "key": value_key,
                            **shown,
                        }
                    )
                elif stored[1:] != (*labels, position):
                    changes.append({"category_id": stored[0], **shown})
            gone = [stored[0] for pair, stored in held.items() if prune and pair not in wanted]
            if rows:
                await session.execute(insert(CATEGORIES), rows)
            if changes:
                await session.execute(UPDATE_CATEGORY, changes)
            if gone:
                await session.execute(delete(CATEGORIES).where(CATEGORIES.c.id.in_(gone)))
            if rows or changes or gone:
                session.expire(indicator, ["categories"])

    # -- cells ----------------------------------------------------------------------------------

    def _cells(
        self, read: list[Reading], stats: ApplyStats
    ) -> tuple[dict[str, Cells], dict[str, Place]]:
        """The readings' cells by indicator key, and the places they name. A cell given
        twice (two tables of one dataset overlapping) keeps its first value, and is reported
        when the other differs."""
        cells: dict[str, Cells] = {}
        places: dict[str, Place] = {}
        keys: dict[Categories, str] = {}
        duplicates: list[str] = []
        count = 0
        for reading in read:
            for value in reading.values:
                code = value.place.code
                if code not in places:
                    places[code] = value.place
                categories = keys.get(value.categories)
                if categories is None:
                    categories = keys[value.categories] = categories_key(value.categories)
                held = cells.setdefault(value.indicator, {})
                cell = (code, value.period, categories)
                if cell in held:
                    if held[cell][0] == value.value:
                        continue  # the same figure in two tables: nothing to choose
                    count += 1
                    if len(duplicates) < DUPLICATE_EXAMPLES:
                        where = f"{value.place.name} {value.period} {categories}".strip()
                        duplicates.append(f"{value.indicator}: {where}")
                    continue
                held[cell] = (value.value, value.decimals, value.computed)
        if count:
            stats.problems.append(
                Problem(
                    "sel yang sama (indikator, wilayah, periode, kategori) ada di lebih dari "
                    "satu tabel dengan nilai berbeda; nilai pertama yang dipakai, mis. "
                    + "; ".join(duplicates),
                    count,
                    (),
                )
            )
        return cells, places

    async def _write(
        self,
        indicator_id: int,
        cells: Cells,
        region_ids: dict[str, int],
        new: bool,
        prune: bool,
        stats: ApplyStats,
    ) -> None:
        """Insert the new cells, update the changed ones and, when pruning, delete the gone."""
        session = self.uow.session
        current: dict[tuple[int, str, str], tuple[int, float, int, bool, str]] = {}
        if not new:
            query = select(
                Observation.id,
                Observation.region_id,
                Observation.period,
                Observation.categories,
                Observation.value,
                Observation.decimals,
                Observation.computed,
                Observation.status,
            ).where(Observation.indicator_id == indicator_id)
            for (
                row_id,
                region,
                period,
                categories,
                value,
                decimals,
                computed,
                status,
            ) in await session.execute(query):
                current[(region, period, categories)] = (row_id, value, decimals, computed, status)
        rows: list[tuple[Any, ...]] = []
        changes: list[dict[str, Any]] = []
        revisions: list[dict[str, Any]] = []
        seen: set[int] = set()
        for (code, period, categories), (value, decimals, computed) in cells.items():
            region_id = region_ids[code]
            held = current.get((region_id, period, categories))
            if held is None:
                rows.append(
                    (
                        indicator_id,
                        region_id,
                        period,
                        categories,
                        value,
                        decimals,
                        "final",
                        computed,
                    )
                )
                if len(rows) >= INSERT_BATCH:
                    await self._insert(rows)
                    rows = []
                continue
            seen.add(held[0])
            if held[1:4] != (value, decimals, computed):
                # Another value is a correction, kept as such; only another precision or
                # computed mark is the same figure written otherwise.
                revised = held[1] != value
                changes.append(
                    {
                        "row_id": held[0],
                        "new_value": value,
                        "new_decimals": decimals,
                        "new_computed": computed,
                        "new_status": REVISED if revised else held[4],
                    }
                )
                if revised:
                    revisions.append(
                        {
                            "observation_id": held[0],
                            "value": held[1],
                            "decimals": held[2],
                            "status": held[4],
                            "replaced_at": self.now,
                        }
                    )
        if rows:
            await self._insert(rows)
        stats.loaded += len(cells) - len(seen)
        for start in range(0, len(changes), INSERT_BATCH):
            await session.execute(UPDATE_CELL, changes[start : start + INSERT_BATCH])
        for start in range(0, len(revisions), INSERT_BATCH):
            await session.execute(insert(REVISIONS), revisions[start : start + INSERT_BATCH])
        stats.changed += len(changes)
        stats.revised += len(revisions)
        if prune:
            gone = [held[0] for held in current.values() if held[0] not in seen]
            for start in range(0, len(gone), CHUNK):
                ids = gone[start : start + CHUNK]
                await session.execute(delete(OBSERVATIONS).where(OBSERVATIONS.c.id.in_(ids)))
            stats.removed += len(gone)

    async def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        """New cells: by COPY on PostgreSQL, about twice as fast as INSERT into a table with
        this many keys and constraints; by executemany elsewhere. COPY goes through the
        driver, so only inside the transaction SQLAlchemy began on it."""
        connection = await self.uow.session.connection()
        if connection.dialect.name == "postgresql":
            driver = (await connection.get_raw_connection()).driver_connection
            if driver is not None and driver.is_in_transaction():
                await driver.copy_records_to_table(
                    OBSERVATIONS.name, records=rows, columns=CELL_COLUMNS
                )
                return
        await connection.execute(
            insert(OBSERVATIONS), [dict(zip(CELL_COLUMNS, row, strict=True)) for row in rows]
        )


class _Regions:
    """Regions by Kemendagri code: found in the registry (by that code, or by the BPS code a
    provinsi or kabupaten/kota was loaded with), else written with their missing parents."""

    def __init__(self, uow: UnitOfWork, places: Callable[[str], Place | None]) -> None:
        self.uow = uow
        self.places = places
        self.added = 0
        self._ids: dict[str, int] = {}  # Kemendagri code → region id
        self._country: int | None = None
        self._country_read = False

    async def ids(self, wanted: dict[str, Place]) -> dict[str, int]:
        chain: dict[str, Place] = {}
        for place in wanted.values():
            current: Place | None = place
            while current is not None and current.code not in self._ids:
                if current.code in chain:
                    break
                chain[current.code] = current
                current = self.places(current.parent) if current.parent else None
        if chain:
            taken = await self._find(chain)
            await self._insert([p for p in chain.values() if p.code not in self._ids], taken)
        return {code: self._ids[code] for code in wanted}

    async def _find(self, chain: dict[str, Place]) -> set[str]:
        """Regions already in the registry; the BPS codes other regions hold."""
        codes = list(chain)
        for start in range(0, len(codes), CHUNK):
            by_code = select(Region.id, Region.kemendagri_code).where(
                Region.kemendagri_code.in_(codes[start : start + CHUNK])
            )
            for region_id, code in await self.uow.session.execute(by_code):
                if code is not None:
                    self._ids[code] = region_id
        taken = await self._numbered_by_bps(chain)
        await self._unnumbered_provinces(chain)
        return taken

    async def _numbered_by_bps(self, chain: dict[str, Place]) -> set[str]:
        """Provinsi and kabupaten/kota loaded with their BPS code only get their Kemendagri
        code now; a BPS code held by a region with another Kemendagri code is never merged."""
        by_bps: dict[str, str] = {}
        for code in chain:
            bps = bps_from_kemendagri(code)
            if bps is not None and code not in self._ids:
                by_bps[bps] = code
        taken: set[str] = set()
        wanted = list(by_bps)
        for start in range(0, len(wanted), CHUNK):
            query = select(Region.id, Region.code, Region.kemendagri_code).where(
                Region.code.in_(wanted[start : start + CHUNK])
            )
            for region_id, bps_code, kemendagri_code in await self.uow.session.execute(query):
                if bps_code is None:
                    continue
                if kemendagri_code is not None:
                    taken.add(bps_code)
                    continue
                code = by_bps[bps_code]
                await self.uow.session.execute(
                    update(REGIONS).where(REGIONS.c.id == region_id).values(kemendagri_code=code)
                )
                self._ids[code] = region_id
        return taken

    async def _unnumbered_provinces(self, chain: dict[str, Place]) -> None:
        """A provinsi loaded without any code (a new province BPS had not numbered yet) is
        known by its name: no two provinces share one."""
        wanted = {
            _province_name(p.name): p.code
            for p in chain.values()
            if p.level == "provinsi" and p.code not in self._ids
        }
        if not wanted:
            return
        query = select(Region.id, Region.name).where(
            Region.level == "provinsi", Region.code.is_(None), Region.kemendagri_code.is_(None)
        )
        for region_id, name in (await self.uow.session.execute(query)).all():
            code = wanted.get(_province_name(name))
            if code is not None and code not in self._ids:
                await self.uow.session.execute(
                    update(REGIONS).where(REGIONS.c.id == region_id).values(kemendagri_code=code)
                )
                self._ids[code] = region_id

    async def _insert(self, missing: Iterable[Place], taken: set[str]) -> None:
        """Parents before children, one batch per level."""
        by_depth: dict[int, list[Place]] = {}
        for place in missing:
            by_depth.setdefault(place.code.count("."), []).append(place)
        for depth in sorted(by_depth):
            rows = []
            for place in by_depth[depth]:
                bps = bps_from_kemendagri(place.code)
                rows.append(
                    {
                        "code": bps if bps not in taken else None,
                        "kemendagri_code": place.code,
                        "name": registry_name(place)[:120],
                        "level": place.level,
                        "parent_id": await self._parent(place),
                        "aliases": "",
                    }
                )
            statement = insert(REGIONS).returning(REGIONS.c.id, REGIONS.c.kemendagri_code)
            for region_id, code in await self.uow.session.execute(statement, rows):
                self._ids[code] = region_id
            self.added += len(rows)

    async def _parent(self, place: Place) -> int | None:
        if place.parent is not None:
            return self._ids.get(place.parent)
        if not self._country_read:  # a provinsi belongs to Indonesia, when the registry has it
            query = select(Region.id).where(Region.level == "negara")
            countries = (await self.uow.session.scalars(query)).all()
            self._country = countries[0] if len(countries) == 1 else None
            self._country_read = True
        return self._country


def registry_name(place: Place) -> str:
    """The registry names every region with its level, as answers show it ("Provinsi Jawa
    Timur", "Kecamatan Purwodadi", "Desa Purwodadi"): names below kabupaten repeat, so the
    level word is what tells a kecamatan from the desa named after it."""
    prefix = LEVEL_NAMES.get(place.level, "")
    return place.name if not prefix or place.name.startswith(prefix) else prefix + place.name


def _specs(read: list[Reading]) -> list[IndicatorSpec]:
    """The indicators of all readings, each once, in the order the tables give them."""
    specs: dict[str, IndicatorSpec] = {}
    for reading in read:
        for spec in reading.indicators:
            specs.setdefault(spec.key, spec)
    return list(specs.values())


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _province_name(name: str) -> str:
    words = name.casefold().split()
    return " ".join(words[1:] if words[:1] == ["provinsi"] else words)
