"""Example questions made from what the registry holds now, for greetings and /start.

An example is a promise: a person who types it gets a value. So each is built from a dataset
the person may read, a region and period it holds, and is kept only when the question
parser reads it back as that dataset and region. The datasets people ask about most come
first, then the headline indicators.
"""

from __future__ import annotations

import re

from domain.access import may_see_values
from domain.terms import Periodicity
from handlers.access import current
from handlers.catalog import (
    BREAKDOWN_WORDS,
    LEVEL_WORDS,
    PARENTHESES,
    DatasetEntry,
    RegionEntry,
    close_matches,
)
from handlers.context import Request
from handlers.text import tokens
from handlers.understanding import understand
from storage.uow import UnitOfWork

WANTED = 3
CANDIDATES = 12  # datasets tried, at most: a greeting must not read the whole registry
TREND_YEARS = 5
RANKED_AT_LEAST = 3
SCOPE_WORDS = frozenset(
    {"menurut", "berdasarkan", "by", "di"}
)  # always start a breakdown  # regions a ranking example compares
# The levels a ranking example names, by the levels of the regions it ranks.
RANK_LEVELS = (
    (frozenset({"kabupaten", "kota"}), "level_kabkota"),
    (frozenset({"kabupaten"}), "level_kabupaten"),
    (frozenset({"kota"}), "level_kota"),
    (frozenset({"kecamatan"}), "level_kecamatan"),
    (frozenset({"desa", "kelurahan"}), "level_desa"),
    (frozenset({"desa"}), "level_desa"),
    (frozenset({"kelurahan"}), "level_desa"),
)


async def example_questions(request: Request, uow: UnitOfWork) -> list[str]:
    """Up to three questions of different shapes (a value, a trend, a ranking), each about
    another indicator, that the bot answers with a value for this person now."""
    catalog = request.app.catalog
    home = catalog.by_code.get(request.app.deployment.region_code)
    if home is None:
        return []
    datasets = await asked_most(request, uow)
    examples: list[str] = []
    used: set[str] = set()
    for shape in (_value, _trend, _rank):
        for dataset in datasets:
            if dataset.group in used:
                continue
            example = await shape(request, uow, dataset, home)
            if example is not None:
                examples.append(example)
                used.add(dataset.group)
                break
    return examples[:WANTED]


async def asked_most(request: Request, uow: UnitOfWork) -> list[DatasetEntry]:
    """Datasets this person may read, the most asked first, then the headline indicators."""
    catalog = request.app.catalog
    asked = [
        catalog.datasets[i] for i in await uow.chats.popular(CANDIDATES) if i in catalog.datasets
    ]
    headline = [d for d in catalog.datasets.values() if d.is_headline]
    rest = [d for d in catalog.datasets.values() if not d.is_headline]
    ordered = list({d.key: d for d in (*asked, *headline, *rest)}.values())[: CANDIDATES * 2]
    readable = [d for d in await current(uow, ordered) if may_see_values(request.viewer, d)]
    return readable[:CANDIDATES]


async def _value(
    request: Request, uow: UnitOfWork, dataset: DatasetEntry, home: RegionEntry
) -> str | None:
    periods = await uow.observations.periods(dataset.indicator_id)
    if not periods:
        return None
    latest = periods[-1]
    held = await uow.observations.regions_in([dataset.indicator_id], latest)
    # A region below the deployment's when there is one: what officials ask most.
    below = sorted(
        (r for r in request.app.catalog.children.get(home.id, []) if r.id in held),
        key=lambda r: r.kemendagri_code or r.code or r.name,
    )
    region = below[0] if below else home if home.id in held else None
    return value_example(request, dataset, region, latest) if region else None


def value_example(
    request: Request, dataset: DatasetEntry, region: RegionEntry, period: str
) -> str | None:
    """ "IPM Kabupaten Pacitan 2025", in the fewest words that read back as that dataset and
    region; None when no wording does."""
    for name in _names(dataset):
        example = request.texts.t("example_value", name=name, region=region.name, period=period)
        if _reads_back(request, example, dataset, region):
            return example
    return None


async def _trend(
    request: Request, uow: UnitOfWork, dataset: DatasetEntry, home: RegionEntry
) -> str | None:
    if dataset.periodicity != Periodicity.TAHUNAN:
        return None
    series = await uow.observations.series(dataset.indicator_id, home.id)
    if len(series) < TREND_YEARS:
        return None
    for name in _names(dataset):
        example = request.texts.t("example_trend", name=name, years=TREND_YEARS)
        if _reads_back(request, example, dataset, None):
            return example
    return None


async def _rank(
    request: Request, uow: UnitOfWork, dataset: DatasetEntry, home: RegionEntry
) -> str | None:
    periods = await uow.observations.periods(dataset.indicator_id)
    if not periods:
        return None
    held = await uow.observations.regions_in([dataset.indicator_id], periods[-1])
    ranked = [r for r in request.app.catalog.children.get(home.id, []) if r.id in held]
    levels = frozenset(r.level for r in ranked)
    label = next((key for kinds, key in RANK_LEVELS if kinds == levels), None)
    if len(ranked) < RANKED_AT_LEAST or label is None:
        return None
    t = request.texts
    for name in _names(dataset):
        example = t.t("example_rank", level=t.t(label), name=name, period=periods[-1])
        if _reads_back(request, example, dataset, None):
            return example
    return None


def _names(dataset: DatasetEntry) -> list[str]:
    """What officials call the indicator, shortest first: its one-word short form ("IPM"),
    the title before its parentheses and breakdown ("Jumlah Penduduk Miskin"), the title."""
    title = dataset.search_name
    short = [p for p in PARENTHESES.findall(title) if len(tokens(p)) == 1]
    words = PARENTHESES.sub(" ", title).split()
    cut = next((i for i in range(1, len(words)) if _breaks_down(words, i)), len(words))
    plain = re.sub(r"\s+", " ", " ".join(words[:cut])).strip()
    return list(dict.fromkeys(name for name in (*short, plain, title) if name))


def _breaks_down(words: list[str], at: int) -> bool:
    """Whether the title's breakdown starts at `words[at]`: "menurut", "di", or "per" before a
    level ("per Kecamatan"); "per Kapita" is part of the indicator's name."""
    word = words[at].lower()
    if word not in BREAKDOWN_WORDS:
        return False
    if word in SCOPE_WORDS:
        return True
    following = words[at + 1].lower() if at + 1 < len(words) else ""
    return following in LEVEL_WORDS


def _reads_back(
    request: Request, example: str, dataset: DatasetEntry, region: RegionEntry | None
) -> bool:
    """Whether the parser reads the example as this dataset and no other region or word."""
    question = understand(request.app.catalog, example, request.today)
    if not question.datasets or question.unknown or question.outside:
        return False
    found = {s.dataset.key: s for s in close_matches(question.datasets)}
    if dataset.key not in found or not found[dataset.key].named:
        return False  # "PDRB" is not "PDRB per Kapita"
    regions = [m.candidates for m in question.regions]
    if region is None:
        return not regions
    return len(regions) == 1 and [c.id for c in regions[0]] == [region.id]
