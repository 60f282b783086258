"""Migrating a registry of kabupaten-level totals to regions down to desa and breakdowns
(revision 0009), on SQLite and PostgreSQL: nothing published is lost, and back again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db

BEFORE = "0008"
REGIONS = [
    # id, code, name, level, parent
    (1, None, "Indonesia", "negara", None),
    (2, "35", "Provinsi Jawa Timur", "provinsi", 1),
    (3, "3514", "Kabupaten Pasuruan", "kabupaten", 2),
    (4, "3575", "Kota Pasuruan", "kota", 2),
    (5, None, "Provinsi Papua Selatan", "provinsi", 1),
    (6, "94", "Provinsi Papua", "provinsi", 1),  # Kemendagri 94 is Papua Tengah
    (7, "9471", "Kota Jayapura", "kota", 6),  # Kemendagri 91.71
]
OBSERVATIONS = [
    # id, indicator, region, period, value, decimals, status
    (1, 1, 3, "2023", 72.52, 2, "final"),
    (2, 1, 3, "2024", 73.1, 1, "sementara"),
    (3, 1, 4, "2024", 77.04, 2, "final"),
    (4, 2, 2, "2024", 1234567.0, 0, "final"),
    (5, 2, 5, "2024", 512.0, 0, "sangat_sementara"),
]


async def migrate(engine: AsyncEngine, revision: str, *, down: bool = False) -> None:
    """Upgrade as the product does; downgrade the same way, which only tests need."""
    if not down:
        await db.upgrade(engine, revision)
        return

    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(db.MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # tables are rebuilt: see db.upgrade
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await conn.commit()
        async with conn.begin():
            await conn.run_sync(run)
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            await conn.commit()


async def fill_at_0008(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO opds (id, code, name, short_name) VALUES (1, 'bappeda', 'B', 'B')")
        )
        for region_id, code, name, level, parent in REGIONS:
            await conn.execute(
                text(
                    "INSERT INTO regions (id, code, name, level, parent_id, aliases)"
                    " VALUES (:id, :code, :name, :level, :parent, '')"
                ),
                {"id": region_id, "code": code, "name": name, "level": level, "parent": parent},
            )
        for dataset_id, code in ((1, "ipm"), (2, "penduduk")):
            await conn.execute(
                text(
                    "INSERT INTO datasets (id, code, title, description, opd_id, periodicity,"
                    " classification, unit, latest_period, source, keywords, is_headline, note)"
                    " VALUES (:id, :code, :code, '', 1, 'tahunan', 'terbuka', '', '2024', '',"
                    " '', true, '')"
                ),
                {"id": dataset_id, "code": code},
            )
            await conn.execute(
                text(
                    "INSERT INTO indicators (id, dataset_id, code, name, unit)"
                    " VALUES (:id, :id, :code, :code, '')"
                ),
                {"id": dataset_id, "code": code},
            )
        for row in OBSERVATIONS:
            await conn.execute(
                text(
                    "INSERT INTO observations"
                    " (id, indicator_id, region_id, period, value, decimals, status)"
                    " VALUES (:id, :indicator, :region, :period, :value, :decimals, :status)"
                ),
                dict(
                    zip(
                        ("id", "indicator", "region", "period", "value", "decimals", "status"),
                        row,
                        strict=True,
                    )
                ),
            )


async def rows(engine: AsyncEngine, query: str) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(query))]


async def add_region(engine: AsyncEngine, region_id: int, name: str, level: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO regions (id, name, level, parent_id, aliases)"
                " VALUES (:id, :name, :level, 3, '')"
            ),
            {"id": region_id, "name": name, "level": level},
        )


OLD_VALUES = (
    "SELECT id, indicator_id, region_id, period, value, decimals, status FROM observations"
    " ORDER BY id"
)


async def test_upgrading_keeps_every_value_as_a_total_and_numbers_the_regions(
    engine: AsyncEngine,
) -> None:
    await migrate(engine, BEFORE)
    await fill_at_0008(engine)
    with pytest.raises(IntegrityError):  # before: one name, one region
        await add_region(engine, 8, "Kabupaten Pasuruan", "kecamatan")

    await migrate(engine, "head")

    assert await rows(engine, OLD_VALUES) == [tuple(row) for row in OBSERVATIONS]
    assert await rows(engine, "SELECT DISTINCT categories, computed FROM observations") == [
        ("", False)
    ]
    assert await rows(engine, "SELECT id, code, kemendagri_code FROM regions ORDER BY id") == [
        (1, None, None),
        (2, "35", "35"),
        (3, "3514", "35.14"),
        (4, "3575", "35.75"),
        (5, None, None),
        (6, "94", None),
        (7, "9471", None),
    ]
    assert await rows(engine, "SELECT id, position FROM indicators ORDER BY id") == [(1, 0), (2, 0)]
    assert await rows(engine, "SELECT tables_digest FROM datasets") == [(None,), (None,)]
    # Names repeat below the kabupaten: a kecamatan and a desa "Purwodadi" both fit now.
    await add_region(engine, 8, "Purwodadi", "kecamatan")
    await add_region(engine, 9, "Purwodadi", "desa")
    async with engine.begin() as conn:  # a breakdown beside its total
        await conn.execute(
            text(
                "INSERT INTO observations (id, indicator_id, region_id, period, categories,"
                " value, decimals, status, computed) VALUES (6, 2, 2, '2024',"
                " 'jenis_kelamin=perempuan', 600000, 0, 'final', false)"
            )
        )
    assert await rows(engine, "SELECT count(*) FROM regions WHERE name = 'Purwodadi'") == [(2,)]
    assert await rows(engine, "SELECT count(*) FROM observations WHERE region_id = 2") == [(2,)]


async def test_downgrading_keeps_the_totals_and_drops_what_the_old_schema_cannot_hold(
    engine: AsyncEngine,
) -> None:
    await migrate(engine, BEFORE)
    await fill_at_0008(engine)
    await migrate(engine, "head")
    await add_region(engine, 8, "Purwodadi", "kecamatan")
    await add_region(engine, 9, "Purwodadi", "desa")
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE regions SET parent_id = 8 WHERE id = 9"))
        await conn.execute(
            text(
                "INSERT INTO observations (id, indicator_id, region_id, period, categories,"
                " value, decimals, status, computed) VALUES"
                " (6, 2, 9, '2024', 'jenis_kelamin=perempuan', 310, 0, 'final', false),"
                " (7, 2, 3, '2024', '', 1500, 0, 'final', true)"
            )
        )

    await migrate(engine, BEFORE, down=True)

    assert await rows(engine, OLD_VALUES) == [tuple(row) for row in OBSERVATIONS]
    assert await rows(engine, "SELECT id, code, name FROM regions ORDER BY id") == [
        (region_id, code, name) for region_id, code, name, _, _ in REGIONS
    ]
    with pytest.raises(IntegrityError):  # one name, one region again
        await add_region(engine, 10, "Kota Pasuruan", "kecamatan")
    await migrate(engine, "head")  # and forward again
    assert await rows(engine, OLD_VALUES) == [tuple(row) for row in OBSERVATIONS]
