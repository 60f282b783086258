"""What to say when no dataset matches a question."""

from __future__ import annotations

from domain.access import listable, may_see_metadata
from handlers.access import current
from handlers.context import Request
from handlers.messages import Reply
from storage.uow import UnitOfWork


async def no_match(request: Request, uow: UnitOfWork, text: str) -> Reply:
    """Nothing matched: suggest close titles, among those the person may know of now."""
    similar = request.app.catalog.similar_titles(
        text, visible=lambda d: may_see_metadata(request.viewer, d)
    )
    if similar:
        similar = listable(request.viewer, await current(uow, similar))
    return Reply(request.texts.t("no_dataset_match", suggestions=[d.title for d in similar]))


LEVEL_GROUPS = (
    ("kabupaten/kota", frozenset({"kabupaten", "kota"})),
    ("kecamatan", frozenset({"kecamatan"})),
    ("desa/kelurahan", frozenset({"desa", "kelurahan"})),
)


def outside_registry(request: Request, names: tuple[str, ...]) -> Reply:
    """A place the registry lacks is said to be missing, with what the registry does cover;
    never answered with another region's figure."""
    catalog = request.app.catalog
    home = catalog.by_code.get(request.app.deployment.region_code)
    below: set[str] = set()
    if home is not None:
        stack = [home.id]
        while stack:
            for child in catalog.children.get(stack.pop(), []):
                below.add(child.level)
                stack.append(child.id)
    provinces = [r for r in catalog.regions.values() if r.level == "provinsi" and r is not home]
    return Reply(
        request.texts.t(
            "region_not_in_registry",
            names=list(names),
            home=home.name if home else "",
            levels=[label for label, levels in LEVEL_GROUPS if levels & below],
            provinces=len(provinces),
            others=home is not None and home.level == "provinsi",
        )
    )
