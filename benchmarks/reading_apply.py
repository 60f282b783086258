"""Writing readings into the registry: 5,000 datasets, 2,000,000 kecamatan × category cells.

Run by hand: `.venv/bin/python benchmarks/reading_apply.py [--database URL]` (default: a
SQLite file under `var/bench/`; a PostgreSQL URL is wiped first). Each dataset is one
reading of 25 kecamatan × 2 years × 8 categories; the first pass writes them into new
datasets, the second re-reads every one with one value changed and one gone (update and
prune). Prints rows/s of writing (the datasets of a page, their values, the commit; building
the readings is not counted) and the peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from storage import db  # noqa: E402
from storage.models import Dataset, Indicator, Observation, Opd  # noqa: E402
from storage.tables.apply import ReadingApplier  # noqa: E402
from storage.tables.reading import (  # noqa: E402
    CategoryLabel,
    Dimension,
    IndicatorSpec,
    Place,
    Reading,
    Value,
)
from storage.uow import UnitOfWork, UnitOfWorkFactory  # noqa: E402

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
DATASETS = 5_000
KABUPATEN = 10
KECAMATAN = 25
YEARS = ("2023", "2024")
GROUPS = tuple(CategoryLabel(f"{n}_{n + 4}", f"{n}-{n + 4}") for n in range(0, 40, 5))
AGE = Dimension("kelompok_umur", "Kelompok Umur", GROUPS)
COMMIT_EVERY = 250  # datasets per transaction, as a sync writes a page of packages


def gazetteer() -> dict[str, Place]:
    places = {"35": Place("35", "Jawa Timur", "provinsi", None)}
    for k in range(1, KABUPATEN + 1):
        kabupaten = f"35.{k:02d}"
        places[kabupaten] = Place(kabupaten, f"Kabupaten {k}", "kabupaten", "35")
        for c in range(1, KECAMATAN + 1):
            code = f"{kabupaten}.{c:02d}"
            places[code] = Place(code, f"Kecamatan {k}-{c}", "kecamatan", kabupaten)
    return places


def reading(number: int, places: dict[str, Place], revised: bool) -> Reading:
    kabupaten = f"35.{number % KABUPATEN + 1:02d}"
    code = f"d{number}"
    result = Reading(indicators=[IndicatorSpec(code, "Jumlah", "jiwa")], dimensions=[AGE])
    first = True
    for c in range(1, KECAMATAN + 1):
        place = places[f"{kabupaten}.{c:02d}"]
        for year in YEARS:
            for group in GROUPS:
                value = float(number + c * 10 + len(group.key))
                if revised and first:
                    first = False
                    continue  # one cell withdrawn
                if revised and c == KECAMATAN and group is GROUPS[-1]:
                    value += 1  # one cell corrected
                categories = (("kelompok_umur", group.key),)
                result.values.add(Value(code, place, year, categories, value, 0, False))
    return result


async def run(url: str) -> None:
    engine = db.create_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await db.upgrade(engine)
    uow_factory = UnitOfWorkFactory(engine)
    places = gazetteer()
    async with uow_factory() as uow:
        opd = Opd(code="bps", name="BPS", short_name="BPS")
        uow.session.add(opd)
        await uow.commit()
        opd_id = opd.id
    for revised in (False, True):
        spent, rows = 0.0, 0
        for start in range(0, DATASETS, COMMIT_EVERY):
            numbers = range(start, start + COMMIT_EVERY)
            readings = {number: reading(number, places, revised) for number in numbers}
            began = time.perf_counter()
            async with uow_factory() as uow:
                datasets = await page(uow, numbers, opd_id, revised)
                applier = ReadingApplier(uow, places.get, NOW)
                for number in numbers:
                    read = readings[number]
                    await applier.apply(datasets[number], [read], prune=revised, new=not revised)
                    rows += len(read.values)
                await uow.commit()
            spent += time.perf_counter() - began
        async with uow_factory() as uow:
            stored = await uow.session.scalar(select(func.count()).select_from(Observation))
        label = "re-read (update + prune)" if revised else "first write"
        print(
            f"{engine.dialect.name} {label}: {rows:,} rows in {spent:.1f} s = "
            f"{rows / spent:,.0f} rows/s; {stored:,} stored"
        )
    await engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


async def page(uow: UnitOfWork, numbers: range, opd_id: int, existing: bool) -> dict[int, Dataset]:
    """A page of datasets as a sync has them before their values: read, or created and
    written together."""
    codes = [f"d{number}" for number in numbers]
    if existing:
        found = await uow.session.scalars(select(Dataset).where(Dataset.code.in_(codes)))
        by_code = {d.code: d for d in found}
    else:
        by_code = {
            code: Dataset(
                code=code,
                title=f"Dataset {code}",
                opd_id=opd_id,
                periodicity="tahunan",
                indicators=[Indicator(code=code, name=f"Dataset {code}", unit="jiwa")],
            )
            for code in codes
        }
        uow.session.add_all(by_code.values())
        await uow.session.flush()
    return {number: by_code[f"d{number}"] for number in numbers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ROOT / "var" / "bench" / "reading_apply.db"
    parser.add_argument("--database", default=f"sqlite:///{default}")
    args = parser.parse_args()
    if args.database.startswith("sqlite"):
        path = Path(args.database.split("///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
    asyncio.run(run(args.database))


if __name__ == "__main__":
    main()
