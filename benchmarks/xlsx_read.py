"""Reading a 200,000-row XLSX into a `Table`, against openpyxl's read-only mode.

Run by hand: `.venv/bin/python benchmarks/xlsx_read.py [--rows 200000]`. The workbook is
written with xlsxwriter (as Excel writes it: shared strings, one sheet) into a temporary
folder: a title row, a header, then kecamatan × jenis kelamin × kelompok umur × tahun rows
with their count, and a "Sumber" footer. Each reader runs in its own process, so each peak
RSS is its own. Prints rows/s, seconds and peak RSS for `storage.tables.files.read_path`
(layout included) and for openpyxl iterating the cell values only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = ["kode_wilayah", "kecamatan", "jenis_kelamin", "kelompok_umur", "tahun", "jumlah"]
SEXES = ("Laki-laki", "Perempuan")
AGES = [f"{a}-{a + 4}" for a in range(0, 75, 5)] + ["75+"]
YEARS = range(2000, 2025)


def make(path: Path, rows: int) -> None:
    import xlsxwriter  # a development dependency: only the benchmark writes workbooks

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Penduduk")
    sheet.merge_range(0, 0, 0, 5, "Jumlah Penduduk Menurut Kecamatan, Jenis Kelamin dan Umur")
    sheet.write_row(2, 0, HEADER)
    per_kecamatan = len(SEXES) * len(AGES) * len(YEARS)
    kecamatan = [f"Kecamatan {i + 1:03}" for i in range(-(-rows // per_kecamatan))]
    cells = itertools.product(enumerate(kecamatan), SEXES, AGES, YEARS)
    for n, ((k, name), sex, age, year) in enumerate(itertools.islice(cells, rows)):
        code = f"35.14.{k + 1:02}"
        sheet.write_row(3 + n, 0, [code, name, sex, age, year, (n * 7919) % 20_000])
    sheet.write(4 + rows, 0, "Sumber: Dinas Kependudukan dan Pencatatan Sipil")
    workbook.close()


def read_ours(path: Path) -> int:
    from storage.tables.files import read_path

    (table,) = read_path(path)
    assert table.columns == tuple(HEADER), table.columns
    return len(table.rows)


def read_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return count


def measure(reader: str, path: Path) -> None:
    started = time.perf_counter()
    rows = {"ours": read_ours, "openpyxl": read_openpyxl}[reader](path)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's own peak: ru_maxrss would include the parent's, inherited at fork."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--measure", choices=("ours", "openpyxl"), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.path)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "penduduk.xlsx"
        started = time.perf_counter()
        make(path, args.rows)
        print(
            f"workbook: {args.rows:,} rows x {len(HEADER)} columns, "
            f"{path.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s"
        )
        for reader in ("ours", "openpyxl"):
            result = subprocess.run(
                [sys.executable, __file__, "--measure", reader, "--path", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(result.stdout)
            print(
                f"{reader:>9}: {figures['rows'] / figures['seconds']:>9,.0f} rows/s"
                f"  {figures['seconds']:6.2f} s  peak RSS {figures['rss_mb']:.0f} MB"
                f"  ({figures['rows']:,} rows)"
            )


if __name__ == "__main__":
    main()
