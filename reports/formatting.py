"""Numbers and dates the way Indonesian (or English) readers expect them."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALES = {"id": "id_ID", "en": "en_US"}


def number(value: float, decimals: int) -> str:
    """70.21 → "70,21"; 1234567 → "1.234.567": Indonesian format in every reply language."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALES["id"])


def long_date(value: date | datetime, language: str = "id") -> str:
    """3 Maret 2026 / 3 March 2026."""
    return format_date(value, format="d MMMM y", locale=LOCALES[language])
