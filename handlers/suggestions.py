"""What to say when no dataset matches a question."""

from __future__ import annotations

from handlers.access import current, listable, may_see_metadata
from handlers.context import Request
from handlers.messages import Reply


async def no_match(request: Request, text: str) -> Reply:
    """Nothing matched: suggest close titles, among those the person may know of now."""
    similar = request.app.catalog.similar_titles(
        text, visible=lambda d: may_see_metadata(request.viewer, d)
    )
    if similar:
        async with request.app.uow() as uow:
            similar = listable(request.viewer, await current(uow, similar))
    return Reply(request.texts.t("no_dataset_match", suggestions=[d.title for d in similar]))
