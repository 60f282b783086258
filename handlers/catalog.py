"""In-memory index of the registry's datasets and regions, for understanding free text.

The vocabulary comes from the registry itself (dataset titles and `keywords`, region names
and `aliases`), so a newly imported dataset is understood the same way as the demo ones.
Look-ups are dictionary hits on the first word of each phrase; misspelt words are mapped
to the closest known word once per query, so cost does not grow with the registry size.
"""

from __future__ import annotations

import heapq
import math
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar

from rapidfuzz import fuzz, process

from handlers.text import tokens
from storage.models import Dataset
from storage.uow import UnitOfWork

T = TypeVar("T")

# Words that say which kind of region a name refers to, in Indonesian and English.
LEVEL_WORDS = {
    "kabupaten": "kabupaten",
    "kab": "kabupaten",
    "regency": "kabupaten",
    "district": "district",
    "kota": "kota",
    "city": "kota",
    "kotamadya": "kota",
    "provinsi": "provinsi",
    "prov": "provinsi",
    "propinsi": "provinsi",
    "province": "provinsi",
    "provinces": "provinsi",
    "regencies": "kabupaten",
    "cities": "kota",
    "kecamatan": "kecamatan",
    "kec": "kecamatan",
    "subdistrict": "kecamatan",
    "desa": "desa",
    "ds": "desa",
    "village": "desa",
    "kelurahan": "kelurahan",
    "kel": "kelurahan",
}
# English level words come after a name ("Malang Regency"); an Indonesian one after a name
# is that name's only when no other name follows it (see `_level_near`).
LEVEL_WORDS_AFTER = frozenset(
    {"regency", "regencies", "city", "cities", "province", "provinces", "district", "village"}
)
# Tables tell desa and kelurahan apart loosely: either word finds both. "District" is a
# kabupaten in some translations and a kecamatan in others.
SAME_LEVEL = {
    "district": frozenset({"kabupaten", "kecamatan"}),  # not a level by itself: see LEVELS
    "desa": frozenset({"desa", "kelurahan"}),
    "kelurahan": frozenset({"desa", "kelurahan"}),
}
LIST_WORDS = frozenset({"dan", "atau", "serta", "and", "or", "vs", "versus", "dengan"})
LEVELS = frozenset(LEVEL_WORDS.values()) - {"district"}  # what a ranking's scope can be
CATEGORY_WORDS = Path(__file__).with_name("categories.toml")
# Words many titles share that say little about which dataset is meant ("Jumlah Penduduk
# Menurut Kecamatan"): they count a tenth of a distinctive word, and alone find nothing.
GENERIC_WORDS = frozenset(
    {
        "jumlah", "banyaknya", "data", "tahun", "per", "menurut", "berdasarkan", "dan", "di",
        "dengan", "se", "tiap", "setiap", "total", "the", "of", "by", "in", "and", "number",
        "kecamatan", "desa", "kelurahan", "kabupaten", "kota", "provinsi", "pada", "yang",
        "untuk", "atas", "dalam",
    }
)  # fmt: skip
# In "Penduduk Menurut Jenis Kelamin" or "Luas Lahan Sawah per Kecamatan" the indicator is
# what comes before these words; what follows says how it is broken down.
BREAKDOWN_WORDS = frozenset({"menurut", "berdasarkan", "per", "by", "tiap", "setiap", "di"})
PARENTHESES = re.compile(r"\(([^)]*)\)")
GENERIC_WEIGHT = 0.1
COMMON_FLOOR = 500
MAX_FOUND = 100  # datasets a question's words can point to that are weighed at all
PARTIAL = 0.7  # a word of a title or keyword the question does not say in full
MIN_FUZZY_LENGTH = 5
FUZZY_CUTOFF = 80
CLOSE = 0.6  # datasets scoring this share of the best are weighed by what they hold
MAX_CANDIDATES = 40  # weighed by what they hold: one query, however many


@dataclass(frozen=True)
class DatasetEntry:
    id: int
    code: str
    title: str
    indicator_id: int
    opd_id: int
    opd_name: str
    unit: str
    periodicity: str
    classification: str
    series_group: str | None
    is_headline: bool
    note: str
    source: str
    # The breakdown's categories as (dimension, key, label), in published order.
    categories: tuple[tuple[str, str, str], ...] = ()
    # In a table of several indicators (luas panen, produksi, produktivitas), each is an
    # entry of its own: `indicator` its code, `name` the words that name it ("luas panen
    # padi"). A table of one leaves both empty: the dataset and its title name it.
    indicator: str = ""
    name: str = ""

    def categories_meant(self, asked: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The dataset's categories (dimension, key) that category words mean: the same pair,
        or the same key under another dimension (a synonym's pair has none, "")."""
        asked = set(asked)
        keys = {key for _, key in asked}
        return [(d, k) for d, k, _ in self.categories if (d, k) in asked or k in keys]

    @cached_property
    def title_words(self) -> frozenset[str]:
        """Read once: every question weighs tens of candidates by their titles' words."""
        return frozenset(tokens(self.title))

    @property
    def key(self) -> int:
        """The catalog's key: one entry per indicator."""
        return self.indicator_id

    @property
    def indicator_code(self) -> str:
        """The indicator as answers name it: the dataset's code for a table of one."""
        return self.indicator or self.code

    @property
    def search_name(self) -> str:
        return self.name or self.title

    @property
    def group(self) -> str:
        if self.indicator:
            return f"{self.code}:{self.indicator}"
        return self.series_group or self.code


@dataclass(frozen=True)
class RegionEntry:
    id: int
    code: str | None  # BPS
    name: str
    level: str
    parent_id: int | None
    kemendagri_code: str | None = None


@dataclass(frozen=True)
class OpdEntry:
    id: int
    code: str
    name: str
    short_name: str


@dataclass(frozen=True)
class Match(Generic[T]):
    start: int
    end: int
    payloads: tuple[T, ...]
    phrase: str

    @property
    def weight(self) -> int:
        return len(self.phrase)


@dataclass
class PhraseIndex(Generic[T]):
    """Multi-word phrases → payloads, matched on token windows of a query.

    Look-ups try each window length that some phrase has, so the cost depends on the
    query's length, not on how many phrases share a first word.
    """

    _phrases: dict[tuple[str, ...], list[T]] = field(default_factory=dict)
    _lengths: set[int] = field(default_factory=set)
    words: set[str] = field(default_factory=set)

    @property
    def phrases(self) -> Mapping[tuple[str, ...], list[T]]:
        return self._phrases

    def add(self, phrase: str, payload: T) -> None:
        key = tuple(tokens(phrase))
        if not key:
            return
        bucket = self._phrases.setdefault(key, [])
        if payload not in bucket:
            bucket.append(payload)
        self._lengths.add(len(key))
        self.words.update(key)

    def find(self, words: list[str]) -> list[Match[T]]:
        """Longest non-overlapping phrase matches, left to right."""
        found: list[Match[T]] = []
        for start in range(len(words)):
            for length in self._lengths:
                key = tuple(words[start : start + length])
                payloads = self._phrases.get(key) if len(key) == length else None
                if payloads:
                    found.append(Match(start, start + length, tuple(payloads), " ".join(key)))
        found.sort(key=lambda m: (-m.weight, m.start))
        chosen: list[Match[T]] = []
        taken: set[int] = set()
        for match in found:
            span = set(range(match.start, match.end))
            if not span & taken:
                chosen.append(match)
                taken |= span
        return sorted(chosen, key=lambda m: m.start)


@dataclass(frozen=True)
class Scored:
    """A dataset the words point to: `score`, the weight of the question's words its title
    and keywords hold; `rest`, the weight of the words naming its indicator (the title's
    before any breakdown or qualifier) that the question did not say. With no rest, the
    question named this indicator; "penduduk" does not name "Penduduk Miskin"."""

    dataset: DatasetEntry
    score: float
    rest: float
    matched: frozenset[str] = frozenset()  # the question's distinctive words it holds

    @property
    def named(self) -> bool:
        return self.rest == 0


def close_matches(found: list[Scored]) -> list[Scored]:
    """The datasets whose words match nearly as well as the best's, and those the question
    names (a word more, "usia", does not make "Penduduk Usia Kerja" the one meant); what they
    hold tells which of them is meant."""
    best = found[0].score
    return [s for s in found if s.named or s.score >= CLOSE * best][:MAX_CANDIDATES]


@dataclass(frozen=True)
class RegionMention:
    """A region named in a question; without candidates, a name the registry holds only at
    another level ("Kota Puspo"), which `name` says in full."""

    start: int
    end: int
    candidates: tuple[RegionEntry, ...]
    name: str = ""


class Catalog:
    """Datasets and regions, each with the extra words people use for them."""

    def __init__(
        self,
        datasets: Iterable[tuple[DatasetEntry, list[str]]],
        regions: Iterable[tuple[RegionEntry, list[str]]],
        opds: Iterable[OpdEntry] = (),
        synonyms: dict[str, list[str]] | None = None,
    ) -> None:
        synonyms = synonyms or {}
        self.datasets: dict[int, DatasetEntry] = {}
        self.regions: dict[int, RegionEntry] = {}
        self.opds = {opd.id: opd for opd in opds}
        self.dataset_index: PhraseIndex[DatasetEntry] = PhraseIndex()
        self.region_index: PhraseIndex[RegionEntry] = PhraseIndex()
        self.opd_index: PhraseIndex[OpdEntry] = PhraseIndex()
        for opd in self.opds.values():
            for phrase in (opd.name, opd.short_name, opd.code.replace("-", " ")):
                self.opd_index.add(phrase, opd)
        # Each dataset's words, and for each word the datasets holding it (word scoring).
        self._words: dict[int, frozenset[str]] = {}
        self._core: dict[int, frozenset[str]] = {}
        postings: dict[str, list[int]] = defaultdict(list)
        for dataset, keywords in datasets:
            entry = dataset.key
            self.datasets[entry] = dataset
            # "(IPM)" in a title is its short form, as good as a keyword.
            name = dataset.search_name
            short = [p for p in PARENTHESES.findall(name) if len(tokens(p)) == 1]
            # A column of a table of several is named by its own words: the table's code and
            # keywords are the whole table's, and its unit tells it from the others ("berapa
            # ton produksi padi"); they are words it holds, never its name.
            if dataset.indicator:
                phrases: tuple[str, ...] = (name, *short)
                held = [*tokens(dataset.unit), *tokens(dataset.code), *keywords]
            else:
                phrases = (name, dataset.code.replace("_", " "), *keywords, *short)
                held = []
            for phrase in phrases:
                self.dataset_index.add(phrase, dataset)
            self._words[entry] = frozenset(
                [*(w for p in held for w in tokens(p)), *(w for p in phrases for w in tokens(p))]
            )
            self._core[entry] = core_words(name)
            for word in self._words[entry]:
                postings[word].append(entry)
        self._postings = {word: frozenset(held) for word, held in postings.items()}
        # A word weighs more the fewer datasets hold it; one in more than a twentieth of a
        # large registry's titles is common (never fewer than COMMON_FLOOR of them).
        self._common = max(COMMON_FLOOR, len(self.datasets) // 20)
        self._idf = {
            word: math.log(1 + len(self.datasets) / len(held))
            for word, held in self._postings.items()
        }
        # Category words of every dataset ("perempuan", "wanita"): a question naming one
        # asks for that category, or is told the dataset has no such breakdown.
        self.category_index: PhraseIndex[tuple[str, str]] = PhraseIndex()
        for dataset in self.datasets.values():
            for dimension, key, label in dataset.categories:
                for phrase in (label, key.replace("_", " "), *synonyms.get(key, ())):
                    self.category_index.add(phrase, (dimension, key))
        for phrase_key, words in synonyms.items():
            for phrase in words:
                self.category_index.add(phrase, ("", phrase_key))
        for region, aliases in regions:
            self.regions[region.id] = region
            # "Gondang Wetan" is also written "Gondangwetan" (and the other way round).
            compact = "".join(tokens(base_name(region.name)))
            for phrase in (base_name(region.name), compact, *aliases):
                self.region_index.add(phrase, region)
        self.groups: dict[str, list[DatasetEntry]] = defaultdict(list)
        self._by_opd: dict[int, list[DatasetEntry]] = defaultdict(list)
        for dataset in self.datasets.values():
            self.groups[dataset.group].append(dataset)
            self._by_opd[dataset.opd_id].append(dataset)
        self._headline_titles = {d.key: d.title for d in self.datasets.values() if d.is_headline}
        self.by_code = {r.code: r for r in self.regions.values() if r.code}
        self.children: dict[int, list[RegionEntry]] = defaultdict(list)
        for region in self.regions.values():
            if region.parent_id is not None:
                self.children[region.parent_id].append(region)
        self._vocabulary = sorted(
            set(self._postings)
            | self.region_index.words
            | self.opd_index.words
            | self.category_index.words
            | set(LEVEL_WORDS)
        )
        self._known = frozenset(self._vocabulary)
        # Words that mean an indicator, an agency or a level rather than a place name.
        self.known_words = frozenset(set(self._postings) | self.opd_index.words | set(LEVEL_WORDS))
        self._corrections: dict[str, str] = {}

    @classmethod
    async def load(cls, uow: UnitOfWork) -> Catalog:
        datasets = [
            (entry, _split(d.keywords)) for d in await uow.datasets.all() for entry in entries(d)
        ]
        regions = [
            (
                RegionEntry(r.id, r.code, r.name, r.level, r.parent_id, r.kemendagri_code),
                _split(r.aliases),
            )
            for r in await uow.regions.all()
        ]
        opds = [OpdEntry(o.id, o.code, o.name, o.short_name) for o in await uow.opds.all()]
        synonyms = tomllib.loads(CATEGORY_WORDS.read_text(encoding="utf-8"))
        return cls(datasets, regions, opds, synonyms)

    def topic_words(self, words: list[str]) -> list[str]:
        """The words that say what a question is about: held by some dataset's title or
        keywords, neither generic ("jumlah") nor a category ("perempuan")."""
        return [
            word
            for word in words
            if word in self._postings
            and word not in GENERIC_WORDS
            and word not in self.category_index.words
        ]

    def knows(self, word: str) -> bool:
        """A word of a dataset, region, agency, category or level."""
        return word in self._known

    def correct(self, words: list[str], extra_known: frozenset[str] = frozenset()) -> list[str]:
        """Replace unknown words by the closest known one (typos), leave the rest alone."""
        return [
            word
            if word in self._known
            or word in extra_known
            or len(word) < MIN_FUZZY_LENGTH
            or word.isdigit()
            else self._closest(word)
            for word in words
        ]

    def _closest(self, word: str) -> str:
        if word not in self._corrections:
            best = process.extractOne(
                word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if len(self._corrections) > 50_000:
                self._corrections.clear()
            self._corrections[word] = best[0] if best else word
        return self._corrections[word]

    def by_opd(self, opd_ids: set[int]) -> list[DatasetEntry]:
        return [d for opd_id in opd_ids for d in self._by_opd.get(opd_id, [])]

    def find_opds(self, words: list[str]) -> list[Match[OpdEntry]]:
        return self.opd_index.find(words)

    def join_names(self, words: list[str]) -> list[str]:
        """Two words that together are a region's one-word name ("gondang wetan" for
        Gondangwetan) as that word, unless the two are a name as they stand."""
        joined: list[str] = []
        index = 0
        while index < len(words):
            pair = words[index : index + 2]
            together = "".join(pair)
            if (
                len(pair) == 2
                and (together,) in self.region_index.phrases
                and tuple(pair) not in self.region_index.phrases
            ):
                joined.append(together)
                index += 2
            else:
                joined.append(words[index])
                index += 1
        return joined

    def find_regions(self, words: list[str]) -> list[RegionMention]:
        mentions: list[RegionMention] = []
        listed: tuple[str | None, int] = (None, -1)  # the level of a list of names, and its end
        for match in self.region_index.find(words):
            level, start, end = _level_near(words, match.start, match.end, self.region_index.words)
            candidates = match.payloads
            in_list = listed[0] and all(w in LIST_WORDS for w in words[listed[1] : start])
            if level is None and in_list and len(candidates) > 1:
                # "kec bangil, pandaan dan purwodadi": the list's level word is each name's.
                same = SAME_LEVEL.get(listed[0] or "", frozenset({listed[0]}))
                candidates = tuple(r for r in candidates if r.level in same) or candidates
            listed = (level or (listed[0] if in_list else None), end)
            if level:
                # "Kota Pasuruan" is never read as Kabupaten Pasuruan: without a region of
                # that level the name is no mention (and may be a place the registry lacks).
                same = SAME_LEVEL.get(level, frozenset({level}))
                candidates = tuple(r for r in candidates if r.level in same)
                if not candidates:
                    name = f"{level.capitalize()} {base_name(match.payloads[0].name)}"
                    mentions.append(RegionMention(start, end, (), name))
                    continue
            mentions.append(RegionMention(start, end, candidates))
        return self._qualified(words, mentions)

    def _qualified(self, words: list[str], mentions: list[RegionMention]) -> list[RegionMention]:
        """ "Kecamatan Krembung Kabupaten Sidoarjo", "Desa Sentul di Kecamatan Purwodadi": a
        name right after another that encloses it says where the first is; one place."""
        merged: list[RegionMention] = []
        for mention in mentions:
            previous = merged[-1] if merged else None
            gap = words[previous.end : mention.start] if previous else None
            if previous is not None and gap is not None and gap in ([], ["di"], ["in"]):
                enclosing = {r.id for r in mention.candidates}
                inside = tuple(r for r in previous.candidates if self._within(r, enclosing))
                if inside:
                    merged[-1] = RegionMention(previous.start, mention.end, inside)
                    continue
            merged.append(mention)
        return merged

    def _within(self, region: RegionEntry, enclosing: set[int]) -> bool:
        parent = region.parent_id
        while parent is not None:
            if parent in enclosing:
                return True
            parent = self.regions[parent].parent_id if parent in self.regions else None
        return False

    def find_datasets(self, words: list[str]) -> list[Scored]:
        """Datasets the words point to, best first.

        A word weighs more the fewer datasets hold it (inverse document frequency), so in a
        registry of thousands "penduduk" says little and "stunting" much. A word counts in
        full where it is part of a whole title or keyword the question says ("orang miskin"),
        or the question has every distinctive word of the title in any order; less where the
        dataset merely has it somewhere. Only distinctive words find datasets;
        generic ones add to those found.
        """
        asked = {word for word in words if word}
        whole: dict[int, set[str]] = defaultdict(set)
        for match in self.dataset_index.find(words):
            phrase = match.phrase.split()
            for dataset in match.payloads:
                whole[dataset.key].update(phrase)
        distinctive = asked - GENERIC_WORDS
        # Datasets are found by the question's rarer words; a word in thousands of titles
        # ("persentase") only adds to those, unless the question has no rarer one.
        rare = {w for w in distinctive if 0 < len(self._postings.get(w, ())) <= self._common}
        finding = rare or distinctive
        found = {d for word in finding for d in self._postings.get(word, ())}
        for dataset_id in found:
            if self._core[dataset_id] <= asked:
                whole[dataset_id] |= self._core[dataset_id]
        scores: dict[int, float] = dict.fromkeys(found, 0.0)
        for word in asked:
            generic = word in GENERIC_WORDS
            weight = self._idf.get(word, 0.0) * (GENERIC_WEIGHT if generic else 1)
            partial = weight if generic else weight * PARTIAL
            held = self._postings.get(word, frozenset())
            said = () if generic else {d for d, phrase in whole.items() if word in phrase}
            # A word that finds nothing itself adds only to those found (most of a common
            # word's thousands of holders are not).
            for dataset_id in held if word in finding else held.intersection(scores):
                scores[dataset_id] += weight if dataset_id in said else partial
        # The best by their words, and the best of those the question names: in a registry of
        # thousands, "penduduk" is in hundreds of titles, and only the first few can be meant.
        # Ties at the cut go to the older dataset (nlargest keeps the order of equals): a
        # question always finds the same ones.
        named = [d for d in whole if d in scores]
        kept = {
            *heapq.nlargest(MAX_FOUND, sorted(scores), key=scores.__getitem__),
            *heapq.nlargest(MAX_FOUND, sorted(named), key=scores.__getitem__),
        }
        return sorted(
            (
                Scored(
                    self.datasets[dataset_id],
                    round(scores[dataset_id], 9),
                    0.0 if whole.get(dataset_id) else round(self._rest(dataset_id, asked), 9),
                    frozenset(distinctive & self._words[dataset_id]),
                )
                for dataset_id in kept
            ),
            key=lambda s: (-s.score, s.rest, s.dataset.key),
        )

    def _rest(self, dataset_id: int, asked: set[str]) -> float:
        return sum(self._idf.get(word, 0.0) for word in self._core[dataset_id] - asked)

    def similar_titles(
        self, text: str, visible: Callable[[DatasetEntry], bool], limit: int = 3
    ) -> list[DatasetEntry]:
        found = process.extract(
            text, self._headline_titles, scorer=fuzz.token_set_ratio, limit=limit * 4
        )
        close = [self.datasets[key] for _title, score, key in found if score >= 40]
        return [d for d in close if visible(d)][:limit]


def entries(dataset: Dataset) -> list[DatasetEntry]:
    """The catalog's entries for a dataset: one, or one per indicator of a table of several,
    each named by its column and the title's words no other column claims ("Luas Panen,
    Produksi dan Produktivitas Padi" → "luas panen padi", "produksi padi", …)."""
    several = len(dataset.indicators) > 1
    labels = {i.id: indicator_label(i.name, i.unit) for i in dataset.indicators}
    claimed = {word for label in labels.values() for word in tokens(label)}
    shared = [w for w in tokens(PARENTHESES.sub(" ", dataset.title)) if w not in claimed]
    return [
        DatasetEntry(
            id=dataset.id,
            code=dataset.code,
            title=f"{dataset.title}: {labels[i.id]}" if several else dataset.title,
            indicator_id=i.id,
            opd_id=dataset.opd_id,
            opd_name=dataset.opd.name,
            unit=(i.unit or dataset.unit) if several else dataset.unit,
            periodicity=dataset.periodicity,
            classification=dataset.classification,
            series_group=None if several else dataset.series_group,
            is_headline=dataset.is_headline,
            note=dataset.note,
            source=dataset.source,
            categories=tuple((c.dimension, c.key, c.label) for c in i.categories),
            indicator=i.code if several else "",
            name=" ".join([*tokens(labels[i.id]), *shared]) if several else "",
        )
        for i in dataset.indicators
    ]


def indicator_label(name: str, unit: str) -> str:
    """A column's indicator as a reader wants it: "produksi_ton" (unit ton) → "Produksi"."""
    words = tokens(name)
    unit_words = tokens(unit)
    if unit_words and words[-len(unit_words) :] == unit_words and len(words) > len(unit_words):
        words = words[: -len(unit_words)]
    return " ".join(words).title()


def core_words(title: str) -> frozenset[str]:
    """The distinctive words naming a title's indicator: those before a breakdown word,
    qualifiers in parentheses left out ("Indeks Pembangunan Manusia (UHH basis SP2010)")."""
    words = tokens(PARENTHESES.sub(" ", title))
    cut = next((i for i, word in enumerate(words) if word in BREAKDOWN_WORDS and i), len(words))
    return frozenset(words[:cut]) - GENERIC_WORDS


def base_name(region_name: str) -> str:
    """`Kabupaten Pasuruan` → `Pasuruan`: the part people type without the level word."""
    for prefix in ("Kabupaten ", "Kota ", "Provinsi ", "Kecamatan ", "Desa ", "Kelurahan "):
        if region_name.startswith(prefix):
            return region_name[len(prefix) :]
    return region_name


def _level_near(
    words: list[str], start: int, end: int, region_words: set[str]
) -> tuple[str | None, int, int]:
    """A level word right before ("Kab. Malang") or right after ("Malang Regency", "Malang
    kota") a name; an Indonesian level word after a name is the next name's when one follows
    ("Kecamatan Krembung Kabupaten Sidoarjo")."""
    # "menurut kabupaten/kota Banyuwangi": two level words are a scope, not the name's level.
    scope = start > 1 and words[start - 2] in LEVEL_WORDS
    if start > 0 and words[start - 1] in LEVEL_WORDS and not scope:
        return LEVEL_WORDS[words[start - 1]], start - 1, end
    after = words[end] if end < len(words) else ""
    next_is_name = end + 1 < len(words) and words[end + 1] in region_words
    if after in LEVEL_WORDS_AFTER or (after in LEVEL_WORDS and not next_is_name):
        return LEVEL_WORDS[after], start, end + 1
    return None, start, end


def _split(words: str) -> list[str]:
    return [word.strip() for word in words.split(";") if word.strip()]
