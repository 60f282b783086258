"""What a package's tables looked like, in one short string stored with its dataset.

A portal's table can change without the package's modification time moving (rows appended to
a CKAN DataStore table through the API, say). The digest has two halves: what the listing
itself shows of the resources (ids, times, sizes, whether a table store holds their rows),
compared on every sync at no cost, and the row count of each stored table, asked for on the
full daily sync (one small request per table) and known for free whenever the tables are read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

HALF = 32  # hex characters of each half; both fit Dataset.tables_digest


def listing_digest(resources: Iterable[Iterable[object]]) -> str:
    """The first half: one line of plain values per resource, in any order."""
    lines = sorted(json.dumps(list(r), default=str, ensure_ascii=True) for r in resources)
    return _hash(lines)


def tables_digest(listing: str, row_counts: Mapping[str, int]) -> str:
    """Both halves: `listing` and the row count of every stored table (by resource id)."""
    return listing[:HALF] + _hash(sorted(row_counts.items()))


def same_listing(known: str | None, listing: str) -> bool:
    """The listing shows the resources as they were when the package was last read."""
    return known is not None and known[:HALF] == listing[:HALF]


def same_tables(known: str | None, digest: str) -> bool:
    """The resources and the row counts of their tables are as they were."""
    return known is not None and len(digest) == 2 * HALF and known == digest


def _hash(value: object) -> str:
    text = json.dumps(value, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:HALF]
