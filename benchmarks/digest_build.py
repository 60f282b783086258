"""Weekly digest cost: 60 OPDs and 20,000 scheduled datasets, charts and spreadsheet included.

Run by hand: `.venv/bin/python benchmarks/digest_build.py`. Builds a SQLite registry under
`var/bench/` (60 OPDs with a head and a liaison each, a walidata, five officials of whom two read
English, eight weeks of earlier snapshots, datasets of every periodicity with varied lateness),
then times building every recipient's pages (the figures, two charts per language, the XLSX)
and the whole weekly run that also stores the snapshots and writes the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.calendar import WorkCalendar  # noqa: E402
from reports.digest import DigestPlace, build_digest  # noqa: E402
from reports.digest_schedule import DigestSchedule  # noqa: E402
from reports.weekly_digest import run_weekly_digest  # noqa: E402
from storage import db  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 23, 7, 30, tzinfo=WIB)  # a Monday: the digest moment
WEEK = NOW.date()
OPDS = 60
# Latest periods from current to long overdue, per periodicity.
LATEST = {
    "tahunan": ["2025", "2025", "2024", "2023"],
    "semesteran": ["2026-S1", "2025-S2", "2025-S1"],
    "triwulanan": ["2026-Q3", "2026-Q2", "2026-Q1"],
    "bulanan": ["2026-10", "2026-09", "2026-08", "2026-05"],
}


def build(path: Path, datasets: int) -> None:
    asyncio.run(_migrate(path))
    rng = random.Random(5)
    created = NOW.astimezone(UTC).replace(tzinfo=None)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO opds (id, code, name, short_name) VALUES (?, ?, ?, ?)",
            [(i, f"opd-{i}", f"Dinas Contoh Nomor {i}", f"Dinas {i}") for i in range(1, OPDS + 1)],
        )
        people = [("Walidata", None, "walidata", "id")]
        people += [(f"Pimpinan {i}", None, "pimpinan", "en" if i < 2 else "id") for i in range(5)]
        for opd in range(1, OPDS + 1):
            people += [(f"Kepala {opd}", opd, "kepala_opd", "id")]
            people += [(f"Penghubung {opd}", opd, "produsen", "id")]
        for number, (name, opd, role, language) in enumerate(people, start=1):
            conn.execute(
                "INSERT INTO people (id, name, telegram_user_id, language, opd_id, active,"
                " created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                (number, name, 700_000 + number, language, opd, created),
            )
            conn.execute("INSERT INTO person_roles VALUES (?, ?)", (number, role))
        rows = []
        for i in range(datasets):
            periodicity = rng.choice(list(LATEST))
            rows.append(
                (
                    f"ds-{i:06d}",
                    f"Dataset contoh nomor {i}",
                    rng.randint(1, OPDS),
                    periodicity,
                    rng.choice(["terbuka", "terbuka", "terbatas", "tertutup"]),
                    rng.choice(LATEST[periodicity]),
                )
            )
        conn.executemany(
            "INSERT INTO datasets (code, title, description, opd_id, periodicity,"
            " classification, unit, source, keywords, is_headline, note, latest_period)"
            " VALUES (?, ?, '', ?, ?, ?, '', '', '', 1, '', ?)",
            rows,
        )
        snapshots = []
        for weeks_ago in range(1, 9):
            week = WEEK - timedelta(weeks=weeks_ago)
            for scope in ["region", *(f"opd:opd-{i}" for i in range(1, OPDS + 1))]:
                percent = rng.uniform(20, 90)
                snapshots.append(
                    (week, scope, scope, created, 300, 200, 10, 100, 30.0, 90, percent)
                )
        conn.executemany(
            "INSERT INTO compliance_snapshots (week, scope, name, taken_at, scheduled, up_to_date,"
            " due_soon, overdue, average_days_late, worst_days_late, percent)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            snapshots,
        )
        conn.execute("ANALYZE")


async def _migrate(path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{path}")
    await db.upgrade(engine)
    await engine.dispose()


async def measure(path: Path, rounds: int) -> None:
    engine = db.create_engine(f"sqlite:///{path}")
    uow = UnitOfWorkFactory(engine)
    place = DigestPlace("Provinsi Contoh", WIB, "id")
    timings, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        async with uow() as work:
            digest = await build_digest(work, NOW, WEEK, place)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    parts = [part for delivery in digest.deliveries for part in delivery.parts]
    files = {id(p.file): p.file for p in parts if p.file is not None}
    report = digest.report
    print(
        f"registry: {report.region.scheduled:,} scheduled datasets in {len(report.opds)} OPDs; "
        f"compliance {report.region.percent:.1f} %, {report.region.overdue:,} overdue"
    )
    print(
        f"build (figures, {len(files)} files, pages for {len(digest.deliveries)} recipients): "
        + ", ".join(f"{t:.2f} s" for t in timings)
        + f" (best {min(timings):.2f} s; CPU time best {min(cpu):.2f} s)"
    )
    for file in files.values():
        print(f"  {file.kind} {file.name}: {len(file.content) / 1024:.0f} KB")
    started, started_cpu = time.perf_counter(), time.process_time()
    run = await run_weekly_digest(uow, NOW, DigestSchedule(), WorkCalendar(), place)
    print(
        f"weekly run (build + snapshots + outbox): {time.perf_counter() - started:.2f} s "
        f"(CPU {time.process_time() - started_cpu:.2f} s), "
        f"{run.outcome}, {run.messages} messages"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/digest.db")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    args.db.unlink(missing_ok=True)
    started = time.perf_counter()
    build(args.db, args.datasets)
    print(f"built {args.datasets:,} datasets in {time.perf_counter() - started:.1f} s")
    asyncio.run(measure(args.db, args.rounds))


if __name__ == "__main__":
    main()
