"""`satudata import data` of a 200,000-row XLSX, end to end, in its own process.

Run by hand: `.venv/bin/python benchmarks/value_import.py [--rows 200000]
[--database-url postgresql://.../empty_db]` (default: a new SQLite file). The workbook (written
with xlsxwriter, as Excel writes it) holds the desa of Kabupaten Pasuruan from the shipped
Kemendagri list, by code and name, × jenis kelamin × kelompok umur × tahun, with a count: what
a Dispendukcapil spreadsheet looks like. A Daftar Data import registers the dataset first.
Prints the import's rows/s, wall time and peak RSS of the importing process, and the
values it reports written.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.tables.gazetteer import DATA  # noqa: E402

HOME = "35.14"  # Kabupaten Pasuruan
CODE = "penduduk_desa_umur"
HEADER = ["kode_desa", "desa", "jenis_kelamin", "kelompok_umur", "tahun", "jumlah"]
SEXES = ("Laki-laki", "Perempuan")
AGES = [f"{a}-{a + 4}" for a in range(0, 75, 5)] + ["75+"]


def desa_of_home() -> list[tuple[str, str]]:
    """(code, name) of every desa and kelurahan of the home kabupaten, from the shipped list."""
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        return [
            (row["kode"], row["nama"])
            for row in csv.DictReader(lines)
            if row["kode"].startswith(HOME + ".") and row["tingkat"] in ("desa", "kelurahan")
        ]


def make(path: Path, rows: int) -> None:
    import xlsxwriter  # a development dependency: only the benchmark writes workbooks

    desa = desa_of_home()
    years = -(-rows // (len(desa) * len(SEXES) * len(AGES)))
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Penduduk")
    sheet.write_row(0, 0, HEADER)
    cells = itertools.product(range(2024 - years + 1, 2025), desa, SEXES, AGES)
    for n, (year, (code, name), sex, age) in enumerate(itertools.islice(cells, rows)):
        sheet.write_row(1 + n, 0, [code, name, sex, age, year, 1 + (n * 7919) % 2_000])
    workbook.close()


def satudata(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        url = args.database_url or f"sqlite:///{here / 'satudata.db'}"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SATUDATA_", "CKAN_", "TELEGRAM_")) and key != "DATABASE_URL"
        }
        env |= {
            "DATABASE_URL": url,
            "SATUDATA_REGION_CODE": HOME.replace(".", ""),
            "PYTHONPATH": str(ROOT),
        }
        daftar = here / "daftar.csv"
        daftar.write_text(
            "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir\n"
            f"{CODE},Jumlah Penduduk per Desa menurut Jenis Kelamin dan Kelompok Umur,"
            "Dispendukcapil,tahunan,terbuka,\n",
            encoding="utf-8",
        )
        registered = satudata("import", "daftar-data", str(daftar), env=env, cwd=here)
        if registered.returncode != 0:
            sys.exit(registered.stdout + registered.stderr)
        workbook = here / "penduduk.xlsx"
        rows = args.rows
        make(workbook, rows)
        print(
            f"workbook: {rows:,} rows x {len(HEADER)} columns, "
            f"{workbook.stat().st_size / 1e6:.1f} MB; database {url.split(':')[0]}"
        )
        started = time.perf_counter()
        result = satudata("import", "data", str(workbook), "--dataset", CODE, env=env, cwd=here)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(result.stdout.strip() or result.stderr.strip()[-2000:])
        print(
            f"import: {rows / seconds:,.0f} rows/s  {seconds:.1f} s  "
            f"peak RSS {peak:.0f} MB (largest child process)"
        )


if __name__ == "__main__":
    main()
