"""Free text and /data: understand the question, then hand it to the right answerer."""

from __future__ import annotations

from handlers import indicators, metadata
from handlers.context import Request
from handlers.messages import Reply
from handlers.understanding import understand

METADATA_INTENTS = frozenset({"producer", "updated", "list"})


async def answer_question(request: Request, text: str) -> list[Reply]:
    catalog = request.app.catalog
    today = request.now.astimezone(request.app.deployment.timezone).date()
    question = understand(catalog, text, today)
    if question.intent in METADATA_INTENTS:
        return await metadata.answer(request, question)
    if not question.datasets:
        suggestions = [d.title for d in catalog.similar_titles(text)]
        return [Reply(request.texts.t("no_dataset_match", suggestions=suggestions))]
    return await indicators.answer_text(request, question)
