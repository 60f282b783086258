"""How a dataset is laid out as a table for people: the template a liaison fills in and the
verified table the portal is given share it, so either reads back into the dataset as it is.

Columns: the region's code and name (the name as a region column lists it), the period, a
column per category dimension, a column per indicator in its unit.
"""

from __future__ import annotations

from collections.abc import Iterable

from handlers.catalog import base_name, indicator_label
from storage.models import Dataset

# A region column's header by the levels it lists; any other mix is "Wilayah".
REGION_HEADERS = {
    frozenset({"provinsi"}): "Provinsi",
    frozenset({"kabupaten"}): "Kabupaten/Kota",
    frozenset({"kota"}): "Kabupaten/Kota",
    frozenset({"kabupaten", "kota"}): "Kabupaten/Kota",
    frozenset({"kecamatan"}): "Kecamatan",
    frozenset({"desa"}): "Desa/Kelurahan",
    frozenset({"kelurahan"}): "Desa/Kelurahan",
    frozenset({"desa", "kelurahan"}): "Desa/Kelurahan",
}


def region_header(levels: Iterable[str]) -> str:
    return REGION_HEADERS.get(frozenset(levels), "Wilayah")


def region_name(name: str, level: str) -> str:
    """As a region column lists it: "Purwodadi" under "Kecamatan"; a kabupaten or kota, a
    desa or kelurahan with the word that tells them apart."""
    return base_name(name) if level == "kecamatan" else name


def categories(dataset: Dataset) -> dict[str, tuple[str, dict[str, str]]]:
    """dimension key → (its label, category key → label), in the table's order."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for indicator in sorted(dataset.indicators, key=lambda i: i.position):
        for category in sorted(indicator.categories, key=lambda c: c.position):
            _, labels = found.setdefault(category.dimension, (category.dimension_label, {}))
            labels.setdefault(category.key, category.label)
    return found


def dimensions(dataset: Dataset) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each category dimension of the dataset's indicators with its categories, in the
    table's order."""
    return tuple((label, tuple(labels.values())) for label, labels in categories(dataset).values())


def value_columns(dataset: Dataset) -> tuple[tuple[int | None, str, str], ...]:
    """(indicator id, label, unit) of each value column, in the table's order: one
    indicator is "Nilai", several are named after themselves."""
    indicators = sorted(dataset.indicators, key=lambda i: i.position)
    several = len(indicators) > 1
    return tuple(
        (i.id, indicator_label(i.name, i.unit) if several else "Nilai", i.unit or dataset.unit)
        for i in indicators
    ) or ((None, "Nilai", dataset.unit),)


def value_header(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label
