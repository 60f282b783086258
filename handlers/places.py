"""Places a question names that the registry does not hold.

A question about "IPM Kabupaten Bandung" in a Jawa Timur registry must not be answered with
the default region's figure: the name is looked up in the Kemendagri list, and a place found
there (or a "Kecamatan …" that is nowhere) is reported as not in the registry. Only
provinsi and kabupaten/kota names are looked for on their own; kecamatan and desa names are
everyday words too often ("Sentul", "Jati"), so they count only after a level word.
"""

from __future__ import annotations

from functools import cache

from handlers.catalog import LEVEL_WORDS, LEVEL_WORDS_AFTER, Catalog, PhraseIndex, base_name
from storage.tables.gazetteer import Gazetteer
from storage.tables.reading import Place

# Level words a name follows ("Kabupaten Bandung", "Kec. Bangil"), by the level they name.
BEFORE_NAME = {w: level for w, level in LEVEL_WORDS.items() if w not in LEVEL_WORDS_AFTER}
LARGE = ("kabupaten", "kota", "provinsi")
LARGE_LEVELS = {word: level for word, level in BEFORE_NAME.items() if level in LARGE}
SMALL_LEVELS = {  # and as a name of that level begins: "Kecamatan"
    word: level.capitalize() for word, level in BEFORE_NAME.items() if level not in LARGE
}
MAX_NAME_WORDS = 3


@cache
def large_places() -> PhraseIndex[Place]:
    """Every provinsi, kabupaten and kota of the list by the name people type ("Bandung")."""
    gazetteer = Gazetteer.default()
    index: PhraseIndex[Place] = PhraseIndex()
    for code in gazetteer.codes(max_depth=2):
        place = gazetteer.place(code)
        if place is not None:
            index.add(base_name(place.name), place)
    return index


def place_words() -> frozenset[str]:
    """Words of provinsi and kabupaten/kota names: never "corrected" into a registry word
    ("Lampung" is not a typo of "Lamongan")."""
    return frozenset(large_places().words)


def outside_places(catalog: Catalog, words: list[str], known: frozenset[str]) -> list[str]:
    """Names of places in `words` (regions already masked out) that the registry lacks.

    `known` are the words that mean something else (indicators, question words), so a
    level word followed by one of them ("kecamatan dengan …") names no place.
    """
    found: list[str] = []
    taken: set[int] = set()
    for match in large_places().find(words):
        before = words[match.start - 1] if match.start > 0 else ""
        level = LARGE_LEVELS.get(before)
        places = [p for p in match.payloads if level is None or p.level == level]
        if not places or any(_held(catalog, p) for p in places):
            continue
        if level is None and match.phrase in known:
            continue  # an indicator word that is also a place name, said without a level
        found.append(places[0].name if len(places) == 1 or level else base_name(places[0].name))
        taken.update(range(match.start, match.end))
    for index, word in enumerate(words):
        level_name = SMALL_LEVELS.get(word)
        if level_name is None or index + 1 in taken:
            continue
        name = []
        for follower in words[index + 1 : index + 1 + MAX_NAME_WORDS]:
            if not follower or follower in known or follower.isdigit():
                break
            name.append(follower)
        if name:
            found.append(f"{level_name} {' '.join(name).title()}")
    return found


def _held(catalog: Catalog, place: Place) -> bool:
    """Whether the registry has the place (by its BPS code, or by name where it has none)."""
    if place.bps_code is not None:
        return place.bps_code in catalog.by_code
    return any(r.name == place.name for r in catalog.regions.values())
