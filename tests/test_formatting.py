"""Numbers and dates as Indonesian readers (and BPS tables) write them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from texts.formatting import long_date, number


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (70.21, 2, "70,21"),
        (1234567, 0, "1.234.567"),
        (-1.69, 2, "-1,69"),
        (8413.29, 2, "8.413,29"),
        (7.6, 2, "7,60"),  # published as 7.60: the trailing zero stays
        (9553.0, 0, "9.553"),  # published without decimals: none are invented
        (0.0, 2, "0,00"),
        (4617.01, 2, "4.617,01"),
    ],
)
def test_numbers_use_indonesian_separators_and_the_published_precision(
    value: float, decimals: int, expected: str
) -> None:
    assert number(value, decimals) == expected


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
