"""The Kemendagri list of regions, provinsi down to desa, and finding a place in it by code or
by name the way tables and questions write them.

Names repeat everywhere (a kecamatan and its seat desa are both "Purwodadi", East Java alone
has dozens of "Sukorejo"), so a name is only ever resolved together with a level and an
enclosing unit; every candidate is returned and the caller decides what several mean. The
whole list ships with the package (`storage/wilayah/`), so a deployment for any province or
kabupaten works without downloads; it is read once per process, on first use.
"""

from __future__ import annotations

import csv
import gzip
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from storage.region_codes import kemendagri_from_bps
from storage.tables.reading import Place, normal_key

DATA = Path(__file__).parent.parent / "wilayah" / "kode_wilayah_kemendagri_2025.csv.gz"
DEPTHS = {"provinsi": 1, "kabupaten": 2, "kota": 2, "kecamatan": 3, "desa": 4, "kelurahan": 4}
DOTTED = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
# Undotted Kemendagri codes by length: where the dots go. A 7-digit code is a BPS kecamatan
# code, numbered differently from Kemendagri's below kabupaten: it is never mapped.
SEGMENTS = {2: (2,), 4: (2, 2), 6: (2, 2, 2), 10: (2, 2, 2, 4)}
# Words written before a name, and the levels they say the place is at. Desa and kelurahan
# are told apart loosely in tables, so either word finds both.
PREFIXES: dict[str, frozenset[str]] = {
    "provinsi": frozenset({"provinsi"}),
    "propinsi": frozenset({"provinsi"}),
    "prov": frozenset({"provinsi"}),
    "kabupaten": frozenset({"kabupaten"}),
    "kab": frozenset({"kabupaten"}),
    "kota": frozenset({"kota"}),
    "kecamatan": frozenset({"kecamatan"}),
    "kec": frozenset({"kecamatan"}),
    "desa": frozenset({"desa", "kelurahan"}),
    "kelurahan": frozenset({"desa", "kelurahan"}),
    "kel": frozenset({"desa", "kelurahan"}),
}
# The list's own prefixes: "Kabupaten Pasuruan", "Kota Pasuruan" are also known as "Pasuruan".
LISTED_PREFIXES = {"kabupaten": "Kabupaten ", "kota": "Kota "}
# ASCII characters that are not part of a name's key (the list is ASCII but for three names).
DROP = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if not c.isalnum()))


def depth(place: Place) -> int:
    """1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan."""
    return place.code.count(".") + 1


def name_key(text: str) -> str:
    """`Bugul Kidul`, `BUGULKIDUL`, `bugul-kidul` → `bugulkidul`: spellings of one name."""
    return normal_key(text).replace("_", "")


class Gazetteer:
    _default: ClassVar[Gazetteer | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Rows of (kode, nama, tingkat); a unit's parent is its code without the last
        segment. A `Place` is made when first asked for: a process needs a few hundred of the
        91,599, and the list stays small in memory and quick to read."""
        self._rows: dict[str, tuple[str, str]] = {}
        self._names: dict[str, str | list[str]] = {}
        self._made: dict[str, Place] = {}
        levels = {level: level for level in DEPTHS}
        for code, name, level in rows:
            self._rows[code] = (name, levels.setdefault(level, level))
            self._index(name.lower().translate(DROP) if name.isascii() else name_key(name), code)
            listed = LISTED_PREFIXES.get(level)
            if listed is not None and name.startswith(listed):
                self._index(name_key(name[len(listed) :]), code)

    @classmethod
    def default(cls) -> Gazetteer:
        """The packaged Kemendagri list, read on first use and shared by the process."""
        if cls._default is None:
            with cls._lock:
                if cls._default is None:
                    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
                        cls._default = cls(_rows(lines))
        return cls._default

    def __len__(self) -> int:
        return len(self._rows)

    def place(self, code: str) -> Place | None:
        made = self._made.get(code)
        if made is None:
            row = self._rows.get(code)
            if row is None:
                return None
            parent = code.rpartition(".")[0] or None
            made = self._made.setdefault(code, Place(code, row[0], row[1], parent))
        return made

    def codes(self, max_depth: int) -> list[str]:
        """Codes of the units down to a tier (2: provinsi and kabupaten/kota), in list order."""
        return [code for code in self._rows if code.count(".") < max_depth]

    def parents(self, place: Place) -> list[Place]:
        """The enclosing units, nearest first: kecamatan, kabupaten, provinsi for a desa."""
        found = []
        parent = place.parent
        while parent is not None and (unit := self.place(parent)) is not None:
            found.append(unit)
            parent = unit.parent
        return found

    def by_code(self, text: str) -> Place | None:
        """A Kemendagri code with or without dots ("35.14.01", "351401") or a BPS provinsi or
        kabupaten/kota code ("3514", the same numbers). BPS kecamatan and desa codes (7 and 10
        digits) number places differently: a 10-digit code is taken only when the Kemendagri
        list has it, never converted."""
        code = text.strip()
        if len(code) in (2, 4) and code.isdigit() and kemendagri_from_bps(code) is None:
            return None  # Papua: BPS and Kemendagri give these numbers to different places
        if DOTTED.fullmatch(code):
            return self.place(code)
        segments = SEGMENTS.get(len(code))
        if segments is None or not code.isdigit():
            return None
        parts, start = [], 0
        for size in segments:
            parts.append(code[start : start + size])
            start += size
        return self.place(".".join(parts))

    def by_name(
        self,
        text: str,
        *,
        within: str | None = None,
        level: str | None = None,
        depth: int | None = None,
    ) -> list[Place]:
        """Every place the name can mean, in code order: any case, with or without "Kec.",
        "Desa", "Kab.", "Kota", "Provinsi"…, spaces and punctuation ignored. `within` keeps
        the descendants of that Kemendagri code; `level` one level, `depth` one tier
        (kabupaten and kota are both depth 2)."""
        words = normal_key(text).split("_")
        if not words[0]:
            return []
        codes = self._codes("".join(words))
        implied = PREFIXES.get(words[0]) if len(words) > 1 else None
        if implied is not None:
            rows = self._rows
            codes += [c for c in self._codes("".join(words[1:])) if rows[c][1] in implied]
        prefix = within + "." if within else None
        found = set()
        for code in codes:
            if (
                (prefix is None or code.startswith(prefix))
                and (depth is None or code.count(".") + 1 == depth)
                and (level is None or self._rows[code][1] == level)
            ):
                found.add(code)
        return [place for code in sorted(found) if (place := self.place(code)) is not None]

    def _codes(self, key: str) -> list[str]:
        found = self._names.get(key)
        if found is None:
            return []
        return [found] if isinstance(found, str) else list(found)

    def _index(self, key: str, code: str) -> None:
        found = self._names.get(key)
        if found is None:
            self._names[key] = code  # most names are unique: no list for them
        elif isinstance(found, str):
            if found != code:
                self._names[key] = [found, code]
        elif found[-1] != code:
            found.append(code)


def _rows(lines: Iterable[str]) -> Iterable[tuple[str, str, str]]:
    """The packaged file's lines: `kode,nama,tingkat,kode_induk`."""
    lines = iter(lines)
    next(lines, None)
    for text in lines:
        line = text.rstrip("\r\n")
        if not line:
            continue
        if '"' in line:  # the two names with a comma in them
            code, name, level, _ = next(csv.reader([line]))
        else:
            code, name, level, _ = line.split(",")
        yield code, name, level
