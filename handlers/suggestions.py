"""What to say when no dataset matches a question."""

from __future__ import annotations

from domain.access import listable, may_see_metadata
from domain.terms import Role
from handlers.access import current
from handlers.context import Request
from handlers.examples import asked_most, example_questions
from handlers.messages import Reply
from handlers.understanding import Question
from storage.uow import UnitOfWork


async def no_match(request: Request, uow: UnitOfWork, question: Question) -> Reply:
    """Nothing matched: say what is missing in the person's words, what is close (among
    the datasets they may know of now, else what the registry holds), who can add it, and a
    question that works."""
    catalog = request.app.catalog
    topic = " ".join(question.topic)
    if question.topic:  # those sharing a word of it ("pembangunan jalan": IPM)
        shared = [s.dataset for s in catalog.find_datasets(list(question.topic))]
        similar = [d for d in shared if may_see_metadata(request.viewer, d)][:3]
    else:
        similar = catalog.similar_titles(
            question.text, visible=lambda d: may_see_metadata(request.viewer, d)
        )
    if similar:
        similar = listable(request.viewer, await current(uow, similar))
    examples = await example_questions(request, uow)
    available = [] if similar else [d.title for d in (await asked_most(request, uow))[:3]]
    walidata = {p.opd.name for p in await uow.people.active_with_role(Role.WALIDATA) if p.opd}
    return Reply(
        request.texts.t(
            "no_dataset_match",
            topic=topic,
            region=request.app.deployment.region_name,
            suggestions=[d.title for d in similar],
            available=available if topic else [],
            walidata=sorted(walidata),
            example=examples[0] if examples else "",
        )
    )


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
