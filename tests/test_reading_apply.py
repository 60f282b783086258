"""Writing readings into the registry, on SQLite and PostgreSQL: every cell lands once, on the
region, period, categories and indicator it was published with, and a re-read table
changes exactly what changed in it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain.engine import ReminderSettings
from domain.terms import OutboxStatus, Periodicity, Role
from reminders.tick import run_tick
from storage.demo import load_demo
from storage.models import (
    Dataset,
    Indicator,
    IndicatorCategory,
    Observation,
    Opd,
    OutboxMessage,
    Person,
    PersonRole,
    Region,
)
from storage.tables.apply import ApplyStats, ReadingApplier
from storage.tables.reading import (
    CategoryLabel,
    Dimension,
    IndicatorSpec,
    Place,
    Reading,
    Value,
)
from storage.uow import UnitOfWorkFactory

from .conftest import NOW

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a weekly reminder of late data is due
JATIM = Place("35", "Jawa Timur", "provinsi", None)
PASURUAN = Place("35.14", "Kabupaten Pasuruan", "kabupaten", "35")
PURWODADI = Place("35.14.01", "Purwodadi", "kecamatan", "35.14")
TUTUR = Place("35.14.02", "Tutur", "kecamatan", "35.14")
SUKOREJO = Place("35.14.09", "Sukorejo", "kecamatan", "35.14")
POHJENTREK = Place("35.14.17", "Pohjentrek", "kecamatan", "35.14")
DESA_SUKOREJO = Place("35.14.09.2004", "Sukorejo", "desa", "35.14.09")
DESA_SUKOREJO_POHJENTREK = Place("35.14.17.2009", "Sukorejo", "desa", "35.14.17")
GAZETTEER = {
    p.code: p
    for p in (
        JATIM,
        PASURUAN,
        PURWODADI,
        TUTUR,
        SUKOREJO,
        POHJENTREK,
        DESA_SUKOREJO,
        DESA_SUKOREJO_POHJENTREK,
    )
}
SEX = Dimension(
    "jenis_kelamin",
    "Jenis Kelamin",
    (CategoryLabel("laki_laki", "Laki-laki"), CategoryLabel("perempuan", "Perempuan")),
)
MEN = (("jenis_kelamin", "laki_laki"),)
WOMEN = (("jenis_kelamin", "perempuan"),)
PENDUDUK = IndicatorSpec("penduduk", "Jumlah Penduduk (Jiwa)", "jiwa")
RUMAH_TANGGA = IndicatorSpec("rumah_tangga", "Jumlah Rumah Tangga", "rumah tangga")


def reading(
    specs: Iterable[IndicatorSpec], values: Iterable[Value], dimensions: Iterable[Dimension] = ()
) -> Reading:
    read = Reading(indicators=list(specs), dimensions=list(dimensions))
    for value in values:
        read.values.add(value)
    return read


def cell(
    indicator: str,
    place: Place,
    period: str,
    value: float,
    categories: tuple[tuple[str, str], ...] = (),
    *,
    computed: bool = False,
) -> Value:
    return Value(indicator, place, period, categories, value, 0, computed)


async def registry(uow_factory: UnitOfWorkFactory, latest: str | None = "2023") -> None:
    """A registry as the demo leaves it: BPS codes only, one indicator per dataset."""
    async with uow_factory() as uow:
        indonesia = Region(code=None, name="Indonesia", level="negara", aliases="")
        jatim = Region(code="35", name="Provinsi Jawa Timur", level="provinsi", aliases="")
        uow.session.add_all([indonesia, jatim])
        await uow.session.flush()
        jatim.parent_id = indonesia.id
        uow.session.add(
            Region(
                code="3514",
                name="Kabupaten Pasuruan",
                level="kabupaten",
                parent_id=jatim.id,
                aliases="",
            )
        )
        opd = Opd(code="disdukcapil", name="Dinas Kependudukan", short_name="Disdukcapil")
        uow.session.add(opd)
        await uow.session.flush()
        uow.session.add(
            Dataset(
                code="penduduk_kecamatan",
                title="Jumlah Penduduk per Kecamatan",
                opd_id=opd.id,
                periodicity=Periodicity.TAHUNAN,
                latest_period=latest,
                next_action_at=NOW - timedelta(hours=1),
                indicators=[
                    Indicator(
                        code="penduduk_kecamatan", name="Jumlah Penduduk per Kecamatan", unit=""
                    )
                ],
            )
        )
        await uow.commit()


async def apply(
    uow_factory: UnitOfWorkFactory,
    readings: list[Reading],
    *,
    prune: bool = True,
    now: datetime = NOW,
) -> ApplyStats:
    async with uow_factory() as uow:
        dataset = await uow.datasets.by_code("penduduk_kecamatan")
        assert dataset is not None
        stats = await ReadingApplier(uow, GAZETTEER.get, now).apply(dataset, readings, prune=prune)
        await uow.commit()
    return stats


async def cells(uow_factory: UnitOfWorkFactory) -> dict[tuple[str, str, str, str], float]:
    """(indicator, region's Kemendagri code, period, categories) → value."""
    async with uow_factory() as uow:
        query = (
            select(
                Indicator.code,
                Region.kemendagri_code,
                Observation.period,
                Observation.categories,
                Observation.value,
            )
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .join(Region, Region.id == Observation.region_id)
        )
        return {(i, r or "", p, c): v for i, r, p, c, v in await uow.session.execute(query)}


async def regions(uow_factory: UnitOfWorkFactory) -> dict[str, tuple[str, str, str | None]]:
    """Kemendagri code → (name, level, parent's Kemendagri code)."""
    async with uow_factory() as uow:
        everything = await uow.regions.all()
    codes = {r.id: r.kemendagri_code for r in everything}
    return {
        r.kemendagri_code: (r.name, r.level, codes.get(r.parent_id or 0))
        for r in everything
        if r.kemendagri_code
    }


async def test_kecamatan_regions_are_created_under_the_kabupaten_the_registry_has(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)

    stats = await apply(
        migrated,
        [
            reading(
                [PENDUDUK],
                [
                    cell("penduduk", PURWODADI, "2024", 40120),
                    cell("penduduk", TUTUR, "2024", 51003),
                ],
            )
        ],
    )

    assert stats.regions_added == 2
    assert await regions(migrated) == {
        "35": ("Provinsi Jawa Timur", "provinsi", None),  # numbered, not duplicated
        "35.14": ("Kabupaten Pasuruan", "kabupaten", "35"),
        "35.14.01": ("Kecamatan Purwodadi", "kecamatan", "35.14"),
        "35.14.02": ("Kecamatan Tutur", "kecamatan", "35.14"),
    }
    assert await cells(migrated) == {
        ("penduduk_kecamatan", "35.14.01", "2024", ""): 40120,
        ("penduduk_kecamatan", "35.14.02", "2024", ""): 51003,
    }


async def test_a_desa_named_like_its_kecamatan_and_another_desa_stays_itself(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)

    stats = await apply(
        migrated,
        [
            reading(
                [PENDUDUK],
                [
                    cell("penduduk", SUKOREJO, "2024", 30000),
                    cell("penduduk", DESA_SUKOREJO, "2024", 4100),
                    cell("penduduk", DESA_SUKOREJO_POHJENTREK, "2024", 2900),
                ],
            )
        ],
    )

    assert stats.regions_added == 4  # Pohjentrek comes with its desa
    found = await regions(migrated)
    # Named with their level, as answers show them: the kecamatan and its desa differ.
    assert found["35.14.09"] == ("Kecamatan Sukorejo", "kecamatan", "35.14")
    assert found["35.14.09.2004"] == ("Desa Sukorejo", "desa", "35.14.09")
    assert found["35.14.17.2009"] == ("Desa Sukorejo", "desa", "35.14.17")
    assert found["35.14.17"] == ("Kecamatan Pohjentrek", "kecamatan", "35.14")
    values = await cells(migrated)
    assert values[("penduduk_kecamatan", "35.14.09", "2024", "")] == 30000
    assert values[("penduduk_kecamatan", "35.14.09.2004", "2024", "")] == 4100
    assert values[("penduduk_kecamatan", "35.14.17.2009", "2024", "")] == 2900


def by_sex(year: str, men: float, women: float, place: Place = PURWODADI) -> list[Value]:
    return [
        cell("penduduk", place, year, men, MEN),
        cell("penduduk", place, year, women, WOMEN),
        cell("penduduk", place, year, men + women, computed=True),
        cell("rumah_tangga", place, year, round((men + women) / 4)),
    ]


async def test_breakdowns_and_several_indicators_keep_their_labels_order_and_units(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)

    await apply(migrated, [reading([PENDUDUK, RUMAH_TANGGA], by_sex("2024", 20000, 20400), [SEX])])

    async with migrated() as uow:
        dataset = await uow.datasets.by_code("penduduk_kecamatan")
        assert dataset is not None
        # The one indicator it was registered with held nothing, so it made way.
        assert [(i.code, i.name, i.unit) for i in dataset.indicators] == [
            ("penduduk", "Jumlah Penduduk (Jiwa)", "jiwa"),
            ("rumah_tangga", "Jumlah Rumah Tangga", "rumah tangga"),
        ]
        penduduk = dataset.indicators[0]
        assert [(c.dimension, c.dimension_label, c.key, c.label) for c in penduduk.categories] == [
            ("jenis_kelamin", "Jenis Kelamin", "laki_laki", "Laki-laki"),
            ("jenis_kelamin", "Jenis Kelamin", "perempuan", "Perempuan"),
        ]
        computed = await uow.session.scalars(
            select(Observation.computed).where(
                Observation.indicator_id == penduduk.id, Observation.categories == ""
            )
        )
        assert computed.all() == [True]
        region = await uow.session.scalar(
            select(Region).where(Region.kemendagri_code == "35.14.01")
        )
        assert region is not None
        # Answers read the total, never one sex's count.
        series = await uow.observations.series(penduduk.id, region.id)
        assert [(r.period, r.value) for r in series] == [("2024", 40400)]
        cross = await uow.observations.for_periods(penduduk.id, ["2024"], [region.id])
        assert [r.value for r in cross] == [40400]
    assert await cells(migrated) == {
        ("penduduk", "35.14.01", "2024", "jenis_kelamin=laki_laki"): 20000,
        ("penduduk", "35.14.01", "2024", "jenis_kelamin=perempuan"): 20400,
        ("penduduk", "35.14.01", "2024", ""): 40400,
        ("rumah_tangga", "35.14.01", "2024", ""): 10100,
    }


async def test_a_re_read_table_updates_what_changed_and_prunes_what_is_gone(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)
    first = [*by_sex("2023", 19800, 20100), *by_sex("2024", 20000, 20400)]
    await apply(migrated, [reading([PENDUDUK, RUMAH_TANGGA], first, [SEX])])
    before = await observation_ids(migrated)
    corrected = [v for v in first if not (v.period == "2023" and v.categories == WOMEN)]
    corrected[0] = corrected[0]._replace(value=19850)  # men in 2023

    kept = await apply(migrated, [reading([PENDUDUK, RUMAH_TANGGA], corrected, [SEX])], prune=False)
    pruned = await apply(migrated, [reading([PENDUDUK, RUMAH_TANGGA], corrected, [SEX])])

    assert (kept.loaded, kept.changed, kept.removed) == (0, 1, 0)
    assert (pruned.loaded, pruned.changed, pruned.removed) == (0, 0, 1)
    values = await cells(migrated)
    assert values[("penduduk", "35.14.01", "2023", "jenis_kelamin=laki_laki")] == 19850
    assert ("penduduk", "35.14.01", "2023", "jenis_kelamin=perempuan") not in values
    assert len(values) == len(first) - 1
    after = await observation_ids(migrated)
    assert {k: v for k, v in before.items() if k in after} == after  # the same rows, updated


async def test_nothing_is_pruned_while_one_of_the_tables_cannot_be_read(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)
    await apply(
        migrated,
        [
            reading([PENDUDUK], [cell("penduduk", TUTUR, "2023", 50800)]),
            reading([PENDUDUK], [cell("penduduk", TUTUR, "2024", 51003)]),
        ],
    )
    broken = Reading(unread="kolom nilai tidak ditemukan (kolom: tahun, keterangan)")

    stats = await apply(
        migrated, [reading([PENDUDUK], [cell("penduduk", TUTUR, "2023", 50810)]), broken]
    )

    assert (stats.changed, stats.removed) == (1, 0)
    assert await cells(migrated) == {
        ("penduduk_kecamatan", "35.14.02", "2023", ""): 50810,
        ("penduduk_kecamatan", "35.14.02", "2024", ""): 51003,
    }


async def test_categories_follow_the_labels_and_order_the_table_publishes_now(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)
    await apply(migrated, [reading([PENDUDUK, RUMAH_TANGGA], by_sex("2024", 20000, 20400), [SEX])])
    relabelled = Dimension(
        "jenis_kelamin",
        "JENIS KELAMIN",
        (CategoryLabel("perempuan", "PEREMPUAN"), CategoryLabel("laki_laki", "LAKI-LAKI")),
    )
    women_only = [v for v in by_sex("2024", 20000, 20400) if v.categories != MEN]

    await apply(
        migrated, [reading([PENDUDUK, RUMAH_TANGGA], by_sex("2024", 20000, 20400), [relabelled])]
    )
    async with migrated() as uow:
        dataset = await uow.datasets.by_code("penduduk_kecamatan")
        assert dataset is not None
        assert [(c.key, c.label, c.dimension_label) for c in dataset.indicators[0].categories] == [
            ("perempuan", "PEREMPUAN", "JENIS KELAMIN"),
            ("laki_laki", "LAKI-LAKI", "JENIS KELAMIN"),
        ]
    women = Dimension("jenis_kelamin", "Jenis Kelamin", (CategoryLabel("perempuan", "Perempuan"),))
    await apply(migrated, [reading([PENDUDUK, RUMAH_TANGGA], women_only, [women])])
    async with migrated() as uow:
        dataset = await uow.datasets.by_code("penduduk_kecamatan")
        assert dataset is not None
        assert [c.key for c in dataset.indicators[0].categories] == ["perempuan"]


async def test_the_demo_registry_is_numbered_so_tables_find_its_regions(
    migrated: UnitOfWorkFactory,
) -> None:
    await load_demo(migrated, NOW)
    numbered = await regions(migrated)
    assert numbered["35.14"] == ("Kabupaten Pasuruan", "kabupaten", "35")
    assert numbered["35.75"] == ("Kota Pasuruan", "kota", "35")
    async with migrated() as uow:
        papua = await uow.regions.by_code("94")  # BPS Papua; Kemendagri 94 is Papua Tengah
        assert papua is not None and papua.kemendagri_code is None
        dataset = await uow.datasets.by_code("ipm")
        assert dataset is not None
        stats = await ReadingApplier(uow, GAZETTEER.get, NOW).apply(
            dataset,
            [reading([PENDUDUK], [cell("penduduk", PURWODADI, "2024", 70.1)])],
            prune=False,
        )
        await uow.commit()
    assert stats.regions_added == 1  # the kecamatan only: its kabupaten was the demo's
    await load_demo(migrated, NOW)  # and loading the demo again finds its regions
    assert len(await regions(migrated)) == len(numbered) + 1


async def observation_ids(uow_factory: UnitOfWorkFactory) -> dict[tuple[int, str, str], int]:
    async with uow_factory() as uow:
        query = select(
            Observation.region_id, Observation.period, Observation.categories, Observation.id
        )
        return {(r, p, c): i for r, p, c, i in await uow.session.execute(query)}


async def test_the_one_indicator_of_a_dataset_keeps_its_values_and_their_ids(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)
    async with migrated() as uow:
        dataset = await uow.datasets.by_code("penduduk_kecamatan")
        kabupaten = await uow.regions.by_code("3514")
        assert dataset is not None and kabupaten is not None
        indicator_id = dataset.indicators[0].id
        uow.session.add(
            Observation(
                indicator_id=indicator_id, region_id=kabupaten.id, period="2023", value=1600000
            )
        )
        await uow.commit()
    before = await observation_ids(migrated)
    single = IndicatorSpec("penduduk_kecamatan", "Jumlah", "jiwa")

    stats = await apply(
        migrated,
        [
            reading(
                [single],
                [
                    cell("penduduk_kecamatan", PASURUAN, "2023", 1605000),
                    cell("penduduk_kecamatan", PASURUAN, "2024", 1617000),
                ],
            )
        ],
    )

    assert (stats.loaded, stats.changed, stats.removed) == (1, 1, 0)
    async with migrated() as uow:
        dataset = await uow.datasets.by_code("penduduk_kecamatan")
        assert dataset is not None
        assert [(i.id, i.name, i.unit) for i in dataset.indicators] == [
            (indicator_id, "Jumlah Penduduk per Kecamatan", "jiwa")
        ]
    after = await observation_ids(migrated)
    assert all(after[key] == row_id for key, row_id in before.items())
    assert await cells(migrated) == {
        ("penduduk_kecamatan", "35.14", "2023", ""): 1605000,
        ("penduduk_kecamatan", "35.14", "2024", ""): 1617000,
    }


async def test_a_cell_two_tables_give_is_kept_once_and_reported(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)

    stats = await apply(
        migrated,
        [
            reading([PENDUDUK], [cell("penduduk", TUTUR, "2024", 51003)]),
            reading(
                [PENDUDUK],
                [cell("penduduk", TUTUR, "2024", 51300), cell("penduduk", TUTUR, "2023", 50800)],
            ),
        ],
    )

    assert [(p.count, "Tutur 2024" in p.reason) for p in stats.problems] == [(1, True)]
    assert await cells(migrated) == {
        ("penduduk_kecamatan", "35.14.02", "2024", ""): 51003,
        ("penduduk_kecamatan", "35.14.02", "2023", ""): 50800,
    }


async def test_a_new_period_closes_the_reminders_and_thanks_the_liaison(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated, latest="2024")  # 2025 was due on 31 March 2026
    async with migrated() as uow:
        opd = await uow.opds.by_code("disdukcapil")
        assert opd is not None
        liaison = Person(
            name="Dewi Lestari",
            opd_id=opd.id,
            telegram_user_id=5550001,
            language="id",
            active=True,
            created_at=NOW,
        )
        liaison.roles = [PersonRole(role=Role.PRODUSEN)]
        uow.session.add(liaison)
        await uow.commit()
    await run_tick(migrated, TUESDAY, ReminderSettings(WIB))
    reminders = await outbox(migrated)
    assert [(m.kind, m.status) for m in reminders] == [("reminder", OutboxStatus.PENDING)]

    later = TUESDAY + timedelta(hours=1)
    old = await apply(
        migrated, [reading([PENDUDUK], [cell("penduduk", TUTUR, "2024", 1)])], now=later
    )
    assert (old.latest_period, old.period_arrived) == ("2024", False)
    assert [m.status for m in await outbox(migrated)] == [OutboxStatus.PENDING]
    stats = await apply(
        migrated, [reading([PENDUDUK], [cell("penduduk", TUTUR, "2025", 2)])], now=later
    )

    assert (stats.latest_period, stats.period_arrived) == ("2025", True)
    after = {m.id: m for m in await outbox(migrated)}
    assert after[reminders[0].id].status == OutboxStatus.CANCELLED
    thanks = [m for m in after.values() if m.kind == "thanks"]
    assert [(m.person_id, "2025" in m.text) for m in thanks] == [(liaison.id, True)]
    async with migrated() as uow:
        dataset = await uow.datasets.by_code("penduduk_kecamatan")
        assert dataset is not None and dataset.latest_period == "2025"


async def outbox(uow_factory: UnitOfWorkFactory) -> list[OutboxMessage]:
    async with uow_factory() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await uow.session.scalars(query)).all())


async def test_a_new_dataset_takes_its_newest_period_without_chasing_anybody(
    migrated: UnitOfWorkFactory,
) -> None:
    await registry(migrated)
    async with migrated() as uow:
        opd = await uow.opds.by_code("disdukcapil")
        assert opd is not None
        dataset = Dataset(
            code="kk",
            title="Jumlah Kartu Keluarga",
            opd_id=opd.id,
            periodicity=Periodicity.BULANAN,
            indicators=[Indicator(code="kk", name="Jumlah Kartu Keluarga", unit="")],
        )
        uow.session.add(dataset)
        spec = IndicatorSpec("kk", "Jumlah KK", "KK")
        values = [cell("kk", TUTUR, month, 100) for month in ("2025-11", "2026-01", "2025-12")]
        stats = await ReadingApplier(uow, GAZETTEER.get, NOW).apply(
            dataset, [reading([spec], values)], prune=True, new=True
        )
        await uow.commit()

    assert (stats.loaded, stats.latest_period, stats.period_arrived) == (3, "2026-01", False)
    async with migrated() as uow:
        stored = await uow.datasets.by_code("kk")
        assert stored is not None and stored.latest_period == "2026-01"
        assert [(i.code, i.unit) for i in stored.indicators] == [("kk", "KK")]
        assert not (await uow.session.scalars(select(IndicatorCategory))).all()
    assert await outbox(migrated) == []
