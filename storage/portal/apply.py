"""Writing a portal snapshot into the registry, inside the caller's unit of work.

Organizations become OPDs: one already in the registry under any of its names (full name,
abbreviation, code; see `storage.portal.opds`) is linked, not duplicated, so its people stay
attached; one whose names fit several is reported and its packages wait. Packages become
datasets with one indicator; table rows become observations. A newer period closes the
dataset's chase through `period_arrived`, in the same transaction, so cancelled reminders and
thanks commit with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select

from domain.terms import Periodicity
from storage.fulfilment import period_arrived
from storage.models import Dataset, Indicator, Opd
from storage.portal.opds import Ambiguous, OpdMatcher
from storage.portal.report import Outcome, SyncReport
from storage.portal.snapshot import Snapshot, Staged
from storage.portal.source import OrganizationRecord, PackageRecord, Portal
from storage.tables.apply import ReadingApplier
from storage.tables.gazetteer import Gazetteer
from storage.tables.reading import describe_problem
from storage.uow import UnitOfWork

CHUNK = 500  # ids per IN list, under every engine's parameter limit

HELD_BACK = (
    "nilai tabelnya tidak dibaca: data yang diterima walidata belum ada di portal (masih "
    "dikirim, atau ditolak portal: kirim ulang dengan `satudata sync push <kode>`)"
)


class Applier:
    def __init__(self, uow: UnitOfWork, portal: Portal, now: datetime, report: SyncReport) -> None:
        self.uow = uow
        self.portal = portal
        self.now = now
        self.report = report
        self.values = ReadingApplier(uow, Gazetteer.default().place, now)
        self._owners: dict[str, Opd | Ambiguous] = {}  # organization id or producer name

    async def apply(self, snapshot: Snapshot) -> None:
        self.opds = OpdMatcher(await self.uow.opds.all(), self.portal.home_region_name)
        linked = {o.external_id for o in self.opds.opds if o.external_id}
        for organization in snapshot.organizations:
            self._organization(organization, organization.id in linked)
        await self.uow.session.flush()
        datasets = await self._datasets([s.record for s in snapshot.changed])
        applied = [(staged, self._package(staged, datasets)) for staged in snapshot.changed]
        await self.uow.session.flush()  # new datasets and OPDs get their ids together
        for staged, entry in applied:
            if entry is not None:
                await self._values(staged, *entry)
        await self._withdraw(snapshot.removed)

    # -- OPDs -----------------------------------------------------------------------------------

    def _organization(self, org: OrganizationRecord, was_linked: bool) -> Opd | Ambiguous:
        if org.id in self._owners:
            return self._owners[org.id]
        opd = next((o for o in self.opds.opds if o.external_id == org.id), None)
        if opd is None:
            found = self.opds.organization(org)
            if isinstance(found, Ambiguous):
                self.report.organizations_ambiguous.append((org.title, found.names))
                self._owners[org.id] = found
                return found
            if found is not None:
                found.external_id = org.id
                self.report.organizations_linked += 1
                opd = found
        name = self.opds.display_name(org)
        if opd is None:
            opd = self._new_opd(
                org.name, name, org.id, short=org.title if name != org.title else ""
            )
        elif self.opds.better_name(opd, name):
            self.report.organizations_renamed += was_linked
            opd.name = name[:200]
        self._owners[org.id] = opd
        return opd

    def _producer(self, name: str) -> Opd | Ambiguous:
        key = f"producer:{name}"
        if key not in self._owners:
            found = self.opds.producer(name)
            self._owners[key] = found or self._new_opd(_slug(name), name, None)
        return self._owners[key]

    def _new_opd(self, code: str, title: str, external_id: str | None, short: str = "") -> Opd:
        taken = {o.code for o in self.opds.opds}
        base = code[:40] or "opd"
        unique, n = base, 2
        while unique in taken:
            unique, n = f"{base[:36]}-{n}", n + 1
        abbreviation = re.search(r"\(([^()]{2,60})\)\s*$", title)
        short = abbreviation.group(1) if abbreviation else short or title
        opd = Opd(code=unique, name=title[:200], short_name=short[:60], external_id=external_id)
        self.uow.session.add(opd)
        self.opds.add(opd)
        self.report.organizations_new += 1
        return opd

    # -- datasets -------------------------------------------------------------------------------

    async def _datasets(self, records: Sequence[PackageRecord]) -> dict[str, Dataset]:
        """Datasets by package id: linked ones, and registry entries whose code is the
        package's name (a Daftar Data imported before the portal was connected)."""
        found: dict[str, Dataset] = {}
        ids = {r.id for r in records}
        by_name = {r.name: r.id for r in records}
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            query = select(Dataset).where(
                or_(
                    Dataset.external_id.in_([r.id for r in chunk]),
                    Dataset.code.in_([r.name for r in chunk]),
                )
            )
            for dataset in await self.uow.session.scalars(query):
                if dataset.external_id in ids:
                    found[dataset.external_id] = dataset
                elif dataset.external_id is None:
                    found.setdefault(by_name[dataset.code], dataset)
                else:
                    found[f"code:{dataset.code}"] = dataset  # linked to another package
        return found

    def _package(
        self, staged: Staged, datasets: dict[str, Dataset]
    ) -> tuple[Dataset, bool, bool] | None:
        """(dataset, existed, linked before), the dataset created or brought up to date; its
        values come after a flush."""
        record = staged.record
        dataset = datasets.get(record.id)
        if dataset is None and f"code:{record.name}" in datasets:
            why = "namanya sudah menjadi kode dataset lain di registri"
            self.report.skip(record.id, record.name, why, record.title)
            return None
        opd = self._owner(record)
        if isinstance(opd, Ambiguous):
            self.report.skip(record.id, record.name, _ambiguous(record, opd), record.title)
            return None
        existed = dataset is not None
        linked = existed and dataset.external_id == record.id  # type: ignore[union-attr]
        outcome = Outcome.CHANGED if existed else Outcome.NEW
        self.report.package(record.id, record.name, record.title, outcome)
        if dataset is None:
            dataset = self._new_dataset(record, opd)
            self.uow.session.add(dataset)
        else:
            self._update_dataset(dataset, record, opd)
        dataset.portal_modified = record.modified
        dataset.tables_digest = staged.digest
        return dataset, existed, linked

    def _owner(self, record: PackageRecord) -> Opd | Ambiguous:
        """The producing OPD: the one the metadata names, else the organization's."""
        if record.producer:
            return self._producer(record.producer)
        assert record.organization is not None  # a record names one or the other
        return self._organization(record.organization, True)

    async def _values(self, staged: Staged, dataset: Dataset, existed: bool, linked: bool) -> None:
        """Observations and the latest period. Values in the package's tables are evidence; a
        period written in the metadata is a claim, used only for packages without a table.

        A dataset linked to the portal just now keeps the values it had from elsewhere; one
        linked before is made to hold exactly what the tables hold, except while values a
        walidata accepted are still on their way to the portal (`storage.portal.push`):
        until then the portal's tables are older than the registry."""
        record = staged.record
        entry = self.report.entry(record.id)
        if existed and await self.uow.pushes.unpublished(dataset.id):
            entry.warnings.append(HELD_BACK)
            dataset.tables_digest = None  # read again once the portal has the table
            return
        if staged.readings is None:
            await self._claimed_period(dataset, record, existed)
            return
        stats = await self.values.apply(
            dataset, staged.readings, prune=linked, new=not existed, published_at=record.modified
        )
        entry.values += stats.loaded + stats.changed
        entry.rows_skipped += [describe_problem(p) for p in stats.problems]
        self.report.observations_loaded += stats.loaded + stats.changed
        self.report.observations_removed += stats.removed
        self.report.regions_new += stats.regions_added
        if stats.period_arrived:
            entry.period = stats.latest_period or ""

    async def _claimed_period(self, dataset: Dataset, record: PackageRecord, existed: bool) -> None:
        latest = record.latest_period
        if latest is None:
            return
        if not existed:
            dataset.latest_period = latest  # nobody has been chased for a new dataset yet
        elif await period_arrived(self.uow, dataset, latest, self.now):
            dataset.last_updated_at = record.modified  # when the agency published it
            self.report.entry(record.id).period = latest

    def _new_dataset(self, record: PackageRecord, opd: Opd) -> Dataset:
        return Dataset(
            code=record.name,
            title=record.title,
            description=record.notes,
            opd=opd,
            periodicity=record.periodicity,
            classification=record.classification,
            unit=record.unit,
            source=self._source(record),
            external_id=record.id,
            keywords="; ".join(record.keywords),
            is_headline=True,
            note="",
            latest_period=None,
            last_updated_at=record.modified,
            next_action_at=None if record.periodicity == Periodicity.SEWAKTU_WAKTU else self.now,
            indicators=[Indicator(code=record.name, name=record.title, unit=record.unit)],
        )

    def _update_dataset(self, dataset: Dataset, record: PackageRecord, opd: Opd) -> None:
        if (dataset.opd, dataset.periodicity) != (opd, record.periodicity):
            dataset.next_action_at = self.now  # the chase is planned anew
        dataset.external_id = record.id
        dataset.title = record.title
        dataset.description = record.notes
        dataset.opd = opd
        dataset.periodicity = record.periodicity
        dataset.classification = record.classification
        dataset.unit = record.unit or dataset.unit
        dataset.source = self._source(record)
        dataset.keywords = "; ".join(record.keywords) or dataset.keywords
        dataset.withdrawn_at = None  # published (again)
        if [i.code for i in dataset.indicators] == [dataset.code]:  # the dataset's one value
            dataset.indicators[0].name, dataset.indicators[0].unit = record.title, dataset.unit

    def _source(self, record: PackageRecord) -> str:
        return f"{self.portal.name}: {record.title}"

    # -- removals -------------------------------------------------------------------------------

    async def _withdraw(self, removed: dict[str, str]) -> None:
        ids = list(removed)
        for start in range(0, len(ids), CHUNK):
            query = select(Dataset).where(Dataset.external_id.in_(ids[start : start + CHUNK]))
            for dataset in await self.uow.session.scalars(query):
                if dataset.withdrawn_at is None:
                    dataset.withdrawn_at = self.now
                    key = dataset.external_id or ""
                    entry = self.report.package(key, dataset.code, dataset.title, Outcome.REMOVED)
                    entry.reason = removed[key]


def _ambiguous(record: PackageRecord, owner: Ambiguous) -> str:
    """Why the package waits, and what the walidata can do about it."""
    names = "; ".join(owner.names)
    if record.producer:
        return (
            f"produsen {record.producer!r} cocok dengan beberapa OPD registri ({names}); tulis"
            " nama lengkap OPD produsennya di portal, lalu sinkronkan lagi"
        )
    assert record.organization is not None
    return (
        f"organisasi {record.organization.title!r} cocok dengan beberapa OPD registri ({names});"
        f" beri OPD yang dimaksud kode {record.organization.name!r} di Daftar Data, lalu"
        " sinkronkan lagi"
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
