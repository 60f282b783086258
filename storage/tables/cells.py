"""Numbers as tables publish them: JSON numbers, and text written the Indonesian way
("1.234.567", "12,5", "1.234,5") or the international way ("1,234.5").

Most cells say which way they are written; "1.234" and "1,234" do not. A column is written
one way throughout, so the reader asks `number_style` which way its unambiguous cells are
written and reads the ambiguous ones the same way; a column that mixes both ways leaves them
unread rather than guessed. Markers of a missing value ("-", "", "n/a", "x", …) are neither
zero nor an error: `number` answers None for them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any, Literal

Style = Literal["id", "en", "mixed"]
MISSING = frozenset({"", "-", "–", "—", "--", "n/a", "na", "n.a.", "...", "…", "x", "null"})
# "1.234" is a thousand in Indonesian and a fraction in English; "1,234" the other way round.
DOT_THOUSANDS = re.compile(r"-?\d{1,3}\.\d{3}")
COMMA_THOUSANDS = re.compile(r"-?\d{1,3},\d{3}")
# Read only one way (once the two forms above are set aside).
INDONESIAN = re.compile(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?|-?\d+,\d+")
INTERNATIONAL = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+\.\d+")
PLAIN = re.compile(r"-?\d+(?:\.\d+)?")


class NotANumber(ValueError):
    """A cell that is neither a number nor a missing marker; the message says what it was."""


def is_missing(cell: Any) -> bool:
    if cell is None:
        return True
    return isinstance(cell, str) and cell.strip().casefold() in MISSING


def number(cell: Any, style: Style | None = None) -> tuple[float, int] | None:
    """(value, decimals as published), or None for a missing value. `style` is the column's
    way of writing (see `number_style`); without it an ambiguous cell is read the Indonesian
    way, which is how Indonesian tables write thousands."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise NotANumber(f"nilai {cell!r} bukan angka")
    if isinstance(cell, int):
        return float(cell), 0
    if isinstance(cell, float):
        if math.isnan(cell):
            return None  # how spreadsheets and data frames write an empty cell
        if not math.isfinite(cell):
            raise NotANumber("nilai bukan angka terhingga")
        text = repr(cell)
        return cell, 0 if "e" in text else len(text.partition(".")[2])
    raw = str(cell).strip()
    if raw.isascii() and raw.isdigit():  # most cells of most tables: no need for the patterns
        return float(raw), 0
    if raw.casefold() in MISSING:
        return None
    text = _bare(raw)
    ambiguous = DOT_THOUSANDS.fullmatch(text) or COMMA_THOUSANDS.fullmatch(text)
    if ambiguous and style == "mixed":
        raise NotANumber(f"nilai {raw[:30]!r} dapat berarti ribuan atau pecahan")
    if ambiguous:
        english = style == "en"
        thousands = "," if english else "."
        text = text.replace(thousands, "").replace(",", ".")
    elif INDONESIAN.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif INTERNATIONAL.fullmatch(text):
        text = text.replace(",", "")
    if not PLAIN.fullmatch(text):
        raise NotANumber(f"nilai {raw[:30]!r} bukan angka")
    return float(text), len(text.partition(".")[2])


def number_style(cells: Iterable[Any]) -> Style | None:
    """How a column writes its numbers, from the cells that can only be read one way: "id",
    "en", "mixed" (both ways appear), or None (no cell tells)."""
    indonesian = international = False
    for cell in cells:
        if not isinstance(cell, str):
            continue
        text = _bare(cell)
        if DOT_THOUSANDS.fullmatch(text) or COMMA_THOUSANDS.fullmatch(text):
            continue
        if INDONESIAN.fullmatch(text):
            indonesian = True
        elif INTERNATIONAL.fullmatch(text):
            international = True
        if indonesian and international:
            return "mixed"
    return "id" if indonesian else "en" if international else None


def _bare(text: str) -> str:
    """The number without what may stand around it: "Rp 1.500", "12,5 %"."""
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if text[:2].casefold() == "rp":
        text = text[3:] if text[2:3] == "." else text[2:]
    return text[:-1] if text.endswith("%") else text
