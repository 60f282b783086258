"""Text normalisation shared by the search index and the question parser."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, no diacritics, words separated by single spaces.

    Hyphens and dots split words ("rata-rata" → "rata rata", "Kab." → "kab"), so the
    vocabulary is written the same way.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_only).strip()


def tokens(text: str) -> list[str]:
    return normalise(text).split()
