"""Reminder tick cost on a large registry: 100,000 datasets of which about 1 % are actionable.

Run by hand: `.venv/bin/python benchmarks/reminder_tick.py`. Builds a SQLite registry under
`var/bench/` (60 OPDs, their liaisons and heads, monthly datasets with varied due days), then
times a tick that finds and enqueues the actionable 1 %, and a second tick with nothing due.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.engine import ReminderSettings  # noqa: E402
from reminders.tick import run_tick  # noqa: E402
from storage import db  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=WIB).astimezone(UTC)  # a Tuesday, 09:00 WIB
OPDS = 60


async def build(path: Path, datasets: int, actionable: float) -> None:
    """`path` must not exist yet."""
    engine = db.create_engine(f"sqlite:///{path}")
    await db.upgrade(engine)
    await engine.dispose()
    rng = random.Random(3)
    created = NOW.replace(tzinfo=None)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO opds (id, code, name, short_name) VALUES (?, ?, ?, ?)",
            [(i, f"opd-{i}", f"Dinas Contoh {i}", f"Dinas {i}") for i in range(1, OPDS + 1)],
        )
        people = []
        for opd in range(1, OPDS + 1):
            people += [(f"Penghubung {opd}", opd, "produsen"), (f"Kepala {opd}", opd, "kepala_opd")]
        people += [("Walidata", None, "walidata"), ("Sekda", None, "pimpinan")]
        for number, (name, opd, role) in enumerate(people, start=1):
            conn.execute(
                "INSERT INTO people (id, name, telegram_user_id, language, opd_id, active,"
                " created_at) VALUES (?, ?, ?, 'id', ?, 1, ?)",
                (number, name, 500_000 + number, opd, created),
            )
            conn.execute("INSERT INTO person_roles VALUES (?, ?)", (number, role))
        rows = []
        for i in range(datasets):
            due_soon = rng.random() < actionable
            # Actionable ones are looked at now; the rest not before their next step.
            next_action = created if due_soon else created + timedelta(days=rng.randint(1, 30))
            rows.append(
                (
                    f"ds-{i:06d}",
                    f"Dataset contoh {i}",
                    rng.randint(1, OPDS),
                    "bulanan",
                    "terbuka",
                    "2026-09" if due_soon else "2026-10",
                    rng.randint(1, 28),
                    next_action,
                )
            )
        conn.executemany(
            "INSERT INTO datasets (code, title, description, opd_id, periodicity,"
            " classification, unit, source, keywords, is_headline, note, latest_period,"
            " due_day, next_action_at) VALUES (?, ?, '', ?, ?, ?, '', '', '', 1, '', ?, ?, ?)",
            rows,
        )
        conn.execute("ANALYZE")


async def measure(path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{path}")
    uow = UnitOfWorkFactory(engine)
    settings = ReminderSettings(WIB)
    async with uow() as work:
        total = len(await work.reminders.scheduled())
    for label in ("tick with work due", "tick with nothing due"):
        started = time.perf_counter()
        report = await run_tick(uow, NOW, settings)
        elapsed = time.perf_counter() - started
        print(
            f"{label}: {elapsed * 1000:.0f} ms · {report.datasets_examined:,} of {total:,} "
            f"datasets examined · {report.messages} messages · {report.items:,} items"
        )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--actionable", type=float, default=0.01)
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/reminders.db")
    args = parser.parse_args()
    started = time.perf_counter()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    args.db.unlink(missing_ok=True)
    asyncio.run(build(args.db, args.datasets, args.actionable))
    print(f"built {args.datasets:,} datasets in {time.perf_counter() - started:.1f} s")
    asyncio.run(measure(args.db))


if __name__ == "__main__":
    main()
