"""Checking a liaison's file: a 10,000-row workbook (5,000 desa of Jawa Timur, both sexes,
four indicators) read and held against the dataset's expectations, and how long the event
loop waits meanwhile, since the check runs in a thread beside it.

Run by hand: `.venv/bin/python benchmarks/submission_check.py`. Prints the file's size, the
check's time (median of three) and the longest gap between event-loop ticks of 1 ms during a
check.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import time
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.submission_check import Expected, check  # noqa: E402
from storage.tables.gazetteer import Gazetteer  # noqa: E402
from storage.tables.reading import TableContext  # noqa: E402

DESA = 5_000
SEXES = ("Laki-laki", "Perempuan")
INDICATORS = ("Penduduk (jiwa)", "Rumah Tangga (KK)", "Luas Wilayah (km2)", "Posyandu (unit)")
CONTEXT = TableContext("profil_desa", "Profil Desa", "tahunan", home_code="35")


def workbook(places: list[tuple[str, str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(["Kode Wilayah", "Desa/Kelurahan", "Tahun", "Jenis Kelamin", *INDICATORS])
    for number, (code, name) in enumerate(places):
        for sex in SEXES:
            sheet.append([code, name, 2025, sex, 1000 + number, 300 + number, 4.5, 2])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def ticking(stop: asyncio.Event) -> float:
    """The longest wait of a 1 ms sleep, in ms."""
    longest = 0.0
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(0.001)
        longest = max(longest, (time.perf_counter() - began) * 1000)
    return longest


async def main() -> None:
    gazetteer = Gazetteer.default()
    desa = [p for code in gazetteer.codes(4) if (p := gazetteer.place(code)) and code[:2] == "35"]
    places = [(p.code, p.name) for p in desa[:DESA]]
    content = workbook(places)
    expected = Expected(CONTEXT, "2025", {code: name for code, name in places})
    rows = len(places) * len(SEXES)
    print(f"file: {rows:,} rows × {4 + len(INDICATORS)} columns, {len(content) / 1e6:.1f} MB")
    timings = []
    for _ in range(3):
        stop = asyncio.Event()
        ticks = asyncio.create_task(ticking(stop))
        began = time.perf_counter()
        checked = await asyncio.to_thread(check, content, "profil.xlsx", expected, gazetteer)
        timings.append(time.perf_counter() - began)
        stop.set()
        longest = await ticks
        assert checked.ok, checked.errors[:3]
    print(f"values read: {checked.values:,} over {checked.regions:,} regions")
    runs = ", ".join(f"{t:.2f}" for t in timings)
    print(f"check: median {statistics.median(timings):.2f} s (runs {runs})")
    print(f"event loop meanwhile: longest wait of a 1 ms tick {longest:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
