"""The registry database, on SQLite and on PostgreSQL (when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.demo import load_demo
from storage.models import Base, Dataset, Indicator, Observation, Opd, Person, Region
from storage.uow import UnitOfWorkFactory

from .conftest import NOW

DEMO_COUNTS = {
    Observation: 8289,
    Dataset: 15,
    Region: 77,
    Opd: 8,
    Person: 7,
}


async def table_counts(uow_factory: UnitOfWorkFactory) -> dict[type, int]:
    async with uow_factory() as uow:
        return {
            model: await uow.session.scalar(select(func.count()).select_from(model))
            for model in DEMO_COUNTS
        }


async def test_migrations_bring_an_empty_database_to_the_newest_schema(
    engine: AsyncEngine,
) -> None:
    assert not await db.is_current(engine)

    await db.upgrade(engine)

    assert await db.is_current(engine)


async def test_migrations_create_exactly_what_the_models_describe(engine: AsyncEngine) -> None:
    await db.upgrade(engine)

    def differences(connection: Connection) -> list[object]:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_upgrading_a_current_database_again_is_harmless(engine: AsyncEngine) -> None:
    await db.upgrade(engine)
    await db.upgrade(engine)

    assert await db.is_current(engine)


BEFORE_OPTIONAL_LANGUAGE = "0007"  # people.language was NOT NULL up to this revision


async def test_making_the_language_optional_keeps_people_and_what_refers_to_them(
    engine: AsyncEngine,
) -> None:
    """SQLite rebuilds the people table for this: nothing that refers to a person may go."""
    await db.upgrade(engine, BEFORE_OPTIONAL_LANGUAGE)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO people (id, name, language, active, created_at) VALUES"
                " (1, 'Andi', 'en', true, :at), (2, 'Budi', 'id', true, :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )
        await conn.execute(
            text(
                "INSERT INTO person_roles (person_id, role) VALUES (1, 'walidata'), (2, 'produsen')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO invitations (id, name, role, person_id, created_by, created_at)"
                " VALUES (1, 'Budi', 'produsen', 2, 1, :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )

    await db.upgrade(engine)

    async with engine.begin() as conn:
        people = await conn.execute(text("SELECT id, name, language FROM people ORDER BY id"))
        roles = await conn.execute(text("SELECT person_id, role FROM person_roles ORDER BY 1"))
        invitations = await conn.execute(text("SELECT person_id, created_by FROM invitations"))
        assert people.all() == [(1, "Andi", "en"), (2, "Budi", "id")]
        assert roles.all() == [(1, "walidata"), (2, "produsen")]
        assert invitations.all() == [(2, 1)]
        await conn.execute(
            text(
                "INSERT INTO people (id, name, language, active, created_at)"
                " VALUES (3, 'Citra', NULL, true, :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )
    with pytest.raises(IntegrityError):  # foreign keys are enforced again after migrating
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO person_roles (person_id, role) VALUES (9, 'x')"))


async def test_demo_load_fills_the_registry(migrated: UnitOfWorkFactory) -> None:
    report = await load_demo(migrated, NOW)

    assert report.as_dict() == {
        "regions_added": 77,
        "datasets_added": 15,
        "people_added": 7,
        "observations_added": 8289,
        "observations_updated": 0,
    }
    assert await table_counts(migrated) == DEMO_COUNTS


async def test_loading_the_demo_twice_changes_nothing(loaded: UnitOfWorkFactory) -> None:
    report = await load_demo(loaded, NOW + timedelta(days=1))

    assert set(report.as_dict().values()) == {0}
    assert await table_counts(loaded) == DEMO_COUNTS


async def test_kabupaten_belongs_to_its_province_and_province_to_indonesia(
    loaded: UnitOfWorkFactory,
) -> None:
    async with loaded() as uow:
        pasuruan = await uow.regions.by_code("3514")
        jatim = await uow.regions.by_code("35")
        assert pasuruan is not None and jatim is not None
        indonesia = await uow.session.get(Region, jatim.parent_id)

    assert (pasuruan.name, pasuruan.level) == ("Kabupaten Pasuruan", "kabupaten")
    assert pasuruan.parent_id == jatim.id
    assert jatim.name == "Provinsi Jawa Timur"
    assert indonesia is not None and indonesia.name == "Indonesia"


async def test_demo_people_keep_their_roles_and_opd(loaded: UnitOfWorkFactory) -> None:
    async with loaded() as uow:
        people = {p.name: p for p in await uow.people.all()}

    andi = people["Andi Prasetyo"]
    assert andi.role_names == {"walidata"}
    assert andi.opd is not None and andi.opd.short_name == "Diskominfo"
    assert andi.created_at == NOW
    assert people["Sri Wahyuni"].opd is None


@pytest.mark.parametrize(
    "written",
    [
        datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta")),  # WIB, UTC+7
        datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Asia/Jayapura")),  # WIT, UTC+9
        datetime(2026, 11, 22, 3, 0, tzinfo=UTC),
        datetime(2026, 11, 21, 22, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
    ids=["wib", "wit", "utc", "utc-5"],
)
async def test_time_stamps_come_back_as_the_same_instant_in_utc(
    migrated: UnitOfWorkFactory, written: datetime
) -> None:
    async with migrated() as uow:
        uow.audit.record(at=written, action="test", detail={"note": "zona waktu"})
        await uow.commit()

    async with migrated() as uow:
        (entry,) = await uow.audit.recent()

    assert entry.at == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert entry.at.utcoffset() == timedelta(0)
    assert entry.detail == {"note": "zona waktu"}


async def test_naive_time_stamps_are_refused(migrated: UnitOfWorkFactory) -> None:
    async with migrated() as uow:
        uow.audit.record(at=datetime(2026, 11, 22, 10, 0), action="test")
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.commit()

    async with migrated() as uow:
        assert list(await uow.audit.recent()) == []


async def test_work_left_without_commit_is_rolled_back(migrated: UnitOfWorkFactory) -> None:
    async with migrated() as uow:
        uow.session.add(Opd(code="dishub", name="Dinas Perhubungan", short_name="Dishub"))
        await uow.session.flush()
        assert await uow.opds.by_code("dishub") is not None

    async with migrated() as uow:
        assert await uow.opds.by_code("dishub") is None


async def test_work_is_rolled_back_when_the_block_fails(migrated: UnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError):
        async with migrated() as uow:
            uow.session.add(Opd(code="dishub", name="Dinas Perhubungan", short_name="Dishub"))
            await uow.session.flush()
            raise RuntimeError("handler failed half-way")

    async with migrated() as uow:
        assert await uow.opds.all() == []


async def test_committed_work_is_visible_to_the_next_unit_of_work(
    migrated: UnitOfWorkFactory,
) -> None:
    async with migrated() as uow:
        uow.session.add(Opd(code="dishub", name="Dinas Perhubungan", short_name="Dishub"))
        await uow.commit()

    async with migrated() as uow:
        opd = await uow.opds.by_code("dishub")
    assert opd is not None and opd.name == "Dinas Perhubungan"


async def test_series_lists_periods_oldest_first(migrated: UnitOfWorkFactory) -> None:
    async with migrated() as uow:
        opd = Opd(code="bappeda", name="Bappeda", short_name="Bappeda")
        region = Region(code="3579", name="Kota Batu", level="kota")
        dataset = Dataset(
            code="ipm",
            title="IPM",
            opd=opd,
            periodicity="tahunan",
            indicators=[Indicator(code="ipm", name="IPM", unit="indeks")],
        )
        uow.session.add_all([opd, region, dataset])
        await uow.session.flush()
        indicator_id = dataset.indicators[0].id
        # Inserted out of order on purpose.
        for period, value in (("2023", 78.8), ("2021", 77.2), ("2024", 79.7), ("2022", 78.0)):
            uow.session.add(
                Observation(
                    indicator_id=indicator_id, region_id=region.id, period=period, value=value
                )
            )
        await uow.commit()
        region_id = region.id

    async with migrated() as uow:
        series = await uow.observations.series(indicator_id, region_id)

    assert [(o.period, o.value) for o in series] == [
        ("2021", 77.2),
        ("2022", 78.0),
        ("2023", 78.8),
        ("2024", 79.7),
    ]


async def test_demo_series_of_pasuruan_ipm_runs_2020_to_2025(loaded: UnitOfWorkFactory) -> None:
    async with loaded() as uow:
        dataset = await uow.datasets.by_code("ipm_lfsp2020")
        region = await uow.regions.by_code("3514")
        assert dataset is not None and region is not None
        series = await uow.observations.series(dataset.indicators[0].id, region.id)

    assert [o.period for o in series] == ["2020", "2021", "2022", "2023", "2024", "2025"]
    assert series[-1].value == pytest.approx(73.02)
    assert dataset.latest_period == "2025"


async def test_a_database_at_an_unknown_revision_is_not_migrated(engine: AsyncEngine) -> None:
    await db.upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_baru'"))

    with pytest.raises(db.StorageError) as raised:
        await db.upgrade(engine)

    assert raised.value.problem is db.StorageProblem.NEWER_SCHEMA
    assert raised.value.detail == "9999_baru"


async def test_set_up_on_sqlite_holds_a_lock_other_processes_wait_for(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path}/satudata.db")
    lock = os.open(tmp_path / "satudata.db.lock", os.O_RDWR | os.O_CREAT)
    try:
        async with db.migration_lock(engine):
            with pytest.raises(BlockingIOError):
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released on leaving
    finally:
        os.close(lock)
        await engine.dispose()


async def test_connection_failures_are_storage_errors_that_say_why(tmp_path: Path) -> None:
    corrupt = tmp_path / "rusak.db"
    corrupt.write_bytes(b"bukan basis data " * 300)
    cases = {
        "postgresql://postgres@127.0.0.1:1/satudata": db.StorageProblem.UNREACHABLE,
        f"sqlite:///{corrupt}": db.StorageProblem.CORRUPT,
        f"sqlite:///{corrupt}/satudata.db": db.StorageProblem.UNWRITABLE,  # under a file
    }
    found: dict[str, object] = {}
    for url in cases:
        try:
            engine = db.create_engine(url)
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            finally:
                await engine.dispose()
        except Exception as error:  # what the command line would see
            problem = db.storage_error(error)
            found[url] = problem.problem if problem else error
    assert found == cases


def test_errors_that_are_not_the_databases_are_left_alone() -> None:
    assert db.storage_error(ConnectionRefusedError(111, "a portal, not the database")) is None
    assert db.storage_error(ValueError("a bug")) is None
