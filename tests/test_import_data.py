"""`satudata import data`: an OPD's spreadsheet of kecamatan × jenis kelamin fills a dataset,
on SQLite and PostgreSQL, all or nothing, every problem named by row and column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from domain.terms import Periodicity
from storage.importing import ImportFileError
from storage.models import (
    AuditEntry,
    Dataset,
    Indicator,
    Observation,
    Opd,
    Region,
)
from storage.uow import UnitOfWorkFactory
from storage.value_import import ValueImportReport, import_values
from tests.cli_runner import cli_env, satudata

from .conftest import NOW

HOME = "35.14"  # Kabupaten Pasuruan
HEADER = ["Kecamatan", "Tahun", "Laki-laki", "Perempuan", "Jumlah"]
KECAMATAN = {  # the first ten of Kabupaten Pasuruan
    "Purwodadi": "35.14.01",
    "Tutur": "35.14.02",
    "Puspo": "35.14.03",
    "Lumbang": "35.14.04",
    "Pasrepan": "35.14.05",
    "Kejayan": "35.14.06",
    "Wonorejo": "35.14.07",
    "Purwosari": "35.14.08",
    "Sukorejo": "35.14.09",  # also a desa of Kecamatan Sukorejo
    "Prigen": "35.14.10",
}
ROWS = [
    [name, 2024, 20012 + 97 * i, 20407 + 89 * i, 40419 + 186 * i]
    for i, name in enumerate(KECAMATAN)
]
CELLS = 3 * len(ROWS)
CODE = "penduduk_kecamatan"


def expected_cells(rows: list[list[object]]) -> dict[tuple[str, str, str], float]:
    cells: dict[tuple[str, str, str], float] = {}
    for name, year, men, women, total in rows:
        code = KECAMATAN[str(name)]
        cells[(code, str(year), "jenis_kelamin=laki_laki")] = float(men)  # type: ignore[arg-type]
        cells[(code, str(year), "jenis_kelamin=perempuan")] = float(women)  # type: ignore[arg-type]
        cells[(code, str(year), "")] = float(total)  # type: ignore[arg-type]
    return cells


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    lines = [",".join(HEADER), *(",".join(str(cell) for cell in row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Penduduk"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


async def registry(uow_factory: UnitOfWorkFactory) -> None:
    """The kabupaten as a registry holds it before any kecamatan: BPS codes only."""
    async with uow_factory() as uow:
        jatim = Region(code="35", name="Provinsi Jawa Timur", level="provinsi", aliases="")
        uow.session.add(jatim)
        await uow.session.flush()
        uow.session.add(
            Region(
                code="3514",
                name="Kabupaten Pasuruan",
                level="kabupaten",
                parent_id=jatim.id,
                aliases="",
            )
        )
        opd = Opd(code="dispendukcapil", name="Dispendukcapil", short_name="Dispendukcapil")
        uow.session.add(opd)
        await uow.session.flush()
        uow.session.add(
            Dataset(
                code=CODE,
                title="Jumlah Penduduk menurut Kecamatan dan Jenis Kelamin",
                opd_id=opd.id,
                periodicity=Periodicity.TAHUNAN,
                unit="jiwa",
                latest_period="2023",
                indicators=[Indicator(code=CODE, name="Jumlah Penduduk", unit="jiwa")],
            )
        )
        await uow.commit()


async def stored(uow_factory: UnitOfWorkFactory) -> dict[tuple[str, str, str], float]:
    async with uow_factory() as uow:
        query = select(
            Region.kemendagri_code, Observation.period, Observation.categories, Observation.value
        ).join(Region, Region.id == Observation.region_id)
        return {(r or "", p, c): v for r, p, c, v in await uow.session.execute(query)}


async def run(
    uow_factory: UnitOfWorkFactory, path: Path, *, dry_run: bool = False, code: str = CODE
) -> ValueImportReport:
    return await import_values(uow_factory, path, code, NOW, dry_run=dry_run, home_code=HOME)


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
async def test_every_cell_lands_once_on_its_kecamatan_period_and_category(
    migrated: UnitOfWorkFactory, tmp_path: Path, writer: object
) -> None:
    await registry(migrated)
    suffix = ".csv" if writer is write_csv else ".xlsx"
    path = writer(tmp_path / f"penduduk{suffix}", ROWS)  # type: ignore[operator]

    report = await run(migrated, path)

    assert report.ok, report.errors
    assert (report.stats.loaded, report.stats.period_arrived) == (CELLS, True)
    assert await stored(migrated) == expected_cells(ROWS)
    async with migrated() as uow:
        dataset = await uow.datasets.by_code(CODE)
        assert dataset is not None and dataset.latest_period == "2024"
        sukorejo = await uow.session.scalars(
            select(Region).where(Region.name == "Kecamatan Sukorejo")
        )
        assert [(r.kemendagri_code, r.level) for r in sukorejo] == [("35.14.09", "kecamatan")]
        audit = (await uow.session.scalars(select(AuditEntry))).all()
        assert [(a.action, a.detail["dataset"], a.detail["loaded"]) for a in audit] == [
            ("values_imported", CODE, CELLS)
        ]
    again = await run(migrated, path)
    assert (again.stats.loaded, again.stats.changed, again.unchanged) == (0, 0, CELLS)


async def test_one_bad_cell_changes_nothing_and_names_its_row_and_column(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await registry(migrated)
    rows = [list(row) for row in ROWS]
    rows[1][3] = "dua lima ribu"  # Tutur, Perempuan: the file's row 3
    path = write_csv(tmp_path / "penduduk.csv", rows)

    report = await run(migrated, path)

    assert not report.ok
    assert any("baris 3" in e and "Perempuan" in e for e in report.errors), report.errors
    assert await stored(migrated) == {}
    async with migrated() as uow:
        dataset = await uow.datasets.by_code(CODE)
        assert dataset is not None and dataset.latest_period == "2023"
        assert await uow.session.scalar(select(func.count()).select_from(Region)) == 2


async def test_a_broken_file_changes_nothing_and_says_what_to_send(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await registry(migrated)
    path = tmp_path / "penduduk.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")

    with pytest.raises(ImportFileError) as raised:
        await run(migrated, path)

    assert "xlsx" in str(raised.value).lower() or "csv" in str(raised.value).lower()
    assert await stored(migrated) == {}


async def test_a_dry_run_writes_nothing_but_says_what_would_change(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await registry(migrated)

    report = await run(migrated, write_csv(tmp_path / "penduduk.csv", ROWS), dry_run=True)

    assert report.ok and report.stats.loaded == CELLS
    assert await stored(migrated) == {}
    async with migrated() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Region)) == 2
        assert not (await uow.session.scalars(select(AuditEntry))).all()


async def test_a_dataset_code_that_is_not_registered_is_answered_with_the_close_ones(
    migrated: UnitOfWorkFactory, tmp_path: Path
) -> None:
    await registry(migrated)

    with pytest.raises(ImportFileError) as raised:
        await run(migrated, write_csv(tmp_path / "p.csv", ROWS), code="penduduk_kecamatn")

    assert "'penduduk_kecamatn'" in str(raised.value) and CODE in str(raised.value)


# -- the command line -----------------------------------------------------------------------------


def test_cli_imports_a_spreadsheet_into_a_dataset_the_daftar_data_registered(
    tmp_path: Path,
) -> None:
    database = tmp_path / "satudata.db"
    env = cli_env(database, SATUDATA_REGION_CODE="3514")
    daftar = tmp_path / "daftar.csv"
    daftar.write_text(
        "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir\n"
        f"{CODE},Jumlah Penduduk per Kecamatan,Dispendukcapil,tahunan,terbuka,\n",
        encoding="utf-8",
    )
    registered = satudata("import", "daftar-data", str(daftar), cwd=tmp_path, env=env)
    assert registered.returncode == 0, registered.stderr
    spreadsheet = write_xlsx(tmp_path / "penduduk.xlsx", ROWS)

    checked = satudata(
        "import", "data", str(spreadsheet), "--dataset", CODE, "--dry-run", cwd=tmp_path, env=env
    )
    imported = satudata(
        "import", "data", str(spreadsheet), "--dataset", CODE, cwd=tmp_path, env=env
    )
    unknown = satudata(
        "import", "data", str(spreadsheet), "--dataset", "pendudk", cwd=tmp_path, env=env
    )

    assert checked.returncode == 0, checked.stderr
    assert "tidak ada yang diubah" in checked.stdout
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"Impor selesai: {CELLS} nilai dari 1 tabel")
    with sqlite3.connect(database) as conn:
        count = conn.execute(
            "SELECT count(*) FROM observations o JOIN regions r ON r.id = o.region_id"
            " WHERE r.level = 'kecamatan'"
        ).fetchone()
    assert count == (CELLS,)
    assert unknown.returncode == 2
    assert "pendudk" in unknown.stderr and CODE in unknown.stderr


def test_cli_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    database = tmp_path / "satudata.db"
    env = cli_env(database, SATUDATA_REGION_CODE="3514")
    daftar = tmp_path / "daftar.csv"
    daftar.write_text(
        "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir\n"
        f"{CODE},Jumlah Penduduk per Kecamatan,Dispendukcapil,tahunan,terbuka,\n",
        encoding="utf-8",
    )
    assert satudata("import", "daftar-data", str(daftar), cwd=tmp_path, env=env).returncode == 0
    rows = [list(row) for row in ROWS]
    rows[0][2] = "n.a.x"
    rows[2][4] = "banyak"

    result = satudata(
        "import",
        "data",
        str(write_csv(tmp_path / "p.csv", rows)),
        "--dataset",
        CODE,
        cwd=tmp_path,
        env=env,
    )

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Impor dibatalkan:") and "tidak ada yang diubah" in lines[0]
    assert any("baris 2" in line and "Laki-laki" in line for line in lines), lines
    assert any("baris 4" in line and "Jumlah" in line for line in lines), lines
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM observations").fetchone() == (0,)
