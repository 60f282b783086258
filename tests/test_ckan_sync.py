"""Syncing the registry with a CKAN portal, against a local server serving recorded answers.

The portal is `FakeCkan.recorded()`: the organizations, packages and DataStore table of a
real CKAN 2.12 (see fixtures/ckan/PROVENANCE.md), plus DataStore tables in the same shape for
the packages whose tables were not recorded. The registry is the demo registry, on SQLite and
PostgreSQL. What is checked is what people notice: agencies and datasets appear, values are
answered, reminders stop when an agency publishes, nothing changes when the portal fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from domain.engine import ReminderSettings
from reminders.tick import run_tick
from storage.ckan.client import CkanClient
from storage.ckan.mapping import PortalMapping
from storage.ckan.source import CkanPortal
from storage.models import (
    Dataset,
    Indicator,
    Observation,
    Opd,
    OutboxMessage,
    Person,
    PersonRole,
    Region,
)
from storage.portal.sync import PortalSyncer
from storage.uow import UnitOfWork, UnitOfWorkFactory

from .fake_ckan import FakeCkan

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB).astimezone(UTC)
PUBLISHED = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)  # an upload on the portal, after sync
KECAMATAN = ("Kecamatan Bangil", "Kecamatan Pandaan", "Kecamatan Prigen")
IPM = "indeks-pembangunan-manusia"
APM = "angka-partisipasi-murni-sd"
LPE = "laju-pertumbuhan-ekonomi"
AKI = "angka-kematian-ibu"


def ipm_rows(years: range) -> list[dict[str, Any]]:
    """Rows shaped like the recorded APM table (tahun, wilayah, nilai, satuan)."""
    return [
        {"tahun": year, "wilayah": name, "nilai": round(70 + i + (year - 2019) * 0.5, 2)}
        for year in years
        for i, name in enumerate(KECAMATAN)
    ]


def lpe_rows() -> list[dict[str, Any]]:
    """Quarterly growth by BPS region code, with the quarter in its own column."""
    return [
        {"tahun": "2024", "triwulan": quarter, "kode_wilayah": code, "nilai": f"{4 + n},{q}"}
        for q, quarter in enumerate(("I", "II", "III", "IV"), start=1)
        for n, code in enumerate(("3514", "3575"))
    ]


def aki_rows() -> list[dict[str, Any]]:
    return [{"tahun": 2023, "wilayah": name, "nilai": 90 + i} for i, name in enumerate(KECAMATAN)]


def resource(fake: FakeCkan, name: str) -> str:
    return str(next(r["id"] for r in fake.package(name)["resources"] if r["datastore_active"]))


@pytest.fixture
async def portal() -> AsyncIterator[FakeCkan]:
    fake = FakeCkan.recorded()
    fake.tables[resource(fake, IPM)] = ipm_rows(range(2019, 2025))
    fake.tables[resource(fake, LPE)] = lpe_rows()
    fake.tables[resource(fake, AKI)] = aki_rows()
    await fake.start()
    yield fake
    await fake.stop()


class Waits(list[float]):
    """Stands in for asyncio.sleep: records what the client would have waited."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def syncer(
    uow: UnitOfWorkFactory,
    fake: FakeCkan,
    *,
    waits: Waits | None = None,
    token: str | None = None,
    mapping: PortalMapping | None = None,
) -> PortalSyncer:
    sleep = waits if waits is not None else Waits()
    portal = CkanPortal(
        fake.url,
        token,
        mapping or PortalMapping.load(),
        "35",
        client_factory=lambda: CkanClient(
            fake.url, token, timeout=3, attempts=4, backoff=0.01, sleep=sleep
        ),
    )
    return PortalSyncer(uow, portal)


async def registry(uow: UnitOfWorkFactory) -> dict[str, Any]:
    """What the registry holds, in a form two moments can be compared by."""
    async with uow() as work:
        datasets = {
            d.code: (d.title, d.opd.code, d.periodicity, d.latest_period, d.withdrawn_at)
            for d in await work.session.scalars(select(Dataset))
        }
        return {
            "datasets": datasets,
            "opds": sorted((o.code, o.name) for o in await work.session.scalars(select(Opd))),
            "observations": await work.session.scalar(select(func.count(Observation.id))),
            "regions": await work.session.scalar(select(func.count(Region.id))),
        }


async def dataset(uow: UnitOfWorkFactory, code: str) -> Dataset:
    async with uow() as work:
        found = await work.datasets.by_code(code)
    assert found is not None, code
    return found


async def values(uow: UnitOfWorkFactory, code: str) -> dict[tuple[str, str], float]:
    async with uow() as work:
        rows = await work.session.execute(
            select(Region.name, Observation.period, Observation.value)
            .join(Region, Region.id == Observation.region_id)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .join(Dataset, Dataset.id == Indicator.dataset_id)
            .where(Dataset.code == code)
        )
        return {(region, period): value for region, period, value in rows}


async def count_values(work: UnitOfWork, indicator_id: int) -> int:
    query = select(func.count(Observation.id)).where(Observation.indicator_id == indicator_id)
    return await work.session.scalar(query) or 0


async def outbox(uow: UnitOfWorkFactory, kind: str | None = None) -> list[OutboxMessage]:
    async with uow() as work:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(await work.session.scalars(query))


async def person(uow: UnitOfWorkFactory, name: str) -> Person:
    async with uow() as work:
        found = await work.session.scalar(select(Person).where(Person.name == name))
    assert found is not None
    return found


# --- a first sync ----------------------------------------------------------------------------


async def test_first_sync_brings_the_portals_agencies_datasets_and_values(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    before = await registry(loaded)

    report = await syncer(loaded, portal).run(TUESDAY)

    assert report.ok and report.mode == "full"
    assert sorted(report.datasets_new) == [
        "Angka Kematian Ibu (AKI)",
        "Angka Partisipasi Murni (APM) SD",
        "Indeks Pembangunan Manusia (IPM)",
        "Laju Pertumbuhan Ekonomi",
    ]
    assert report.skipped == []
    after = await registry(loaded)
    # The three organizations are the demo's OPDs under the portal's names, not duplicates.
    assert len(after["opds"]) == len(before["opds"])
    assert ("bappeda", "Badan Perencanaan Pembangunan Daerah (Bappeda)") in after["opds"]
    assert after["datasets"][APM][1:4] == ("dindik", "tahunan", "2021")
    assert after["datasets"][LPE][1:4] == ("bappeda", "triwulanan", "2024-Q4")
    assert after["datasets"][AKI][1:4] == ("dinkes", "tahunan", "2023")
    apm = await values(loaded, APM)
    assert len(apm) == 10  # the ten recorded DataStore rows
    assert apm[("Kecamatan Pandaan", "2021")] == 96.3
    lpe = await values(loaded, LPE)
    assert lpe[("Kabupaten Pasuruan", "2024-Q3")] == 4.3  # "4,3" written the Indonesian way
    assert lpe[("Kota Pasuruan", "2024-Q1")] == 5.1
    assert report.regions_new == 4  # the kecamatan of the tables
    assert report.observations_loaded == 10 + 18 + 8 + 3
    ipm = await dataset(loaded, IPM)
    assert ipm.unit == "indeks"
    assert ipm.source.startswith("127.0.0.1: ")
    assert ipm.last_updated_at == datetime(2026, 11, 22, 9, 29, 6, 836702, tzinfo=UTC)


async def test_a_dry_run_reports_the_same_and_changes_nothing(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    before = await registry(loaded)

    report = await syncer(loaded, portal).run(TUESDAY, dry_run=True)

    assert len(report.datasets_new) == 4 and report.observations_loaded == 39
    assert await registry(loaded) == before


# --- re-syncs cost one request per page, and a row count per table when full ---------------


async def test_an_unchanged_resync_makes_one_request_per_page_of_search(
    loaded: UnitOfWorkFactory, portal: FakeCkan, tmp_path: Any
) -> None:
    two_per_page = tmp_path / "mapping.toml"
    two_per_page.write_text("[portal]\npage_size = 2\n", encoding="utf-8")
    sync = syncer(loaded, portal, mapping=PortalMapping.load(two_per_page))
    await sync.run(TUESDAY)
    portal.calls.clear()

    full = await sync.run(TUESDAY + timedelta(hours=1), full=True)
    pages = len(portal.calls_to("package_search"))
    counts = portal.calls_to("datastore_search")  # the full sync asks each table its row count
    incremental = await sync.run(TUESDAY + timedelta(hours=2))

    assert pages == 2  # four packages, two per page
    assert len(counts) == 4 and {c["limit"] for c in counts} == {"0"}
    assert full.requests == pages + len(counts)
    assert (full.datasets_unchanged, full.datasets_changed, len(full.datasets_new)) == (4, 0, 0)
    assert incremental.mode == "incremental"
    assert incremental.requests == 1
    assert "metadata_modified:[" in portal.calls_to("package_search")[-1]["fq"]


# --- the agency publishes ----------------------------------------------------------------------


async def test_a_new_period_on_the_portal_stops_the_reminders_and_thanks_the_liaison(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    # IPM is published by an agency the demo registry does not have yet.
    dkp = {"id": "5e1f0000-0000-4000-8000-0000000000d1", "name": "dkp"}
    dkp["title"] = dkp["display_name"] = "Dinas Kelautan dan Perikanan (DKP)"
    portal.organizations.append(dkp)
    portal.package(IPM)["organization"] = dkp
    sync = syncer(loaded, portal)
    first = await sync.run(TUESDAY - timedelta(hours=1))
    assert first.organizations_new == 1
    async with loaded() as work:
        opd = await work.opds.by_code("dkp")
        assert opd is not None and opd.short_name == "DKP"
        liaison = Person(
            name="Dewi Lestari", opd_id=opd.id, language="id", active=True, created_at=TUESDAY
        )
        liaison.roles = [PersonRole(role="produsen")]
        work.session.add(liaison)
        await work.commit()
    await run_tick(loaded, TUESDAY, ReminderSettings(WIB))
    ipm = await dataset(loaded, IPM)
    async with loaded() as work:
        reminders = [
            m
            for m in await work.outbox.pending_for_datasets(ipm.id, "2025")
            if m.person_id == liaison.id
        ]
    assert reminders  # IPM 2025 was due 31 March 2026: the liaison is being chased

    portal.set_table(IPM, ipm_rows(range(2019, 2026)), at=PUBLISHED)
    report = await sync.run(TUESDAY + timedelta(hours=1))

    assert report.mode == "incremental"
    assert report.periods_arrived == [("Indeks Pembangunan Manusia (IPM)", "2025")]
    ipm = await dataset(loaded, IPM)
    assert ipm.latest_period == "2025"
    assert ipm.last_updated_at == PUBLISHED
    status = {m.id: m.status for m in await outbox(loaded)}
    assert {status[m.id] for m in reminders} == {"cancelled"}
    thanks = await outbox(loaded, "thanks")
    assert [(m.person_id, "Indeks Pembangunan Manusia (IPM)" in m.text) for m in thanks] == [
        (liaison.id, True)
    ]
    assert (await values(loaded, IPM))[("Kecamatan Pandaan", "2025")] == 74.0


async def test_corrected_values_replace_the_old_ones_and_withdrawn_rows_go(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    sync = syncer(loaded, portal)
    await sync.run(TUESDAY)
    rows = aki_rows()[:2]
    rows[0]["nilai"] = 88.5
    portal.set_table(AKI, rows, at=PUBLISHED)

    report = await sync.run(TUESDAY + timedelta(hours=1), full=True)

    assert report.datasets_changed == 1 and report.observations_removed == 1
    assert await values(loaded, AKI) == {
        ("Kecamatan Bangil", "2023"): 88.5,
        ("Kecamatan Pandaan", "2023"): 91.0,
    }


# --- a portal that fails -----------------------------------------------------------------------


async def test_a_portal_down_for_hours_changes_nothing_and_tells_the_walidata_once(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    sync = syncer(loaded, portal)
    await sync.run(TUESDAY)
    before = await registry(loaded)
    portal.set_table(IPM, ipm_rows(range(2019, 2026)), at=PUBLISHED)
    portal.down = True

    reports = [await sync.run(TUESDAY + timedelta(hours=h)) for h in range(1, 5)]

    assert all(r.error and "HTTP 503" in r.error for r in reports)
    assert await registry(loaded) == before
    notices = await outbox(loaded, "notice")
    andi = await person(loaded, "Andi Prasetyo")  # the demo's walidata
    assert [(m.person_id, "tidak dapat dibaca" in m.text) for m in notices] == [(andi.id, True)]
    assert [r.notified for r in reports] == [1, 0, 0, 0]

    portal.down = False
    back = await sync.run(TUESDAY + timedelta(hours=5))
    again = await sync.run(TUESDAY + timedelta(hours=6))

    assert back.ok and back.notified == 1 and again.notified == 0
    notices = await outbox(loaded, "notice")
    assert len(notices) == 2 and "dapat dibaca lagi" in notices[1].text
    assert (await dataset(loaded, IPM)).latest_period == "2025"

    portal.down = True
    await sync.run(TUESDAY + timedelta(days=2))  # a later outage is a new one
    assert len(await outbox(loaded, "notice")) == 3


async def test_a_portal_failing_half_way_leaves_the_registry_as_it_was(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    before = await registry(loaded)
    portal.inject("organization_list", "500", count=10)  # read last, after every package

    report = await syncer(loaded, portal).run(TUESDAY)

    assert report.error is not None and "organization_list: HTTP 500" in report.error
    assert len(portal.calls_to("datastore_search")) == 4  # everything else was read
    assert await registry(loaded) == before


async def test_passing_failures_are_retried_and_429_waits_as_asked(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    waits = Waits()
    portal.inject("package_search", "429", retry_after=7)
    portal.inject("package_search", "503")
    portal.inject("datastore_search", "timeout")
    portal.inject("datastore_search", "drop")
    portal.inject("datastore_search", "not-json")
    portal.inject("organization_list", "500")

    report = await syncer(loaded, portal, waits=waits).run(TUESDAY)

    assert report.ok, report.error
    assert len(report.datasets_new) == 4 and report.observations_loaded == 39
    assert waits[0] == 7  # Retry-After honoured
    assert len(waits) == 6  # one wait before each retry
    assert report.requests == 1 + 6 + 4 + 1  # search, faults, tables, organizations


async def test_search_unavailable_falls_back_to_the_package_list(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    portal.search = False

    report = await syncer(loaded, portal).run(TUESDAY)

    assert report.ok and report.used_fallback
    assert len(report.datasets_new) == 4
    assert portal.calls_to("current_package_list_with_resources")


async def test_an_incremental_fallback_stops_at_the_first_older_package(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    portal.search = False
    sync = syncer(loaded, portal)
    await sync.run(TUESDAY)
    portal.set_table(AKI, aki_rows(), at=PUBLISHED)
    portal.calls.clear()

    report = await sync.run(TUESDAY + timedelta(hours=1))

    assert report.mode == "incremental" and report.datasets_changed == 1
    # Only the package at the previous high-water mark was listed besides it; the list was
    # not read further.
    assert report.datasets_unchanged == 1
    assert len(portal.calls_to("current_package_list_with_resources")) == 1


# --- records the sync cannot use -----------------------------------------------------------------


async def test_malformed_records_are_skipped_with_their_reason(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    broken_time = dict(portal.package(AKI), id="c0ffee00-0000", name="waktu-rusak")
    broken_time["metadata_modified"] = "kemarin"
    portal.add_package(broken_time)
    portal.add_package({"id": "", "name": "tanpa-id", "state": "active"})
    no_org = dict(portal.package(AKI), id="c0ffee00-0001", name="tanpa-opd", organization=None)
    portal.add_package(no_org)
    portal.tables[resource(portal, IPM)] = [
        *ipm_rows(range(2019, 2021)),
        {"tahun": 2021, "wilayah": "Kecamatan Pandaan", "nilai": "n/a"},
        {"tahun": "", "wilayah": "Kecamatan Pandaan", "nilai": 71},
        {"tahun": 2021, "wilayah": "", "nilai": 71},
        {"tahun": 2021, "wilayah": "3599", "nilai": 71},
    ]

    report = await syncer(loaded, portal).run(TUESDAY)

    assert report.ok
    assert len(report.datasets_new) == 4  # the good packages all arrived
    reasons = dict(report.skipped)
    assert "bukan tanggal dan jam" in reasons["waktu-rusak"]
    assert reasons["tanpa-id"] == "paket tanpa id"
    assert reasons["tanpa-opd"] == "tanpa organisasi (OPD produsen)"
    # Each cell that cannot be loaded is named by row and column; "n/a" is a missing value,
    # left out without a word and without a number made up for it.
    table = "Data Indeks Pembangunan Manusia (IPM)"
    assert [why for name, why in report.skipped if name == IPM] == [
        f"{table}: 1 sel tidak dimuat: tahun kosong (baris 8 kolom tahun)",
        f"{table}: 1 sel tidak dimuat: kecamatan kosong (baris 9 kolom wilayah)",
        f"{table}: 1 sel tidak dimuat: kode wilayah '3599' tidak ada di daftar Kemendagri"
        " (baris 10 kolom wilayah)",
    ]
    ipm = await values(loaded, IPM)
    assert len(ipm) == 6 and ("Kecamatan Pandaan", "2021") not in ipm
    assert (await dataset(loaded, IPM)).latest_period == "2020"


# --- packages that leave the portal --------------------------------------------------------


async def test_deleted_and_withdrawn_packages_are_marked_and_no_longer_chased(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    sync = syncer(loaded, portal)
    await sync.run(TUESDAY)
    del portal.packages[portal.package(AKI)["id"]]  # purged: package_show says Not Found
    portal.package(LPE)["private"] = True  # private: an anonymous reader is refused

    incremental = await sync.run(TUESDAY + timedelta(hours=1))
    full = await sync.run(TUESDAY + timedelta(hours=2), full=True)

    assert incremental.datasets_removed == []  # only a full listing can notice
    assert sorted(full.datasets_removed) == [
        ("Angka Kematian Ibu (AKI)", "deleted"),
        ("Laju Pertumbuhan Ekonomi", "withdrawn"),
    ]
    assert (await dataset(loaded, AKI)).withdrawn_at == TUESDAY + timedelta(hours=2)
    async with loaded() as work:
        chased = {row.code for row in await work.reminders.scheduled()}
        listed = {d.code for d in await work.datasets.all()}
    assert AKI not in chased and LPE not in chased and IPM in chased
    assert AKI not in listed and IPM in listed
    assert len(await values(loaded, AKI)) == 3  # history kept

    portal.package(LPE)["private"] = False
    portal.touch(LPE, PUBLISHED)
    republished = await sync.run(TUESDAY + timedelta(hours=3))

    assert republished.datasets_changed == 1
    assert (await dataset(loaded, LPE)).withdrawn_at is None


async def test_private_packages_are_read_only_with_a_token_and_stay_restricted(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    portal.token = "rahasia-token"
    portal.package(AKI)["private"] = True

    public = await syncer(loaded, portal).run(TUESDAY)
    with_token = await syncer(loaded, portal, token="rahasia-token").run(TUESDAY)

    assert "Angka Kematian Ibu (AKI)" not in public.datasets_new
    assert with_token.datasets_new == ["Angka Kematian Ibu (AKI)"]
    assert (await dataset(loaded, AKI)).classification == "terbatas"
    assert portal.calls_to("package_search")[-1]["include_private"] == "true"


async def test_a_package_named_like_an_existing_dataset_is_linked_not_duplicated(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    async with loaded() as work:
        tpt = await work.datasets.by_code("tpt")
        assert tpt is not None
        before = (tpt.id, await count_values(work, tpt.indicators[0].id))
    renamed = dict(portal.package(AKI), id="7f000000-0000-4000-8000-000000000001", name="tpt")
    renamed["title"] = "Tingkat Pengangguran Terbuka"
    portal.add_package(renamed)

    report = await syncer(loaded, portal).run(TUESDAY)

    assert "Tingkat Pengangguran Terbuka" not in report.datasets_new
    assert report.datasets_changed == 1
    tpt = await dataset(loaded, "tpt")
    assert (tpt.id, tpt.external_id) == (before[0], renamed["id"])
    async with loaded() as work:
        # The demo's values are kept; the portal's three kecamatan values are added.
        assert await count_values(work, tpt.indicators[0].id) == before[1] + 3
    assert report.observations_removed == 0
