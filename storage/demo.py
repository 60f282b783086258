"""Load the demo registry (real BPS statistics for Jawa Timur) into the database.

Loading is idempotent: rows are matched on natural keys (region name, OPD code, dataset
code, person name, indicator × region × period), so running it again changes nothing and
running it after the CSV files gained rows adds only those rows.
"""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from domain.periods import annual_period
from domain.terms import Classification, Periodicity, Role
from storage.models import Dataset, Indicator, Observation, Opd, Person, PersonRole, Region
from storage.region_codes import kemendagri_from_bps
from storage.uow import UnitOfWork, UnitOfWorkFactory

DEMO_DATA = Path(__file__).parent / "demo_data"
LEVEL_ORDER = {"negara": 0, "provinsi": 1, "kabupaten": 2, "kota": 2}
STATUS_FLAGS = {"[angka sangat sementara]": "sangat_sementara", "[angka sementara]": "sementara"}


@dataclass(frozen=True)
class CsvRow:
    region_code: str | None
    region_name: str
    period: str
    value: float
    decimals: int
    unit: str
    table: str
    status: str


@dataclass
class LoadReport:
    regions_added: int = 0
    datasets_added: int = 0
    people_added: int = 0
    observations_added: int = 0
    observations_updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def read_long_csv(path: Path) -> list[CsvRow]:
    """Read the long format: `indicator,region_code,region_name,year,value,unit,source`."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            raw_value = record["value"].strip()
            table = record["source"].split("|", 1)[0].strip()
            status = "final"
            for flag, flag_status in STATUS_FLAGS.items():
                if flag in table:
                    table, status = table.replace(flag, "").strip(), flag_status
            rows.append(
                CsvRow(
                    region_code=record["region_code"].strip() or None,
                    region_name=record["region_name"].strip(),
                    period=annual_period(int(record["year"])),
                    value=float(raw_value),
                    decimals=len(raw_value.partition(".")[2]),
                    unit=record["unit"].strip(),
                    table=table,
                    status=status,
                )
            )
    return rows


def region_level(name: str) -> str:
    for prefix, level in (
        ("Kabupaten ", "kabupaten"),
        ("Kota ", "kota"),
        ("Provinsi ", "provinsi"),
    ):
        if name.startswith(prefix):
            return level
    return "negara"


async def load_demo(uow_factory: UnitOfWorkFactory, now: datetime) -> LoadReport:
    spec = tomllib.loads((DEMO_DATA / "registry.toml").read_text(encoding="utf-8"))
    files = {d["code"]: read_long_csv(DEMO_DATA / d["file"]) for d in spec["dataset"]}
    report = LoadReport()
    async with uow_factory() as uow:
        regions = await _load_regions(uow, files, spec.get("region_aliases", {}), report)
        opds = await _load_opds(uow, spec["opd"])
        for dataset_spec in spec["dataset"]:
            await _load_dataset(
                uow, dataset_spec, files[dataset_spec["code"]], opds, regions, report, now
            )
        await _load_people(uow, spec["person"], opds, now, report)
        await uow.commit()
    return report


async def _load_regions(
    uow: UnitOfWork,
    files: dict[str, list[CsvRow]],
    aliases: dict[str, str],
    report: LoadReport,
) -> dict[str, int]:
    """Regions by their demo name; parents follow BPS codes (kab/kota → province → Indonesia).

    A region already in the registry is the one with the same BPS code, or else the same
    name among the levels the demo has: a kecamatan or desa may share a kabupaten's name."""
    wanted = {row.region_name: row.region_code for rows in files.values() for row in rows}
    stored = await uow.regions.all()
    by_code = {r.code: r for r in stored if r.code}
    by_name = {r.name: r for r in stored if r.level in LEVEL_ORDER}
    existing: dict[str, Region] = {}
    # Parents first, so a child can point at its parent's id.
    for name in sorted(wanted, key=lambda name: LEVEL_ORDER[region_level(name)]):
        found = by_code.get(wanted[name] or "") or by_name.get(name)
        if found is not None:
            existing[name] = found
            continue
        code, level = wanted[name], region_level(name)
        parent = None
        if level in ("kabupaten", "kota") and code:
            parent = next((r for r in existing.values() if r.code == code[:2]), None)
        elif level == "provinsi":
            parent = existing.get("Indonesia")
        region = Region(
            code=code,
            kemendagri_code=kemendagri_from_bps(code),
            name=name,
            level=level,
            parent_id=parent.id if parent else None,
            aliases="; ".join(alias for alias, target in aliases.items() if target == name),
        )
        uow.session.add(region)
        await uow.session.flush()
        existing[name] = region
        report.regions_added += 1
    return {name: region.id for name, region in existing.items()}


async def _load_opds(uow: UnitOfWork, specs: list[dict[str, Any]]) -> dict[str, int]:
    ids = {}
    for spec in specs:
        opd = await uow.opds.by_code(spec["code"])
        if opd is None:
            opd = Opd(code=spec["code"], name=spec["name"], short_name=spec["short_name"])
            uow.session.add(opd)
            await uow.session.flush()
        ids[spec["code"]] = opd.id
    return ids


async def _load_dataset(
    uow: UnitOfWork,
    spec: dict[str, Any],
    rows: list[CsvRow],
    opds: dict[str, int],
    regions: dict[str, int],
    report: LoadReport,
    now: datetime,
) -> None:
    dataset = await uow.datasets.by_code(spec["code"])
    table = Counter(row.table for row in rows).most_common(1)[0][0]
    unit = rows[0].unit
    if dataset is None:
        dataset = Dataset(
            code=spec["code"],
            title=spec["title"],
            description=spec.get("description", ""),
            opd_id=opds[spec["opd"]],
            periodicity=Periodicity(spec["periodicity"]),
            classification=Classification(spec["classification"]),
            unit=unit,
            source=table,
            keywords="; ".join(spec.get("keywords", [])),
            series_group=spec.get("series_group"),
            is_headline=spec.get("is_headline", True),
            note=spec.get("note", ""),
            next_action_at=now,  # the first reminder tick plans its chase
            indicators=[Indicator(code=spec["code"], name=spec["title"], unit=unit)],
        )
        uow.session.add(dataset)
        await uow.session.flush()
        report.datasets_added += 1
    indicator_id = dataset.indicators[0].id
    existing = {
        (o.region_id, o.period): o
        for o in await uow.session.scalars(
            select(Observation).where(Observation.indicator_id == indicator_id)
        )
    }
    new_rows = []
    changed = 0
    for row in rows:
        region_id = regions[row.region_name]
        current = existing.get((region_id, row.period))
        values = {"value": row.value, "decimals": row.decimals, "status": row.status}
        if current is None:
            new_rows.append(
                {
                    "indicator_id": indicator_id,
                    "region_id": region_id,
                    "period": row.period,
                    **values,
                }
            )
        elif (current.value, current.decimals, current.status) != tuple(values.values()):
            await uow.session.execute(
                update(Observation).where(Observation.id == current.id).values(**values)
            )
            changed += 1
    report.observations_updated += changed
    if new_rows:
        await uow.session.execute(insert(Observation), new_rows)
        report.observations_added += len(new_rows)
    if new_rows or changed:
        dataset.last_updated_at = now  # when these values entered the registry
    dataset.latest_period = max(row.period for row in rows)


async def _load_people(
    uow: UnitOfWork,
    specs: list[dict[str, Any]],
    opds: dict[str, int],
    now: datetime,
    report: LoadReport,
) -> None:
    known = {p.name for p in await uow.people.all()}
    for spec in specs:
        if spec["name"] in known:
            continue
        uow.session.add(
            Person(
                name=spec["name"],
                opd_id=opds.get(spec.get("opd", "")),
                created_at=now,
                language="id",
                active=True,
                roles=[PersonRole(role=Role(role)) for role in spec["roles"]],
            )
        )
        report.people_added += 1
