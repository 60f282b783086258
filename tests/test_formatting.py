"""Numbers and dates as Indonesian (and English) readers expect them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from reports.formatting import long_date, number


@pytest.mark.parametrize(
    ("value", "decimals", "language", "expected"),
    [
        (70.21, 2, "id", "70,21"),
        (70.21, 2, "en", "70.21"),
        (1234567, 0, "id", "1.234.567"),
        (1234567, 0, "en", "1,234,567"),
        (-1.69, 2, "id", "-1,69"),
        (-1.69, 2, "en", "-1.69"),
        (8413.29, 2, "id", "8.413,29"),
        (8413.29, 2, "en", "8,413.29"),
        (7.6, 2, "id", "7,60"),  # published as 7.60: the trailing zero stays
        (9553.0, 0, "id", "9.553"),  # published without decimals: none are invented
        (0.0, 2, "id", "0,00"),
    ],
)
def test_numbers_use_the_readers_separators_and_published_precision(
    value: float, decimals: int, language: str, expected: str
) -> None:
    assert number(value, decimals, language) == expected


def test_indonesian_is_the_default_language() -> None:
    assert number(70.21, 2) == "70,21"


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (date(2026, 3, 3), "id", "3 Maret 2026"),
        (date(2026, 3, 3), "en", "3 March 2026"),
        (date(2026, 8, 17), "id", "17 Agustus 2026"),
        (datetime(2026, 11, 22, 10, 30), "id", "22 November 2026"),
    ],
)
def test_long_dates_spell_out_the_month(value: date, language: str, expected: str) -> None:
    assert long_date(value, language) == expected
