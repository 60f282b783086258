"""Free text and /data: understand the question, then hand it to the right answerer."""

from __future__ import annotations

from dataclasses import replace

from domain.access import may_see_metadata
from handlers import chat_memory, indicators, metadata, small_talk
from handlers.access import current
from handlers.catalog import Scored, close_matches
from handlers.context import Request
from handlers.follow_up import carry, in_regions, picked, previous_ask
from handlers.indicators import AnswerButton
from handlers.messages import Reply
from handlers.region_alone import settled_regions, which_indicator
from handlers.suggestions import no_match, outside_registry
from handlers.understanding import Question, understand
from storage.uow import UnitOfWork

METADATA_INTENTS = frozenset({"producer", "updated", "list", "late", "deadline"})


async def _visible(request: Request, uow: UnitOfWork, found: list[Scored]) -> list[Scored]:
    stored = {d.key: d for d in await current(uow, [s.dataset for s in found])}
    return [
        s if stored[s.dataset.key] is s.dataset else replace(s, dataset=stored[s.dataset.key])
        for s in found
        if s.dataset.key in stored and may_see_metadata(request.viewer, stored[s.dataset.key])
    ]


def _names_another(question: Question, button: AnswerButton) -> bool:
    """ "jumlah penduduk" offered "Jumlah Penduduk Miskin": its words are all in that one
    choice, but they name a dataset of their own, which is what was asked."""
    best = question.datasets[0] if question.datasets else None
    return best is not None and best.named and best.dataset.indicator_id != button.indicator_id


async def answer_question(request: Request, text: str) -> list[Reply]:
    catalog = request.app.catalog
    # One unit of work reads everything the answer needs: each opened costs more than most of
    # the queries in it.
    async with request.app.uow() as uow:
        memory = await chat_memory.recall(request, uow)
        question = understand(catalog, text, request.today)
        choice = picked(text, memory.choices) if memory else None
        button = AnswerButton.unpack(choice) if choice else None
        if button is not None and not _names_another(question, button):
            # a typed answer to the clarifying question just asked
            return await indicators.answer_button(request, button, uow)
        if kinds := small_talk.small_talk(text):
            return [await small_talk.answer(request, uow, kinds)]
        settled = settled_regions(request, memory.choices) if memory else ()
        previous = memory and previous_ask(catalog, memory.ask, memory.categories)
        if settled and question.datasets and not question.regions:
            question = in_regions(question, settled)  # another indicator than those offered
        elif previous:
            question = carry(question, previous)
        # Datasets the person may not know of are not there for them at all (as classified
        # now). The close matches are checked first: only when none of them may be seen do
        # the rest matter, and checking hundreds for every question is most of its time.
        if question.datasets:
            shortlist = close_matches(question.datasets)
            visible = await _visible(request, uow, shortlist) or await _visible(
                request, uow, question.datasets
            )
            question = replace(question, datasets=visible)
        if question.intent in METADATA_INTENTS:
            return await metadata.answer(request, uow, question)
        if question.outside:
            return [outside_registry(request, question.outside)]
        if not question.datasets and question.regions and not question.topic:
            return [await which_indicator(request, uow, question)]
        if not question.datasets:
            return [await no_match(request, uow, question)]
        return await indicators.answer_text(request, uow, question)
