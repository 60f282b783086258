"""The deadline engine: which period is owed next, when it is due, and how late it is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.periods import parse_period
from domain.schedule import (
    DEFAULT_RULES,
    SOON_DAYS,
    dataset_deadline,
    deadline,
    next_period,
    period_containing,
    rule_for,
)


@pytest.mark.parametrize(
    ("periodicity", "period", "due"),
    [
        ("tahunan", "2025", date(2026, 3, 31)),
        ("semesteran", "2025-S1", date(2025, 8, 31)),
        ("triwulanan", "2025-Q3", date(2025, 11, 15)),
        ("bulanan", "2025-01", date(2025, 2, 15)),
        ("mingguan", "2025-W14", date(2025, 4, 6) + timedelta(days=3)),  # week ends Sunday 6/4
        ("harian", "2025-07-31", date(2025, 8, 1)),
    ],
)
def test_default_due_date_of_each_periodicity(periodicity: str, period: str, due: date) -> None:
    assert DEFAULT_RULES[periodicity].due_date(parse_period(period)) == due


@pytest.mark.parametrize(
    ("periodicity", "latest", "expected", "due"),
    [
        ("tahunan", "2024", "2025", date(2026, 3, 31)),
        ("semesteran", "2024-S2", "2025-S1", date(2025, 8, 31)),
        ("triwulanan", "2025-Q2", "2025-Q3", date(2025, 11, 15)),
        ("bulanan", "2024-12", "2025-01", date(2025, 2, 15)),
        ("mingguan", "2025-W13", "2025-W14", date(2025, 4, 9)),
        ("harian", "2025-07-30", "2025-07-31", date(2025, 8, 1)),
    ],
)
def test_the_period_owed_is_the_one_after_the_latest_in_the_registry(
    periodicity: str, latest: str, expected: str, due: date
) -> None:
    result = deadline(periodicity, latest, date(2025, 1, 1))

    assert result is not None
    assert result.expected.code == expected
    assert result.due == due


def test_a_due_day_past_the_end_of_the_month_is_clamped() -> None:
    rule = rule_for("bulanan", day=31)

    assert rule.due_date(parse_period("2025-01")) == date(2025, 2, 28)
    assert rule.due_date(parse_period("2024-01")) == date(2024, 2, 29)  # leap year
    assert rule.due_date(parse_period("2025-02")) == date(2025, 3, 31)


def test_second_semester_is_due_at_the_end_of_february() -> None:
    # Default day 31, two months after December: clamped to February's last day.
    ordinary, leap = (
        deadline("semesteran", "2025-S1", date(2025, 9, 1)),
        deadline("semesteran", "2023-S1", date(2023, 9, 1)),
    )

    assert ordinary is not None and ordinary.due == date(2026, 2, 28)
    assert leap is not None and leap.due == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("periodicity", "latest", "expected", "due"),
    [
        ("tahunan", "2024", "2025", date(2026, 3, 31)),
        ("triwulanan", "2025-Q3", "2025-Q4", date(2026, 2, 15)),
        ("bulanan", "2025-11", "2025-12", date(2026, 1, 15)),
        ("semesteran", "2025-S1", "2025-S2", date(2026, 2, 28)),
        ("mingguan", "2025-W52", "2026-W01", date(2026, 1, 7)),
        ("harian", "2025-12-30", "2025-12-31", date(2026, 1, 1)),
    ],
)
def test_deadlines_roll_over_into_the_next_year(
    periodicity: str, latest: str, expected: str, due: date
) -> None:
    result = deadline(periodicity, latest, date(2025, 12, 1))

    assert result is not None
    assert (result.expected.code, result.due) == (expected, due)


def test_a_dataset_override_moves_the_due_date() -> None:
    result = dataset_deadline("tahunan", "2024", date(2025, 1, 1), due_months=6, due_day=30)

    assert result is not None
    assert result.due == date(2026, 6, 30)


def test_a_dataset_override_of_the_day_alone_keeps_the_default_months() -> None:
    result = dataset_deadline("triwulanan", "2025-Q2", date(2025, 1, 1), due_day=1)

    assert result is not None
    assert result.due == date(2025, 11, 1)


def test_weekly_and_daily_rules_ignore_month_overrides() -> None:
    assert rule_for("mingguan", months=5, day=5) == DEFAULT_RULES["mingguan"]
    assert rule_for("harian", months=5, day=5) == DEFAULT_RULES["harian"]


# --- status -------------------------------------------------------------------------------

DUE = date(2026, 3, 31)  # annual 2025


@pytest.mark.parametrize(
    ("today", "status", "days_left", "days_late"),
    [
        (DUE - timedelta(days=100), "mutakhir", 100, 0),
        (DUE - timedelta(days=SOON_DAYS + 1), "mutakhir", 15, 0),
        (DUE - timedelta(days=SOON_DAYS), "segera", 14, 0),
        (DUE - timedelta(days=1), "segera", 1, 0),
        (DUE, "jatuh_tempo", 0, 0),
        (DUE + timedelta(days=1), "terlambat", -1, 1),
        (date(2026, 11, 22), "terlambat", -236, 236),
    ],
)
def test_status_by_days_left(today: date, status: str, days_left: int, days_late: int) -> None:
    result = deadline("tahunan", "2024", today)

    assert result is not None
    assert result.due == DUE
    assert (result.status, result.days_left, result.days_late) == (status, days_left, days_late)


def test_an_empty_registry_owes_the_last_period_that_has_ended() -> None:
    result = deadline("tahunan", None, date(2026, 11, 22))

    assert result is not None
    assert result.expected.code == "2025"
    assert result.status == "terlambat"


@pytest.mark.parametrize(
    ("periodicity", "today", "expected"),
    [
        ("triwulanan", date(2026, 11, 22), "2026-Q3"),
        ("triwulanan", date(2026, 1, 10), "2025-Q4"),
        ("bulanan", date(2026, 1, 10), "2025-12"),
        ("semesteran", date(2026, 7, 1), "2026-S1"),
        ("harian", date(2026, 3, 1), "2026-02-28"),
        ("mingguan", date(2021, 1, 5), "2020-W53"),
    ],
)
def test_with_nothing_registered_the_owed_period_is_the_previous_one(
    periodicity: str, today: date, expected: str
) -> None:
    result = deadline(periodicity, None, today)

    assert result is not None
    assert result.expected.code == expected


@pytest.mark.parametrize("periodicity", ["sewaktu-waktu", "dekade", ""])
def test_ad_hoc_and_unknown_periodicities_have_no_deadline(periodicity: str) -> None:
    assert deadline(periodicity, "2025", date(2026, 1, 1)) is None
    assert dataset_deadline(periodicity, "2025", date(2026, 1, 1), 1, 1) is None


# --- ISO weeks ------------------------------------------------------------------------------


def test_a_year_with_53_iso_weeks_owes_week_53_before_week_1() -> None:
    assert next_period(parse_period("2020-W52")).code == "2020-W53"
    assert next_period(parse_period("2020-W53")).code == "2021-W01"
    assert next_period(parse_period("2026-W52")).code == "2026-W53"


def test_a_year_with_52_iso_weeks_goes_straight_to_week_1() -> None:
    assert next_period(parse_period("2025-W52")).code == "2026-W01"


def test_week_53_is_due_three_days_after_its_sunday_in_the_new_year() -> None:
    result = deadline("mingguan", "2020-W52", date(2021, 1, 1))

    assert result is not None
    assert result.expected.code == "2020-W53"
    assert result.due == date(2021, 1, 6)
    assert (result.status, result.days_left) == ("segera", 5)


def test_new_years_day_belongs_to_the_last_iso_week_of_the_old_year() -> None:
    assert period_containing(date(2021, 1, 1), "mingguan").code == "2020-W53"
    assert period_containing(date(2027, 1, 3), "mingguan").code == "2026-W53"
    assert period_containing(date(2024, 12, 30), "mingguan").code == "2025-W01"
