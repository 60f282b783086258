"""Dates as the bot writes them in Indonesian ("3 Desember 2026"), spelled out here apart from
the code under test, so that a wrong month name or order fails the tests that use them."""

from __future__ import annotations

from datetime import date

BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
         "September", "Oktober", "November", "Desember")  # fmt: skip


def tanggal(day: date) -> str:
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def read_tanggal(text: str) -> date:
    day, month, year = text.split()
    return date(int(year), BULAN.index(month) + 1, int(day))
