"""Numbers and dates the way Indonesian (or English) readers expect them."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, get_month_names
from babel.numbers import format_decimal

LOCALES = {"id": "id_ID", "en": "en_US"}


def number(value: float, decimals: int) -> str:
    """70.21 → "70,21"; 1234567 → "1.234.567": Indonesian format in every reply language."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALES["id"])


@lru_cache(maxsize=4096)
def long_date(value: date | datetime, language: str = "id") -> str:
    """3 Maret 2026 / 3 March 2026 (cached: reminders repeat the same few dates)."""
    return format_date(value, format="d MMMM y", locale=LOCALES[language])


ROMAN = ("I", "II", "III", "IV")
PERIOD_WORDS = {
    "id": {
        "quarter": "Triwulan {n} {year}",
        "semester": "Semester {n} {year}",
        "week": "Minggu ke-{n} {year}",
    },
    "en": {"quarter": "Q{n} {year}", "semester": "H{n} {year}", "week": "Week {n}, {year}"},
}


def period_label(code: str, language: str = "id") -> str:
    """2025 → 2025; 2025-07 → Juli 2025; 2025-Q3 → Triwulan III 2025; 2025-07-31 → 31 Juli 2025.

    Anything that is not a period code is returned as it is.
    """
    words = PERIOD_WORDS[language]
    year, _, rest = code.partition("-")
    if not rest or not year.isdigit():
        return code
    if rest.startswith("Q") and rest[1:].isdigit():
        number = int(rest[1:])
        return words["quarter"].format(
            n=ROMAN[number - 1] if language == "id" else number, year=year
        )
    if rest.startswith("S") and rest[1:].isdigit():
        return words["semester"].format(n=int(rest[1:]), year=year)
    if rest.startswith("W") and rest[1:].isdigit():
        return words["week"].format(n=int(rest[1:]), year=year)
    if rest.isdigit() and len(rest) == 2:
        month = get_month_names("wide", locale=LOCALES[language])[int(rest)]
        return f"{month} {year}"
    if len(rest) == 5:
        return long_date(date.fromisoformat(code), language)
    return code
