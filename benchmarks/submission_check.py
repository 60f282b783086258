"""Checking a liaison's file: a 10,000-row workbook (5,000 desa of Jawa Timur, both sexes,
four indicators) read and held against the dataset's expectations, and how long the event
loop waits meanwhile: the bot checks in a worker process; a thread is measured beside it for
comparison.

Run by hand: `.venv/bin/python benchmarks/submission_check.py`. Prints the file's size, the
check's time (median of three, after one to start the worker) and the longest gap between
event-loop ticks of 1 ms during a check, both ways.
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

from storage.submission_check import Expected, check, check_elsewhere  # noqa: E402
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
    await check_elsewhere(content, "profil.xlsx", expected)  # starts the worker
    ways = {
        "worker process": lambda: check_elsewhere(content, "profil.xlsx", expected),
        "thread": lambda: asyncio.to_thread(check, content, "profil.xlsx", expected, gazetteer),
    }
    for way, run in ways.items():
        timings, waits = [], []
        for _ in range(3):
            stop = asyncio.Event()
            ticks = asyncio.create_task(ticking(stop))
            began = time.perf_counter()
            checked = await run()
            timings.append(time.perf_counter() - began)
            stop.set()
            waits.append(await ticks)
            assert checked.ok, checked.errors[:3]
        runs = ", ".join(f"{t:.2f}" for t in timings)
        print(
            f"{way}: check median {statistics.median(timings):.2f} s (runs {runs}); "
            f"event loop's longest wait of a 1 ms tick {max(waits):.1f} ms"
        )
    print(f"values read: {checked.values:,} over {checked.regions:,} regions")


if __name__ == "__main__":
    asyncio.run(main())
