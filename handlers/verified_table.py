"""The table a walidata's acceptance publishes to the region's portal, queued in the same
transaction (`storage.models.PortalPush`, published by `storage.portal.push`).

It is the whole dataset as the registry holds it after the acceptance, every period, laid
out as the liaison's template: a sync reads it back into exactly these values, and since a
sync makes a linked dataset hold what the portal's tables hold, a table of one period only
would lose the others. Totals the registry computed are left out; published totals have
"Jumlah" in the category columns they sum over.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from domain.terms import PushStatus
from handlers import table_layout
from handlers.context import Request
from storage.models import Dataset, PortalPush, Submission
from storage.portal.source import VerifiedTable
from storage.repositories import PublishedCell
from storage.uow import UnitOfWork
from texts.i18n import texts

TOTAL_LABEL = "Jumlah"

Cell = str | int | float | None


async def queue(
    request: Request, uow: UnitOfWork, dataset: Dataset, submission: Submission
) -> bool:
    """Queue the dataset's table for its portal package, when there is a portal the registry
    may write to and the dataset is one of its packages."""
    syncer = request.app.portal
    if syncer is None or not syncer.portal.writable or not dataset.external_id:
        return False
    await uow.session.flush()  # the accepted values are read back
    table = build(dataset, await uow.observations.published(dataset.id))
    if table is None:
        return False
    uow.pushes.add(
        PortalPush(
            submission_id=submission.id,
            dataset_id=dataset.id,
            package_id=dataset.external_id,
            table=table.as_json(),
            status=PushStatus.PENDING,
            attempts=0,
            next_attempt_at=request.now,
            created_at=request.now,
            rows=0,
            error="",
            delay_told=False,
        )
    )
    return True


async def requeue(uow: UnitOfWork, code: str, now: datetime) -> None:
    """Publish the dataset's table again, as the registry holds it now: after the portal
    refused it (a token without the right to write, since mended) or lost it. Only a dataset
    whose table was published from an acceptance has somewhere to go."""
    dataset = await uow.datasets.by_code(code.casefold())
    push = await uow.pushes.latest(dataset.id) if dataset else None
    if dataset is None or push is None:
        raise LookupError(
            f"{code}: no accepted file of this dataset was ever queued for the portal "
            "(see `satudata submissions list --all`)"
        )
    table = build(dataset, await uow.observations.published(dataset.id))
    if table is None or not dataset.external_id:
        raise LookupError(f"{code}: the dataset is no longer a package of the portal")
    push.package_id, push.table = dataset.external_id, table.as_json()
    push.status, push.delay_told = PushStatus.PENDING, False  # attempts go on counting
    push.next_attempt_at, push.error = now, ""
    await uow.commit()


def build(dataset: Dataset, cells: list[PublishedCell]) -> VerifiedTable | None:
    """One row per region, period and category combination, a column per indicator; None
    when no value has a region a file can name."""
    cells = [c for c in cells if c.region_code]  # a file names its regions by code
    if not cells:
        return None
    dimensions = table_layout.categories(dataset)
    values = [
        (i, table_layout.value_header(label, unit))
        for i, label, unit in table_layout.value_columns(dataset)
    ]
    yearly = all(c.period.isdigit() and len(c.period) == 4 for c in cells)
    period_header = "Tahun" if yearly else "Periode"
    region_header = table_layout.region_header({c.region_level for c in cells})
    code_header = texts("id").t("template_region_code")
    rows: dict[tuple[str, str, str], dict[int, float | int]] = defaultdict(dict)
    names: dict[str, str] = {}
    for cell in cells:
        assert cell.region_code is not None
        names[cell.region_code] = table_layout.region_name(cell.region_name, cell.region_level)
        rows[cell.region_code, cell.period, cell.categories][cell.indicator_id] = _number(cell)
    order = {
        dimension: {key: position for position, key in enumerate(labels)}
        for dimension, (_, labels) in dimensions.items()
    }
    # Each row's categories read once: (region, period, dimension → category key, values).
    entries = [
        (code, period, _chosen(categories), found)
        for (code, period, categories), found in rows.items()
    ]
    entries.sort(
        key=lambda e: (e[0], e[1], *(order[d].get(e[2].get(d, ""), -1) for d in dimensions))
    )
    published: list[tuple[Cell, ...]] = [
        (
            code,
            names[code],
            int(period) if yearly else period,
            *(
                category_labels.get(chosen[d], chosen[d]) if d in chosen else TOTAL_LABEL
                for d, (_, category_labels) in dimensions.items()
            ),
            *(found.get(i) if i is not None else None for i, _ in values),
        )
        for code, period, chosen, found in entries
    ]
    dimension_headers = [label for label, _ in dimensions.values()]
    return VerifiedTable(
        code=dataset.code,
        title=dataset.title,
        latest_period=dataset.latest_period or max(c.period for c in cells),
        columns=(
            (code_header, "text"),
            (region_header, "text"),
            (period_header, "int" if yearly else "text"),
            *((header, "text") for header in dimension_headers),
            *((header, "numeric") for _, header in values),
        ),
        key=(code_header, period_header, *dimension_headers),
        rows=tuple(published),
    )


def _chosen(categories: str) -> dict[str, str]:
    """ "jenis_kelamin=perempuan;kelompok_umur=65_69" → {dimension: category key}."""
    return dict(part.split("=", 1) for part in categories.split(";") if "=" in part)


def _number(cell: PublishedCell) -> float | int:
    """As published: a count without decimals stays a whole number."""
    return round(cell.value) if cell.decimals <= 0 else round(cell.value, cell.decimals)
