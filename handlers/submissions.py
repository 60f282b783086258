"""/kirim: a liaison asks for the spreadsheet to send a dataset's values in.

The template is of the period the dataset owes (the one its reminders chase), with the
regions and categories of its last accepted table, so a filled copy reads back into the
dataset as it is. Only the dataset's own OPD liaisons and the walidata get one: they alone
may send its data. Without a code the liaison is offered the datasets their OPD owes, the
most urgent first.
"""

from __future__ import annotations

from datetime import date

from rapidfuzz import fuzz, process

from domain.periods import Period, annual_period, parse_period
from domain.terms import LIAISON, Role
from handlers.catalog import RegionEntry, base_name, indicator_label
from handlers.context import Request
from handlers.messages import Attachment, Button, Reply
from reminders.buttons import TemplateButton
from reminders.status import dataset_statuses, standing
from reports import data_template
from storage.models import Dataset
from storage.uow import UnitOfWork

MAX_CHOICES = 10
CLOSE_CODES = 3
# A region column's header by the levels it lists; any other mix is "Wilayah".
REGION_HEADERS = {
    frozenset({"provinsi"}): "Provinsi",
    frozenset({"kabupaten"}): "Kabupaten/Kota",
    frozenset({"kota"}): "Kabupaten/Kota",
    frozenset({"kabupaten", "kota"}): "Kabupaten/Kota",
    frozenset({"kecamatan"}): "Kecamatan",
    frozenset({"desa"}): "Desa/Kelurahan",
    frozenset({"kelurahan"}): "Desa/Kelurahan",
    frozenset({"desa", "kelurahan"}): "Desa/Kelurahan",
}


async def kirim(request: Request) -> list[Reply]:
    t, viewer = request.texts, request.viewer
    asked = request.incoming.argument.strip()
    walidata = Role.WALIDATA in viewer.roles
    if not walidata and (LIAISON not in viewer.roles or viewer.opd_id is None):
        return [Reply(t.t("kirim_who"))]
    today = request.now.astimezone(request.app.deployment.timezone).date()
    async with request.app.uow() as uow:
        if asked:
            dataset = await uow.datasets.by_code(asked.casefold())
            if dataset is None or dataset.withdrawn_at is not None:
                return [await _unknown(request, uow, asked)]
            return [await _template(request, uow, dataset, today)]
        owed = await dataset_statuses(uow, today, None if walidata else viewer.opd_id)
    if not owed:
        return [Reply(t.t("kirim_nothing_owed"))]
    buttons = [
        [
            Button(
                t.t("kirim_choice", code=s.row.code, period=s.deadline.expected.code),
                TemplateButton(s.row.id).pack(),
            )
        ]
        for s in owed[:MAX_CHOICES]
    ]
    return [Reply(t.t("kirim_choose", more=max(0, len(owed) - MAX_CHOICES)), buttons=buttons)]


async def on_button(request: Request, button: TemplateButton) -> list[Reply]:
    today = request.now.astimezone(request.app.deployment.timezone).date()
    async with request.app.uow() as uow:
        dataset = await uow.datasets.get(button.dataset_id)
        if dataset is None or dataset.withdrawn_at is not None:
            return [Reply(request.texts.t("stale_button"))]
        return [await _template(request, uow, dataset, today)]


async def _template(request: Request, uow: UnitOfWork, dataset: Dataset, today: date) -> Reply:
    t, viewer = request.texts, request.viewer
    own = LIAISON in viewer.roles and viewer.opd_id == dataset.opd_id
    if not (own or Role.WALIDATA in viewer.roles):
        return Reply(t.t("kirim_not_yours", title=dataset.title, opd=dataset.opd.name))
    found = await standing(uow, dataset.id, today)
    period = _period(found.deadline.expected if found and found.deadline else None, today)
    regions = await _regions(request, uow, dataset)
    if not regions:
        return Reply(t.t("kirim_no_regions", title=dataset.title))
    several = len(dataset.indicators) > 1
    spec = data_template.TemplateSpec(
        code=dataset.code,
        title=dataset.title,
        producer=dataset.opd.name,
        period=period,
        region_header=REGION_HEADERS.get(frozenset(r.level for r in regions), "Wilayah"),
        regions=tuple((r.kemendagri_code or r.code or "", _name(r)) for r in regions),
        dimensions=_dimensions(dataset),
        values=tuple(
            (indicator_label(i.name, i.unit) if several else "Nilai", i.unit or dataset.unit)
            for i in sorted(dataset.indicators, key=lambda i: i.position)
        )
        or (("Nilai", dataset.unit),),
    )
    content = data_template.workbook(spec, t)
    text = t.t("kirim_template", title=dataset.title, period=period.code, regions=len(regions))
    return Reply(text, attachment=Attachment("document", data_template.filename(spec), content))


def _period(owed: Period | None, today: date) -> Period:
    """The period the dataset owes; an ad hoc dataset's is this year's."""
    return owed or parse_period(annual_period(today.year))


async def _regions(request: Request, uow: UnitOfWork, dataset: Dataset) -> list[RegionEntry]:
    """The regions of the dataset's last accepted table; for a dataset without one, those
    right below the deployment's region (a kabupaten's kecamatan)."""
    catalog = request.app.catalog
    ids: set[int] = set()
    if dataset.latest_period:
        indicators = [i.id for i in dataset.indicators]
        ids = await uow.observations.regions_in(indicators, dataset.latest_period)
    regions = [catalog.regions[i] for i in ids if i in catalog.regions]
    if not regions:
        home = catalog.by_code.get(request.app.deployment.region_code)
        regions = list(catalog.children.get(home.id, [])) if home else []
    return sorted(regions, key=lambda r: (r.kemendagri_code or r.code or "", r.name))


def _name(region: RegionEntry) -> str:
    """As a region column lists it: "Purwodadi" under "Kecamatan"; a kabupaten or kota, a
    desa or kelurahan with the word that tells them apart."""
    return base_name(region.name) if region.level == "kecamatan" else region.name


def _dimensions(dataset: Dataset) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each category dimension of the dataset's indicators with its categories, in the
    table's order."""
    dimensions: dict[str, tuple[str, dict[str, str]]] = {}
    for indicator in sorted(dataset.indicators, key=lambda i: i.position):
        for category in sorted(indicator.categories, key=lambda c: c.position):
            _, labels = dimensions.setdefault(category.dimension, (category.dimension_label, {}))
            labels.setdefault(category.key, category.label)
    return tuple((label, tuple(labels.values())) for label, labels in dimensions.values())


async def _unknown(request: Request, uow: UnitOfWork, asked: str) -> Reply:
    """Suggested from the datasets the person may send: a liaison's own OPD's."""
    viewer = request.viewer
    walidata = Role.WALIDATA in viewer.roles
    codes = [d.code for d in await uow.datasets.all() if walidata or d.opd_id == viewer.opd_id]
    close = [
        code
        for code, _, _ in process.extract(
            asked, codes, scorer=fuzz.WRatio, limit=CLOSE_CODES, score_cutoff=60
        )
    ]
    return Reply(request.texts.t("kirim_unknown", code=asked, suggestions=close))
