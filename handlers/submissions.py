"""Liaisons send their data in chat: /kirim gives the spreadsheet, a file sent back is checked.

The template is of the period the dataset owes (the one its reminders chase), with the
regions and categories of its last accepted table, so a filled copy reads back into the
dataset as it is. Without a code the liaison is offered the datasets their OPD owes, the
most urgent first.

A file from a liaison is data for one of their OPD's datasets: the one its caption names, the
template's own, or the only one the OPD owes. It is read off the event loop and checked
against what the dataset expects (`storage.submission_check`); the liaison hears within
seconds what was read and every problem, and a file without problems goes to the walidata.
Only the dataset's own OPD liaisons and the walidata may do either.
"""

from __future__ import annotations

import asyncio
from datetime import date

from domain.access import may_see_metadata
from domain.periods import Period, annual_period, parse_period
from domain.terms import LIAISON, OutboxKind, Role, SubmissionStatus
from handlers import audit, submission_review, table_layout
from handlers.catalog import RegionEntry
from handlers.context import Request
from handlers.messages import Attachment, Button, Reply
from reminders.buttons import TemplateButton
from reminders.status import dataset_statuses, standing
from reports import charts, data_template
from storage.models import Dataset, OutboxMessage, Submission
from storage.submission_check import Checked, Expected, check_elsewhere, template_of
from storage.uow import UnitOfWork
from storage.value_import import close_codes
from texts.i18n import texts

MAX_CHOICES = 10
SHOWN_PROBLEMS = 10
SHOWN_CHANGES = 20  # regions on the walidata's chart of changes
HIGHLIGHT = 50.0  # a change of this many percent is marked on it


async def kirim(request: Request) -> list[Reply]:
    t, viewer = request.texts, request.viewer
    asked = request.incoming.argument.strip()
    walidata = Role.WALIDATA in viewer.roles
    if not walidata and (LIAISON not in viewer.roles or viewer.opd_id is None):
        return [Reply(t.t("kirim_who"))]
    today = request.today
    async with request.app.uow() as uow:
        if asked:
            code, _, period = asked.partition(" ")
            dataset = await uow.datasets.by_code(code.casefold())
            if dataset is None or dataset.withdrawn_at is not None:
                return [await _unknown(request, uow, code)]
            return [await _template(request, uow, dataset, today, period.strip())]
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
    today = request.today
    async with request.app.uow() as uow:
        dataset = await uow.datasets.get(button.dataset_id)
        if dataset is None or dataset.withdrawn_at is not None:
            return [Reply(request.texts.t("stale_button"))]
        return [await _template(request, uow, dataset, today)]


async def _template(
    request: Request, uow: UnitOfWork, dataset: Dataset, today: date, asked: str = ""
) -> Reply:
    """The template of the period owed, or of `asked`: one already published, to correct."""
    t = request.texts
    refusal = await _refusal(request, uow, dataset)
    if refusal is not None:
        return refusal
    found = await standing(uow, dataset.id, today)
    period = _period(found.deadline.expected if found and found.deadline else None, today)
    if asked:
        published = await uow.observations.dataset_periods(dataset.id)
        chosen = _published(asked, dataset, published)
        if chosen is None:
            return Reply(
                t.t("kirim_period_unknown", period=asked, owed=period.code, published=published)
            )
        period = chosen
    regions = await _regions(request, uow, dataset)
    if not regions:
        return Reply(t.t("kirim_no_regions", title=dataset.title))
    spec = data_template.TemplateSpec(
        code=dataset.code,
        title=dataset.title,
        producer=dataset.opd.name,
        period=period,
        region_header=table_layout.region_header(r.level for r in regions),
        regions=tuple((r.kemendagri_code or "", _name(r)) for r in regions),
        dimensions=table_layout.dimensions(dataset),
        values=tuple((label, unit) for _, label, unit in table_layout.value_columns(dataset)),
    )
    content = data_template.workbook(spec, t)
    text = t.t("kirim_template", title=dataset.title, period=period.code, regions=len(regions))
    return Reply(text, attachment=Attachment("document", data_template.filename(spec), content))


async def _refusal(request: Request, uow: UnitOfWork, dataset: Dataset) -> Reply | None:
    """None for the dataset's own OPD liaisons and the walidata; anyone else is told whose it
    is, or, for a dataset whose very existence they may not know of, that there is none."""
    viewer = request.viewer
    if Role.WALIDATA in viewer.roles or (
        LIAISON in viewer.roles and viewer.opd_id == dataset.opd_id
    ):
        return None
    if not may_see_metadata(viewer, dataset):
        return await _unknown(request, uow, dataset.code)
    return Reply(request.texts.t("kirim_not_yours", title=dataset.title, opd=dataset.opd.name))


def _published(asked: str, dataset: Dataset, published: set[str]) -> Period | None:
    """The period `asked` names, when the dataset holds it already."""
    try:
        period = parse_period(asked)
    except ValueError:
        return None
    return period if period.code in published and period.kind == dataset.periodicity else None


def _period(owed: Period | None, today: date) -> Period:
    """The period the dataset owes; an ad hoc dataset's is this year's."""
    return owed or parse_period(annual_period(today.year))


async def _regions(request: Request, uow: UnitOfWork, dataset: Dataset) -> list[RegionEntry]:
    """The regions of the dataset's last accepted table; for a dataset without one, those
    right below the deployment's region (a kabupaten's kecamatan). Ordered by code."""
    catalog = request.app.catalog
    ids: set[int] = set()
    if dataset.latest_period:
        indicators = [i.id for i in dataset.indicators]
        ids = await uow.observations.regions_in(indicators, dataset.latest_period)
    regions = [catalog.regions[i] for i in ids if i in catalog.regions]
    if not regions:
        home = catalog.by_code.get(request.app.deployment.region_code)
        regions = list(catalog.children.get(home.id, [])) if home else []
    # A file names its regions by Kemendagri code; one the registry knows by another code
    # only (the country, a BPS-only code) could not be read back.
    return sorted((r for r in regions if r.kemendagri_code), key=lambda r: r.kemendagri_code or "")


def _name(region: RegionEntry) -> str:
    return table_layout.region_name(region.name, region.level)


async def _unknown(request: Request, uow: UnitOfWork, asked: str) -> Reply:
    """Suggested from the datasets the person may send: a liaison's own OPD's."""
    viewer = request.viewer
    walidata = Role.WALIDATA in viewer.roles
    codes = [d.code for d in await uow.datasets.all() if walidata or d.opd_id == viewer.opd_id]
    close = close_codes(asked, codes)
    return Reply(request.texts.t("kirim_unknown", code=asked, suggestions=close))


async def receive(request: Request) -> list[Reply] | None:
    """A file from a liaison or the walidata in a private chat; None for anyone else's (the
    dispatcher says files are not read)."""
    incoming, viewer, t = request.incoming, request.viewer, request.texts
    walidata = Role.WALIDATA in viewer.roles
    if (incoming.document is None and incoming.file is None) or incoming.in_group:
        return None
    if not walidata and (LIAISON not in viewer.roles or viewer.opd_id is None):
        return None
    document = await incoming.fetch_document()
    if document is None:
        return None
    today = request.today
    async with request.app.uow() as uow:
        dataset = await _dataset_of(request, uow, document.content, today)
        if dataset is None:
            owed = await dataset_statuses(uow, today, None if walidata else viewer.opd_id)
            codes = [s.row.code for s in owed[:MAX_CHOICES]]
            return [Reply(t.t("kiriman_which", name=document.filename, codes=codes))]
        refusal = await _refusal(request, uow, dataset)
        if refusal is not None:
            return [refusal]
        expected = await _expected(request, uow, dataset, today)
    checked = await check_elsewhere(document.content, document.filename, expected)
    about = {
        "name": document.filename,
        "title": dataset.title,
        "code": dataset.code,
        "period": expected.period,
    }
    if not checked.ok:
        shown = checked.errors[:SHOWN_PROBLEMS]
        more = len(checked.errors) - len(shown)
        return [Reply(t.t("kiriman_problems", **about, errors=shown, more=more))]
    # A file of one period already in the registry corrects it; one of several is the owed.
    about["period"] = checked.periods[0] if len(checked.periods) == 1 else expected.period
    note = _note(request, dataset)
    if checked.warnings and not note:
        shown = checked.warnings[:SHOWN_PROBLEMS]
        more = len(checked.warnings) - len(shown)
        return [Reply(t.t("kiriman_warnings", **about, warnings=shown, more=more))]
    assert viewer.person_id is not None  # a role is a known person's
    async with request.app.uow() as uow:
        submission = Submission(
            dataset_id=dataset.id,
            period=about["period"],
            submitted_by=viewer.person_id,
            submitted_at=request.now,
            file=await uow.outbox.file(document.filename, document.content, request.now),
            note=note,
            warnings=checked.warnings,
            status=SubmissionStatus.PENDING,
            reason="",
        )
        uow.submissions.add(submission)
        await uow.session.flush()  # its id goes on the walidata's buttons
        await _to_walidata(request, uow, dataset, submission, checked)
        audit.record(
            request,
            uow,
            "submission_received",
            submission=submission.id,
            dataset=dataset.code,
            period=submission.period,
            file=document.filename,
            values=checked.values,
            regions=checked.regions,
            warnings=len(checked.warnings),
            note=note,
        )
        await uow.commit()
    return [Reply(t.t("kiriman_received", **about, **_summary(checked)))]


def _note(request: Request, dataset: Dataset) -> str:
    """The caption's words after the dataset's code, or the whole caption without one: what
    the liaison says of the values the check found unlikely."""
    words = request.incoming.text.split()
    if words and words[0].casefold() == dataset.code:
        words = words[1:]
    return " ".join(words)


async def _dataset_of(
    request: Request, uow: UnitOfWork, content: bytes, today: date
) -> Dataset | None:
    """The dataset a file is for: the code its caption starts with, the template's own, or
    the only dataset the liaison's OPD owes; None when none of them says."""
    caption = request.incoming.text.split()
    template = template_of(content)
    for code in (caption[0].casefold() if caption else None, template[0] if template else None):
        dataset = await uow.datasets.by_code(code) if code else None
        if dataset is not None and dataset.withdrawn_at is None:
            return dataset
    viewer = request.viewer
    if Role.WALIDATA in viewer.roles or viewer.opd_id is None:
        return None
    owed = await dataset_statuses(uow, today, viewer.opd_id)
    return await uow.datasets.get(owed[0].row.id) if len(owed) == 1 else None


async def _expected(request: Request, uow: UnitOfWork, dataset: Dataset, today: date) -> Expected:
    found = await standing(uow, dataset.id, today)
    period = _period(found.deadline.expected if found and found.deadline else None, today)
    latest = dataset.latest_period
    regions = await _regions(request, uow, dataset) if latest else []
    previous = await uow.observations.cells(dataset.id, latest) if latest else {}
    published = await uow.observations.dataset_periods(dataset.id)
    return Expected(
        submission_review.context(request, dataset),
        period.code,
        {r.kemendagri_code: _name(r) for r in regions if r.kemendagri_code},
        previous,
        latest or "",
        frozenset(published),
    )


def _summary(checked: Checked) -> dict[str, object]:
    return {
        "regions": checked.regions,
        "rows": checked.rows,
        "indicators": checked.indicators,
        "values": checked.values,
        "dimensions": checked.dimensions,
    }


async def _to_walidata(
    request: Request,
    uow: UnitOfWork,
    dataset: Dataset,
    submission: Submission,
    checked: Checked,
) -> None:
    """The file, with what the check read, its warnings and the liaison's note, to every
    walidata in their own language, with the buttons that decide it; then a chart of how the
    regions moved since the last accepted period."""
    chart = await _change_chart(request, dataset, submission, checked)
    for person in await uow.people.active_with_role(Role.WALIDATA):
        text = texts(person.language or request.app.deployment.language).t(
            "kiriman_for_walidata",
            person=request.viewer.name,
            opd=dataset.opd.name,
            title=dataset.title,
            code=dataset.code,
            period=submission.period,
            warnings=checked.warnings[:SHOWN_PROBLEMS],
            more=max(0, len(checked.warnings) - SHOWN_PROBLEMS),
            note=submission.note,
            **_summary(checked),
        )
        uow.outbox.add(
            OutboxMessage.to_person(
                person,
                key=f"submission:{submission.id}:review:{person.id}",
                kind=OutboxKind.NOTICE,
                text=text,
                now=request.now,
                buttons=submission_review.buttons(person, submission.id),
                file=submission.file,
                file_kind="document",
            )
        )
        if chart is not None:
            uow.outbox.add(
                OutboxMessage.to_person(
                    person,
                    key=f"submission:{submission.id}:chart:{person.id}",
                    kind=OutboxKind.NOTICE,
                    text=texts(person.language or "id").t("submission_chart", code=dataset.code),
                    now=request.now,
                    file=await uow.outbox.file(chart.filename, chart.content, request.now),
                    file_kind="photo",
                )
            )


async def _change_chart(
    request: Request, dataset: Dataset, submission: Submission, checked: Checked
) -> Attachment | None:
    """The regions' change against the last accepted period, the largest first: what a
    walidata looks at before accepting."""
    moved = [
        (name, 100 * (new - before) / before) for name, new, before in checked.changes if before
    ]
    if not moved:
        return None
    moved.sort(key=lambda item: -abs(item[1]))
    t = request.texts
    chart = charts.BarChart(
        f"perubahan-{dataset.code}-{submission.period}.png",
        [
            charts.Bar(name, change, highlight=abs(change) >= HIGHLIGHT)
            for name, change in moved[:SHOWN_CHANGES]
        ],
        title=t.t(
            "submission_chart_title",
            title=dataset.title,
            period=submission.period,
            previous=dataset.latest_period or "",
        ),
        unit="persen",
        source=t.t("chart_source", source=dataset.source, producer=dataset.opd.name),
        decimals=1,
    )
    png = await asyncio.to_thread(chart.render)
    return Attachment("photo", chart.filename, png)
