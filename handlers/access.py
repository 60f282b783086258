"""Who may see a dataset's values, by its classification (klasifikasi)."""

from __future__ import annotations

from handlers.catalog import DatasetEntry
from handlers.context import Viewer

# terbatas values: leadership, the data steward, and the producing OPD's own people.
RESTRICTED_READERS = frozenset({"pimpinan", "walidata"})


def may_see_values(viewer: Viewer, dataset: DatasetEntry) -> bool:
    if dataset.classification == "terbuka":
        return True
    if dataset.classification == "terbatas":
        return bool(viewer.roles & RESTRICTED_READERS) or (
            viewer.opd_id is not None and viewer.opd_id == dataset.opd_id
        )
    return False  # tertutup: never in chat


def may_see_metadata(viewer: Viewer, dataset: DatasetEntry) -> bool:
    """A tertutup dataset's existence is itself restricted to the walidata."""
    return dataset.classification != "tertutup" or "walidata" in viewer.roles
