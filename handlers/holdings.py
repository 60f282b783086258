"""What the registry holds of a dataset, said when the region asked has none of it.

"pertumbuhan ekonomi jatim 2021" of a dataset published per kabupaten/kota only gets "not
available for Provinsi Jawa Timur", then where it is: for how many regions of which level,
over which periods, and a question that gets a value.
"""

from __future__ import annotations

from collections import Counter

from handlers.catalog import DatasetEntry, RegionEntry
from handlers.context import Request
from handlers.examples import value_example
from handlers.messages import Reply
from storage.uow import UnitOfWork

# Level groups as answers name them, most general first.
LEVEL_GROUPS = {
    "provinsi": "provinsi",
    "kabupaten": "kabkota",
    "kota": "kabkota",
    "kecamatan": "kecamatan",
    "desa": "desa",
    "kelurahan": "desa",
}
ORDER = ("provinsi", "kabkota", "kecamatan", "desa")


async def not_held(
    request: Request, uow: UnitOfWork, dataset: DatasetEntry, title: str, region: RegionEntry
) -> Reply:
    t = request.texts
    periods = await uow.observations.periods(dataset.indicator_id)
    if not periods:
        return Reply(t.t("no_data_region", title=title, region=region.name, held=[]))
    latest = periods[-1]
    regions = request.app.catalog.regions
    held = [regions[i] for i in await uow.observations.regions_in([dataset.indicator_id], latest)]
    counts = Counter(LEVEL_GROUPS.get(r.level, r.level) for r in held)
    levels = [(counts[group], t.t(f"level_{group}")) for group in ORDER if counts[group]]
    # The example asks of a region like the one asked: its children, else its level.
    asked = LEVEL_GROUPS.get(region.level)
    near = [r for r in held if r.parent_id == region.id] or [
        r for r in held if LEVEL_GROUPS.get(r.level) == asked
    ]
    chosen = min(near or held, key=lambda r: r.kemendagri_code or r.code or r.name, default=None)
    example = value_example(request, dataset, chosen, latest) if chosen else None
    return Reply(
        t.t(
            "no_data_region",
            title=title,
            region=region.name,
            held=levels,
            first=periods[0],
            last=latest,
            example=example or "",
        )
    )
