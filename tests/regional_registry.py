"""The registry read back in the corpus's terms, to compare what a source loaded with the truth.

Plain SQL over observations, regions, indicators and their categories, so what is checked is
what the tables hold, on SQLite and PostgreSQL alike, whichever code wrote it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.tables.reading import Categories
from tests.regional_corpus import OFFICIAL, Case, Cell

CELLS = text(
    "SELECT i.code, i.unit, r.kemendagri_code, o.period, o.categories, o.value, o.decimals,"
    " o.computed FROM observations o JOIN indicators i ON i.id = o.indicator_id"
    " JOIN datasets d ON d.id = i.dataset_id JOIN regions r ON r.id = o.region_id"
    " WHERE d.code = :code"
)
CATEGORIES = text(
    "SELECT c.dimension, c.key FROM indicator_categories c"
    " JOIN indicators i ON i.id = c.indicator_id JOIN datasets d ON d.id = i.dataset_id"
    " WHERE d.code = :code ORDER BY i.position, c.position"
)
REGIONS = text(
    "SELECT r.kemendagri_code, r.name, p.kemendagri_code FROM regions r"
    " LEFT JOIN regions p ON p.id = r.parent_id"
)
SHOWN = 15  # cells listed in a failure message


def expected(case: Case, code: str) -> Counter[Cell]:
    """The truth as the dataset `code` holds it: a single indicator is named by its dataset."""
    own = case.context.dataset_code
    return Counter(
        cell._replace(
            indicator=code if cell.indicator == own else cell.indicator,
            value=round(cell.value, 9),
        )
        for cell in case.truth
    )


def categories(key: str) -> Categories:
    """`jenis_kelamin=perempuan;kelompok_umur=0_4` → the sorted pairs; "" → the total."""
    pairs = (part.partition("=") for part in key.split(";") if part)
    return tuple(sorted((dimension, value) for dimension, _, value in pairs))


async def query(engine: AsyncEngine, statement: Any, **params: str) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(statement, params)).all())


async def held(engine: AsyncEngine, code: str) -> Counter[Cell]:
    """The dataset's observations as cells (units compared regardless of case)."""
    return Counter(
        Cell(
            indicator,
            unit.casefold(),
            place,
            period,
            categories(key),
            round(value, 9),
            decimals,
            bool(computed),
        )
        for indicator, unit, place, period, key, value, decimals, computed in await query(
            engine, CELLS, code=code
        )
    )


async def dimensions(engine: AsyncEngine, code: str) -> list[tuple[str, tuple[str, ...]]]:
    """The dataset's breakdowns with their categories' keys in the order they are kept."""
    order: dict[str, list[str]] = {}
    for dimension, key in await query(engine, CATEGORIES, code=code):
        if key not in order.setdefault(dimension, []):
            order[dimension].append(key)
    return [(dimension, tuple(keys)) for dimension, keys in order.items()]


async def regions(engine: AsyncEngine) -> dict[str, tuple[str, str | None]]:
    """Every region by Kemendagri code: its name and its parent's code."""
    return {code: (name, parent) for code, name, parent in await query(engine, REGIONS)}


def registry_name(code: str) -> str:
    """How the registry names a region of the truth: with its level word where the Kemendagri
    list gives none, so kecamatan Purwodadi and the desa inside it read apart in answers."""
    segments = code.split(".")
    if len(segments) == 4:
        level = "Kelurahan " if segments[3].startswith("1") else "Desa "
    else:
        level = {1: "Provinsi ", 3: "Kecamatan "}.get(len(segments), "")
    return level + OFFICIAL[code]


def difference(truth: Counter[Cell], got: Counter[Cell]) -> str:
    missing, extra = truth - got, got - truth
    lines = [f"{sum(missing.values())} published cells missing, {sum(extra.values())} wrong:"]
    lines += [f"  missing {cell}" for cell in list(missing)[:SHOWN]]
    lines += [f"  wrong   {cell} ×{n}" for cell, n in list(extra.items())[:SHOWN]]
    return "\n".join(lines)
