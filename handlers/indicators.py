"""Answering "IPM Kabupaten Pasuruan 2023" and its many phrasings with a value from the registry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.access import may_see_values
from handlers.catalog import DatasetEntry, RegionEntry, RegionMention
from handlers.context import Request
from handlers.messages import Button, Reply
from handlers.text import tokens
from storage.models import Observation

YEAR = re.compile(r"^(19|20)\d{2}$")
POINT_UNITS = frozenset({"persen", "indeks"})  # change in these reads as "poin", not as a %


@dataclass(frozen=True)
class Question:
    datasets: list[tuple[DatasetEntry, int]]
    regions: list[RegionMention]
    year: int | None


@dataclass(frozen=True)
class Pick:
    """A chosen series with its observation, and the same period in the other series."""

    dataset: DatasetEntry
    region: RegionEntry
    observation: Observation
    previous: Observation | None
    other: tuple[DatasetEntry, Observation] | None


def understand(request: Request, text: str) -> Question:
    catalog = request.app.catalog
    words = catalog.correct(tokens(text))
    year = next((int(w) for w in words if YEAR.match(w)), None)
    regions = catalog.find_regions(words)
    masked = list(words)
    for mention in regions:
        masked[mention.start : mention.end] = [""] * (mention.end - mention.start)
    return Question(catalog.find_datasets(masked), regions, year)


async def answer_text(request: Request, text: str) -> list[Reply]:
    question = understand(request, text)
    t = request.texts
    if not question.datasets:
        suggestions = request.app.catalog.similar_titles(text)
        return [Reply(t.t("no_dataset_match", suggestions=[d.title for d in suggestions]))]
    best_score = question.datasets[0][1]
    top = [d for d, score in question.datasets if score == best_score]
    groups = {d.group for d in top}
    year = question.year or 0
    if len(groups) > 1:
        region = _single_region(request, question)
        region_id = region.id if region else 0
        buttons = [
            [Button(d.title, f"ans:{request.language}:{d.id}:{region_id}:{year}")]
            for d in top
            if d.is_headline or d.series_group is None
        ]
        return [Reply(t.t("which_dataset"), buttons=buttons)]
    dataset = top[0]
    mention = question.regions[0] if question.regions else None
    if mention and len(mention.candidates) > 1:
        buttons = [
            [Button(r.name, f"ans:{request.language}:{dataset.id}:{r.id}:{year}")]
            for r in mention.candidates
        ]
        return [Reply(t.t("which_region"), buttons=buttons)]
    region = _single_region(request, question)
    if region is None:
        return [Reply(t.t("no_default_region"))]
    return await answer_value(
        request, dataset, region, question.year, defaulted_region=mention is None
    )


async def answer_button(request: Request) -> list[Reply]:
    """`ans:<lang>:<dataset id>:<region id>:<year or 0>` from a choice offered earlier."""
    try:
        _, language, dataset_id, region_id, year = (request.incoming.callback_data or "").split(":")
        dataset = request.app.catalog.datasets[int(dataset_id)]
        region = request.app.catalog.regions.get(int(region_id)) or _default_region(request)
    except (ValueError, KeyError):
        return [Reply(request.texts.t("stale_button"))]
    if region is None:
        return [Reply(request.texts.t("no_default_region"))]
    request = Request(request.incoming, request.now, request.viewer, language, request.app)
    return await answer_value(request, dataset, region, int(year) or None, defaulted_region=False)


async def answer_value(
    request: Request,
    dataset: DatasetEntry,
    region: RegionEntry,
    year: int | None,
    *,
    defaulted_region: bool,
) -> list[Reply]:
    t = request.texts
    if not may_see_values(request.viewer, dataset):
        return [Reply(t.t("restricted", title=dataset.title))]
    series = [d for d in request.app.catalog.datasets.values() if d.group == dataset.group]
    series.sort(key=lambda d: (d.id != dataset.id, not d.is_headline))
    async with request.app.uow() as uow:
        observed = {d.id: await uow.observations.series(d.indicator_id, region.id) for d in series}
    available = [d for d in series if observed[d.id]]
    if not available:
        return [Reply(t.t("no_data_region", title=dataset.title, region=region.name))]
    wanted = str(year) if year else None
    chosen = next((d for d in available if any(o.period == wanted for o in observed[d.id])), None)
    missing_year = wanted is not None and chosen is None
    chosen = chosen or available[0]
    rows = observed[chosen.id]
    periods = [o.period for o in rows]
    index = len(rows) - 1 if missing_year or not wanted else periods.index(wanted)
    observation = rows[index]
    other = next(
        (
            (d, o)
            for d in available
            if d.id != chosen.id
            for o in observed[d.id]
            if o.period == observation.period
        ),
        None,
    )
    pick = Pick(chosen, region, observation, rows[index - 1] if index > 0 else None, other)
    text = t.render(
        "answer",
        pick=pick,
        change=_change(pick),
        missing_year=year if missing_year else None,
        defaulted_region=defaulted_region,
    )
    return [Reply(text, data=_answer_data(pick))]


def _change(pick: Pick) -> dict[str, object] | None:
    if pick.previous is None:
        return None
    delta = pick.observation.value - pick.previous.value
    decimals = max(pick.observation.decimals, pick.previous.decimals)
    relative = pick.dataset.unit not in POINT_UNITS
    amount = (
        abs(delta) / pick.previous.value * 100 if relative and pick.previous.value else abs(delta)
    )
    return {
        "direction": "up" if delta > 0 else "down" if delta < 0 else "flat",
        "amount": amount,
        "decimals": 2 if relative else decimals,
        "relative": relative,
    }


def _answer_data(pick: Pick) -> dict[str, object]:
    return {
        "type": "indicator_value",
        "dataset": pick.dataset.code,
        "dataset_title": pick.dataset.title,
        "indicator": pick.dataset.code,
        "region_code": pick.region.code,
        "region_name": pick.region.name,
        "period": pick.observation.period,
        "value": pick.observation.value,
        "decimals": pick.observation.decimals,
        "unit": pick.dataset.unit,
        "status": pick.observation.status,
        "source": pick.dataset.source,
        "producer": pick.dataset.opd_name,
        "other_series": (
            {"dataset": pick.other[0].code, "value": pick.other[1].value} if pick.other else None
        ),
    }


def _single_region(request: Request, question: Question) -> RegionEntry | None:
    if question.regions and len(question.regions[0].candidates) == 1:
        return question.regions[0].candidates[0]
    return _default_region(request)


def _default_region(request: Request) -> RegionEntry | None:
    return request.app.catalog.by_code.get(request.app.deployment.region_code)
