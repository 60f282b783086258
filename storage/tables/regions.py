"""Region cells to places: codes and names, within the unit that encloses them.

A kecamatan column is read within the deployment's kabupaten (or the kabupaten its rows
share), a desa column within the row's kecamatan, so "Purwodadi" the kecamatan and
"Purwodadi" its seat desa stay apart. A row naming the enclosing unit itself ("Kabupaten
Pasuruan", "Jumlah") is that unit's total. Whatever matches nothing, or several places, is
reported with the reason; no cell becomes a region the list does not have.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from storage.tables.categories import is_total
from storage.tables.gazetteer import Gazetteer, depth
from storage.tables.reading import Place, normal_key

LEVEL_NAMES = {1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}
CODE = re.compile(r"\d{2}(?:\.?\d{2}){0,2}(?:\.?\d{4})?|\d{7}")
# Labels of the enclosing unit's row in a region column, besides the totals of any column.
UNIT_TOTALS = frozenset(
    {
        "kabupaten",
        "kota",
        "kab",
        "provinsi",
        "kecamatan",
        "jumlah_kabupaten",
        "jumlah_kota",
        "total_kabupaten",
        "total_kota",
        "jumlah_provinsi",
        "jumlah_kecamatan",
        "total_kecamatan",
        "jumlah_desa",
        "total_desa",
    }
)
SHARED_PARENT = 0.8  # share of a column's places under one unit for it to be their scope


class Resolution:
    """A region cell read: the place, or why there is none."""

    __slots__ = ("place", "problem")

    def __init__(self, place: Place | None, problem: str = "") -> None:
        self.place = place
        self.problem = problem


def code_text(cell: object) -> str:
    """3514 (a number) and "3514" are the same code; 3514.0 from a spreadsheet too."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() if cell is not None else ""


class Regions:
    def __init__(self, gazetteer: Gazetteer, home: Place | None) -> None:
        self.gazetteer = gazetteer
        self.home = home

    def is_code(self, text: str) -> bool:
        return CODE.fullmatch(text) is not None

    def code_depth(self, texts: Iterable[str]) -> tuple[int | None, float]:
        """The level most of a column's codes are at, and the share of codes the list has."""
        texts = [t for t in texts if t]
        found = [p for t in texts if (p := self.gazetteer.by_code(t)) is not None]
        if not found:
            return None, 0.0
        level, _ = Counter(depth(p) for p in found).most_common(1)[0]
        return level, len(found) / len(texts)

    def name_depth(self, texts: Iterable[str], scope: Place | None) -> tuple[int | None, float]:
        """The level a column of names is at, and the share of its names found there: a
        column of kecamatan names of the home kabupaten scores 1.0 at level 3 (ties go to the
        higher level, since many a kecamatan shares its name with its seat desa)."""
        names = [t for t in texts if t and not self.is_unit_total(t)]
        if not names:
            return None, 0.0
        best: tuple[int | None, float] = (None, 0.0)
        for level in (1, 2, 3, 4):
            within = scope.code if scope is not None and depth(scope) < level else None
            found = sum(1 for t in names if self.gazetteer.by_name(t, within=within, depth=level))
            if found / len(names) > best[1]:
                best = (level, found / len(names))
        return best

    def scope(self, texts: Iterable[str], level: int, codes: bool) -> Place | None:
        """The unit a column's places share (a kecamatan table of one kabupaten on a
        province's portal): its rows are read within it, and its total row is its value."""
        home = self.home
        within = home.code if home is not None and depth(home) < level else None
        parents: Counter[str | None] = Counter()
        count = 0
        for text in texts:
            if not text or self.is_unit_total(text):
                continue
            count += 1
            if codes:
                place = self.gazetteer.by_code(text)
                parents[place.parent if place is not None else None] += 1
                continue
            found = self.gazetteer.by_name(text, within=within, depth=level)
            if len(found) == 1:
                parents[found[0].parent] += 1
        if not parents or count == 0:
            return home
        parent, shared = parents.most_common(1)[0]
        if parent is None or shared / count < SHARED_PARENT:
            return home
        return self.gazetteer.place(parent)

    def is_unit_total(self, text: str) -> bool:
        return is_total(text) or normal_key(text) in UNIT_TOTALS

    def resolve(
        self, text: str, scope: Place | None, level: int | None, codes: bool, top: bool
    ) -> Resolution:
        """The place a region cell names within `scope`; a top-level column may also name a
        place outside it when only one place in the country has that name."""
        if not text:
            return Resolution(None, f"{LEVEL_NAMES.get(level or 0, 'wilayah')} kosong")
        if codes or (self.is_code(text) and not any(c.isalpha() for c in text)):
            return self._code(text, scope, top)
        within = scope.code if scope is not None else None
        found = self.gazetteer.by_name(text, within=within, depth=level)
        if not found and (
            self.is_unit_total(text)
            or (scope is not None and scope in self.gazetteer.by_name(text, depth=depth(scope)))
        ):
            # "Jumlah", "Kabupaten Pasuruan" in its kecamatan column: the unit's own row. A
            # place named like a total ("Kota", a kecamatan of Kota Kediri) is the place.
            if scope is None:
                return Resolution(None, f"baris {text[:40]!r} tanpa wilayah induk")
            return Resolution(scope)
        if not found and top:
            found = self.gazetteer.by_name(text, depth=level)
        if len(found) == 1:
            return Resolution(found[0])
        if found:
            names = ", ".join(f"{p.name} ({p.code})" for p in found[:4])
            return Resolution(None, f"wilayah {text[:60]!r} bisa berarti beberapa: {names}")
        where = f" di {scope.name}" if scope is not None else ""
        what = LEVEL_NAMES.get(level or 0, "wilayah")
        return Resolution(None, f"{what} {text[:60]!r} tidak ditemukan{where}")

    def _code(self, text: str, scope: Place | None, top: bool) -> Resolution:
        place = self.gazetteer.by_code(text)
        if place is None:
            digits = text.replace(".", "")
            if len(digits) in (7, 10) and digits.isdigit():
                return Resolution(
                    None,
                    f"kode {text!r} bukan kode Kemendagri (kode BPS kecamatan/desa tidak "
                    "dapat dicocokkan; pakai kode Kemendagri atau nama wilayah)",
                )
            return Resolution(None, f"kode wilayah {text!r} tidak ada di daftar Kemendagri")
        inside = (
            scope is None or place.code == scope.code or place.code.startswith(scope.code + ".")
        )
        if not inside and not top:
            return Resolution(None, f"kode {text!r} tidak berada di {scope.name}")  # type: ignore[union-attr]
        return Resolution(place)
