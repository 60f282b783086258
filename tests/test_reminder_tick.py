"""The reminder tick on a copy of the demo registry: what it writes to the outbox, to whom, when.

Times are passed in. What should be sent is worked out here from the registry and from the
calendar (the `holidays` package), independently of the product's planner:

* the demo datasets are annual; an annual period is due on 31 March of the following year,
  a monthly one on the 15th of the following month (the Daftar Data's default rules);
* a step up to the due date moves to the nearest earlier working day, a later step to the
  nearest later one; after H+14 a weekly reminder follows every 7 days;
* H+3 goes to the head of the dataset's OPD and its liaison, H+7 to the walidata, H+14 to
  the pimpinan, everything else to the liaison.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from domain.cadence import DEFAULT_CADENCE, PlannedStep
from domain.engine import ReminderSettings
from domain.telegram_limits import TEXT_LIMIT
from reminders.tick import Item, Notice, plan_at, reminder_message, run_tick
from storage import db
from storage.fulfilment import period_arrived
from storage.importing import import_datasets, import_people
from storage.models import Person
from storage.uow import UnitOfWorkFactory
from tests.cli_runner import satudata

WIB = ZoneInfo("Asia/Jakarta")
SETTINGS = ReminderSettings(WIB)
DAYS_OFF = holidays.Indonesia(categories=("government", "public"))
WINDOW_START = time(8, 0)
DATASET_HEADER = "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir"

# The cadence: step → days from the due date.
STEP_OFFSETS = {
    "H-14": -14,
    "H-7": -7,
    "H-3": -3,
    "H-1": -1,
    "H": 0,
    "H+1": 1,
    "H+3": 3,
    "H+7": 7,
    "H+14": 14,
}
STEP_LABELS = {*STEP_OFFSETS, "weekly"}
TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)


# --- the calendar, straight from the issue ------------------------------------------------


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in DAYS_OFF


def on_or_after(day: date) -> date:
    while not working(day):
        day += timedelta(days=1)
    return day


def on_or_before(day: date) -> date:
    while not working(day):
        day -= timedelta(days=1)
    return day


def step_day(due: date, offset: int) -> date:
    nominal = due + timedelta(days=offset)
    return on_or_before(nominal) if offset <= 0 else on_or_after(nominal)


def weekly_day(due: date, number: int) -> date:
    return on_or_after(due + timedelta(days=14 + 7 * number))


def current_weekly(due: date, today: date) -> int:
    """The newest weekly reminder whose day has come (the data is at least three weeks late)."""
    assert weekly_day(due, 1) <= today, "only for data more than three weeks late"
    number = 1
    while weekly_day(due, number + 1) <= today:
        number += 1
    return number


def annual_due(period: int) -> date:
    return date(period + 1, 3, 31)


def monthly_due(period: str) -> date:
    year, month = (int(part) for part in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, 15)


def next_month(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year}-{month:02d}"


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), WIB)


def days(first: date, last: date) -> Iterator[date]:
    while first <= last:
        yield first
        first += timedelta(days=1)


# --- the registry, read and changed with plain SQL ----------------------------------------


def sql(database: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute(query, params).fetchall()
    connection.close()
    return rows


def local(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC).astimezone(WIB)


def dataset_id(database: Path, code: str) -> int:
    return sql(database, "SELECT id FROM datasets WHERE code = ?", code)[0][0]


def people_with(database: Path, role: str, opd_code: str | None = None) -> set[str]:
    query = (
        "SELECT p.name FROM people p JOIN person_roles r ON r.person_id = p.id "
        "LEFT JOIN opds o ON o.id = p.opd_id WHERE r.role = ? AND p.active"
    )
    if opd_code is None:
        return {name for (name,) in sql(database, query, role)}
    return {name for (name,) in sql(database, query + " AND o.code = ?", role, opd_code)}


def give_telegram_ids(database: Path) -> dict[str, int]:
    """Every demo person gets a Telegram account, so their messages are deliverable."""
    ids = {}
    for person_id, name in sql(database, "SELECT id, name FROM people ORDER BY id"):
        ids[name] = 900_000 + person_id
        sql(database, "UPDATE people SET telegram_user_id = ? WHERE id = ?", ids[name], person_id)
    return ids


def outbox(database: Path) -> list[dict[str, Any]]:
    rows = sql(
        database,
        "SELECT o.id, o.kind, p.name, o.chat_id, o.text, o.buttons, o.status, o.created_at "
        "FROM outbox o LEFT JOIN people p ON p.id = o.person_id ORDER BY o.id",
    )
    keys = ("id", "kind", "person", "chat_id", "text", "buttons", "status", "created_at")
    messages = [dict(zip(keys, row, strict=True)) for row in rows]
    for message in messages:
        message["buttons"] = json.loads(message["buttons"])
    return messages


def written(database: Path) -> dict[int, tuple[str, frozenset[tuple[str, str, str]]]]:
    """Reminder rows in the outbox: id → (recipient, {(dataset, period, step key)})."""
    rows = sql(
        database,
        "SELECT s.outbox_id, p.name, d.code, s.period, s.step FROM reminder_sends s "
        "JOIN people p ON p.id = s.person_id JOIN datasets d ON d.id = s.dataset_id",
    )
    items: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
    names = {}
    for outbox_id, name, code, period, step in rows:
        items[outbox_id].add((code, period, step))
        names[outbox_id] = name
    return {key: (names[key], frozenset(value)) for key, value in items.items()}


def planned(notices: list[Notice]) -> set[tuple[str, frozenset[tuple[str, str, str]]]]:
    return {
        (n.person.name, frozenset((i.code, i.period, i.step.key) for i in n.items)) for n in notices
    }


def sends_for(database: Path, code: str) -> set[tuple[date, str, str]]:
    """(day written, recipient, step) of every reminder about one dataset."""
    rows = sql(
        database,
        "SELECT o.created_at, p.name, s.step FROM reminder_sends s "
        "JOIN outbox o ON o.id = s.outbox_id JOIN people p ON p.id = s.person_id "
        "JOIN datasets d ON d.id = s.dataset_id WHERE d.code = ?",
        code,
    )
    return {(local(stamp).date(), name, step) for stamp, name, step in rows}


def overdue_demo_datasets(database: Path, today: date) -> dict[str, tuple[str, str, date]]:
    """Annual datasets whose owed period is past due: code → (opd code, period, due date)."""
    rows = sql(
        database,
        "SELECT d.code, o.code, d.latest_period FROM datasets d JOIN opds o ON o.id = d.opd_id "
        "WHERE d.periodicity = 'tahunan'",
    )
    overdue = {}
    for code, opd, latest in rows:
        owed = int(latest) + 1
        if annual_due(owed) < today:
            overdue[code] = (opd, str(owed), annual_due(owed))
    return overdue


def expected_weekly_notices(
    database: Path, today: date
) -> set[tuple[str, frozenset[tuple[str, str, str]]]]:
    """The first tick over data weeks late: every overdue dataset at its current weekly
    reminder, to its OPD's liaison and, because no escalation was ever sent, to everyone the
    escalations go to (kepala OPD, walidata, pimpinan), each told once."""
    per_person: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    region_wide = people_with(database, "walidata") | people_with(database, "pimpinan")
    for code, (opd, period, due) in overdue_demo_datasets(database, today).items():
        agency = people_with(database, "produsen", opd) | people_with(database, "kepala_opd", opd)
        for name in agency | region_wide:
            per_person[name].add((code, period, f"weekly-{current_weekly(due, today)}"))
    return {(name, frozenset(items)) for name, items in per_person.items()}


def write_daftar(tmp_path: Path, *rows: str, name: str = "daftar.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join((DATASET_HEADER, *rows)) + "\n", encoding="utf-8")
    return path


@pytest.fixture
async def uow_factory(demo_db: Path) -> AsyncIterator[UnitOfWorkFactory]:
    engine = db.create_engine(f"sqlite:///{demo_db}")
    yield UnitOfWorkFactory(engine)
    await engine.dispose()


async def import_ok(factory: UnitOfWorkFactory, path: Path, now: datetime) -> None:
    report = await import_datasets(factory, path, now)
    assert report.ok, report.errors


# --- plan and tick agree ------------------------------------------------------------------


async def test_the_plan_lists_exactly_what_the_tick_then_writes(
    uow_factory: UnitOfWorkFactory, demo_db: Path
) -> None:
    expected = expected_weekly_notices(demo_db, TUESDAY.date())
    liaisons = {"Agus Setiawan", "Siti Rahmawati", "Nur Aini"}
    assert liaisons < {name for name, _ in expected}

    plan = planned(await plan_at(uow_factory, TUESDAY, SETTINGS))
    report = await run_tick(uow_factory, TUESDAY, SETTINGS)

    assert plan == expected
    assert set(written(demo_db).values()) == plan
    assert report.messages == len(plan) == len(outbox(demo_db))
    assert report.items == sum(len(items) for _, items in plan)


async def test_plan_and_tick_agree_at_every_moment_of_two_months_with_an_import_between(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    """Every six hours for nine weeks, across weekends, holidays and every step of a new
    weekly dataset imported (as by another process) in the middle, already overdue: what the
    plan lists at a moment is exactly what the tick at that moment writes."""
    latest = "2026-09"
    due = monthly_due(next_month(latest))
    start = at(step_day(due, -30), 3)
    daftar = write_daftar(
        tmp_path, "naker_loker,Lowongan Kerja Terdaftar,disnakertrans,mingguan,terbuka,2026-W30"
    )
    imported = False
    moments = [start + timedelta(hours=6 * n) for n in range(9 * 7 * 4)]
    for moment in moments:
        if not imported and moment >= start + timedelta(days=20):
            # Stamped two days on: `--at` moments before an import's own time come first.
            await import_ok(uow_factory, daftar, moment + timedelta(days=2))
            imported = True
        plan = planned(await plan_at(uow_factory, moment, SETTINGS))
        before = set(written(demo_db))
        await run_tick(uow_factory, moment, SETTINGS)
        new = {v for k, v in written(demo_db).items() if k not in before}
        assert new == plan, moment
    assert {code for _, items in written(demo_db).values() for code, _, _ in items} >= {
        "naker_loker"
    }


async def test_a_second_tick_at_the_same_moment_writes_nothing(
    uow_factory: UnitOfWorkFactory, demo_db: Path
) -> None:
    first = await run_tick(uow_factory, TUESDAY, SETTINGS)
    rows = outbox(demo_db)

    again = await run_tick(uow_factory, TUESDAY, SETTINGS)
    later_that_day = await run_tick(uow_factory, TUESDAY.replace(hour=13), SETTINGS)

    assert first.messages == len(expected_weekly_notices(demo_db, TUESDAY.date()))
    assert (again.messages, later_that_day.messages) == (0, 0)
    assert outbox(demo_db) == rows
    assert await plan_at(uow_factory, TUESDAY, SETTINGS) == []
    assert await plan_at(uow_factory, TUESDAY.replace(hour=13), SETTINGS) == []


async def test_a_liaison_added_between_ticks_is_told_as_the_plan_says(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    await run_tick(uow_factory, TUESDAY, SETTINGS)
    people = tmp_path / "pengguna.csv"
    people.write_text("nama,peran,opd,telegram_id\nBudi Santoso,produsen,dindik,5555\n")
    report = await import_people(uow_factory, people, TUESDAY.replace(hour=10))
    assert report.created == 1
    moment = TUESDAY.replace(hour=11)

    # This week's step already went to Dindik's head, the walidata and the pimpinan; the new
    # liaison is told at the next one, as the plan says.
    assert await plan_at(uow_factory, moment, SETTINGS) == []
    today = TUESDAY.date()
    dindik = [
        due for opd, _, due in overdue_demo_datasets(demo_db, today).values() if opd == "dindik"
    ]
    next_step = at(min(weekly_day(due, current_weekly(due, today) + 1) for due in dindik), 9)
    plan = planned(await plan_at(uow_factory, next_step, SETTINGS))
    before = set(written(demo_db).values())
    await run_tick(uow_factory, next_step, SETTINGS)

    assert "Budi Santoso" in {name for name, _ in plan}  # Dindik's data is overdue
    assert set(written(demo_db).values()) - before == plan


async def test_one_message_per_recipient_lists_all_their_datasets(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    latest = "2026-10"
    due = monthly_due(next_month(latest))
    moment = at(step_day(due, -14))  # H-14 of three new monthly datasets of Disnakertrans
    daftar = write_daftar(
        tmp_path,
        f"naker_loker,Lowongan Kerja Terdaftar,disnakertrans,bulanan,terbuka,{latest}",
        f"naker_pencari,Pencari Kerja Terdaftar,disnakertrans,bulanan,terbuka,{latest}",
        f"naker_phk,Pemutusan Hubungan Kerja,disnakertrans,bulanan,terbuka,{latest}",
    )
    await import_ok(uow_factory, daftar, moment - timedelta(days=1))

    await run_tick(uow_factory, moment, SETTINGS)

    rows = outbox(demo_db)
    recipients = [row["person"] for row in rows]
    assert len(recipients) == len(set(recipients)), recipients  # never two rows for one person
    (nur,) = [row for row in rows if row["person"] == "Nur Aini"]
    codes = {code for code, _, _ in written(demo_db)[nur["id"]][1]}
    assert codes == {"tpak", "naker_loker", "naker_pencari", "naker_phk"}  # TPAK is overdue
    for title in ("Lowongan Kerja Terdaftar", "Pencari Kerja Terdaftar", "Pemutusan Hubungan"):
        assert title in nur["text"]
    done = {b["data"] for row in nur["buttons"] for b in row if b["data"].startswith("r:done:")}
    assert len(done) == 4


# --- who is told at each step -------------------------------------------------------------


async def test_each_step_reaches_its_audience_on_its_working_day(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    latest = "2026-08"
    owed = next_month(latest)
    due = monthly_due(owed)
    steps = {name: step_day(due, offset) for name, offset in STEP_OFFSETS.items()}
    weekly = {f"weekly-{n}": weekly_day(due, n) for n in (1, 2, 3)}
    assert len(set(steps.values())) == len(steps), "the chosen due date makes steps collide"
    # The chosen days: H+3 falls on a Sunday and moves to Monday.
    assert due + timedelta(days=3) != steps["H+3"] == on_or_after(due + timedelta(days=3))
    await import_ok(
        uow_factory,
        write_daftar(
            tmp_path, f"ihk_bulanan,Indeks Harga Konsumen,bappeda,bulanan,terbuka,{latest}"
        ),
        at(steps["H-14"] - timedelta(days=5), 10),
    )
    first, last = steps["H-14"] - timedelta(days=2), weekly["weekly-3"] + timedelta(days=1)
    # The demo datasets are next looked at after this walk: only the new dataset is chased.
    assert last < date(2026, 11, 22)

    for day in days(first, last):
        await run_tick(uow_factory, at(day), SETTINGS)

    liaison = people_with(demo_db, "produsen", "bappeda")
    head = people_with(demo_db, "kepala_opd", "bappeda")
    assert (liaison, head) == ({"Agus Setiawan"}, {"Wahyu Hidayat"})
    audience = {
        "H+3": liaison | head,
        "H+7": people_with(demo_db, "walidata"),
        "H+14": people_with(demo_db, "pimpinan"),
    }
    assert audience["H+7"] == {"Andi Prasetyo"} and audience["H+14"] == {"Sri Wahyuni"}
    expected = {
        (day, name, step)
        for step, day in (steps | weekly).items()
        for name in audience.get(step, liaison)
    }
    assert sends_for(demo_db, "ihk_bulanan") == expected
    # Retno heads another OPD: she hears nothing about Bappeda's data.
    assert "Retno Kusumawati" not in {name for _, name, _ in expected}


async def test_escalations_read_as_escalations_and_carry_no_liaison_buttons(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    latest = "2026-08"
    due = monthly_due(next_month(latest))
    await import_ok(
        uow_factory,
        write_daftar(
            tmp_path, f"ihk_bulanan,Indeks Harga Konsumen,bappeda,bulanan,terbuka,{latest}"
        ),
        at(due - timedelta(days=20)),
    )

    await run_tick(uow_factory, at(step_day(due, 3)), SETTINGS)

    rows = {row["person"]: row for row in outbox(demo_db)}
    assert set(rows) == {"Agus Setiawan", "Wahyu Hidayat"}
    head, liaison = rows["Wahyu Hidayat"], rows["Agus Setiawan"]
    assert "Eskalasi keterlambatan data" in head["text"]
    assert "Indeks Harga Konsumen" in head["text"]
    assert "Badan Perencanaan Pembangunan Daerah" in head["text"]
    assert "Mohon dorong penghubung data OPD Anda" in head["text"]
    assert head["buttons"] == []
    assert "Eskalasi" not in liaison["text"]
    days_late = (step_day(due, 3) - due).days
    assert f"terlambat {days_late} hari" in liaison["text"]
    assert liaison["buttons"]


# --- working days and hours ---------------------------------------------------------------


async def test_nothing_is_written_at_the_weekend_and_monday_opening_sends_the_current_step(
    uow_factory: UnitOfWorkFactory, demo_db: Path
) -> None:
    saturday = date(2026, 11, 28)
    monday = saturday + timedelta(days=2)
    assert saturday.weekday() == 5 and working(monday)

    for moment in (at(saturday), at(saturday, 14), at(saturday + timedelta(days=1), 10)):
        assert await plan_at(uow_factory, moment, SETTINGS) == []
        assert (await run_tick(uow_factory, moment, SETTINGS)).messages == 0
    assert (await run_tick(uow_factory, at(monday, 7, 59), SETTINGS)).messages == 0
    assert outbox(demo_db) == []

    report = await run_tick(uow_factory, at(monday, 8, 0), SETTINGS)

    expected = expected_weekly_notices(demo_db, monday)
    assert report.messages == len(expected)
    assert set(written(demo_db).values()) == expected


async def test_a_tick_after_the_window_waits_for_the_next_mornings_opening(
    uow_factory: UnitOfWorkFactory, demo_db: Path
) -> None:
    afternoon = TUESDAY.replace(hour=16)

    assert await plan_at(uow_factory, afternoon, SETTINGS) == []
    assert (await run_tick(uow_factory, afternoon, SETTINGS)).messages == 0
    assert outbox(demo_db) == []

    wednesday = TUESDAY.date() + timedelta(days=1)
    await run_tick(uow_factory, at(wednesday, 8), SETTINGS)

    assert set(written(demo_db).values()) == expected_weekly_notices(demo_db, wednesday)


async def test_a_step_falling_on_christmas_leave_is_sent_on_the_next_working_day(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    # Period 2026-11 due on 22 December (hari_jatuh_tempo): H+3 lands on Christmas Day.
    path = tmp_path / "daftar.csv"
    path.write_text(
        DATASET_HEADER + ",bulan_jatuh_tempo,hari_jatuh_tempo\n"
        "ihk_bulanan,Indeks Harga Konsumen,bappeda,bulanan,terbuka,2026-10,1,22\n"
    )
    due = date(2026, 12, 22)
    nominal = due + timedelta(days=3)
    assert nominal in DAYS_OFF and nominal.weekday() < 5
    h3 = step_day(due, 3)
    others = {step_day(due, offset) for name, offset in STEP_OFFSETS.items() if name != "H+3"}
    assert h3 not in others, "H+3 must not share its day with another step"
    holidays_before = [d for d in days(nominal, h3 - timedelta(days=1)) if d.weekday() < 5]
    assert holidays_before and all(d in DAYS_OFF for d in holidays_before)
    await import_ok(uow_factory, path, at(due - timedelta(days=3)))
    for day in days(due - timedelta(days=2), nominal - timedelta(days=1)):
        await run_tick(uow_factory, at(day), SETTINGS)
    rows = outbox(demo_db)

    for day in days(nominal, h3 - timedelta(days=1)):
        for hour in (8, 9, 14):
            assert await plan_at(uow_factory, at(day, hour), SETTINGS) == []
            assert (await run_tick(uow_factory, at(day, hour), SETTINGS)).messages == 0
    assert outbox(demo_db) == rows

    await run_tick(uow_factory, at(h3, 8), SETTINGS)

    new = {(d, name, step) for d, name, step in sends_for(demo_db, "ihk_bulanan") if d == h3}
    assert new == {(h3, "Agus Setiawan", "H+3"), (h3, "Wahyu Hidayat", "H+3")}


# --- only what is due is looked at --------------------------------------------------------


async def test_next_action_times_keep_the_tick_to_the_work_that_is_due(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    many = [f"sosial_{n:03d},Data Sosial {n},dinsos,tahunan,terbuka,2025" for n in range(200)]
    await import_ok(uow_factory, write_daftar(tmp_path, *many), TUESDAY - timedelta(days=1))
    total = sql(demo_db, "SELECT count(*) FROM datasets")[0][0]

    first = await run_tick(uow_factory, TUESDAY, SETTINGS)

    assert first.datasets_examined == total
    today = TUESDAY.date()
    overdue = overdue_demo_datasets(demo_db, today)
    for code, stamp in sql(demo_db, "SELECT code, next_action_at FROM datasets"):
        assert stamp is not None, code
        if code in overdue:
            _, _, due = overdue[code]
            expected = at(weekly_day(due, current_weekly(due, today) + 1), 8)
        else:  # nothing is owed before the next period's H-14
            latest = sql(demo_db, "SELECT latest_period FROM datasets WHERE code = ?", code)[0][0]
            expected = at(step_day(annual_due(int(latest) + 1), -14), 8)
        assert local(stamp) == expected, code

    next_week = at(today + timedelta(days=7), 8)
    async with uow_factory() as uow:
        assert await uow.reminders.actionable(TUESDAY) == []
        due_next_week = {row.code for row in await uow.reminders.actionable(next_week)}
    assert due_next_week == set(overdue)

    second = await run_tick(uow_factory, next_week.replace(hour=9), SETTINGS)
    assert second.datasets_examined == len(overdue) < total / 10


# --- the message ---------------------------------------------------------------------------


async def test_reminders_are_written_in_each_persons_language_with_compact_buttons(
    uow_factory: UnitOfWorkFactory, demo_db: Path
) -> None:
    ids = give_telegram_ids(demo_db)
    sql(demo_db, "UPDATE people SET language = 'en' WHERE name = 'Agus Setiawan'")

    await run_tick(uow_factory, TUESDAY, SETTINGS)

    rows = {row["person"]: row for row in outbox(demo_db)}
    agus, siti = rows["Agus Setiawan"], rows["Siti Rahmawati"]
    assert agus["chat_id"] == ids["Agus Setiawan"]
    assert agus["text"].startswith("Dear Agus Setiawan,")
    assert "These datasets are past their due date" in agus["text"]
    assert "days overdue (due 31 March 2026)" in agus["text"]
    assert "Yth." not in agus["text"] and "terlambat" not in agus["text"]
    assert siti["text"].startswith("Yth. Siti Rahmawati,")
    assert "Data berikut sudah lewat jatuh tempo" in siti["text"]
    assert "(jatuh tempo 31 Maret 2025)" in siti["text"]

    liaisons = people_with(demo_db, "produsen")
    for name, row in rows.items():
        if name not in liaisons:  # an escalation: nothing for its reader to press
            assert row["buttons"] == [], name
            continue
        items = written(demo_db)[row["id"]][1]
        ids = {dataset_id(demo_db, code): period for code, period, _ in items}
        refs = {f"{dataset}:{period}" for dataset, period in ids.items()}
        expected = {
            f"r:{action}:{ref}" for action in ("done", "ext", "notours", "detail") for ref in refs
        } | {f"k:{dataset}" for dataset in ids}  # the spreadsheet to send the data in
        data = [b["data"] for line in row["buttons"] for b in line]
        assert sorted(data) == sorted(expected), name
        assert all(len(d.encode()) <= 64 for d in data)
    # Several datasets: a row each, its code named once, the other actions as icons.
    several = [
        row
        for name, row in rows.items()
        if name in liaisons and len(written(demo_db)[row["id"]][1]) > 1
    ]
    assert several
    for row in several:
        items = written(demo_db)[row["id"]][1]
        assert len(row["buttons"]) == len(items) <= 8
        for line in row["buttons"]:
            labels = [b["text"] for b in line]
            assert labels[0].startswith("✅ ") and labels[1:] == ["📅", "🚫", "ℹ️", "📤"]
        assert "✅ sudah diperbarui · 📅 minta perpanjangan" in row["text"] or (
            "✅ updated · 📅 ask for an extension" in row["text"]
        )


def test_a_reminder_about_one_dataset_has_worded_buttons() -> None:
    agus = Person(id=5, name="Agus Setiawan", telegram_user_id=9005, language="en")
    step = DEFAULT_CADENCE.steps[0]  # H-14, to the liaison
    item = Item(
        dataset_id=3,
        code="ipm",
        title="Indeks Pembangunan Manusia",
        opd_id=2,
        opd_name="Badan Perencanaan Pembangunan Daerah",
        period="2025",
        due=date(2026, 3, 31),
        step=PlannedStep(step, step.name, date(2026, 3, 17)),
        role="produsen",
        days_left=14,
    )
    message = reminder_message(Notice(agus, [item]), datetime(2026, 3, 17, 2, 0, tzinfo=UTC))

    english = {b["text"] for line in message.buttons for b in line}
    assert {"✅ ipm updated", "📅 Ask for extension", "🚫 Not our data", "ℹ️ Details"} <= english
    assert "📤 Spreadsheet to fill in" in english
    assert "Buttons per dataset" not in message.text


# --- when the data arrives ------------------------------------------------------------------


async def test_an_imported_period_cancels_its_reminder_and_thanks_the_liaison_once(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    ids = give_telegram_ids(demo_db)
    await run_tick(uow_factory, TUESDAY, SETTINGS)
    reminders = {row["person"]: row for row in outbox(demo_db)}
    assert {code for code, _, _ in written(demo_db)[reminders["Nur Aini"]["id"]][1]} == {"tpak"}
    daftar = write_daftar(
        tmp_path,
        "tpak,Tingkat Partisipasi Angkatan Kerja (TPAK),disnakertrans,tahunan,terbuka,2025",
    )

    report = await import_datasets(uow_factory, daftar, TUESDAY.replace(hour=10))
    again = await import_datasets(uow_factory, daftar, TUESDAY.replace(hour=11))

    assert (report.periods_arrived, again.periods_arrived) == (1, 0)
    rows = outbox(demo_db)
    status = {row["id"]: row["status"] for row in rows}
    assert status[reminders["Nur Aini"]["id"]] == "cancelled"
    assert status[reminders["Agus Setiawan"]["id"]] == "pending"
    assert status[reminders["Siti Rahmawati"]["id"]] == "pending"
    thanks = [row for row in rows if row["kind"] == "thanks"]
    assert [(t["person"], t["chat_id"]) for t in thanks] == [("Nur Aini", ids["Nur Aini"])]
    assert "Tingkat Partisipasi Angkatan Kerja (TPAK)" in thanks[0]["text"]
    assert "2025" in thanks[0]["text"]
    for moment in (TUESDAY.replace(hour=12), at(TUESDAY.date() + timedelta(days=7))):
        plan = await plan_at(uow_factory, moment, SETTINGS)
        assert not [i for n in plan for i in n.items if i.code == "tpak"]


async def test_a_reminder_about_other_data_too_is_kept_when_one_period_arrives(
    uow_factory: UnitOfWorkFactory, demo_db: Path
) -> None:
    await run_tick(uow_factory, TUESDAY, SETTINGS)
    (agus,) = [row for row in outbox(demo_db) if row["person"] == "Agus Setiawan"]
    moment = TUESDAY.replace(hour=10)

    for _ in range(2):
        async with uow_factory() as uow:
            ipm = await uow.datasets.by_code("ipm")
            assert ipm is not None
            await period_arrived(uow, ipm, "2025", moment)
            await uow.commit()

    rows = outbox(demo_db)
    assert next(r for r in rows if r["id"] == agus["id"])["status"] == "pending"
    thanks = [(r["person"], r["kind"]) for r in rows if r["kind"] == "thanks"]
    assert thanks == [("Agus Setiawan", "thanks")]
    plan = await plan_at(uow_factory, at(TUESDAY.date() + timedelta(days=7)), SETTINGS)
    chased = {(i.code, i.period) for n in plan for i in n.items}
    assert ("ipm", "2025") not in chased
    assert ("pengeluaran_per_kapita", "2025") in chased


async def test_a_reminder_whose_datasets_all_arrived_is_cancelled(
    uow_factory: UnitOfWorkFactory, demo_db: Path, tmp_path: Path
) -> None:
    await run_tick(uow_factory, TUESDAY, SETTINGS)
    (agus,) = [row for row in outbox(demo_db) if row["person"] == "Agus Setiawan"]
    items = written(demo_db)[agus["id"]][1]
    assert {code for code, _, _ in items} == {"ipm", "pengeluaran_per_kapita"}
    daftar = write_daftar(
        tmp_path,
        'ipm,"Indeks Pembangunan Manusia (UHH basis SP2010, seri lama)",bappeda,tahunan,'
        "terbuka,2025",
        "pengeluaran_per_kapita,Pengeluaran per Kapita Disesuaikan,bappeda,tahunan,terbuka,2025",
    )

    report = await import_datasets(uow_factory, daftar, TUESDAY.replace(hour=10))

    assert report.periods_arrived == 2
    assert next(r for r in outbox(demo_db) if r["id"] == agus["id"])["status"] == "cancelled"


# --- the operator's dry run ----------------------------------------------------------------


def test_plan_json_from_the_command_line(demo_db: Path, tmp_path: Path) -> None:
    result = satudata(
        "reminders", "plan", "--at", "2026-11-24T09:00", "--json", cwd=tmp_path, database=demo_db
    )

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert isinstance(plan, list)
    expected = expected_weekly_notices(demo_db, TUESDAY.date())
    assert {n["recipient"] for n in plan} == {name for name, _ in expected}
    opds = dict(sql(demo_db, "SELECT p.name, o.name FROM people p JOIN opds o ON o.id = p.opd_id"))
    for notice in plan:
        assert {"recipient", "role", "opd", "items"} <= set(notice)
        assert notice["role"] in {"produsen", "kepala_opd", "walidata", "pimpinan"}
        assert notice["opd"] == opds.get(notice["recipient"])
        assert notice["items"]
        for item in notice["items"]:
            assert item["step"] in STEP_LABELS
            assert date.fromisoformat(item["due_date"]) < TUESDAY.date()
        items = {(i["dataset"], i["period"], i["step"]) for i in notice["items"]}
        wanted = next(i for name, i in expected if name == notice["recipient"])
        assert items == {(code, period, "weekly") for code, period, _ in wanted}
    assert outbox(demo_db) == []  # a dry run writes nothing


def test_plan_with_an_unreadable_moment_exits_2_with_one_line(
    demo_db: Path, tmp_path: Path
) -> None:
    result = satudata("reminders", "plan", "--at", "besok pagi", cwd=tmp_path, database=demo_db)

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("satudata: ") and "--at" in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("title_length", "language"), [(40, "id"), (290, "en")])
def test_a_walidata_escalation_of_many_datasets_fits_one_telegram_message(
    title_length: int, language: str
) -> None:
    walidata = Person(id=1, name="Andi Prasetyo", telegram_user_id=9001, language=language)
    step = DEFAULT_CADENCE.steps[-2]  # H+7, to the walidata
    items = [
        Item(
            dataset_id=n,
            code=f"data-{n}",
            title=f"Dataset {n} " + "x" * title_length,
            opd_id=n % 7,
            opd_name=f"Dinas Contoh Nomor {n % 7}",
            period="2026-10",
            due=date(2026, 11, 15),
            step=PlannedStep(step, step.name, date(2026, 11, 24)),
            role="walidata",
            days_left=-9,
        )
        for n in range(60)
    ]
    message = reminder_message(Notice(walidata, items), datetime(2026, 11, 24, 2, 0, tzinfo=UTC))

    assert len(message.text) <= TEXT_LIMIT
    named = message.text.count("• Dataset ")
    assert 1 <= named < 60
    more = "dataset lain" if language == "id" else "more datasets"
    assert f"{60 - named} {more}" in message.text
