"""BPS and Kemendagri region codes, where one can be told from the other.

Down to kabupaten/kota the two lists mostly agree (BPS 3514 is Kemendagri 35.14, Kabupaten
Pasuruan), but not in Papua: the provinces there were numbered apart (BPS 94 is Papua,
Kemendagri 94 is Papua Tengah), so a 9x code is never converted. A wrong code would put
one province's numbers on another.
"""

from __future__ import annotations

import re

PROVINSI_OR_KABUPATEN = re.compile(r"\d{2}|\d{4}")


def kemendagri_from_bps(code: str | None) -> str | None:
    """`35` → `35`, `3514` → `35.14`; None when the code cannot be converted for certain."""
    if code is None or not PROVINSI_OR_KABUPATEN.fullmatch(code) or code.startswith("9"):
        return None
    return code if len(code) == 2 else f"{code[:2]}.{code[2:]}"


def bps_from_kemendagri(code: str) -> str | None:
    """`35.14` → `3514`; None below kabupaten/kota (the lists number kecamatan and desa
    differently) and where the lists disagree."""
    bps = code.replace(".", "")
    return bps if kemendagri_from_bps(bps) == code else None
