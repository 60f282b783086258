"""Whole years of reminder chases, walked day by day (and hour by hour) with time passed in.

What a liaison should receive is worked out here from the issue's rules, independently of the
product's planner: days off come straight from the `holidays` package, a step up to the due
date moves to the nearest earlier working day, a later step to the nearest later one, and when
several steps land on the same day only the newest is sent. `domain.engine.evaluate` is
then called at each tick of the walk and what it sends is compared with that.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from domain.cadence import DEFAULT_CADENCE, Cadence, Window
from domain.calendar import WorkCalendar
from domain.engine import ChaseState, Evaluation, ReminderSettings, evaluate
from domain.schedule import period_containing

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

CALENDAR = WorkCalendar()
# Read directly from the package, so the walk does not take WorkCalendar's word for it.
DAYS_OFF = holidays.Indonesia(categories=("government", "public"))

# The issue's default cadence: step → days from the due date, and who is told.
SPEC_STEPS = {
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
SPEC_AUDIENCE = {"H+3": {"kepala_opd", "produsen"}, "H+7": {"walidata"}, "H+14": {"pimpinan"}}
LAST_STEP = 14  # weekly reminders follow every 7 days after H+14
OPENING = time(8, 0)
DAILY_TICKS = (time(7, 0), time(9, 0), time(16, 0))  # before, inside and after the window
HOURLY_TICKS = tuple(time(hour, 0) for hour in range(24))


def settings(tz: ZoneInfo = WIB, **kwargs: object) -> ReminderSettings:
    return ReminderSettings(timezone=tz, calendar=CALENDAR, **kwargs)  # type: ignore[arg-type]


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = WIB) -> datetime:
    """A tick's `now`, in UTC as the scheduler passes it, from a local wall-clock time."""
    return datetime.combine(day, time(hour, minute), tz).astimezone(UTC)


def opening(day: date, tz: ZoneInfo = WIB) -> datetime:
    return at(day, OPENING.hour, tz=tz)


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# --- the calendar rules, straight from the issue ----------------------------------------------


def is_day_off(day: date) -> bool:
    return day.weekday() >= 5 or day in DAYS_OFF


def working_on_or_before(day: date) -> date:
    while is_day_off(day):
        day -= timedelta(days=1)
    return day


def working_on_or_after(day: date) -> date:
    while is_day_off(day):
        day += timedelta(days=1)
    return day


def send_day(due: date, offset: int) -> date:
    nominal = due + timedelta(days=offset)
    return working_on_or_before(nominal) if offset <= 0 else working_on_or_after(nominal)


def candidate_steps(due: date, until: date) -> list[tuple[date, tuple[int, ...], str]]:
    """Every step of a period as (send day, newness, key), weekly reminders up to `until`.

    Newness decides which step wins a shared day: the later offset; H+14 before a weekly
    reminder (those come after the last step); a later weekly before an earlier one.
    """
    found = [(send_day(due, offset), (offset, 1), key) for key, offset in SPEC_STEPS.items()]
    number = 1
    while (nominal := due + timedelta(days=LAST_STEP + 7 * number)) <= until:
        found.append((working_on_or_after(nominal), (LAST_STEP, 0, number), f"weekly-{number}"))
        number += 1
    return found


def expected_sends(due: date, owed_from: date, last_day: date) -> list[tuple[str, date]]:
    """What a period owed from `owed_from` to `last_day` (inclusive) should send, and when.

    On the first working day it is owed, the newest step already reached is sent (earlier ones
    are stale); after that, each day with a step sends that day's newest step.
    """
    candidates = candidate_steps(due, last_day)
    first = working_on_or_after(owed_from)
    if first > last_day:
        return []
    sends = []
    reached = [c for c in candidates if c[0] <= first]
    if reached:
        sends.append((max(reached)[2], first))
    for day in sorted({c[0] for c in candidates if first < c[0] <= last_day}):
        sends.append((max(c for c in candidates if c[0] == day)[2], day))
    return sends


def expected_audience(run: Run, send: Send) -> set[str]:
    """Who a send should reach: everyone of its own step and of every step whose day came
    since the period's previous send (none yet: every step so far), whether it was skipped
    as stale on a shared day, passed while the bot was down, or before the data was listed."""
    earlier = [s.day for s in run.sends if s.period == send.period and s.at < send.at]
    since = max(earlier, default=date.min)
    audience: set[str] = set()
    for day, _, key in candidate_steps(send.due, send.day):
        if since < day <= send.day:
            audience |= SPEC_AUDIENCE.get(step_name(key), {"produsen"})
    return audience


def step_name(key: str) -> str:
    """A step key without the re-planning suffix an extension adds ("H-7@2026-07-15")."""
    return key.split("@")[0]


# --- the simulation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    periodicity: str
    latest: str | None
    start: date
    end: date
    # Days after the due date on which each period's data arrives (at the end of that day),
    # cycling period by period; `special` overrides it for named periods.
    pattern: tuple[int, ...] = (0,)
    special: tuple[tuple[str, int], ...] = ()
    # Whether an arrival brings every period that has ended (a liaison catching up at once).
    backfill: bool = False

    def delay(self, index: int, code: str) -> int:
        return dict(self.special).get(code, self.pattern[index % len(self.pattern)])


@dataclass
class Chase:
    period: str
    due: date
    owed_from: date
    arrives: date  # the data arrives at the end of this day
    last_day: date  # the last day the period was owed
    arrived: bool = False


@dataclass(frozen=True)
class Send:
    period: str
    key: str
    offset: int
    audience: tuple[str, ...]
    due: date
    at: datetime  # local time

    @property
    def day(self) -> date:
        return self.at.date()


@dataclass(frozen=True)
class Tick:
    at: datetime  # local time
    period: str
    sent: str | None
    next_action_at: datetime | None


@dataclass
class Run:
    chases: list[Chase] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)

    def by_period(self) -> dict[str, list[tuple[str, date]]]:
        result: dict[str, list[tuple[str, date]]] = {c.period: [] for c in self.chases}
        for send in self.sends:
            result[send.period].append((send.key, send.day))
        return result

    def keys(self, period: str) -> list[str]:
        return [s.key for s in self.sends if s.period == period]


def arrived_up_to(scenario: Scenario, owed: str, day: date) -> str:
    """The newest period in the registry after an arrival on `day`: the owed one or, with
    backfill, every period that had ended before that day."""
    if not scenario.backfill:
        return owed
    yesterday = day - timedelta(days=1)
    ended = period_containing(yesterday, scenario.periodicity)
    if ended.end > yesterday:
        ended = period_containing(ended.start - timedelta(days=1), scenario.periodicity)
    return max(owed, ended.code)


def simulate(
    scenario: Scenario,
    ticks: tuple[time, ...] = DAILY_TICKS,
    tz: ZoneInfo = WIB,
    tick_driven: bool = False,
    **options: object,
) -> Run:
    """Walk the scenario tick by tick, recording each `due_now` step as sent.

    `tick_driven`: look at the dataset only once its `next_action_at` has come, as the real
    tick does (an arrival makes it due at once), instead of at every tick.
    """
    config = settings(tz, **options)
    state = ChaseState(1, scenario.periodicity, scenario.latest)
    sent: dict[str, set[str]] = {}
    run = Run()
    wake_at: datetime | None = None
    for day in days(scenario.start, scenario.end):
        for clock in ticks:
            local = datetime.combine(day, clock, tz)
            now = local.astimezone(UTC)
            if tick_driven and wake_at is not None and now < wake_at:
                continue
            result = evaluate(state, sent, now, config)
            assert result.deadline is not None
            owed = result.deadline.expected.code
            if not run.chases or run.chases[-1].period != owed:
                if run.chases and not run.chases[-1].arrived:
                    run.chases[-1].last_day = day - timedelta(days=1)
                delay = scenario.delay(len(run.chases), owed)
                arrives = max(result.deadline.due + timedelta(days=delay), day)
                run.chases.append(Chase(owed, result.deadline.due, day, arrives, scenario.end))
            step = result.due_now
            if step is not None:
                audience = result.audience
                run.sends.append(
                    Send(
                        owed,
                        step_name(step.key),
                        step.step.offset,
                        audience,
                        result.deadline.due,
                        local,
                    )
                )
                sent.setdefault(owed, set()).add(step.key)
            run.ticks.append(
                Tick(local, owed, step_name(step.key) if step else None, result.next_action_at)
            )
            wake_at = result.next_action_at
        chase = run.chases[-1]
        if chase.arrives == day:
            state = replace(state, latest_period=arrived_up_to(scenario, chase.period, day))
            chase.arrived, chase.last_day = True, day
            wake_at = None  # the registry change makes the dataset due for a look at once
    return run


SCENARIOS = {
    # Annual 2025 through Idul Fitri 2026 (arrives after the second weekly reminder), then
    # 2026 early, before its first reminder.
    "tahunan": Scenario("tahunan", "2024", date(2026, 1, 1), date(2027, 12, 31), (28, -20)),
    "semesteran": Scenario(
        "semesteran", "2024-S2", date(2025, 1, 1), date(2026, 12, 31), (3, 30, -2)
    ),
    # 100 days late: the next quarter is already overdue when it becomes owed.
    "triwulanan": Scenario(
        "triwulanan", "2024-Q4", date(2025, 1, 1), date(2026, 12, 31), (0, 16, -5, 100, 20)
    ),
    "bulanan": Scenario(
        "bulanan", "2024-12", date(2025, 1, 1), date(2026, 12, 31), (0, 5, 16, -3, 40, 1, 9)
    ),
    "mingguan-2025": Scenario(
        "mingguan",
        "2024-W52",
        date(2025, 1, 1),
        date(2025, 12, 31),
        (0, 1, 3, -2, 2),
        special=(("2025-W10", 30), ("2025-W22", 17), ("2025-W40", 24)),
    ),
    "harian-2025": Scenario(
        "harian",
        "2024-12-31",
        date(2025, 1, 1),
        date(2025, 12, 31),
        (0,),
        special=(("2025-02-03", 9), ("2025-06-12", 25), ("2025-10-01", 35)),
        backfill=True,
    ),
    # Chased past H+14 across Idul Fitri 2026 (18–24 March off).
    "mingguan-2026": Scenario(
        "mingguan", "2025-W52", date(2026, 1, 1), date(2026, 12, 31), (0, 1, 3), (("2026-W09", 28),)
    ),
    "harian-2026": Scenario(
        "harian",
        "2025-12-31",
        date(2026, 1, 1),
        date(2026, 12, 31),
        (0,),
        special=(("2026-03-03", 30), ("2026-08-03", 20)),
        backfill=True,
    ),
}


@functools.cache
def walked(name: str) -> Run:
    """The named scenario walked at 07:00, 09:00 and 16:00 WIB every day (shared by tests)."""
    return simulate(SCENARIOS[name])


def expected_by_period(run: Run) -> dict[str, list[tuple[str, date]]]:
    return {c.period: expected_sends(c.due, c.owed_from, c.last_day) for c in run.chases}


# --- the calendar the hand-checked dates rely on -----------------------------------------------


def test_calendar_facts_behind_the_hand_checked_2026_dates() -> None:
    idul_fitri_2026 = list(days(date(2026, 3, 18), date(2026, 3, 24)))

    assert not any(CALENDAR.is_working_day(d) for d in idul_fitri_2026)
    assert all(is_day_off(d) for d in idul_fitri_2026)
    assert CALENDAR.is_working_day(date(2026, 3, 17))
    assert CALENDAR.is_working_day(date(2026, 3, 25))
    assert "Cuti Bersama" in (CALENDAR.holiday_name(date(2026, 3, 24)) or "")
    assert not CALENDAR.is_working_day(date(2026, 4, 3))  # Good Friday
    assert date(2026, 4, 3) in DAYS_OFF


def test_the_default_cadence_is_the_one_in_the_issue() -> None:
    steps = {s.name: (s.offset, set(s.audience)) for s in DEFAULT_CADENCE.steps}

    assert steps == {
        key: (offset, SPEC_AUDIENCE.get(key, {"produsen"})) for key, offset in SPEC_STEPS.items()
    }
    assert DEFAULT_CADENCE.weekly_audience == ("produsen",)


# --- whole years, every periodicity -------------------------------------------------------------


def test_annual_2025_chased_through_idul_fitri_2026() -> None:
    run = walked("tahunan")

    assert run.chases[0].period == "2025" and run.chases[0].due == date(2026, 3, 31)
    sends = [(s.key, s.day, set(s.audience)) for s in run.sends if s.period == "2025"]
    liaison = {"produsen"}
    assert sends == [
        # H-14 (17 March) and H-7 (24 March, cuti bersama → 17 March) share a day: only H-7.
        ("H-7", date(2026, 3, 17), liaison),
        ("H-3", date(2026, 3, 27), liaison),  # nominal Saturday 28 March
        ("H-1", date(2026, 3, 30), liaison),
        ("H", date(2026, 3, 31), liaison),
        ("H+1", date(2026, 4, 1), liaison),
        ("H+3", date(2026, 4, 6), {"kepala_opd", "produsen"}),  # nominal Good Friday 3 April
        ("H+7", date(2026, 4, 7), {"walidata"}),
        ("H+14", date(2026, 4, 14), {"pimpinan"}),
        ("weekly-1", date(2026, 4, 21), liaison),
        ("weekly-2", date(2026, 4, 28), liaison),  # the data arrives that evening
    ]
    assert all(s.at.time() == time(9, 0) for s in run.sends)
    # 2026 arrives on 11 March 2027, before its first reminder: nothing is sent for it.
    assert run.chases[1].period == "2026" and run.chases[1].arrived
    assert run.keys("2026") == []


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_period_gets_exactly_the_specified_steps(name: str) -> None:
    run = walked(name)

    assert len(run.chases) >= 2, "the walk should see data arrive and the next period owed"
    assert run.by_period() == expected_by_period(run)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_send_respects_calendar_window_and_due_date(name: str) -> None:
    run = walked(name)
    chases = {c.period: c for c in run.chases}

    assert run.sends, "a year without a single reminder proves nothing"
    for send in run.sends:
        assert CALENDAR.is_working_day(send.day), send
        assert not is_day_off(send.day), send
        assert OPENING <= send.at.time() < time(15, 0), send
        if send.offset <= 0:
            assert send.day <= send.due, f"a before-due step sent late: {send}"
        else:
            assert send.day > send.due, f"an overdue step sent early: {send}"
        chase = chases[send.period]
        assert chase.owed_from <= send.day <= chase.last_day, f"sent while not owed: {send}"
        assert set(send.audience) == expected_audience(run, send), send
    once = Counter((s.period, s.key) for s in run.sends)
    assert [pair for pair, n in once.items() if n > 1] == []
    per_day = Counter(s.day for s in run.sends)
    assert [day for day, n in per_day.items() if n > 1] == []


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_weekly_reminders_follow_h14_every_seven_days_until_the_data_arrives(name: str) -> None:
    run = walked(name)

    for chase in run.chases:
        weekly = [s for s in run.sends if s.period == chase.period and s.key.startswith("weekly")]
        for send in weekly:
            number = int(send.key.removeprefix("weekly-"))
            nominal = chase.due + timedelta(days=LAST_STEP + 7 * number)
            if send.day != working_on_or_after(nominal):
                # Only a period that became owed late may catch up on a later day.
                assert send == run.sends[[s.period for s in run.sends].index(chase.period)]
        if chase.arrived:
            assert all(s.day <= chase.last_day for s in weekly)
    # The scenarios are meant to exercise weekly reminders at all.
    assert any(s.key.startswith("weekly") for s in run.sends)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_next_action_at_is_the_next_window_opening_that_matters(name: str) -> None:
    run = walked(name)

    for index, tick in enumerate(run.ticks):
        wake = tick.next_action_at
        assert wake is not None and wake.tzinfo is UTC, tick
        local_wake = wake.astimezone(WIB)
        assert local_wake > tick.at, tick
        assert local_wake.time() == OPENING and CALENDAR.is_working_day(local_wake.date()), tick
        # Nothing is sent for this period before the promised time.
        for later in run.ticks[index + 1 :]:
            if later.period != tick.period or later.at >= local_wake:
                break
            assert later.sent is None, (tick, later)
    sends = run.sends
    for send, following in itertools.pairwise(sends):
        if following.period == send.period:
            tick = next(t for t in run.ticks if t.at == send.at)
            assert tick.next_action_at == opening(following.day), (send, following)


@pytest.mark.parametrize("name", ["bulanan", "harian-2025", "mingguan-2025"])
def test_hour_by_hour_steps_go_out_at_eight_on_the_same_days(name: str) -> None:
    scenario = replace(SCENARIOS[name], end=date(2025, 12, 31))  # one year of hours
    hourly = simulate(scenario, HOURLY_TICKS)
    by_tick = simulate(scenario, HOURLY_TICKS, tick_driven=True)

    daily = [(s.period, s.key, s.day) for s in walked(name).sends if s.day <= scenario.end]
    assert [(s.period, s.key, s.day) for s in hourly.sends] == daily
    assert {s.at.time() for s in hourly.sends} == {OPENING}
    # A tick that only looks at the dataset once its next_action_at has come (as the real tick
    # does) sends the same, at the same moments, while looking far less often.
    assert by_tick.sends == hourly.sends
    assert len(by_tick.ticks) < len(hourly.ticks) / 5


def test_the_same_walk_in_wit_sends_at_the_same_local_times() -> None:
    scenario = replace(SCENARIOS["tahunan"], end=date(2026, 6, 30))

    in_wib, in_wit = simulate(scenario), simulate(scenario, tz=WIT)

    assert [(s.key, s.at.replace(tzinfo=None)) for s in in_wit.sends] == [
        (s.key, s.at.replace(tzinfo=None)) for s in in_wib.sends
    ]
    assert {s.at.astimezone(UTC).hour for s in in_wit.sends} == {0}  # 09:00 WIT
    assert {s.at.astimezone(UTC).hour for s in in_wib.sends} == {2}  # 09:00 WIB


def test_daily_data_with_colliding_steps_sends_only_the_newest() -> None:
    # Period 12 June 2025 (Thursday), due Friday 13 June; owed from that Friday.
    scenario = Scenario("harian", "2025-06-11", date(2025, 6, 13), date(2025, 7, 10), (100,))
    run = simulate(scenario)

    assert [(s.key, s.day) for s in run.sends] == [
        ("H", date(2025, 6, 13)),  # H-14 … H-1 had already passed: stale, not sent
        ("H+3", date(2025, 6, 16)),  # H+1 (Saturday → Monday) shares Monday with H+3
        ("H+7", date(2025, 6, 20)),
        ("H+14", date(2025, 6, 30)),  # 27 June is Tahun Baru Islam
        ("weekly-1", date(2025, 7, 4)),
    ]


@pytest.mark.parametrize(
    ("periodicity", "latest", "due"),
    [
        ("mingguan", "2026-W08", date(2026, 3, 4)),  # H+14 = 18 March (cuti) → 25 March
        ("harian", "2025-03-12", date(2025, 3, 14)),  # H+14 = 28 March 2025 (cuti) → 8 April
    ],
)
def test_h14_escalation_is_sent_even_when_the_holidays_push_it_onto_a_weekly_day(
    periodicity: str, latest: str, due: date
) -> None:
    start = due - timedelta(days=20)
    run = simulate(Scenario(periodicity, latest, start, due + timedelta(days=60), (1000,)))

    assert run.chases[0].due == due
    escalations = [s for s in run.sends if s.key == "H+14"]
    assert len(escalations) == 1
    assert "pimpinan" in escalations[0].audience
    assert set(escalations[0].audience) == expected_audience(run, escalations[0])


# --- catching up after downtime -----------------------------------------------------------------


DUE_2026_05 = date(2026, 6, 15)  # Monday


def walk_with_downtime(down: tuple[date, date], first: date, last: date) -> Run:
    """Monthly 2026-05 (due Monday 15 June 2026) with no tick at all during `down`."""
    state = ChaseState(1, "bulanan", "2026-04")
    sent: dict[str, set[str]] = {}
    run = Run()
    for day in days(first, last):
        if down[0] <= day <= down[1]:
            continue
        for clock in DAILY_TICKS:
            local = datetime.combine(day, clock, WIB)
            result = evaluate(state, sent, local.astimezone(UTC), settings())
            assert result.deadline is not None and result.deadline.due == DUE_2026_05
            step = result.due_now
            if step is not None:
                sent.setdefault("2026-05", set()).add(step.key)
                audience = result.audience
                run.sends.append(
                    Send("2026-05", step.key, step.step.offset, audience, DUE_2026_05, local)
                )
            key = step.key if step else None
            run.ticks.append(Tick(local, "2026-05", key, result.next_action_at))
    return run


def test_after_ten_days_down_only_the_current_step_is_sent() -> None:
    # H-7 on 8 June; down 9–18 June across H-3 (12th), H-1 (12th), H (15th), H+1 (16th is
    # Tahun Baru Islam → 17th) and H+3 (18th); back on 19 June, still H+3's turn.
    run = walk_with_downtime(
        (date(2026, 6, 9), date(2026, 6, 18)), date(2026, 5, 25), date(2026, 7, 10)
    )

    assert [(s.key, s.day) for s in run.sends] == [
        ("H-14", date(2026, 5, 29)),  # nominal 1 June, Hari Lahir Pancasila
        ("H-7", date(2026, 6, 8)),
        ("H+3", date(2026, 6, 19)),
        ("H+7", date(2026, 6, 22)),
        ("H+14", date(2026, 6, 29)),
        ("weekly-1", date(2026, 7, 6)),
    ]
    catch_up = next(s for s in run.sends if s.key == "H+3")
    assert catch_up.audience == ("kepala_opd", "produsen")
    assert catch_up.at.time() == time(9, 0)  # the first tick back, no waiting


def test_back_up_on_a_weekend_the_current_step_waits_for_monday() -> None:
    # Down 9–19 June, back on Saturday the 20th: nothing until Monday, when H+7 is due and
    # H+3 (Thursday) has become stale.
    run = walk_with_downtime(
        (date(2026, 6, 9), date(2026, 6, 19)), date(2026, 5, 25), date(2026, 6, 23)
    )

    saturday = [t for t in run.ticks if t.at.date() == date(2026, 6, 20)]
    assert [t.sent for t in saturday] == [None, None, None]
    assert {t.next_action_at for t in saturday} == {opening(date(2026, 6, 22))}
    assert [(s.key, s.day) for s in run.sends] == [
        ("H-14", date(2026, 5, 29)),
        ("H-7", date(2026, 6, 8)),
        ("H+7", date(2026, 6, 22)),
    ]
    # Nobody heard H-3 … H+3: the liaison and the head are told with the walidata.
    assert run.sends[-1].audience == ("produsen", "kepala_opd", "walidata")


# --- the sending window and time zones ----------------------------------------------------------

ANNUAL_2025 = ChaseState(7, "tahunan", "2024")  # due Tuesday 31 March 2026


@pytest.mark.parametrize(
    ("tz", "next_opening_utc"),
    [
        (WIB, datetime(2026, 4, 1, 1, 0, tzinfo=UTC)),
        (WITA, datetime(2026, 4, 1, 0, 0, tzinfo=UTC)),
        (WIT, datetime(2026, 3, 31, 23, 0, tzinfo=UTC)),
    ],
    ids=["WIB", "WITA", "WIT"],
)
def test_window_edges_in_each_time_zone(tz: ZoneInfo, next_opening_utc: datetime) -> None:
    config, due = settings(tz), date(2026, 3, 31)

    early = evaluate(ANNUAL_2025, {}, at(due, 7, 59, tz), config)
    on_time = evaluate(ANNUAL_2025, {}, at(due, 8, 0, tz), config)
    last_minute = evaluate(ANNUAL_2025, {}, at(due, 14, 59, tz), config)
    closed = evaluate(ANNUAL_2025, {}, at(due, 15, 0, tz), config)

    assert early.due_now is None
    assert early.next_action_at == at(due, 8, 0, tz)
    assert on_time.due_now is not None and on_time.due_now.key == "H"
    assert last_minute.due_now is not None and last_minute.due_now.key == "H"
    assert closed.due_now is None
    # The next opening is 08:00 local on Wednesday 1 April, given in UTC.
    assert closed.next_action_at == next_opening_utc
    assert closed.next_action_at is not None and closed.next_action_at.tzinfo is UTC


def test_the_same_utc_moment_is_inside_the_window_in_the_east_only() -> None:
    now = datetime(2026, 3, 31, 0, 30, tzinfo=UTC)  # 07:30 WIB, 08:30 WITA, 09:30 WIT

    sent = {
        name: evaluate(ANNUAL_2025, {}, now, settings(tz)).due_now is not None
        for name, tz in {"WIB": WIB, "WITA": WITA, "WIT": WIT}.items()
    }

    assert sent == {"WIB": False, "WITA": True, "WIT": True}


def test_after_the_window_closes_before_idul_fitri_the_next_opening_is_after_the_leave() -> None:
    # H-7 is due Tuesday 17 March 2026, not sent by 15:00; 18–24 March are days off.
    result = evaluate(ANNUAL_2025, {}, at(date(2026, 3, 17), 15), settings())

    assert result.due_now is None
    assert result.next_action_at == opening(date(2026, 3, 25))


def test_a_custom_window_is_honoured() -> None:
    config = settings(window=Window.parse("07:00-12:00"))
    due = date(2026, 3, 31)

    assert evaluate(ANNUAL_2025, {}, at(due, 7), config).due_now is not None
    assert evaluate(ANNUAL_2025, {}, at(due, 12), config).due_now is None
    assert evaluate(ANNUAL_2025, {}, at(due, 12), config).next_action_at == at(date(2026, 4, 1), 7)


# --- next_action_at -----------------------------------------------------------------------------


def test_after_a_send_next_action_is_the_next_steps_day_at_eight_local() -> None:
    sent = {"2025": {"H-7"}}

    h3 = evaluate(ANNUAL_2025, sent, at(date(2026, 3, 27), 10), settings(WITA))

    assert h3.due_now is not None and h3.due_now.key == "H-3"
    assert h3.next_action_at == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)  # Monday 08:00 WITA
    sent["2025"].add("H-3")
    quiet = evaluate(ANNUAL_2025, sent, at(date(2026, 3, 28), 10), settings(WITA))
    assert quiet.due_now is None
    assert quiet.next_action_at == h3.next_action_at


def test_a_datasets_own_due_rule_drives_the_plan() -> None:
    state = replace(ANNUAL_2025, due_months=2, due_day=10)  # 2025 due Tuesday 10 February 2026

    sends = walk_period(state, date(2026, 1, 1), date(2026, 2, 28))

    assert sends == expected_sends(date(2026, 2, 10), date(2026, 1, 1), date(2026, 2, 28))
    assert ("H", date(2026, 2, 10)) in sends


def test_ad_hoc_data_has_no_deadline_and_nothing_to_do() -> None:
    state = ChaseState(3, "sewaktu-waktu", "2025-03-04")

    result = evaluate(state, {}, at(date(2026, 3, 31), 9), settings())

    assert result == Evaluation(None, [], None, None)


# --- extensions and walidata confirmation -------------------------------------------------------


def walk_period(
    state: ChaseState,
    first: date,
    last: date,
    extended: Mapping[str, date] | None = None,
    sent: dict[str, set[str]] | None = None,
) -> list[tuple[str, date]]:
    """(step, day) sent for the owed period on a daily 09:00 tick."""
    sent = {} if sent is None else sent
    sends = []
    for day in days(first, last):
        result = evaluate(state, sent, at(day, 9), settings(), extended)
        if result.due_now is not None:
            assert result.deadline is not None
            sent.setdefault(result.deadline.expected.code, set()).add(result.due_now.key)
            sends.append((step_name(result.due_now.key), day))
    return sends


def test_an_extension_moves_the_whole_plan_to_the_new_date() -> None:
    new_due = date(2026, 4, 30)  # Thursday

    sends = walk_period(ANNUAL_2025, date(2026, 1, 1), date(2026, 6, 30), {"2025": new_due})

    assert sends == expected_sends(new_due, date(2026, 1, 1), date(2026, 6, 30))
    assert sends[:8] == [
        ("H-14", date(2026, 4, 16)),
        ("H-7", date(2026, 4, 23)),
        ("H-3", date(2026, 4, 27)),
        ("H-1", date(2026, 4, 29)),
        ("H", date(2026, 4, 30)),
        ("H+3", date(2026, 5, 4)),  # H+1 (Labour Day) and H+3 (Sunday) both land on Monday
        ("H+7", date(2026, 5, 7)),
        ("H+14", date(2026, 5, 18)),  # 14 May Ascension, 15 May cuti bersama
    ]
    assert all(day > date(2026, 3, 31) for _, day in sends)


def test_an_extension_for_another_period_changes_nothing() -> None:
    stale = walk_period(
        ANNUAL_2025, date(2026, 3, 1), date(2026, 4, 30), {"2024": date(2026, 9, 1)}
    )

    assert stale == walk_period(ANNUAL_2025, date(2026, 3, 1), date(2026, 4, 30))
    assert ("H", date(2026, 3, 31)) in stale


def test_after_an_extension_mid_chase_the_liaison_is_reminded_before_the_new_date() -> None:
    state = ChaseState(4, "bulanan", "2026-04")  # 2026-05 due Monday 15 June 2026
    sent: dict[str, set[str]] = {}
    before = walk_period(state, date(2026, 6, 1), date(2026, 6, 16), sent=sent)
    assert [key for key, _ in before][-1] == "H"  # H+1 (16 June) is a holiday

    new_due = date(2026, 7, 15)  # approved on 16 June
    after = walk_period(state, date(2026, 6, 17), date(2026, 7, 31), {"2026-05": new_due}, sent)

    reminded_before = [(key, day) for key, day in after if day <= new_due]
    assert [key for key, _ in reminded_before] == ["H-14", "H-7", "H-3", "H-1", "H"]


def test_a_walidata_confirmation_stops_the_chase_for_that_period() -> None:
    sent: dict[str, set[str]] = {}
    early = walk_period(ANNUAL_2025, date(2026, 3, 1), date(2026, 4, 1), sent=sent)
    assert early[-1] == ("H+1", date(2026, 4, 1))

    confirmed = replace(ANNUAL_2025, confirmed_period="2025")
    later = walk_period(confirmed, date(2026, 4, 2), date(2026, 12, 31), sent=sent)
    result = evaluate(confirmed, sent, at(date(2026, 4, 6), 9), settings())

    assert later == []
    assert result.deadline is not None and result.deadline.expected.code == "2026"
    assert result.next_action_at == opening(date(2027, 3, 17))  # H-14 of 2026, due 31/3/2027


def test_a_confirmation_older_than_the_registry_is_ignored() -> None:
    state = ChaseState(5, "bulanan", "2026-05", confirmed_period="2026-03")

    result = evaluate(state, {}, at(date(2026, 7, 15), 9), settings())

    assert result.deadline is not None and result.deadline.expected.code == "2026-06"
    assert result.due_now is not None and result.due_now.key == "H"


# --- custom cadences and windows ----------------------------------------------------------------


def test_a_custom_cadence_is_parsed_and_followed() -> None:
    cadence = Cadence.parse("H+2:kepala_opd+produsen, H-3,H")

    assert [(s.name, s.offset, s.audience) for s in cadence.steps] == [
        ("H-3", -3, ("produsen",)),
        ("H", 0, ("produsen",)),
        ("H+2", 2, ("kepala_opd", "produsen")),
    ]
    state = ChaseState(6, "bulanan", "2026-05")  # 2026-06 due Wednesday 15 July 2026
    sent: dict[str, set[str]] = {}
    sends = []
    for day in days(date(2026, 6, 1), date(2026, 8, 10)):
        result = evaluate(state, sent, at(day, 9), settings(cadence=cadence))
        if result.due_now is not None:
            sent.setdefault("2026-06", set()).add(result.due_now.key)
            sends.append((result.due_now.key, day, result.due_now.step.audience))
    assert sends == [
        ("H-3", date(2026, 7, 10), ("produsen",)),  # nominal Sunday 12 July
        ("H", date(2026, 7, 15), ("produsen",)),
        ("H+2", date(2026, 7, 17), ("kepala_opd", "produsen")),
        ("weekly-1", date(2026, 7, 24), ("produsen",)),  # weekly from the last step, H+2
        ("weekly-2", date(2026, 7, 31), ("produsen",)),
        ("weekly-3", date(2026, 8, 7), ("produsen",)),
    ]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("H-3,X+2", "'X+2'"),
        ("H-", "'H-'"),
        ("H+three", "'H+three'"),
        ("h-3", "'h-3'"),
        ("H-3:", "'H-3:'"),
        ("H+3:Kepala", "'H+3:Kepala'"),
        ("H-7;H", "'H-7;H'"),
        ("H - 7", "'H - 7'"),
    ],
)
def test_a_bad_cadence_step_is_named_in_the_error(text: str, quoted: str) -> None:
    with pytest.raises(ValueError, match="bad cadence step") as error:
        Cadence.parse(text)

    assert quoted in str(error.value)
    assert "H-7" in str(error.value)  # shows how to write it


@pytest.mark.parametrize("text", ["", " , ,"])
def test_an_empty_cadence_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="at least one step"):
        Cadence.parse(text)


@pytest.mark.parametrize("text", ["H,H+3:kepla_opd", "H,H+3:kepala_opd+"])
def test_a_cadence_with_an_unknown_role_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as error:
        Cadence.parse(text)

    assert "H+3" in str(error.value)  # names the step to fix


def test_windows_are_parsed() -> None:
    assert Window.parse("07:30-16:00") == Window(time(7, 30), time(16, 0))
    assert Window.parse(" 08:00 - 15:00 ") == Window()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("8-15", "write 08:00-15:00"),
        ("08:00", "write 08:00-15:00"),
        ("08:00-12:00-15:00", "write 08:00-15:00"),
        ("pagi-sore", "write 08:00-15:00"),
        ("08:00-25:00", "write 08:00-15:00"),
        ("15:00-08:00", "the start must come before the end"),
        ("08:00-08:00", "the start must come before the end"),
    ],
)
def test_a_bad_window_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as error:
        Window.parse(text)

    assert repr(text) in str(error.value)
    assert reason in str(error.value)


# --- nothing in the registry yet ----------------------------------------------------------------


def test_with_an_empty_registry_the_last_ended_period_is_chased() -> None:
    empty = Scenario("tahunan", None, date(2026, 1, 1), date(2026, 12, 31), (1000,))
    known = Scenario("tahunan", "2024", date(2026, 1, 1), date(2026, 12, 31), (1000,))

    empty_run, known_run = simulate(empty), simulate(known)

    assert [c.period for c in empty_run.chases] == ["2025"]
    assert empty_run.sends == known_run.sends
    assert empty_run.keys("2025")[-1] == "weekly-37"  # still chasing on 29 December


def test_an_empty_monthly_registry_follows_the_latest_ended_month_all_year() -> None:
    run = simulate(Scenario("bulanan", None, date(2026, 1, 1), date(2026, 12, 31), (1000,)))

    assert [c.period for c in run.chases] == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    assert run.by_period() == expected_by_period(run)
    # Each month owed from the 1st of the next: H-14 (the 1st) is reached at once, and H+14
    # (the 29th, or the next working day in the month) still comes before the month ends.
    assert run.keys("2026-03")[0] == "H-14"
    assert "H+14" in run.keys("2026-03")
