"""Free text and /data: understand the question, then hand it to the right answerer."""

from __future__ import annotations

from dataclasses import replace

from handlers import indicators, metadata
from handlers.access import may_see_metadata
from handlers.context import Request
from handlers.messages import Reply
from handlers.suggestions import no_match
from handlers.understanding import understand

METADATA_INTENTS = frozenset({"producer", "updated", "list"})


async def answer_question(request: Request, text: str) -> list[Reply]:
    today = request.now.astimezone(request.app.deployment.timezone).date()
    question = understand(request.app.catalog, text, today)
    # Datasets the person may not know of are not there for them at all.
    visible = [(d, s) for d, s in question.datasets if may_see_metadata(request.viewer, d)]
    question = replace(question, datasets=visible)
    if question.intent in METADATA_INTENTS:
        return await metadata.answer(request, question)
    if not question.datasets:
        return [no_match(request, text)]
    return await indicators.answer_text(request, question)
