"""A region named alone ("Kabupaten Pasuruan"): which of its data is wanted?

The reply asks, with a button for each of the most asked datasets that hold a value for the
region; a number, a name or a distinctive word typed back chooses, as with any clarifying
question, and an indicator typed instead is read for that region (`settled_regions`).
"""

from __future__ import annotations

from handlers import chat_memory
from handlers.catalog import DatasetEntry, RegionEntry
from handlers.context import Request
from handlers.examples import asked_most
from handlers.indicators import AnswerButton, Ask
from handlers.messages import Button, Reply
from handlers.understanding import Question
from storage.uow import UnitOfWork

OFFERED = 5


async def which_indicator(request: Request, uow: UnitOfWork, question: Question) -> Reply:
    t = request.texts
    mention = question.regions[0]
    if len(question.regions) > 1 or len(mention.candidates) > 1:
        names = [r.name for m in question.regions for r in m.candidates]
        return Reply(t.t("region_alone_which", names=names))
    region = mention.candidates[0]
    readable = await asked_most(request, uow)
    holding = await uow.observations.coverage(
        [d.indicator_id for d in readable], [region.id], question.period.code
    )
    held = [d for d in readable if d.indicator_id in holding][:OFFERED]
    if not held:
        return Reply(t.t("region_alone_nothing", region=region.name))
    buttons = [
        [Button(d.title, _ask(question, d, region).button_data(request.language))] for d in held
    ]
    await chat_memory.offer(request, uow, buttons)
    return Reply(t.t("region_alone", region=region.name), buttons=buttons)


def _ask(question: Question, dataset: DatasetEntry, region: RegionEntry) -> Ask:
    intent = "trend" if question.period.kind in ("range", "last_n") else "value"
    return Ask(intent, dataset, (region,), question.period)


def settled_regions(
    request: Request, choices: tuple[tuple[str, str], ...]
) -> tuple[RegionEntry, ...]:
    """The region every choice just offered shares (those of "which data for Kabupaten
    Pasuruan?"), which an indicator typed instead of a choice is asked of; () otherwise."""
    asks = [AnswerButton.unpack(data) for _, data in choices]
    regions = {
        ask.regions for button in asks if button and (ask := button.ask(request.app.catalog))
    }
    return regions.pop() if len(regions) == 1 and len(asks) > 1 else ()
