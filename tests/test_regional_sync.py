"""Syncing a regional CKAN portal that publishes the corpus, in every form, into an empty registry.

The portal (`tests/fake_ckan.py`, a real HTTP server on 127.0.0.1) holds one package per case
of `tests/regional_corpus.py` and form: a DataStore table, a CSV resource or an XLSX resource
(title row, merged header), each package a dataset of its own so no form can hide what another
leaves out. After one sync the registry is read back with plain SQL, on SQLite and PostgreSQL,
and compared with the ground truth: every published cell once, in the right region, period,
categories, indicator and unit; a table that cannot be read is explained in the sync report by
its columns and what was missing; a bad row is named; a second sync changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.ckan.client import CkanClient
from storage.ckan.mapping import PortalMapping
from storage.ckan.source import CkanPortal
from storage.portal.report import PackageReport, SyncReport
from storage.portal.sync import PortalSyncer
from storage.uow import UnitOfWorkFactory
from tests.fake_ckan import FakeCkan, ckan_time, recorded
from tests.regional_corpus import (
    CASES,
    HOME,
    Case,
    csv_bytes,
    datastore,
    file_name,
    first_row,
    xlsx_bytes,
)
from tests.regional_registry import (
    difference,
    dimensions,
    expected,
    held,
    regions,
    registry_name,
)

FORMS = ("datastore", "csv", "xlsx")
SYNCED = [case for case in CASES if case.context.home_code == HOME]
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def package_name(case: Case, form: str) -> str:
    return f"{case.context.dataset_code}-{form}"


def publish(fake: FakeCkan, case: Case, form: str, organization: dict[str, Any]) -> None:
    """The case as a package of the portal, its tables in `form`."""
    name = package_name(case, form)
    package_id = f"pkg-{name}"
    resources = []
    for position, table in enumerate(case.resources):
        resource_id = f"{package_id}-{position}"
        resource: dict[str, Any] = {
            "id": resource_id,
            "package_id": package_id,
            "position": position,
            "state": "active",
            "created": ckan_time(PUBLISHED),
            "last_modified": ckan_time(PUBLISHED),
            "metadata_modified": ckan_time(PUBLISHED),
            "description": "",
            "mimetype": None,
            "hash": "",
        }
        if form == "datastore":
            records = datastore(table)["records"]
            fake.tables[resource_id] = [
                {k: v for k, v in record.items() if k != "_id"} for record in records
            ]
            resource |= {
                "name": table.name,
                "format": "CSV",
                "datastore_active": True,
                "url": f"{fake.origin}/datastore/dump/{resource_id}",
                "url_type": "datastore",
                "size": None,
            }
        else:
            file = file_name(table, form)
            content = csv_bytes(table) if form == "csv" else xlsx_bytes(table)
            stored = f"{resource_id}-{file}"  # packages' files may share a name
            fake.files[stored] = content
            resource |= {
                "name": file,
                "format": form.upper(),
                "datastore_active": False,
                "url": f"{fake.origin}/files/{stored}",
                "url_type": "upload",
                "size": len(content),
            }
        resources.append(resource)
    context = case.context
    fake.add_package(
        {
            "id": package_id,
            "name": name,
            "title": f"{context.dataset_title} ({form})",
            "type": "dataset",
            "state": "active",
            "private": False,
            "notes": context.dataset_title,
            "author": organization["title"],
            "metadata_created": ckan_time(PUBLISHED),
            "metadata_modified": ckan_time(PUBLISHED),
            "organization": organization,
            "owner_org": organization["id"],
            "extras": [
                {"key": "satuan", "value": context.unit},
                {"key": "frequency", "value": context.periodicity.capitalize()},
            ],
            "resources": resources,
            "num_resources": len(resources),
            "tags": [],
            "groups": [],
        }
    )


@pytest.fixture
async def portal() -> AsyncIterator[FakeCkan]:
    organizations = recorded("organization_list_all_fields.json")["result"]
    fake = FakeCkan(packages={}, organizations=organizations, tables={})
    await fake.start()
    for case in SYNCED:
        for form in FORMS:
            publish(fake, case, form, organizations[0])
    yield fake
    await fake.stop()


def syncer(uow: UnitOfWorkFactory, fake: FakeCkan) -> PortalSyncer:
    portal = CkanPortal(
        fake.url,
        None,
        PortalMapping.load(),
        HOME.replace(".", ""),
        client_factory=lambda: CkanClient(fake.url, None, timeout=10, attempts=2, backoff=0.01),
    )
    return PortalSyncer(uow, portal)


def entry(report: SyncReport, case: Case, form: str) -> PackageReport:
    name = package_name(case, form)
    (found,) = [p for p in report.packages if p.name == name]
    return found


async def test_every_published_cell_of_the_portal_lands_once(
    migrated: UnitOfWorkFactory, engine: AsyncEngine, portal: FakeCkan
) -> None:
    report = await syncer(migrated, portal).run(NOW)

    assert report.ok, report.error
    assert len(report.packages) == len(SYNCED) * len(FORMS)  # each package named once
    for case in SYNCED:
        for form in FORMS:
            code = package_name(case, form)
            if not case.readable:
                continue
            truth, got = expected(case, code), await held(engine, code)
            assert got == truth, f"{case.shape} ({form})\n{difference(truth, got)}"
            assert await dimensions(engine, code) == list(case.dimensions), code
    found = await regions(engine)
    for place in {cell.place for case in SYNCED for cell in case.truth}:
        assert found[place] == (registry_name(place), place.rpartition(".")[0] or None), place

    again = await syncer(migrated, portal).run(NOW, full=True)

    assert again.observations_loaded == again.observations_removed == 0


async def test_the_sync_report_explains_every_table_it_could_not_read(
    migrated: UnitOfWorkFactory, portal: FakeCkan
) -> None:
    report = await syncer(migrated, portal).run(NOW)

    for case in (c for c in SYNCED if not c.readable):
        for form in FORMS:
            package = entry(report, case, form)
            ((_, why),) = package.unread
            explanation = why.casefold()
            for column in case.resources[0].header(form):
                assert column.casefold() in explanation, f"{form}: {column!r} not in {why!r}"
            for word in case.unread:
                assert word in explanation, f"{form}: {word!r} not in {why!r}"


async def test_a_row_naming_no_kecamatan_is_reported_and_the_rest_loaded(
    migrated: UnitOfWorkFactory, engine: AsyncEngine, portal: FakeCkan
) -> None:
    (case,) = [c for c in SYNCED if c.bad_rows]
    ((index, column),) = case.bad_rows

    report = await syncer(migrated, portal).run(NOW)

    for form in FORMS:
        code = package_name(case, form)
        assert await held(engine, code) == expected(case, code)
        lines = " ".join(entry(report, case, form).rows_skipped)
        number = first_row(case.resources[0], form) + index
        label = case.resources[0].header(form)[case.resources[0].columns.index(column)]
        assert case.bad_names[0] in lines and f"baris {number}" in lines, lines
        assert label in lines, lines
