"""Which values a check calls unlikely against the period before, and how it says so."""

from __future__ import annotations

from storage.plausibility import warnings
from storage.tables.reading import Place, Value

PURWODADI = Place("35.14.01", "Purwodadi", "kecamatan", "35.14")
UNITS = {"penduduk": ("jiwa", "Penduduk"), "miskin": ("persen", "Persentase Penduduk Miskin")}
LABELS = {"jenis_kelamin=perempuan": "Perempuan"}


def said(indicator: str, value: float, before: float | None, decimals: int = 0) -> list[str]:
    categories = (("jenis_kelamin", "perempuan"),)
    cell = Value(indicator, PURWODADI, "2025", categories, value, decimals, False)
    previous = (
        {} if before is None else {(indicator, PURWODADI.code, "jenis_kelamin=perempuan"): before}
    )
    return warnings([cell], previous, "2024", UNITS, LABELS)


def test_counts_that_triple_fall_to_a_third_or_to_zero_are_unlikely() -> None:
    assert said("penduduk", 3000, 1000) == [
        "Purwodadi, Perempuan: 3.000 (2024: 1.000), naik 3,0 kali lipat"
    ]
    assert said("penduduk", 300, 1000) == [
        "Purwodadi, Perempuan: 300 (2024: 1.000), turun ke 30 persen"
    ]
    assert said("penduduk", 0, 1000) == ["Purwodadi, Perempuan: 0 (2024: 1.000), turun ke 0"]


def test_ordinary_changes_and_new_cells_are_not() -> None:
    assert said("penduduk", 2900, 1000) == []
    assert said("penduduk", 400, 1000) == []
    assert said("penduduk", 0, None) == []  # nothing to compare with
    assert said("penduduk", 0, 0) == []


def test_percentages_move_by_points_and_stay_within_0_and_100() -> None:
    assert said("miskin", 35.5, 12.0, 1) == [
        "Purwodadi, Perempuan: 35,5 (2024: 12,0), berubah 23,5 poin"
    ]
    assert said("miskin", 31.0, 12.0, 1) == []
    assert said("miskin", 101.0, None, 1) == ["Purwodadi, Perempuan: 101,0, di luar 0–100 persen"]


def test_a_total_summed_from_its_categories_is_left_to_its_parts() -> None:
    total = Value("penduduk", PURWODADI, "2025", (), 9000, 0, True)

    assert warnings([total], {("penduduk", PURWODADI.code, ""): 1000}, "2024", UNITS, {}) == []
