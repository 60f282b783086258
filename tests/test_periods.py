"""Registry period codes: `2025`, `2025-S1`, `2025-Q3`, `2025-07`, `2025-W14`, `2025-07-31`."""

from __future__ import annotations

from datetime import date

import pytest

from domain.periods import Period, annual_period, parse_period


@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2025", "tahunan", date(2025, 1, 1), date(2025, 12, 31)),
        ("2025-S1", "semesteran", date(2025, 1, 1), date(2025, 6, 30)),
        ("2025-S2", "semesteran", date(2025, 7, 1), date(2025, 12, 31)),
        ("2025-Q1", "triwulanan", date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-Q3", "triwulanan", date(2025, 7, 1), date(2025, 9, 30)),
        ("2025-Q4", "triwulanan", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-07", "bulanan", date(2025, 7, 1), date(2025, 7, 31)),
        ("2025-12", "bulanan", date(2025, 12, 1), date(2025, 12, 31)),
        ("2025-W14", "mingguan", date(2025, 3, 31), date(2025, 4, 6)),
        ("2025-W01", "mingguan", date(2024, 12, 30), date(2025, 1, 5)),
        ("2026-W53", "mingguan", date(2026, 12, 28), date(2027, 1, 3)),
        ("2025-07-31", "harian", date(2025, 7, 31), date(2025, 7, 31)),
    ],
)
def test_each_period_form_covers_the_right_days_and_round_trips(
    code: str, kind: str, start: date, end: date
) -> None:
    period = parse_period(code)

    assert period == Period(start, end, kind)
    assert period.code == code


@pytest.mark.parametrize(
    ("year", "end"),
    [(2024, date(2024, 2, 29)), (2025, date(2025, 2, 28)), (2000, date(2000, 2, 29))],
)
def test_february_ends_on_the_29th_only_in_leap_years(year: int, end: date) -> None:
    assert parse_period(f"{year}-02").end == end


def test_first_half_of_a_leap_year_still_ends_on_30_june() -> None:
    assert parse_period("2024-S1").end == date(2024, 6, 30)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [(" 2025-q3 ", "2025-Q3"), ("2025-s1", "2025-S1"), ("2025-w4", "2025-W04")],
)
def test_lower_case_padding_and_spaces_are_tolerated(typed: str, canonical: str) -> None:
    assert parse_period(typed).code == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "abc",
        "25",
        "2025-13",
        "2025-00",
        "2025-S3",
        "2025-Q5",
        "2025-Q0",
        "2025-W54",
        "2025-W53",  # 2025 has only 52 ISO weeks
        "2025-02-30",
        "2025/07",
        "Juli 2025",
    ],
)
def test_malformed_periods_raise_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_period(bad)


def test_canonical_codes_sort_in_time_order() -> None:
    weeks = ["2025-W02", "2025-W10", "2025-W09", "2024-W52"]
    assert sorted(weeks) == sorted(weeks, key=lambda code: parse_period(code).start)


def test_annual_period_is_the_year() -> None:
    assert annual_period(2023) == "2023"
    assert parse_period(annual_period(2023)).kind == "tahunan"
