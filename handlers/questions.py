"""Free text and /data: understand the question, then hand it to the right answerer."""

from __future__ import annotations

from dataclasses import replace

from handlers import indicators, metadata
from handlers.access import current, may_see_metadata
from handlers.context import Request
from handlers.messages import Reply
from handlers.suggestions import no_match, outside_registry
from handlers.understanding import understand

METADATA_INTENTS = frozenset({"producer", "updated", "list"})


async def answer_question(request: Request, text: str) -> list[Reply]:
    today = request.now.astimezone(request.app.deployment.timezone).date()
    question = understand(request.app.catalog, text, today)
    # Datasets the person may not know of are not there for them at all (as classified now).
    if question.datasets:
        async with request.app.uow() as uow:
            found = await current(uow, [s.dataset for s in question.datasets])
        stored = {d.key: d for d in found}
        visible = [
            s if stored[s.dataset.key] is s.dataset else replace(s, dataset=stored[s.dataset.key])
            for s in question.datasets
            if s.dataset.key in stored and may_see_metadata(request.viewer, stored[s.dataset.key])
        ]
        question = replace(question, datasets=visible)
    if question.intent in METADATA_INTENTS:
        return await metadata.answer(request, question)
    if question.outside:
        return [outside_registry(request, question.outside)]
    if not question.datasets:
        return [await no_match(request, text)]
    return await indicators.answer_text(request, question)
