"""Indicator questions: one value, a trend, a comparison of regions, or a ranking.

Every path ends in `answer`, which checks the dataset's classification first, so an answer
reached through a button (or a replayed button) is held to the same rule as a typed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from domain.access import may_see_metadata, may_see_values
from domain.callbacks import CallbackData
from domain.terms import Classification
from handlers import chat_memory, readings
from handlers.access import current
from handlers.answer_compare import answer_compare
from handlers.answer_rank import answer_rank, rank_scope
from handlers.answer_trend import answer_trend
from handlers.answer_value import answer_value
from handlers.catalog import Catalog, DatasetEntry, Match, RegionEntry, Scored, close_matches
from handlers.context import Request
from handlers.messages import Button, Reply, button_id
from handlers.understanding import PeriodAsk, Question
from storage.uow import UnitOfWork
from texts.i18n import LANGUAGES, Texts

INTENT_CODES = {"value": "v", "trend": "t", "compare": "c", "rank": "r", "rank_low": "R"}
CODE_INTENTS = {code: intent for intent, code in INTENT_CODES.items()}
LEVEL_CODES = {
    None: "",
    "provinsi": "p",
    "kabupaten": "k",
    "kota": "c",
    "kecamatan": "e",
    "desa": "d",
    "kelurahan": "l",
    "kabkota": "b",
}
CODE_LEVELS = {code: level for level, code in LEVEL_CODES.items()}
# Button "shape": intent letter, optional level letter, optional ranking length ("rk3").
SHAPE = re.compile(r"(?P<intent>[vtcrR])(?P<level>[pkcedlb]?)(?P<limit>[1-9][0-9]?)?")
MAX_COMPARE = 6
TIE = 0.9  # words scoring this share of the best's tie with it
FULL_SCOPE = 0.9  # holding this share of the regions the best-covering candidate holds
REGION_SEPARATOR = "."


@dataclass(frozen=True)
class RegionNote:
    """How a region was chosen without being named exactly, so the answer can say so.

    kind: "default" (no region named), "deployment" (an ambiguous name read as the
    deployment's own region) or "previous" (the previous question's, for a follow-up that
    named none; `region` then names them all).
    """

    kind: str
    region: str


@dataclass(frozen=True)
class Ask:
    """A resolved question: everything needed to answer, and to re-ask from a button."""

    intent: str
    dataset: DatasetEntry
    regions: tuple[RegionEntry, ...]
    period: PeriodAsk
    direction: str = "high"
    limit: int | None = None
    level: str | None = None
    region_note: RegionNote | None = None
    # The series the answer may draw on (the dataset first), set by `answer` after the check.
    series: tuple[DatasetEntry, ...] = ()
    # The category asked for ((dimension, key) pairs, sorted); () is the total.
    categories: tuple[tuple[str, str], ...] = ()

    @property
    def categories_key(self) -> str:
        """As observations name it: `jenis_kelamin=perempuan`."""
        return ";".join(f"{dimension}={key}" for dimension, key in self.categories)

    def button_data(self, language: str) -> str:
        """A button that asks this again, answered in `language`."""
        return AnswerButton.of(self, language).pack()


@dataclass(frozen=True)
class AnswerButton(CallbackData, prefix="a", fixed_width=True):
    """A question to answer again: `a:<language>:<shape>:<indicator>:<region ids>:<period>`,
    empty fields included (`fixed_width`). The indicator, not the dataset: a table of several
    has an entry for each (buttons of the `q:` form named a dataset: they read as stale).
    `shape` is the intent letter, the level letter and the ranking's length ("v", "rk3");
    `region_ids` the regions' ids joined by "." (None: no region named); `period` a
    `PeriodAsk.encode()` (None: the latest). A press that does not read as such is stale; one
    naming an indicator or region the catalog lacks is too (`ask`).

    Fits Telegram's 64 bytes with an indicator id up to 10**12, the longest period and
    `MAX_COMPARE` region ids below 10 000 (BPS counts some 550 regions in all of Indonesia).
    """

    language: str
    shape: str
    indicator_id: int
    region_ids: str | None = None
    period: str | None = None

    @classmethod
    def of(cls, ask: Ask, language: str) -> AnswerButton:
        low = ask.intent == "rank" and ask.direction == "low"
        shape = f"{INTENT_CODES['rank_low' if low else ask.intent]}{LEVEL_CODES[ask.level]}"
        regions = REGION_SEPARATOR.join(str(r.id) for r in ask.regions)
        return cls(
            language,
            f"{shape}{ask.limit or ''}",
            ask.dataset.key,
            regions or None,
            ask.period.encode() or None,
        )

    def valid(self) -> bool:
        """Each field as `of` writes it."""
        if (
            self.language not in LANGUAGES
            or SHAPE.fullmatch(self.shape) is None
            or region_ids(self.region_ids) is None
        ):
            return False
        try:
            PeriodAsk.decode(self.period or "")
        except ValueError:
            return False
        return True

    def ask(self, catalog: Catalog) -> Ask | None:
        """The question again, with the catalog's entries; None when it lacks one of them."""
        match = SHAPE.fullmatch(self.shape)
        ids = region_ids(self.region_ids)
        if match is None or ids is None or self.indicator_id not in catalog.datasets:
            return None
        if any(i not in catalog.regions for i in ids):
            return None
        intent = CODE_INTENTS[match["intent"]]
        return Ask(
            "rank" if intent == "rank_low" else intent,
            catalog.datasets[self.indicator_id],
            tuple(catalog.regions[i] for i in ids),
            PeriodAsk.decode(self.period or ""),
            "low" if intent == "rank_low" else "high",
            int(match["limit"]) if match["limit"] else None,
            CODE_LEVELS[match["level"]],
        )


def region_ids(encoded: str | None) -> tuple[int, ...] | None:
    """The ids of `AnswerButton.region_ids` (none for None); None unless it holds one to
    `MAX_COMPARE` database ids joined by ".", nothing else."""
    if encoded is None:
        return ()
    ids = [button_id(part) for part in encoded.split(REGION_SEPARATOR)]
    if len(ids) > MAX_COMPARE or None in ids:
        return None
    return tuple(i for i in ids if i is not None)


async def answer_text(request: Request, uow: UnitOfWork, question: Question) -> list[Reply]:
    t = request.texts
    candidates = close_matches(question.datasets)
    ask = Ask(
        question.intent,
        candidates[0].dataset,
        (),
        question.period,
        question.direction,
        question.limit,
        question.level,
    )
    resolved: list[RegionEntry] = []
    for mention in question.regions[:MAX_COMPARE]:
        own = [r for r in mention.candidates if r.code == request.app.deployment.region_code]
        if len(mention.candidates) == 1 or own:
            resolved.append(own[0] if own else mention.candidates[0])
            if own and len(mention.candidates) > 1:
                ask = replace(ask, region_note=RegionNote("deployment", own[0].name))
            continue
        if question.categories or question.carried_categories:
            # A button does not carry the category: ask for the full name.
            names = [r.name for r in mention.candidates]
            return [Reply(t.t("which_region_by_name", names=names))]
        buttons = [
            [Button(r.name, replace(ask, regions=(*resolved, r)).button_data(request.language))]
            for r in mention.candidates
        ]
        await chat_memory.offer(request, uow, buttons)
        return [Reply(t.t("which_region"), buttons=buttons)]
    ask = replace(ask, regions=tuple(resolved))
    if question.regions_carried:
        same = ", ".join(r.name for r in resolved)
        ask = replace(ask, region_note=RegionNote("previous", same))
    ranked = await by_holdings(request, uow, ask, question, candidates)
    best = ranked[0]
    ask = replace(ask, dataset=best.scored.dataset)
    if question.categories:
        asked = _asked_categories(t, ask.dataset, question)
        if isinstance(asked, Reply):
            return [asked]
        ask = replace(ask, categories=asked)
    elif question.carried_categories:  # the previous question's dataset, so its category
        ask = replace(ask, categories=question.carried_categories)
    # "jumlah reses DPRD" of a table by kind of activity without "reses", "penduduk usia
    # 80-84" of one without that age group: not the total. A number left is always a
    # category; an unknown word, where the dataset has categories at all.
    numbers = [w for w in question.unknown if w.isdigit()]
    if not ask.categories and (numbers or (question.unknown and ask.dataset.categories)):
        said = " ".join(numbers) if numbers else question.unknown[0]
        return [_no_such_category(t, ask.dataset, said)]
    tied = [c.scored.dataset for c in ranked if c.ties(best)]
    if len({d.group for d in tied}) > 1 and not ask.categories:
        choices = [d for d in tied if d.is_headline or d.series_group is None][:5]
        buttons = [
            [Button(d.title, replace(ask, dataset=d).button_data(request.language))]
            for d in choices
        ]
        await chat_memory.offer(request, uow, buttons)
        return [Reply(t.t("which_dataset"), buttons=buttons)]
    return await answer(request, uow, ask)


@dataclass(frozen=True)
class Candidate:
    scored: Scored
    # What the dataset holds of what was asked: the region(s) at all, the period, nearly as
    # many of the regions as any candidate, the category named; and how many of them.
    holds: tuple[bool, bool, bool, bool]
    regions: int

    def ties(self, best: Candidate) -> bool:
        """As good a choice as `best`, words within a tenth, or named by words of the
        question `best` does not hold ("hls rls"): the question does not say which one."""
        both_named = self.scored.named and best.scored.named
        if both_named and not self.scored.matched <= best.scored.matched:
            return True
        return (
            self.key[:2] == best.key[:2]
            and self.scored.rest == best.scored.rest
            and self.scored.score >= TIE * best.scored.score
        )

    @property
    def key(self) -> tuple[bool, tuple[bool, bool, bool, bool], float, int, float]:
        """Better first: a dataset of the indicator named, then one holding what was asked,
        then the closest words, then the one holding more of the regions."""
        return (self.scored.named, self.holds, self.scored.score, self.regions, -self.scored.rest)


async def by_holdings(
    request: Request, uow: UnitOfWork, ask: Ask, question: Question, candidates: list[Scored]
) -> list[Candidate]:
    """The candidates, the one that best holds what was asked first.

    A dataset without the region asked is never chosen over one of the same indicator that
    has it: the answer would be "no data" while the registry holds the figure. Nor is one of
    another indicator ("Penduduk Miskin" for "penduduk") chosen for holding it.
    """
    candidates = _most_specific(candidates)
    regions = [r.id for r in scope_of(request, ask)]
    wanted = ask.period.code if ask.period.kind == "exact" else None
    held = await uow.observations.coverage(
        [s.dataset.indicator_id for s in candidates], regions, wanted
    )
    most = max((count for count, _ in held.values()), default=0)
    ranked = []
    for scored in candidates:
        count, in_period = held.get(scored.dataset.indicator_id, (0, False))
        has_category = _has_categories(scored.dataset, question)
        # A ranking of 5 kecamatan is not the ranking of the 24 another table holds.
        nearly_all = count >= FULL_SCOPE * most
        ranked.append(Candidate(scored, (count > 0, in_period, nearly_all, has_category), count))
    return sorted(_per_series(ranked), key=lambda c: c.key, reverse=True)


def _most_specific(candidates: list[Scored]) -> list[Scored]:
    """Without the datasets the question names by fewer of its words than another: "penduduk
    usia kerja" names "Penduduk" too, but asks for "Penduduk Usia Kerja"."""
    named = [s.matched for s in candidates if s.named]
    return [s for s in candidates if not (s.named and any(s.matched < m for m in named))]


def _per_series(ranked: list[Candidate]) -> list[Candidate]:
    """One candidate per indicator, ranked by what the best of its series holds, and named
    by its headline series: the answer reads every series the person may see (a period only
    the old series has is shown from it, a restricted series from none)."""
    groups: dict[str, list[Candidate]] = {}
    for candidate in ranked:
        groups.setdefault(candidate.scored.dataset.group, []).append(candidate)
    chosen = []
    for members in groups.values():
        best = max(members, key=lambda c: c.key)
        headline = next((c for c in members if c.scored.dataset.is_headline), best)
        chosen.append(replace(headline, holds=best.holds, regions=best.regions))
    return chosen


def scope_of(request: Request, ask: Ask) -> list[RegionEntry]:
    """The regions the answer is about: a ranking's scope, the regions named, or the
    deployment's own region."""
    if ask.intent == "rank" or (ask.intent == "compare" and len(ask.regions) < 2):
        return rank_scope(request, ask)[0]
    if ask.regions:
        return list(ask.regions)
    own = request.app.catalog.by_code.get(request.app.deployment.region_code)
    return [own] if own else []


def _category_words(dataset: DatasetEntry, question: Question) -> list[Match[tuple[str, str]]]:
    """The question's category words that ask for a category of the dataset: one that is
    part of its own title ("Penduduk Perempuan") names the dataset instead."""
    return [m for m in question.categories if not set(m.phrase.split()) <= dataset.title_words]


def _has_categories(dataset: DatasetEntry, question: Question) -> bool:
    """Whether the dataset is broken down by every category the question names."""
    return all(dataset.categories_meant(m.payloads) for m in _category_words(dataset, question))


def _available(dataset: DatasetEntry) -> list[str]:
    return [readings.category_label(key, label) for _, key, label in dataset.categories]


def _no_such_category(t: Texts, dataset: DatasetEntry, asked: str) -> Reply:
    available = _available(dataset)
    return Reply(
        t.t("category_not_available", title=dataset.title, asked=asked, available=available)
    )


def _asked_categories(
    t: Texts, dataset: DatasetEntry, question: Question
) -> tuple[tuple[str, str], ...] | Reply:
    """The category the question names, among the dataset's; a category the dataset does not
    have is said, with the ones it has, rather than answered with the total."""
    asked: dict[str, str] = {}
    for mention in _category_words(dataset, question):
        pairs = dataset.categories_meant(mention.payloads)
        if not pairs:
            return _no_such_category(t, dataset, mention.phrase)
        dimension, key = pairs[0]
        if asked.setdefault(dimension, key) != key:
            return Reply(t.t("one_category_at_a_time", available=_available(dataset)))
    return tuple(sorted(asked.items()))


async def answer_button(
    request: Request, button: AnswerButton, uow: UnitOfWork | None = None
) -> list[Reply]:
    """A press, or a choice typed in answer to the question that offered it (in `uow`)."""
    ask = button.ask(request.app.catalog)
    if ask is None:
        return [Reply(request.texts.t("stale_button"))]
    if uow is not None:
        return await answer(replace(request, language=button.language), uow, ask)
    async with request.app.uow() as fresh:
        return await answer(replace(request, language=button.language), fresh, ask)


async def answer(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    """Answer a resolved question, after the classification check every path goes through.

    The check reads the classification of the dataset and of its other series from the
    database: the catalog may be minutes old, a closed dataset must be closed at once. A
    series the person may not read is left out, so it cannot appear as "the other series".
    """
    t = request.texts
    viewer = request.viewer
    group = series_group(request, ask.dataset)
    stored = {d.key: d for d in await current(uow, group)}
    dataset = stored.get(ask.dataset.key)
    if dataset is None or not may_see_metadata(viewer, dataset):
        return [Reply(t.t("stale_button"))]  # only a forged or outdated button gets here
    if not may_see_values(viewer, dataset):
        return [
            Reply(
                t.t(
                    "restricted",
                    title=dataset.title,
                    classification=dataset.classification,
                    producer=dataset.opd_name,
                    in_group=viewer.in_group,
                )
            )
        ]
    series = tuple(
        stored[d.key] for d in group if d.key in stored and may_see_values(viewer, stored[d.key])
    )
    asked = ask  # as a follow-up continues it: a region by default is not the one asked
    ask = replace(ask, dataset=dataset, series=series)
    if not ask.regions and ask.intent in ("value", "trend"):
        default = request.app.catalog.by_code.get(request.app.deployment.region_code)
        if default is None:
            return [Reply(t.t("no_default_region"))]
        ask = replace(ask, regions=(default,), region_note=RegionNote("default", default.name))
    replies = await _answer(request, uow, ask)
    restricted = [d.code for d in series if d.classification == Classification.TERBATAS]
    if restricted and any(reply.data for reply in replies):
        _audit_read(request, uow, ask, restricted)
    await chat_memory.remember(
        request, uow, asked.button_data(request.language), dataset.indicator_id, ask.categories_key
    )
    return replies


async def _answer(request: Request, uow: UnitOfWork, ask: Ask) -> list[Reply]:
    if ask.intent == "rank" or (ask.intent == "compare" and len(ask.regions) < 2):
        return await answer_rank(request, uow, ask)
    if ask.intent == "compare":
        return await answer_compare(request, uow, ask)
    if ask.intent == "trend":
        return await answer_trend(request, uow, ask)
    return await answer_value(request, uow, ask)


def series_group(request: Request, dataset: DatasetEntry) -> list[DatasetEntry]:
    """The dataset first, then the other series of the same indicator, headline first."""
    group = request.app.catalog.groups.get(dataset.group) or [dataset]
    return sorted(group, key=lambda d: (d.key != dataset.key, not d.is_headline))


def _audit_read(request: Request, uow: UnitOfWork, ask: Ask, datasets: list[str]) -> None:
    """Every read of a terbatas value is on record: who, when, what, from which chat."""
    uow.audit.record(
        at=request.now,
        action="terbatas_read",
        person_id=request.viewer.person_id,
        chat_id=request.incoming.chat_id,
        detail={
            "datasets": datasets,
            "intent": ask.intent,
            "regions": [r.code or r.name for r in ask.regions],
            "period": ask.period.encode(),
        },
    )
