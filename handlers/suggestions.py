"""What to say when no dataset matches a question."""

from __future__ import annotations

from handlers.access import may_see_metadata
from handlers.context import Request
from handlers.messages import Reply


def no_match(request: Request, text: str) -> Reply:
    """Nothing matched: suggest close titles, among those the person may know of."""
    similar = request.app.catalog.similar_titles(
        text, visible=lambda d: may_see_metadata(request.viewer, d)
    )
    return Reply(request.texts.t("no_dataset_match", suggestions=[d.title for d in similar]))
