"""Syncing through the registry-source seam: what a walidata notices of change detection,
files without a DataStore table, OPD matching and the report, against the fake CKAN portal
serving the recorded answers (and files) on loopback, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import update

from storage.ckan.mapping import PortalMapping
from storage.models import Dataset, Opd
from storage.portal.report import Outcome, SyncReport
from storage.uow import UnitOfWorkFactory

from .cli_runner import cli_env, satudata_async
from .fake_ckan import FakeCkan, ckan_time
from .test_ckan_sync import (
    AKI,
    APM,
    IPM,
    KECAMATAN,
    LPE,
    PUBLISHED,
    TUESDAY,
    aki_rows,
    dataset,
    ipm_rows,
    lpe_rows,
    registry,
    resource,
    syncer,
    values,
)

HOUR = timedelta(hours=1)
ROWS_CHANGED = "jumlah baris tabelnya berubah walau waktu ubah paket tetap"
RESOURCES_CHANGED = "berkas atau tabelnya berubah walau waktu ubah paket tetap"
NOT_RECORDED = "dibaca ulang: keadaan tabelnya belum tercatat"


@pytest.fixture
async def portal() -> AsyncIterator[FakeCkan]:
    fake = FakeCkan.recorded()
    fake.tables[resource(fake, IPM)] = ipm_rows(range(2019, 2025))
    fake.tables[resource(fake, LPE)] = lpe_rows()
    fake.tables[resource(fake, AKI)] = aki_rows()
    await fake.start()
    yield fake
    await fake.stop()


def outcomes(report: SyncReport) -> dict[str, tuple[Outcome, str]]:
    return {p.name: (p.outcome, p.reason) for p in report.packages}


def changed(report: SyncReport) -> dict[str, str]:
    """The packages read again, with why."""
    return {p.name: p.reason for p in report.packages if p.outcome is Outcome.CHANGED}


def mapping(tmp_path: Path, text: str) -> PortalMapping:
    path = tmp_path / "portal.toml"
    path.write_text(text, encoding="utf-8")
    return PortalMapping.load(path)


# --- a table that changes without the package's modification time ---------------------------


async def test_rows_added_to_a_datastore_table_are_noticed_by_the_full_sync(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    sync = syncer(loaded, portal)
    await sync.run(TUESDAY)
    # Rows appended through the DataStore API: the package's metadata_modified stays.
    later = [{"tahun": 2024, "wilayah": name, "nilai": 80 + i} for i, name in enumerate(KECAMATAN)]
    portal.tables[resource(portal, AKI)] = aki_rows() + later

    incremental = await sync.run(TUESDAY + HOUR)
    full = await sync.run(TUESDAY + 2 * HOUR, full=True)
    again = await sync.run(TUESDAY + 3 * HOUR, full=True)

    assert changed(incremental) == {}  # an incremental listing shows only what was modified
    assert changed(full) == {AKI: ROWS_CHANGED}
    assert full.periods_arrived == [("Angka Kematian Ibu (AKI)", "2024")]
    assert (await values(loaded, AKI))[("Kecamatan Pandaan", "2024")] == 81
    assert changed(again) == {} and again.datasets_unchanged == 4


async def test_a_replaced_resource_is_noticed_from_the_listing_alone(
    loaded: UnitOfWorkFactory, portal: FakeCkan, tmp_path: Path
) -> None:
    sync = syncer(loaded, portal, mapping=mapping(tmp_path, "[datastore]\ncount_rows = false\n"))
    await sync.run(TUESDAY)
    table = next(r for r in portal.package(LPE)["resources"] if r["datastore_active"])
    table["last_modified"], table["size"] = ckan_time(PUBLISHED), 2048
    rows = lpe_rows()
    rows[0]["nilai"] = "9,9"  # Triwulan I 2024, Kabupaten Pasuruan, corrected
    portal.tables[table["id"]] = rows
    portal.calls.clear()

    full = await sync.run(TUESDAY + HOUR, full=True)

    assert changed(full) == {LPE: RESOURCES_CHANGED}
    assert (await values(loaded, LPE))[("Kabupaten Pasuruan", "2024-Q1")] == 9.9
    # Without row counts, nothing but the listing and the changed table was read.
    assert [name for name, _ in portal.calls] == ["package_search", "datastore_search"]


async def test_datasets_synced_before_tables_were_recorded_are_read_once_more(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    sync = syncer(loaded, portal)
    await sync.run(TUESDAY)
    async with loaded() as work:  # as a registry synced before this version left them
        await work.session.execute(update(Dataset).values(tables_digest=None))
        await work.commit()
    before = await registry(loaded)

    first = await sync.run(TUESDAY + HOUR, full=True)
    second = await sync.run(TUESDAY + 2 * HOUR, full=True)

    assert changed(first) == {name: NOT_RECORDED for name in (APM, LPE, IPM, AKI)}
    assert first.observations_loaded == 0  # read again, nothing new: nothing written twice
    assert await registry(loaded) == before
    assert changed(second) == {}


# --- files without a DataStore table -----------------------------------------------------------


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def file_package(fake: FakeCkan, files: dict[str, bytes], missing: tuple[str, ...] = ()) -> None:
    """A package whose values are only in files (CSV, XLSX), as many portals publish them."""
    base = fake.package(AKI)
    resources = []
    for number, name in enumerate([*files, *missing]):
        if name in files:
            fake.files[name] = files[name]
        kind = name.rsplit(".", 1)[1].upper()
        resources.append(
            {
                "id": f"f11e0000-0000-4000-8000-00000000000{number}",
                "name": name.rsplit(".", 1)[0],
                "format": kind,
                "url": f"{fake.url}/files/{name}",
                "datastore_active": False,
                "state": "active",
                "last_modified": ckan_time(PUBLISHED),
                "size": len(files.get(name, b"")),
            }
        )
    fake.add_package(
        dict(
            base,
            id="f11e0000-0000-4000-8000-0000000000aa",
            name="jumlah-penduduk",
            title="Jumlah Penduduk",
            metadata_modified=ckan_time(PUBLISHED),
            resources=resources,
        )
    )


async def test_csv_and_xlsx_files_are_read_and_unreadable_ones_explained(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    csv_2023 = "tahun,wilayah,nilai\n" + "".join(
        f"2023,{name},{1000 + i}\n" for i, name in enumerate(KECAMATAN)
    )
    xlsx_2024 = xlsx(
        [
            ["tahun", "wilayah", "nilai"],
            *([2024, name, 2000 + i] for i, name in enumerate(KECAMATAN)),
        ]
    )
    files = {
        "penduduk-2023.csv": csv_2023.encode(),
        "penduduk-2024.xlsx": xlsx_2024,
        "peta.csv": b"%PDF-1.4 not a table at all",
    }
    file_package(portal, files, missing=("penduduk-2025.csv",))
    sync = syncer(loaded, portal)

    first = await sync.run(TUESDAY)

    assert outcomes(first)["jumlah-penduduk"] == (Outcome.NEW, "")
    penduduk = await values(loaded, "jumlah-penduduk")
    assert penduduk == {
        **{(name, "2023"): 1000 + i for i, name in enumerate(KECAMATAN)},
        **{(name, "2024"): 2000 + i for i, name in enumerate(KECAMATAN)},
    }
    assert (await dataset(loaded, "jumlah-penduduk")).latest_period == "2024"
    unread = {table: why for _, table, why in first.unread}
    assert set(unread) == {"peta", "penduduk-2025"}
    assert "HTTP 404" in unread["penduduk-2025"]
    assert unread["peta"].startswith("berkas PDF tidak dapat dibaca sebagai tabel")

    # The missing file is tried again on the next full sync, and read once it is there.
    portal.files["penduduk-2025.csv"] = b"tahun,wilayah,nilai\n2025,Kecamatan Pandaan,3000\n"
    second = await sync.run(TUESDAY + HOUR, full=True)
    third = await sync.run(TUESDAY + 2 * HOUR, full=True)

    assert changed(second) == {"jumlah-penduduk": NOT_RECORDED}
    assert (await values(loaded, "jumlah-penduduk"))[("Kecamatan Pandaan", "2025")] == 3000
    assert changed(third) == {}


async def test_a_package_with_a_datastore_table_is_not_read_from_its_files(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    report = await syncer(loaded, portal).run(TUESDAY)

    # Every recorded package links a CSV next to its DataStore table; none is downloaded.
    assert report.unread == []
    assert not portal.calls_to("files")


# --- agencies under other names --------------------------------------------------------------


def reorganize(fake: FakeCkan, org_id: str, **fields: str) -> None:
    """The portal shows an organization differently, in its list and in its packages."""
    for organization in fake.organizations:
        if organization["id"] == org_id:
            organization.update(fields)
    for package in fake.packages.values():
        if (package.get("organization") or {}).get("id") == org_id:
            package["organization"] = dict(package["organization"], **fields)


async def add_opd(uow: UnitOfWorkFactory, code: str, name: str, short: str) -> None:
    async with uow() as work:
        work.session.add(Opd(code=code, name=name, short_name=short))
        await work.commit()


def org_id(fake: FakeCkan, package: str) -> str:
    return str(fake.package(package)["organization"]["id"])


async def test_organizations_written_short_or_with_their_region_join_the_registrys_opds(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    await add_opd(loaded, "distan", "Dinas Pertanian, Pangan dan Perikanan", "Distan")
    # As opendata.karanganyarkab.go.id shows it: an abbreviation, the full name described.
    reorganize(
        portal,
        org_id(portal, APM),
        name="dispertanpp",
        title="DISPERTANPP",
        display_name="DISPERTANPP",
        description="Dinas Pertanian, Pangan dan Perikanan Kabupaten Karanganyar",
    )
    reorganize(
        portal, org_id(portal, AKI), name="dinkes-kab", title="DINKES", display_name="DINKES"
    )
    before = await registry(loaded)

    report = await syncer(loaded, portal).run(TUESDAY)

    after = await registry(loaded)
    assert len(after["opds"]) == len(before["opds"])  # matched, not duplicated
    assert after["datasets"][APM][1] == "distan"
    assert after["datasets"][AKI][1] == "dinkes"
    assert ("dinkes", "Dinas Kesehatan") in after["opds"]  # not renamed to "DINKES"
    assert report.organizations_new == 0 and report.organizations_ambiguous == []
    # The registry keeps the full name; the portal's abbreviation is no better a name.
    assert ("distan", "Dinas Pertanian, Pangan dan Perikanan") in after["opds"]


async def test_an_organization_that_fits_two_opds_is_reported_not_guessed(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    await add_opd(loaded, "dinas-ketahanan-pangan", "Dinas Ketahanan Pangan", "Dinas KP")
    await add_opd(loaded, "dislautkan", "Dinas Kelautan dan Perikanan", "Dislautkan")
    reorganize(portal, org_id(portal, AKI), name="dkp-2", title="DKP", display_name="DKP")
    sync = syncer(loaded, portal)
    before = await registry(loaded)

    report = await sync.run(TUESDAY)

    assert report.organizations_ambiguous == [
        ("DKP", ["Dinas Kelautan dan Perikanan", "Dinas Ketahanan Pangan"])
    ]
    outcome, why = outcomes(report)[AKI]
    assert outcome is Outcome.SKIPPED
    assert "Dinas Kelautan dan Perikanan; Dinas Ketahanan Pangan" in why
    assert "kode 'dkp-2'" in why  # what the walidata can do about it
    assert len((await registry(loaded))["opds"]) == len(before["opds"])  # no OPD invented

    # The walidata gives the intended OPD the organization's name as its code.
    async with loaded() as work:
        opd = await work.opds.by_code("dislautkan")
        assert opd is not None
        opd.code = "dkp-2"
        await work.commit()
    resolved = await sync.run(TUESDAY + HOUR, full=True)

    assert outcomes(resolved)[AKI][0] is Outcome.NEW
    assert (await registry(loaded))["datasets"][AKI][1] == "dkp-2"


async def test_the_producer_named_in_nama_skpd_is_matched_to_its_opd(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    await add_opd(loaded, "bpkad", "BPKAD", "BPKAD")
    # As opendata.blitarkab.go.id names the producer, next to the publishing organization.
    extras = portal.package(LPE)["extras"]
    extras.append({"key": "nama_skpd", "value": "Badan Pengelolaan Keuangan dan Aset Daerah"})
    before = await registry(loaded)

    await syncer(loaded, portal).run(TUESDAY)

    after = await registry(loaded)
    assert after["datasets"][LPE][1] == "bpkad"
    assert len(after["opds"]) == len(before["opds"])


# --- the report ---------------------------------------------------------------------------------


async def test_the_report_names_each_package_once_with_its_outcome(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    sync = syncer(loaded, portal)
    await sync.run(TUESDAY)
    del portal.packages[portal.package(AKI)["id"]]
    portal.set_table(IPM, ipm_rows(range(2019, 2026)), at=PUBLISHED)
    portal.add_package({"id": "", "name": "tanpa-id", "state": "active"})
    portal.tables[resource(portal, LPE)] = [
        *lpe_rows(),
        {"tahun": "2025", "triwulan": "I", "kode_wilayah": "3514", "nilai": "belum rilis"},
    ]
    portal.touch(LPE, PUBLISHED)

    report = await sync.run(TUESDAY + HOUR, full=True)

    names = [p.name for p in report.packages]
    assert sorted(names) == sorted({*names}) == sorted([AKI, APM, IPM, LPE, "tanpa-id"])
    assert outcomes(report) == {
        AKI: (Outcome.REMOVED, "deleted"),
        APM: (Outcome.UNCHANGED, ""),
        IPM: (Outcome.CHANGED, ""),
        LPE: (Outcome.CHANGED, ""),
        "tanpa-id": (Outcome.SKIPPED, "paket tanpa id"),
    }
    lpe = next(p for p in report.packages if p.name == LPE)
    assert lpe.rows_skipped == [
        "Data Laju Pertumbuhan Ekonomi: 1 sel tidak dimuat: nilai 'belum rilis' bukan angka"
        " (baris 9 kolom nilai)"
    ]
    assert lpe.period is None  # no value of 2025 was read: no period arrived
    assert (await dataset(loaded, LPE)).latest_period == "2024-Q4"
    assert next(p for p in report.packages if p.name == IPM).period == "2025"
    listed = report.as_json()["packages"]
    assert isinstance(listed, list) and [p["name"] for p in listed] == names


async def test_a_table_without_the_columns_it_needs_says_which_columns_it_has(
    loaded: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    portal.tables[resource(portal, AKI)] = [{"kecamatan": "Pandaan", "jumlah_kasus": 3}]

    report = await syncer(loaded, portal).run(TUESDAY)

    (package, table, why), *others = report.unread
    assert others == [] and package == AKI
    assert table == "Data Angka Kematian Ibu (AKI)"  # the resource's name
    # The columns it has, what each was taken for, and what is missing.
    assert why == (
        "kolom: kecamatan, jumlah_kasus; ditemukan: wilayah (kecamatan), nilai (jumlah_kasus);"
        " tidak ada kolom periode dan nama tabel tanpa tahun"
    )
    assert outcomes(report)[AKI][0] is Outcome.NEW  # the dataset is kept, without values


async def satudata_sync(database: Path, fake: FakeCkan, cwd: Path, *options: str) -> str:
    result = await satudata_async(
        "sync", "ckan", *options, cwd=cwd, env=cli_env(database, CKAN_URL=fake.url)
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result.stdout


async def test_the_command_line_is_short_by_default_and_gives_everything_when_asked(
    demo_db: Path, portal: FakeCkan, tmp_path: Path
) -> None:
    portal.add_package({"id": "", "name": "tanpa-id", "state": "active"})

    short = await satudata_sync(demo_db, portal, tmp_path, "--dry-run")
    verbose = await satudata_sync(demo_db, portal, tmp_path, "--dry-run", "--verbose")
    whole = json.loads(await satudata_sync(demo_db, portal, tmp_path, "--json"))

    assert "Dataset: 4 baru · 0 berubah · 0 tetap · 0 ditarik · 1 dilewati" in short
    assert "Semua paket:" not in short and "--verbose" in short
    for name in (AKI, APM, IPM, LPE):
        assert f"• {name} — baru" in verbose
    assert "• tanpa-id — dilewati: paket tanpa id" in verbose
    assert {p["name"]: p["outcome"] for p in whole["packages"]} == {
        AKI: "new",
        APM: "new",
        IPM: "new",
        LPE: "new",
        "tanpa-id": "skipped",
    }
    assert whole["datasets_new"] == 4 and whole["dry_run"] is False
    with sqlite3.connect(demo_db) as connection:
        (synced,) = connection.execute(
            "SELECT COUNT(*) FROM datasets WHERE external_id IS NOT NULL"
        ).fetchone()
    connection.close()
    assert synced == 4
