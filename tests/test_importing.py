"""Importing the walidata's spreadsheets: the Daftar Data and the list of people.

Files are written here as a walidata would save them (CSV with commas or semicolons, UTF-8
with a byte-order mark from Excel, XLSX), imported into a copy of the demo registry, and the
registry is read back with plain SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bot.wiring import build_runtime
from handlers.messages import Incoming
from storage import db
from storage.importing import (
    MAX_ROWS,
    ImportFileError,
    ImportReport,
    import_datasets,
    import_people,
)
from storage.uow import UnitOfWorkFactory
from tests.cli_runner import satudata
from tests.conftest import NOW, settings_for
from tests.people_helpers import person_named

DATASET_HEADER = "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir"
PEOPLE_HEADER = "nama,peran,opd,telegram_id"
LATER = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
async def uow_factory(demo_db: Path) -> AsyncIterator[UnitOfWorkFactory]:
    engine = db.create_engine(f"sqlite:///{demo_db}")
    yield UnitOfWorkFactory(engine)
    await engine.dispose()


def sql(database: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(query, params).fetchall()
    connection.close()
    return rows


def snapshot(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import can touch."""
    tables = ("datasets", "indicators", "opds", "people", "person_roles", "outbox")
    return {table: sql(database, f"SELECT * FROM {table} ORDER BY 1") for table in tables}


def dataset(database: Path, code: str) -> dict[str, Any] | None:
    rows = sql(
        database,
        "SELECT d.title, o.code, d.periodicity, d.classification, d.latest_period, "
        "d.due_months, d.due_day, d.unit FROM datasets d JOIN opds o ON o.id = d.opd_id "
        "WHERE d.code = ?",
        code,
    )
    if not rows:
        return None
    keys = ("title", "opd", "periodicity", "classification", "latest", "months", "day", "unit")
    return dict(zip(keys, rows[0], strict=True))


def person(database: Path, name: str) -> tuple[set[str], str | None, int | None]:
    """(roles, OPD code, Telegram id) of one person."""
    ((person_id, opd, telegram_id),) = sql(
        database,
        "SELECT p.id, o.code, p.telegram_user_id FROM people p "
        "LEFT JOIN opds o ON o.id = p.opd_id WHERE p.name = ?",
        name,
    )
    roles = {
        r for (r,) in sql(database, "SELECT role FROM person_roles WHERE person_id = ?", person_id)
    }
    return roles, opd, telegram_id


def write(tmp_path: Path, name: str, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def write_xlsx(tmp_path: Path, name: str, rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def errors_by_row(report: ImportReport) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for row, message in report.errors:
        found.setdefault(row, []).append(message)
    return found


# --- Daftar Data: what is created, updated, left alone --------------------------------------


async def test_new_changed_and_unchanged_rows_are_counted_and_applied(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    before = dataset(demo_db, "ipm_lfsp2020")
    assert before is not None and dataset(demo_db, "inflasi") is None
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER + ",satuan,bulan_jatuh_tempo,hari_jatuh_tempo",
        "inflasi,Inflasi Bulanan,bappeda,bulanan,terbuka,2026-09,persen,1,10",
        "imunisasi,Cakupan Imunisasi Dasar Lengkap,Dinkes,Tahunan,Terbatas,,,,",
        "tpt,Tingkat Pengangguran Terbuka (TPT),disnakertrans,tahunan,terbuka,2025,,,",
        "ipm_lfsp2020,IPM (Long Form SP2020),Bappeda,tahunan,terbuka,2025,,,",
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (2, 1, 1)
    assert report.new_opds == []
    assert dataset(demo_db, "inflasi") == {
        "title": "Inflasi Bulanan",
        "opd": "bappeda",
        "periodicity": "bulanan",
        "classification": "terbuka",
        "latest": "2026-09",
        "months": 1,
        "day": 10,
        "unit": "persen",
    }
    imunisasi = dataset(demo_db, "imunisasi")
    assert imunisasi is not None
    assert (imunisasi["opd"], imunisasi["periodicity"], imunisasi["classification"]) == (
        "dinkes",
        "tahunan",
        "terbatas",
    )
    assert imunisasi["latest"] is None
    assert dataset(demo_db, "ipm_lfsp2020") == {**before, "title": "IPM (Long Form SP2020)"}


async def test_reimporting_the_same_file_changes_nothing_and_says_so(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "inflasi,Inflasi Bulanan,bappeda,bulanan,terbuka,2026-09",
        "imunisasi,Cakupan Imunisasi,dinkes,tahunan,terbuka,2025",
    )
    first = await import_datasets(uow_factory, path, LATER)
    state = snapshot(demo_db)

    second = await import_datasets(uow_factory, path, LATER.replace(hour=5))

    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert second.periods_arrived == 0
    assert snapshot(demo_db) == state


async def test_a_row_behind_the_registry_is_counted_unchanged(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    (latest,) = sql(demo_db, "SELECT latest_period FROM datasets WHERE code = 'tpt'")[0]
    older = str(int(latest) - 1)
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        f"tpt,Tingkat Pengangguran Terbuka (TPT),disnakertrans,tahunan,terbuka,{older}",
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert sql(demo_db, "SELECT latest_period FROM datasets WHERE code = 'tpt'")[0][0] == latest
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


async def test_semicolon_csv_saved_by_excel_with_a_bom(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "daftar.csv"
    path.write_bytes(
        (
            "\ufeffKode;Judul;OPD;Periodisitas;Klasifikasi;Periode Terakhir\r\n"
            "kemiskinan_ekstrem;Kemiskinan Ekstrem, Persentase;Dinas Sosial;Tahunan;Terbuka;"
            "2025\r\n"
            "balita_gizi;Balita Gizi Buruk;dinkes;triwulanan;tertutup;2026-Q2\r\n"
        ).encode()
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert report.ok, report.errors
    assert report.created == 2
    extreme = dataset(demo_db, "kemiskinan_ekstrem")
    assert extreme is not None
    assert (extreme["title"], extreme["opd"], extreme["latest"]) == (
        "Kemiskinan Ekstrem, Persentase",
        "dinsos",
        "2025",
    )
    gizi = dataset(demo_db, "balita_gizi")
    assert gizi is not None
    assert (gizi["periodicity"], gizi["classification"], gizi["latest"]) == (
        "triwulanan",
        "tertutup",
        "2026-Q2",
    )


async def test_xlsx_with_numeric_cells(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path,
        "daftar.xlsx",
        [
            [
                "Kode",
                "Judul",
                "OPD",
                "Periodisitas",
                "Klasifikasi",
                "Periode Terakhir",
                "Bulan Jatuh Tempo",
            ],
            [
                "pdrb_triwulan",
                "PDRB Triwulanan",
                "Biro Perekonomian",
                "triwulanan",
                "terbuka",
                "2026-Q2",
                2,
            ],
            [
                "penduduk_sakit",
                "Penduduk Sakit",
                "Dinas Kesehatan",
                "tahunan",
                "terbuka",
                2025,
                None,
            ],
            ["lulus_sma", "Lulusan SMA", "dindik", "tahunan", "terbuka", 2024.0, 4.0],
        ],
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert report.ok, report.errors
    assert report.created == 3
    pdrb = dataset(demo_db, "pdrb_triwulan")
    assert pdrb is not None and (pdrb["opd"], pdrb["months"]) == ("biro-perekonomian", 2)
    sakit = dataset(demo_db, "penduduk_sakit")
    assert sakit is not None and (sakit["opd"], sakit["latest"]) == ("dinkes", "2025")
    lulus = dataset(demo_db, "lulus_sma")
    assert lulus is not None and (lulus["latest"], lulus["months"]) == ("2024", 4)


async def test_a_new_opd_far_from_known_ones_is_created_once_and_reported(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    opds_before = sql(demo_db, "SELECT count(*) FROM opds")[0][0]
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "pad,Pendapatan Asli Daerah,Badan Pendapatan Daerah,tahunan,terbuka,2025",
        "pkb,Pajak Kendaraan Bermotor,badan pendapatan daerah,bulanan,terbuka,2026-09",
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert report.ok, report.errors
    assert report.new_opds == ["Badan Pendapatan Daerah"]
    assert sql(demo_db, "SELECT count(*) FROM opds")[0][0] == opds_before + 1
    rows = sql(
        demo_db,
        "SELECT o.name FROM datasets d JOIN opds o ON o.id = d.opd_id WHERE d.code IN (?, ?)",
        "pad",
        "pkb",
    )
    assert rows == [("Badan Pendapatan Daerah",), ("Badan Pendapatan Daerah",)]


# --- Daftar Data: every problem, by row, and nothing changes ---------------------------------


async def test_every_row_error_is_reported_with_its_row_and_reason(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER + ",bulan_jatuh_tempo",  # row 1
        "baik,Data Yang Benar,bappeda,tahunan,terbuka,2025,",  # row 2: fine
        "ipm baru!,Kode Bermasalah,bappeda,tahunan,terbuka,2025,",
        "tanpa_judul,,bappeda,tahunan,terbuka,2025,",
        "dwi,Data Dwimingguan,bappeda,dwimingguan,terbuka,,",
        "rahasia,Data Rahasia,bappeda,tahunan,rahasia,2025,",
        "salah_periode,Periode Bulanan,bappeda,tahunan,terbuka,2025-07,",
        "salah_opd,OPD Salah Ketik,Dinas Kesehatn,tahunan,terbuka,2025,",
        "kembar,Data Kembar,bappeda,tahunan,terbuka,2025,",  # row 9
        "KEMBAR,Data Kembar Lagi,bappeda,tahunan,terbuka,2025,",
        "tempo,Jatuh Tempo Huruf,bappeda,tahunan,terbuka,2025,tiga",
        "koma,Data A, B,bappeda,tahunan,terbuka,2025,3",  # row 12: an unquoted comma
    )

    report = await import_datasets(uow_factory, path, LATER)

    errors = errors_by_row(report)
    expected = {
        3: "kode wajib diisi, hanya huruf, angka",
        4: "judul wajib diisi",
        5: "periodisitas 'dwimingguan' tidak dikenal; gunakan salah satu: tahunan",
        6: "klasifikasi 'rahasia' tidak dikenal",
        7: "periode_terakhir 2025-07 tidak sesuai periodisitas tahunan",
        8: "OPD 'Dinas Kesehatn' tidak dikenal; maksud Anda 'Dinas Kesehatan'?",
        10: "kode 'kembar' sudah ada di baris 9",
        11: "bulan_jatuh_tempo 'tiga' harus berupa angka",
        12: "lebih banyak kolom daripada judul kolom",
    }
    assert set(errors) == set(expected), report.errors
    for row, reason in expected.items():
        assert len(errors[row]) == 1 and reason in errors[row][0], (row, errors[row])
    assert "tanda kutip" in errors[12][0]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert dataset(demo_db, "baik") is None


async def test_a_file_with_any_error_changes_nothing(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    state = snapshot(demo_db)
    (latest,) = sql(demo_db, "SELECT latest_period FROM datasets WHERE code = 'ipm'")[0]
    newer = str(int(latest) + 1)
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "pad,Pendapatan Asli Daerah,Badan Pendapatan Daerah,tahunan,terbuka,2025",
        f"ipm,Indeks Pembangunan Manusia (judul baru),bappeda,tahunan,terbuka,{newer}",
        "tpt,Tingkat Pengangguran Terbuka (TPT),disnakertrans,tahunan,terbuka,2025",
        "rusak,Data Rusak,bappeda,tahunan,terbuka,2025-13",
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert [row for row, _ in report.errors] == [5]
    assert "periode_terakhir '2025-13' tidak dikenali" in report.errors[0][1]
    assert report.new_opds == []
    assert snapshot(demo_db) == state


async def test_a_dry_run_checks_without_changing_anything(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    state = snapshot(demo_db)
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "pad,Pendapatan Asli Daerah,Badan Pendapatan Daerah,tahunan,terbuka,2025",
    )

    report = await import_datasets(uow_factory, path, LATER, dry_run=True)

    assert report.ok
    assert snapshot(demo_db) == state


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_row_numbers_match_the_spreadsheet_after_a_blank_row(
    uow_factory: UnitOfWorkFactory, tmp_path: Path, kind: str
) -> None:
    rows = [
        DATASET_HEADER.split(","),
        ["baik", "Data Benar", "bappeda", "tahunan", "terbuka", "2025"],
        ["", "", "", "", "", ""],  # row 3 left empty
        ["tanpa_judul", "", "bappeda", "tahunan", "terbuka", "2025"],  # row 4
    ]
    if kind == "csv":
        path = write(tmp_path, "daftar.csv", *(",".join(row) for row in rows))
    else:
        path = write_xlsx(tmp_path, "daftar.xlsx", [[c or None for c in row] for row in rows])

    report = await import_datasets(uow_factory, path, LATER)

    assert [row for row, _ in report.errors] == [4]


# --- files that cannot be read at all --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "daftar.csv",
            b"kode,judul,opd\nx,y,bappeda\n",
            "kolom wajib tidak ada: periodisitas, klasifikasi, periode_terakhir "
            "(kolom yang ada: kode, judul, opd)",
        ),
        ("kosong.csv", b"", "file kosong: baris pertama harus berisi judul kolom"),
        ("bom.csv", "\ufeff\r\n".encode(), "file kosong"),
        ("daftar.ods", b"PK\x03\x04", "format .ods tidak didukung; gunakan .csv atau .xlsx"),
        ("daftar", b"kode,judul\n", "format (tanpa ekstensi) tidak didukung"),
        ("rusak.xlsx", b"PK\x03\x04 bukan spreadsheet", "berkas XLSX rusak"),
    ],
)
async def test_unreadable_files_raise_a_readable_error(
    uow_factory: UnitOfWorkFactory,
    demo_db: Path,
    tmp_path: Path,
    name: str,
    content: bytes,
    reason: str,
) -> None:
    state = snapshot(demo_db)
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as raised:
        await import_datasets(uow_factory, path, LATER)

    assert reason in str(raised.value)
    assert "\n" not in str(raised.value) and "Traceback" not in str(raised.value)
    assert snapshot(demo_db) == state


async def test_a_missing_file_is_named(uow_factory: UnitOfWorkFactory, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"tidak ditemukan"):
        await import_datasets(uow_factory, tmp_path / "tidak-ada.csv", LATER)


async def test_a_corrupt_xlsx_of_people_is_refused_too(
    uow_factory: UnitOfWorkFactory, tmp_path: Path
) -> None:
    path = tmp_path / "pengguna.xlsx"
    path.write_bytes(b"\x00\x01 not a workbook")

    with pytest.raises(ImportFileError, match=r"XLSX rusak.*simpan sebagai .xlsx"):
        await import_people(uow_factory, path, LATER)


async def test_people_file_without_telegram_column_is_refused(
    uow_factory: UnitOfWorkFactory, tmp_path: Path
) -> None:
    path = write(tmp_path, "pengguna.csv", "nama,peran,opd", "Budi,produsen,dindik")

    with pytest.raises(ImportFileError, match=r"kolom wajib tidak ada: telegram_id"):
        await import_people(uow_factory, path, LATER)


# --- people --------------------------------------------------------------------------------


async def test_people_are_created_with_their_roles_and_opd(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "pengguna.csv",
        PEOPLE_HEADER,
        "Budi Santoso,produsen,dindik,6001",
        'Rina Marlina,"Kepala OPD, produsen",Dinas Sosial,6002',
        "Dewi Lestari,walidata,,6003",
        "Agus Setiawan,produsen,bappeda,",  # already registered, nothing new
    )

    report = await import_people(uow_factory, path, LATER)

    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (3, 0, 1)
    assert person(demo_db, "Budi Santoso") == ({"produsen"}, "dindik", 6001)
    assert person(demo_db, "Rina Marlina") == ({"kepala_opd", "produsen"}, "dinsos", 6002)
    assert person(demo_db, "Dewi Lestari") == ({"walidata"}, None, 6003)
    assert person(demo_db, "Agus Setiawan") == ({"produsen"}, "bappeda", None)


async def test_reimporting_people_updates_their_roles_and_telegram_ids(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "pengguna.csv",
        PEOPLE_HEADER,
        'Agus Setiawan,"produsen, kepala_opd",bappeda,5001',
        "Wahyu Hidayat,kepala_opd,bappeda,",
    )

    report = await import_people(uow_factory, path, LATER)
    again = await import_people(uow_factory, path, LATER)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert person(demo_db, "Agus Setiawan") == ({"produsen", "kepala_opd"}, "bappeda", 5001)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    narrower = write(tmp_path, "lagi.csv", PEOPLE_HEADER, "Agus Setiawan,produsen,bappeda,5001")
    report = await import_people(uow_factory, narrower, LATER)
    assert report.updated == 1
    assert person(demo_db, "Agus Setiawan") == ({"produsen"}, "bappeda", 5001)


async def test_people_from_a_semicolon_file_and_from_xlsx(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    semicolons = tmp_path / "pengguna.csv"
    semicolons.write_bytes(
        "\ufeffNama;Peran;OPD;Telegram ID\r\n"
        "Rina Marlina;kepala_opd,produsen;dinsos;6002\r\n".encode()
    )
    workbook = write_xlsx(
        tmp_path,
        "pengguna.xlsx",
        [
            ["Nama", "Peran", "OPD", "Telegram ID"],
            ["Budi Santoso", "produsen", "Dinas Pendidikan", 6123456789],
            ["Sri Wahyuni", "pimpinan", None, 6001.0],
        ],
    )

    first = await import_people(uow_factory, semicolons, LATER)
    second = await import_people(uow_factory, workbook, LATER)

    assert (first.ok, first.created) == (True, 1)
    assert (second.ok, second.created, second.updated) == (True, 1, 1)
    assert person(demo_db, "Rina Marlina") == ({"kepala_opd", "produsen"}, "dinsos", 6002)
    assert person(demo_db, "Budi Santoso") == ({"produsen"}, "dindik", 6123456789)
    assert person(demo_db, "Sri Wahyuni") == ({"pimpinan"}, None, 6001)


def language(database: Path, name: str) -> str | None:
    ((chosen,),) = sql(database, "SELECT language FROM people WHERE name = ?", name)
    return chosen


async def test_a_language_is_stored_only_where_the_file_gives_one(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    without = write(tmp_path, "pengguna.csv", PEOPLE_HEADER, "Budi Santoso,produsen,dindik,6001")
    with_column = write(
        tmp_path,
        "bahasa.csv",
        PEOPLE_HEADER + ",bahasa",
        "Rina Marlina,produsen,dinsos,6002,en",
        "Dewi Lestari,walidata,,6003,Bahasa Indonesia",
        "Citra Dewi,produsen,dinkes,6004,",
        "Agus Setiawan,produsen,bappeda,,English",  # already registered, in Indonesian
        "Budi Santoso,produsen,dindik,6001,",  # an empty cell keeps what he has
    )

    first = await import_people(uow_factory, without, LATER)
    second = await import_people(uow_factory, with_column, LATER)

    assert first.ok and second.ok, (first.errors, second.errors)
    assert (second.created, second.updated, second.unchanged) == (3, 1, 1)
    assert language(demo_db, "Budi Santoso") is None
    assert language(demo_db, "Rina Marlina") == "en"
    assert language(demo_db, "Dewi Lestari") == "id"
    assert language(demo_db, "Citra Dewi") is None
    assert language(demo_db, "Agus Setiawan") == "en"


async def test_an_unknown_language_is_reported_by_row_and_changes_nothing(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    state = snapshot(demo_db)
    path = write(
        tmp_path, "pengguna.csv", PEOPLE_HEADER + ",bahasa", "Budi Santoso,produsen,dindik,6001,fr"
    )

    report = await import_people(uow_factory, path, LATER)

    assert report.errors == [(2, "bahasa 'fr' tidak dikenal; gunakan id atau en")]
    assert snapshot(demo_db) == state


async def test_people_errors_are_reported_by_row_and_change_nothing(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    state = snapshot(demo_db)
    path = write(
        tmp_path,
        "pengguna.csv",
        PEOPLE_HEADER,  # row 1
        "Budi Santoso,produsen,,6001",
        "Citra Dewi,kepala_opd,,6002",
        "Dodi Saputra,produsen,dinkes,@dodi",
        "Eka Putri,produsen,dinkes,7001",  # row 5
        "Fajar Nugroho,produsen,dinkes,7001",
        "Gita Sari,admin,dinkes,7002",
        "Hadi Wijaya,produsen,Dinas Kesehatn,7003",
        ",produsen,dinkes,7004",
        "Indah Permata,walidata,,7005",  # row 10: fine on its own
    )

    report = await import_people(uow_factory, path, LATER)

    errors = errors_by_row(report)
    expected = {
        2: "peran kepala_opd dan produsen wajib disertai opd",
        3: "peran kepala_opd dan produsen wajib disertai opd",
        4: "telegram_id '@dodi' harus berupa angka",
        6: "telegram_id '7001' sudah ada di baris 5",
        7: "peran 'admin' tidak dikenal; gunakan: walidata, pimpinan, kepala_opd, produsen",
        8: "OPD 'Dinas Kesehatn' tidak dikenal; maksud Anda 'Dinas Kesehatan'?",
        9: "nama wajib diisi",
    }
    assert set(errors) == set(expected), report.errors
    for row, reason in expected.items():
        assert len(errors[row]) == 1 and reason in errors[row][0], (row, errors[row])
    assert snapshot(demo_db) == state


# --- the command line ------------------------------------------------------------------------


def test_cli_import_prints_a_summary(demo_db: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "pad,Pendapatan Asli Daerah,Badan Pendapatan Daerah,tahunan,terbuka,2025",
        "tpt,Tingkat Pengangguran Terbuka (TPT),disnakertrans,tahunan,terbuka,2025",
    )

    result = satudata("import", "daftar-data", str(path), cwd=tmp_path, database=demo_db)

    assert result.returncode == 0, result.stderr
    assert "Impor selesai: 1 baru, 0 diperbarui, 1 tetap." in result.stdout
    assert "OPD baru: Badan Pendapatan Daerah" in result.stdout
    assert dataset(demo_db, "pad") is not None


def test_cli_import_with_errors_exits_1_and_lists_the_rows(demo_db: Path, tmp_path: Path) -> None:
    state = snapshot(demo_db)
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "pad,Pendapatan Asli Daerah,Badan Pendapatan Daerah,tahunan,terbuka,2025",
        "rahasia,Data Rahasia,bappeda,tahunan,rahasia,2025",
        "salah_opd,OPD Salah Ketik,Bapeda,tahunan,terbuka,2025",
    )

    result = satudata("import", "daftar-data", str(path), cwd=tmp_path, database=demo_db)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Impor dibatalkan: 2 kesalahan, tidak ada yang diubah."
    assert lines[1].startswith("  baris 3: klasifikasi 'rahasia' tidak dikenal")
    assert lines[2] == "  baris 4: OPD 'Bapeda' tidak dikenal; maksud Anda 'Bappeda'?"
    assert snapshot(demo_db) == state


def test_cli_dry_run_changes_nothing(demo_db: Path, tmp_path: Path) -> None:
    state = snapshot(demo_db)
    path = write(tmp_path, "pengguna.csv", PEOPLE_HEADER, "Budi Santoso,produsen,dindik,6001")

    result = satudata("import", "pengguna", str(path), "--dry-run", cwd=tmp_path, database=demo_db)

    assert result.returncode == 0, result.stderr
    assert "tidak ada kesalahan (tidak ada yang diubah)" in result.stdout
    assert snapshot(demo_db) == state


def test_cli_unreadable_file_exits_2_with_one_line(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "daftar.ods"
    path.write_bytes(b"PK\x03\x04")

    result = satudata("import", "daftar-data", str(path), cwd=tmp_path, database=demo_db)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "satudata: format .ods tidak didukung; gunakan .csv atau .xlsx"
    ]


async def test_compliance_counts_an_opd_an_import_added_while_the_bot_runs(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    """The running bot's catalog was loaded before the import; /kepatuhan reads the registry."""
    runtime = await build_runtime(settings_for(demo_db), NOW)
    try:
        path = write(
            tmp_path,
            "daftar.csv",
            DATASET_HEADER,
            "kunjungan_wisata,Kunjungan Wisatawan,Dinas Pariwisata,tahunan,terbuka,2015",
        )
        report = await import_datasets(uow_factory, path, LATER)
        assert report.ok and report.new_opds == ["Dinas Pariwisata"], report

        walidata = await person_named(runtime, "Andi Prasetyo")
        incoming = Incoming(1, None, text="/kepatuhan", person_id=walidata.id)
        (reply,) = await runtime.dispatcher.handle(incoming, LATER)
    finally:
        await runtime.close()

    assert reply.data is not None, reply.text
    opds = {opd["opd"]: opd for opd in reply.data["opds"]}
    assert opds["Dinas Pariwisata"] == {"opd": "Dinas Pariwisata", "percent": 0.0, "overdue": 1}


async def test_a_code_in_capitals_is_the_dataset_already_registered(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    before = dataset(demo_db, "tpt")
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "TPT,Tingkat Pengangguran Terbuka (TPT),disnakertrans,tahunan,terbatas,2025",
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert report.ok and (report.created, report.updated) == (0, 1), report
    assert sql(demo_db, "SELECT code FROM datasets WHERE lower(code) = 'tpt'") == [("tpt",)]
    assert before is not None and dataset(demo_db, "tpt") == before | {"classification": "terbatas"}


async def test_a_windows_1252_csv_keeps_its_quotes_and_dashes(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    """Older Excel in Indonesia saves CSV in Windows-1252: ’ and – are not control characters."""
    path = write(
        tmp_path,
        "daftar.csv",
        DATASET_HEADER,
        "kopi,Produksi Kopi ‘Robusta’ – Rakyat,disnakertrans,tahunan,terbuka,2025",
        encoding="cp1252",
    )

    report = await import_datasets(uow_factory, path, LATER)

    assert report.ok, report.errors
    found = dataset(demo_db, "kopi")
    assert found is not None and found["title"] == "Produksi Kopi ‘Robusta’ – Rakyat"


async def test_a_sheet_formatted_far_past_its_table_is_refused_by_its_limits(
    uow_factory: UnitOfWorkFactory, tmp_path: Path
) -> None:
    """A stray value in a far column (or a row past the limit) stops the read; the walidata is
    told which limit, and nothing is imported."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(DATASET_HEADER.split(","))
    sheet.append(["kopi", "Produksi Kopi", "disnakertrans", "tahunan", "terbuka", "2025"])
    sheet["XFD2"] = "x"  # the last column Excel has
    path = tmp_path / "daftar.xlsx"
    workbook.save(path)

    with pytest.raises(ImportFileError, match="batas kolom"):
        await import_datasets(uow_factory, path, LATER)


async def test_a_list_longer_than_the_limit_is_refused_before_anything_changes(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    rows = [f"d{n},Dataset {n},disnakertrans,tahunan,terbuka,2025" for n in range(MAX_ROWS + 1)]
    path = write(tmp_path, "daftar.csv", DATASET_HEADER, *rows)
    before = snapshot(demo_db)

    with pytest.raises(ImportFileError, match="terlalu banyak baris"):
        await import_datasets(uow_factory, path, LATER)

    assert snapshot(demo_db) == before
