"""From free text to a structured question: intent, datasets, regions, period.

Indicator and region words come from the registry (`Catalog`); the words that shape a
question (ranking, trend, "tahun lalu", month names) come from `vocabulary.toml`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

from domain.periods import parse_period
from handlers.catalog import (
    LEVEL_WORDS,
    LEVELS,
    Catalog,
    Match,
    OpdEntry,
    PhraseIndex,
    RegionMention,
    Scored,
)
from handlers.places import outside_places, place_words
from handlers.text import tokens

VOCABULARY = Path(__file__).with_name("vocabulary.toml")
YEAR = re.compile(r"^(19[5-9]\d|20\d\d)$")
QUARTER_TOKEN = re.compile(r"^(?:q|tw)([1-4])$")
SEMESTER_TOKEN = re.compile(r"^s([12])$")
SCHOOL_YEAR_WORDS = frozenset({"ajaran", "pelajaran", "ta", "tp"})
MIN_UNKNOWN = 3  # shorter words are units ("ha") and particles more often than names
SMALL_NUMBER = re.compile(r"^([1-9]|[1-3]\d|40)$")


@dataclass(frozen=True)
class PeriodAsk:
    """What period the question asks for.

    kind: latest | exact (`code`) | range (`first`..`last` years) | last_n (`count` periods)
    """

    kind: str = "latest"
    code: str | None = None
    first: int | None = None
    last: int | None = None
    count: int | None = None

    def encode(self) -> str:
        """Compact form for button data (64 bytes on Telegram)."""
        match self.kind:
            case "exact":
                return self.code or ""
            case "range":
                return f"{self.first}~{self.last}"
            case "last_n":
                return f"L{self.count}"
        return ""

    @classmethod
    def decode(cls, text: str) -> PeriodAsk:
        """Inverse of `encode`; raises ValueError for anything `encode` cannot produce."""
        if not text:
            return cls()
        if text.startswith("L"):
            if not SMALL_NUMBER.match(text[1:]):
                raise ValueError(f"bad period count {text!r}")
            return cls("last_n", count=int(text[1:]))
        if "~" in text:
            first, last = text.split("~")
            if not (YEAR.match(first) and YEAR.match(last)) or first > last:
                raise ValueError(f"bad period range {text!r}")
            return cls("range", first=int(first), last=int(last))
        return cls("exact", code=parse_period(text).code)


@dataclass(frozen=True)
class Question:
    text: str
    intent: str  # value, trend, compare, rank, producer, updated, list, late, deadline
    datasets: list[Scored]
    regions: list[RegionMention]
    period: PeriodAsk
    direction: str = "high"  # for rank: high or low
    limit: int | None = None  # "top 3"
    opds: list[OpdEntry] = field(default_factory=list)
    level: str | None = None  # "provinsi dengan ... tertinggi": a level named without a region
    # Places named that the registry lacks ("Kabupaten Bandung" in a Jawa Timur registry).
    outside: tuple[str, ...] = ()
    # Category words ("perempuan"), each with the (dimension, key) pairs they may mean.
    categories: tuple[Match[tuple[str, str]], ...] = ()
    # Words nothing in the registry or the question vocabulary knows ("reses"): maybe a
    # category the dataset does not have, so its total is not the answer.
    unknown: tuple[str, ...] = ()
    # What the question is about in its own words, without region, period, level, category
    # and question words ("prevalensi stunting"): what is said to be missing when nothing is
    # found, and why a question of its own is not read as a follow-up.
    topic: tuple[str, ...] = ()
    # Whether words said what is asked ("tertinggi", "tren"), and the period ("2020",
    # "terbaru"): a follow-up keeps the previous question's where they did not.
    shaped: bool = False
    period_said: bool = False
    # Opens with a word that continues the conversation ("kalau", "bagaimana dengan", "dan").
    follow_up: bool = False
    # Filled in from the previous question (see handlers.follow_up): its category, and
    # whether the regions are its.
    carried_categories: tuple[tuple[str, str], ...] = ()
    regions_carried: bool = False


@dataclass(frozen=True)
class Vocabulary:
    phrases: PhraseIndex[tuple[str, str]]
    months: dict[str, int]
    roman: dict[str, int]
    quarter: frozenset[str]
    semester: frozenset[str]
    words: frozenset[str]
    # Short forms and terms read as other words, by the words they are typed as.
    expansions: dict[tuple[str, ...], list[str]]
    # Answering a clarifying question: the words for "the n-th" (1 for the first), and the
    # words around a choice that do not choose.
    ordinals: dict[str, int]
    choice_filler: frozenset[str]


@cache
def vocabulary() -> Vocabulary:
    spec = tomllib.loads(VOCABULARY.read_text(encoding="utf-8"))
    phrases: PhraseIndex[tuple[str, str]] = PhraseIndex()
    for section in ("intent", "period"):
        for key, words in spec[section].items():
            for phrase in words:
                phrases.add(phrase, (section, key))
    choosing = {w for words in spec["choices"]["ordinals"].values() for w in words}
    words = (
        phrases.words
        | set(spec["months"])
        | set(spec["common"]["words"])
        | choosing
        | set(spec["choices"]["filler"])
    )
    return Vocabulary(
        phrases,
        spec["months"],
        spec["roman"],
        frozenset(spec["units"]["quarter"]),
        frozenset(spec["units"]["semester"]),
        frozenset(words),
        {
            tuple(tokens(short)): tokens(full)
            for section in ("abbreviations", "terms")
            for short, full in spec[section].items()
        },
        {
            word: int(number)
            for number, words in spec["choices"]["ordinals"].items()
            for word in words
        },
        frozenset(spec["choices"]["filler"]),
    )


@cache
def _ordinary_words() -> frozenset[str]:
    """Question words and place names: never typos, never unknown."""
    return vocabulary().words | place_words()


@cache
def _spelt_right() -> frozenset[str]:
    """Ordinary words and those abbreviations stand for: never "corrected" ("kematian" is
    not a typo of "kecamatan"), though the registry may not know them."""
    expanded = {word for words in vocabulary().expansions.values() for word in words}
    return _ordinary_words() | expanded


@lru_cache(maxsize=2)
def _meaning_words(catalog: Catalog) -> frozenset[str]:
    """Words that mean an indicator, an agency, a level or a part of the question, not a
    place; one set per catalog (a catalog is rebuilt, never changed)."""
    return catalog.known_words | vocabulary().words


def understand(catalog: Catalog, text: str, today: date) -> Question:
    vocab = vocabulary()
    typed = _expand(tokens(text), vocab.expansions)
    ordinary = _ordinary_words()
    words = catalog.join_names(catalog.correct(typed, extra_known=_spelt_right()))
    mentions = catalog.find_regions(words)
    masked = _mask(words, [(m.start, m.end) for m in mentions])
    regions = [m for m in mentions if m.candidates]
    outside = [m.name for m in mentions if not m.candidates]
    outside += outside_places(catalog, masked, _meaning_words(catalog))
    opds = catalog.find_opds(masked)
    masked = _mask(masked, [(m.start, m.end) for m in opds])
    shape = vocab.phrases.find(masked)
    keys = {payload for match in shape for payload in match.payloads}
    period, period_spans = _period(masked, shape, vocab, today)
    # Shape words stay visible to dataset matching: a title may contain "perkembangan".
    content = _mask(masked, period_spans)  # what the question is about
    datasets = catalog.find_datasets(content)
    intent, direction = _intent(keys, regions, period, any(s.named for s in datasets))
    categories = catalog.category_index.find(content)
    unknown = _unknown(catalog, content, ordinary)
    if intent == "rank":  # its number is how many to list
        unknown = tuple(word for word in unknown if not word.isdigit())
    if any(not word.isdigit() for word in unknown):
        # "pembangunan jalan desa": with a word nothing here knows, a dataset sharing another
        # word ("Indeks Pembangunan Manusia") is no answer; one the question names, or one
        # holding the category it names ("perda"), still is.
        named = {pair for match in categories for pair in match.payloads}
        datasets = [s for s in datasets if s.named or s.dataset.categories_meant(named)]
    # "jumlah sekolah dasar": "sekolah" is in "Harapan Lama Sekolah", "dasar" in "PDRB Atas
    # Dasar Harga Berlaku", and no dataset holds both. What the question is about is not in
    # the registry, and a dataset sharing one of its words is no answer.
    held = _held(datasets)
    if any(w not in held for w in catalog.topic_words(content) if w not in vocab.words):
        datasets = []
    limit = _limit(content) if intent == "rank" else None
    opd_entries = [opd for match in opds for opd in match.payloads]
    levels = [LEVEL_WORDS[w] for w in masked if LEVEL_WORDS.get(w) in LEVELS]
    # "kabupaten/kota", "kab/kota": both kinds.
    level = "kabkota" if {"kabupaten", "kota"} <= set(levels) else next(iter(levels), None)
    return Question(
        text,
        intent,
        datasets,
        regions,
        period,
        direction,
        limit,
        opd_entries,
        level,
        tuple(outside),
        tuple(categories),
        unknown,
        shaped=bool({key for section, key in keys if section == "intent"} - {"follow_up"}),
        period_said=bool(period_spans) or ("period", "latest") in keys,
        follow_up=_opens_follow_up(words, shape, vocab),
        topic=tuple(
            word
            for word in content
            if word
            and not word.isdigit()
            and word not in vocab.words
            and word not in LEVEL_WORDS
            and word not in catalog.category_index.words
        ),
    )


def _held(datasets: list[Scored]) -> frozenset[str]:
    """The question's words held by the best dataset, or by one the question names (each of
    "IPM dan TPT" is named)."""
    if not datasets:
        return frozenset()
    return datasets[0].matched.union(*(s.matched for s in datasets if s.named))


def _opens_follow_up(
    words: list[str], shape: list[Match[tuple[str, str]]], vocab: Vocabulary
) -> bool:
    """A follow-up word first, or after nothing but courtesies ("oke, kalau 2020?")."""
    return any(
        ("intent", "follow_up") in match.payloads
        and all(word in vocab.words for word in words[: match.start])
        for match in shape
    )


def _expand(words: list[str], expansions: dict[tuple[str, ...], list[str]]) -> list[str]:
    """Short forms and terms replaced by their words, the longest first ("rice field" before
    "rice")."""
    longest = max((len(key) for key in expansions), default=1)
    out: list[str] = []
    start = 0
    while start < len(words):
        for length in range(min(longest, len(words) - start), 0, -1):
            key = tuple(words[start : start + length])
            if key in expansions:
                out += expansions[key]
                start += length
                break
        else:
            out.append(words[start])
            start += 1
    return out


def _unknown(catalog: Catalog, words: list[str], known: frozenset[str]) -> tuple[str, ...]:
    """Words (and numbers other than the period's) that nothing here explains."""
    return tuple(
        word
        for word in words
        if word.isdigit() or (len(word) >= MIN_UNKNOWN and word not in known)
        if not catalog.knows(word)
    )


def _mask(words: list[str], spans: list[tuple[int, int]]) -> list[str]:
    masked = list(words)
    for start, end in spans:
        masked[start:end] = [""] * (end - start)
    return masked


def _intent(
    keys: set[tuple[str, str]], regions: list[RegionMention], period: PeriodAsk, named: bool
) -> tuple[str, str]:
    intents = {key for section, key in keys if section == "intent"}
    if "late" in intents:
        return "late", "high"
    if "deadline" in intents:
        return "deadline", "high"
    if "list_datasets" in intents or ("available" in intents and not (regions and named)):
        return "list", "high"
    if "producer" in intents:
        return "producer", "high"
    if "updated" in intents:
        return "updated", "high"
    if intents & {"rank_high", "rank_low", "rank"}:
        return "rank", "low" if "rank_low" in intents else "high"
    if "compare" in intents or len(regions) > 1:
        return "compare", "high"
    if "trend" in intents or period.kind in ("range", "last_n"):
        return "trend", "high"
    return "value", "high"


def _period(
    words: list[str], shape: list[Match[tuple[str, str]]], vocab: Vocabulary, today: date
) -> tuple[PeriodAsk, list[tuple[int, int]]]:
    """The period asked for, and the word spans that said it."""
    keys = {
        payload[1]: match for match in shape for payload in match.payloads if payload[0] == "period"
    }
    years = [(i, int(w)) for i, w in enumerate(words) if YEAR.match(w)]
    spans = [(i, i + 1) for i, _ in years]

    if "last_n_after" in keys or "last_n_before" in keys:
        match = keys.get("last_n_after") or keys["last_n_before"]
        near = [match.start - 1, match.end] if "last_n_after" in keys else [match.end]
        for index in near:
            if 0 <= index < len(words) and SMALL_NUMBER.match(words[index]) and not years:
                return PeriodAsk("last_n", count=int(words[index])), [(index, index + 1)]
    if len(years) >= 2 and _school_year(words, years[0], years[1]):
        # "tahun ajaran 2022/2023" is the registry's year 2022 (see storage.tables.periods).
        return PeriodAsk("exact", code=str(years[0][1])), spans[:2]
    if len(years) >= 2:
        first, last = sorted((years[0][1], years[1][1]))
        between = words[years[0][0] + 1 : years[1][0]]
        if len(between) <= 2:
            return PeriodAsk("range", first=first, last=last), spans
    if years:
        index, year = years[0]
        sub = _sub_annual(words, index, year, vocab)
        if sub:
            return PeriodAsk("exact", code=sub[0]), [*spans, sub[1]]
        return PeriodAsk("exact", code=str(year)), spans
    for name, year in (("last_year", today.year - 1), ("this_year", today.year)):
        if name in keys:
            # "Januari tahun lalu", "semester 1 tahun ini": the part of that year.
            sub = _sub_annual(words, keys[name].start, year, vocab)
            return PeriodAsk("exact", code=sub[0] if sub else str(year)), [sub[1]] if sub else []
    return PeriodAsk(), []


def _school_year(words: list[str], first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Two years in a row said as a school year: "tahun ajaran 2022/2023", "TA 2022 2023"."""
    (index, year), (next_index, next_year) = first, second
    before = words[index - 1] if index > 0 else ""
    return next_index == index + 1 and next_year == year + 1 and before in SCHOOL_YEAR_WORDS


def _sub_annual(
    words: list[str], year_index: int, year: int, vocab: Vocabulary
) -> tuple[str, tuple[int, int]] | None:
    """`triwulan III 2025`, `Q3 2025`, `semester 1 2025`, `Juli 2025` just before the year
    (at `year_index`: the year's word, or the "tahun lalu" that says it)."""
    before = words[max(0, year_index - 2) : year_index]
    if before and before[-1] in vocab.months:
        return f"{year}-{vocab.months[before[-1]]:02d}", (year_index - 1, year_index)
    if before:
        token = before[-1]
        if m := QUARTER_TOKEN.match(token):
            return f"{year}-Q{m.group(1)}", (year_index - 1, year_index)
        if m := SEMESTER_TOKEN.match(token):
            return f"{year}-S{m.group(1)}", (year_index - 1, year_index)
    if len(before) == 2:
        unit, number = before
        value = int(number) if number.isdigit() else vocab.roman.get(number)
        if value and unit in vocab.quarter and value <= 4:
            return f"{year}-Q{value}", (year_index - 2, year_index)
        if value and unit in vocab.semester and value <= 2:
            return f"{year}-S{value}", (year_index - 2, year_index)
    return None


def _limit(words: list[str]) -> int | None:
    """How many regions a ranking lists: "3 kabupaten dengan IPM tertinggi", "top 10".

    The words come with regions and periods masked, so a number left is a count.
    """
    return next((int(word) for word in words if SMALL_NUMBER.match(word)), None)
