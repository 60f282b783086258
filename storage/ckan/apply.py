"""Writing a portal snapshot into the registry, inside the caller's unit of work.

Organizations become OPDs (an OPD already in the registry under the same name is linked, not
duplicated, so its people stay attached); packages become datasets with one indicator;
DataStore rows become observations. A newer period closes the dataset's chase through
`period_arrived`, in the same transaction, so cancelled reminders and thanks commit with it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from domain.periods import parse_period
from domain.terms import Periodicity
from storage.ckan.fetch import Snapshot, Staged
from storage.ckan.mapping import PortalMapping
from storage.ckan.records import OrganizationRecord, PackageRecord
from storage.ckan.report import SyncReport
from storage.fulfilment import period_arrived
from storage.models import Dataset, Indicator, Observation, Opd, Region
from storage.uow import UnitOfWork

INSERT_BATCH = 5000
CHUNK = 500  # ids per IN list, under every engine's parameter limit
REGION_PREFIXES = {
    "kabupaten": "kabupaten",
    "kab": "kabupaten",
    "kota": "kota",
    "provinsi": "provinsi",
    "prov": "provinsi",
    "kecamatan": "kecamatan",
    "kec": "kecamatan",
    "kelurahan": "kelurahan",
    "kel": "kelurahan",
    "desa": "desa",
}
PREFIX_NAMES = {
    "kabupaten": "Kabupaten",
    "kota": "Kota",
    "provinsi": "Provinsi",
    "kecamatan": "Kecamatan",
    "kelurahan": "Kelurahan",
    "desa": "Desa",
}


class Applier:
    def __init__(
        self,
        uow: UnitOfWork,
        mapping: PortalMapping,
        portal_name: str,
        home_region_code: str,
        now: datetime,
        report: SyncReport,
    ) -> None:
        self.uow = uow
        self.mapping = mapping
        self.portal_name = portal_name
        self.home_region_code = home_region_code
        self.now = now
        self.report = report
        self._pending_rows: list[dict[str, Any]] = []

    async def apply(self, snapshot: Snapshot) -> None:
        self.opds = list(await self.uow.opds.all())
        linked = {o.external_id for o in self.opds if o.external_id}
        for organization in snapshot.organizations:
            self._organization(organization, organization.id in linked)
        await self.uow.session.flush()
        self.regions = _RegionIndex(await self.uow.regions.all(), self.home_region_code)
        datasets = await self._datasets([s.record for s in snapshot.changed])
        applied = [(staged, self._package(staged, datasets)) for staged in snapshot.changed]
        await self.uow.session.flush()  # new datasets and OPDs get their ids together
        for staged, entry in applied:
            if entry is not None:
                await self._values(staged, *entry)
        await self._flush_rows()
        await self._withdraw(snapshot.removed)

    # -- OPDs -----------------------------------------------------------------------------------

    def _organization(self, org: OrganizationRecord, was_linked: bool) -> Opd:
        opd = next((o for o in self.opds if o.external_id == org.id), None)
        if opd is None:
            opd = self._unlinked_named(org.title, org.name)
            if opd is not None:
                opd.external_id = org.id
        if opd is None:
            opd = self._new_opd(org.name, org.title, org.id)
        elif opd.name != org.title:
            self.report.organizations_renamed += was_linked
            opd.name = org.title
        return opd

    def _unlinked_named(self, title: str, code: str | None = None) -> Opd | None:
        """An OPD of the registry that is this organization under its name, short name,
        abbreviation ("Badan ... (Bappeda)") or code, and not yet linked to another one."""
        wanted = _name_forms(title) | ({code.casefold()} if code else set())
        for opd in self.opds:
            forms = {opd.code.casefold(), opd.short_name.casefold(), *_name_forms(opd.name)}
            if opd.external_id is None and wanted & forms:
                return opd
        return None

    def _producer(self, name: str) -> Opd:
        wanted = _name_forms(name)
        for opd in self.opds:
            if wanted & {opd.code.casefold(), opd.short_name.casefold(), *_name_forms(opd.name)}:
                return opd
        return self._new_opd(_slug(name), name, None)

    def _new_opd(self, code: str, title: str, external_id: str | None) -> Opd:
        taken = {o.code for o in self.opds}
        base = code[:40] or "opd"
        unique, n = base, 2
        while unique in taken:
            unique, n = f"{base[:36]}-{n}", n + 1
        abbreviation = re.search(r"\(([^()]{2,60})\)\s*$", title)
        short = abbreviation.group(1) if abbreviation else title
        opd = Opd(code=unique, name=title[:200], short_name=short[:60], external_id=external_id)
        self.uow.session.add(opd)
        self.opds.append(opd)
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
            self.report.skipped.append(
                (record.name, "namanya sudah menjadi kode dataset lain di registri")
            )
            return None
        opd = (
            self._producer(record.producer)
            if record.producer
            else self._organization(record.organization, True)  # type: ignore[arg-type]
        )
        existed = dataset is not None
        linked = existed and dataset.external_id == record.id  # type: ignore[union-attr]
        if dataset is None:
            dataset = self._new_dataset(record, opd)
            self.uow.session.add(dataset)
            self.report.datasets_new.append(record.title)
        else:
            self._update_dataset(dataset, record, opd)
            self.report.datasets_changed += 1
        dataset.portal_modified = record.modified
        return dataset, existed, linked

    async def _values(self, staged: Staged, dataset: Dataset, existed: bool, linked: bool) -> None:
        """Observations and the latest period. Values in a DataStore table are evidence; a
        period written in the metadata is a claim, used only for packages without a table."""
        record = staged.record
        if staged.rows is not None:
            candidates = await self._observations(dataset, staged, existed, prune=linked)
        else:
            candidates = [record.latest_period] if record.latest_period else []
        if not candidates:
            return
        latest = max(candidates, key=lambda p: (parse_period(p).end, p))
        if not existed:
            dataset.latest_period = latest  # nobody has been chased for a new dataset yet
        elif await period_arrived(self.uow, dataset, latest, self.now):
            dataset.last_updated_at = record.modified  # when the agency published it
            self.report.periods_arrived.append((dataset.title, latest))

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
        for indicator in dataset.indicators[:1]:
            indicator.name, indicator.unit = record.title, dataset.unit

    def _source(self, record: PackageRecord) -> str:
        return f"{self.portal_name}: {record.title}"

    # -- observations ---------------------------------------------------------------------------

    async def _observations(
        self, dataset: Dataset, staged: Staged, existed: bool, *, prune: bool
    ) -> list[str]:
        """Make the dataset's values what the portal's tables say; the periods they hold.

        `prune`: values the tables no longer hold are removed, since they came from them. A
        dataset linked to the portal just now keeps the values it had from elsewhere."""
        indicator_id = dataset.indicators[0].id
        problems: Counter[str] = Counter()
        wanted: dict[tuple[int, str], tuple[float, int]] = {}
        for region_text, period, value, decimals in staged.rows or []:
            region_id = await self.regions.resolve(region_text, self.mapping.create_regions, self)
            if isinstance(region_id, str):
                problems[region_id] += 1
            elif (region_id, period) in wanted:
                problems["wilayah dan periode yang sama dua kali"] += 1
            else:
                wanted[(region_id, period)] = (value, decimals)
        if problems:
            reasons = ", ".join(f"{why} ({n})" for why, n in problems.most_common(5))
            self.report.skipped.append(
                (staged.record.name, f"{sum(problems.values())} baris tidak dimuat: {reasons}")
            )
        current: dict[tuple[int, str], tuple[int, float, int]] = {}
        if existed:
            query = select(
                Observation.id,
                Observation.region_id,
                Observation.period,
                Observation.value,
                Observation.decimals,
            ).where(Observation.indicator_id == indicator_id)
            for row_id, region_id, period, value, decimals in await self.uow.session.execute(query):
                current[(region_id, period)] = (row_id, value, decimals)
        changes = [
            {"id": current[k][0], "value": v, "decimals": d, "status": "final"}
            for k, (v, d) in wanted.items()
            if k in current and current[k][1:] != (v, d)
        ]
        added = [key for key in wanted if key not in current]
        for key in added:
            value, decimals = wanted[key]
            self._pending_rows.append(
                {
                    "indicator_id": indicator_id,
                    "region_id": key[0],
                    "period": key[1],
                    "value": value,
                    "decimals": decimals,
                    "status": "final",
                }
            )
        self.report.observations_loaded += len(added)
        if len(self._pending_rows) >= INSERT_BATCH:
            await self._flush_rows()
        if changes:
            await self.uow.session.execute(update(Observation), changes)
            self.report.observations_loaded += len(changes)
        gone = [row_id for key, (row_id, _, _) in current.items() if prune and key not in wanted]
        for start in range(0, len(gone), CHUNK):
            ids = gone[start : start + CHUNK]
            await self.uow.session.execute(delete(Observation).where(Observation.id.in_(ids)))
        self.report.observations_removed += len(gone)
        if existed and (changes or gone or added):
            dataset.last_updated_at = staged.record.modified
        return sorted({period for _, period in wanted})

    async def _flush_rows(self) -> None:
        if self._pending_rows:
            await self.uow.session.execute(insert(Observation), self._pending_rows)
            self._pending_rows = []

    async def add_region(
        self, name: str, level: str, aliases: str, parent_id: int | None
    ) -> Region:
        region = Region(code=None, name=name, level=level, parent_id=parent_id, aliases=aliases)
        self.uow.session.add(region)
        await self.uow.session.flush()
        self.report.regions_new += 1
        return region

    # -- removals -------------------------------------------------------------------------------

    async def _withdraw(self, removed: dict[str, str]) -> None:
        ids = list(removed)
        for start in range(0, len(ids), CHUNK):
            query = select(Dataset).where(Dataset.external_id.in_(ids[start : start + CHUNK]))
            for dataset in await self.uow.session.scalars(query):
                if dataset.withdrawn_at is None:
                    dataset.withdrawn_at = self.now
                    why = removed[dataset.external_id or ""]
                    self.report.datasets_removed.append((dataset.title, why))


class _RegionIndex:
    """Regions by BPS code, name and alias; regions a table names for the first time are
    added under the deployment's region when the mapping allows it."""

    def __init__(self, regions: Sequence[Region], home_code: str) -> None:
        self.by_code = {r.code: r for r in regions if r.code}
        self.by_name: dict[str, Region] = {}
        self.by_base: dict[str, list[Region]] = {}
        for region in regions:
            self._index(region)
        self.home = self.by_code.get(home_code)
        self._resolved: dict[str | None, Region | str] = {}

    def _index(self, region: Region) -> None:
        self.by_name[_normal(region.name)] = region
        for alias in region.aliases.split(";"):
            if alias.strip():
                self.by_name.setdefault(_normal(alias), region)
        self.by_base.setdefault(_base(_normal(region.name))[1], []).append(region)

    async def resolve(self, text: str | None, create: bool, applier: Applier) -> int | str:
        """The region id for a table's region cell, or the reason it has none."""
        if text not in self._resolved:
            self._resolved[text] = await self._find(text, create, applier)
        found = self._resolved[text]
        if isinstance(found, Region):
            return found.id
        return found

    async def _find(self, text: str | None, create: bool, applier: Applier) -> Region | str:
        if text is None:
            return self.home or "wilayah layanan bot tidak ada di registri"
        if text.isdigit():
            return self.by_code.get(text) or f"kode wilayah {text[:12]!r} tidak dikenal"
        name = _normal(text)
        if name in self.by_name:
            return self.by_name[name]
        level, base = _base(name)
        same = self.by_base.get(base, []) if level is None else []
        if len(same) == 1:
            return same[0]
        if len(same) > 1:
            return f"wilayah {text[:40]!r} ambigu"
        if not create or len(text) > 120:
            return f"wilayah {text[:40]!r} tidak dikenal"
        words = text.split()
        full = " ".join([PREFIX_NAMES[level], *words[1:]]) if level else " ".join(words)
        region = await applier.add_region(
            full,
            level or "wilayah",
            " ".join(words[1:]) if level else "",
            self.home.id if self.home else None,
        )
        self._index(region)
        return region


def _normal(name: str) -> str:
    """`Kab.  Malang` → `kabupaten malang`: one spelling for lookups."""
    words = re.sub(r"[.,]", " ", name.casefold()).split()
    if words and words[0] in REGION_PREFIXES:
        words[0] = REGION_PREFIXES[words[0]]
    return " ".join(words)


def _base(name: str) -> tuple[str | None, str]:
    """(level, name without it) of a normalised name."""
    head, _, rest = name.partition(" ")
    if head in PREFIX_NAMES and rest:
        return head, rest
    return None, name


def _name_forms(name: str) -> set[str]:
    """A name, without its parenthesised abbreviation, and the abbreviation, casefolded."""
    forms = {name.strip().casefold()}
    match = re.fullmatch(r"(.*?)\s*\(([^()]+)\)\s*", name)
    if match:
        forms |= {match.group(1).strip().casefold(), match.group(2).strip().casefold()}
    return forms - {""}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
