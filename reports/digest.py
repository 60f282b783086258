"""The weekly compliance digest: what each audience receives, built once for everyone.

Officials (pimpinan and registered leadership groups) get the region's summary with a bar chart
of every OPD and the 8-week trend; each head of OPD gets their own agency's page; the walidata
gets everything plus a spreadsheet with one row per dataset. Each page is rendered once per
language and shared by everyone who receives it. Titles of tertutup datasets reach only the
walidata; everyone else sees them counted, not named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from domain.access import Viewer, may_see_metadata
from domain.terms import (
    LIAISON,
    DeadlineStatus,
    GroupPurpose,
    RequestStatus,
    Role,
)
from reminders.status import DatasetStatus, dataset_statuses
from reports.charts import Bar, BarChart, Line, LineChart
from reports.compliance import DUE_SOON, TREND_WEEKS, ComplianceReport, compliance, with_history
from reports.digest_sheet import dataset_sheet
from storage.models import Extension, Opd, Person
from storage.uow import UnitOfWork
from texts.i18n import texts

HIGHLIGHTS = 5  # best and worst OPDs named in the officials' summary
LONGEST = 10
# A head of OPD's page names this many late and due-soon datasets; /status lists them all.
PAGE_LATE, PAGE_SOON = 25, 10
SUBJECT = 60  # characters of a data request's first line
LEADERSHIP_GROUPS = GroupPurpose.DIGEST_PIMPINAN  # officials' groups get the region's summary


@dataclass(frozen=True)
class DigestPlace:
    """Where the digest is given: region name, time zone and default language."""

    region_name: str
    zone: ZoneInfo
    language: str


@dataclass(frozen=True)
class DigestFile:
    kind: str  # photo, document
    name: str
    content: bytes


@dataclass(frozen=True)
class Part:
    """One message: a text, or a file with the text as its caption."""

    text: str
    file: DigestFile | None = None


@dataclass(frozen=True)
class Recipient:
    key: str  # "person:12" or "chat:-1001234": stable, so a week's digest is keyed once
    label: str
    language: str
    chat_id: int | None
    person: Person | None = None


@dataclass(frozen=True)
class Delivery:
    recipient: Recipient
    audience: Role  # pimpinan, kepala_opd or walidata: which page they get
    parts: list[Part]


@dataclass(frozen=True)
class WaitingRequest:
    """An open data request some recipients have not answered at all."""

    id: int
    subject: str  # the request's first line, shortened
    deadline: date | None
    silent: int
    total: int
    silent_opds: list[str]


@dataclass
class Digest:
    week: date
    report: ComplianceReport
    deliveries: list[Delivery] = field(default_factory=list)


async def build_digest(
    uow: UnitOfWork,
    now: datetime,
    week: date,
    place: DigestPlace,
) -> Digest:
    today = now.astimezone(place.zone).date()
    statuses = await dataset_statuses(uow, today)
    opds = {opd.id: opd for opd in await uow.opds.all()}
    report = compliance(statuses, opds, place.region_name, longest=len(statuses))
    history = await uow.snapshots.since(week - timedelta(weeks=TREND_WEEKS))
    with_history(report, history, week)
    people = [p for p in await uow.people.all() if p.active]
    late_ids = [s.row.id for s in statuses if s.deadline.status is DeadlineStatus.TERLAMBAT]
    promises = await uow.reminders.promises(late_ids)
    waiting = await waiting_requests(uow, {opd_id: opd.name for opd_id, opd in opds.items()})
    pages = _Pages(report, statuses, opds, people, promises, waiting, today)
    digest = Digest(week, report)
    for person in people:
        roles, lang = person.role_names, person.language or place.language
        recipient = Recipient(
            f"person:{person.id}", person.name, lang, person.telegram_user_id, person
        )
        if Role.WALIDATA in roles:
            digest.deliveries.append(Delivery(recipient, Role.WALIDATA, pages.walidata(lang)))
            continue
        if Role.PIMPINAN in roles:
            digest.deliveries.append(Delivery(recipient, Role.PIMPINAN, pages.region(lang)))
        if Role.KEPALA_OPD in roles and person.opd_id in pages.ranks:
            parts = pages.opd(lang, person.opd_id)
            digest.deliveries.append(Delivery(recipient, Role.KEPALA_OPD, parts))
    for group in await uow.groups.registered_with(LEADERSHIP_GROUPS):
        label = f"grup {group.title or group.chat_id}"
        recipient = Recipient(f"chat:{group.chat_id}", label, place.language, group.chat_id)
        digest.deliveries.append(Delivery(recipient, Role.PIMPINAN, pages.region(place.language)))
    return digest


async def waiting_requests(uow: UnitOfWork, opd_names: dict[int, str]) -> list[WaitingRequest]:
    waiting = []
    for data_request in await uow.requests.with_status(RequestStatus.OPEN):
        recipients = await uow.requests.recipients(data_request.id)
        silent = [r for r in recipients if r.answer is None]
        if not silent:
            continue
        opds = sorted({opd_names[r.opd_id] for r in silent if r.opd_id in opd_names})
        first_line = data_request.text.strip().split("\n", 1)[0]
        subject = first_line if len(first_line) <= SUBJECT else first_line[: SUBJECT - 1] + "…"
        waiting.append(
            WaitingRequest(
                data_request.id, subject, data_request.deadline, len(silent), len(recipients), opds
            )
        )
    return waiting


class _Pages:
    """Each audience's messages per language, rendered on first use and then shared."""

    def __init__(
        self,
        report: ComplianceReport,
        statuses: list[DatasetStatus],
        opds: dict[int, Opd],
        people: list[Person],
        promises: dict[int, dict[str, Extension]],
        waiting: list[WaitingRequest],
        today: date,
    ) -> None:
        self.report = report
        self.statuses = statuses
        self.opd_names = {opd_id: opd.name for opd_id, opd in opds.items()}
        self.short_names = {opd.code: opd.short_name or opd.name for opd in opds.values()}
        ids = {opd.code: opd_id for opd_id, opd in opds.items()}
        # OPDs with scheduled datasets, by id: their place in the ranking and their figures.
        self.ranks = {ids[c.code]: (rank, c) for rank, c in enumerate(report.opds, start=1)}
        self.liaisons: dict[int, list[str]] = {}
        for person in people:
            if LIAISON in person.role_names and person.opd_id is not None:
                self.liaisons.setdefault(person.opd_id, []).append(person.name)
        self.promises = promises
        self.waiting = waiting
        self.today = today
        self.by_opd: dict[int, list[DatasetStatus]] = {}
        for status in statuses:
            self.by_opd.setdefault(status.row.opd_id, []).append(status)
        self.region = cache(self._region)
        self.walidata = cache(self._walidata)
        self.opd = cache(self._opd)
        self._charts = cache(self._render_charts)

    def _region(self, language: str) -> list[Part]:
        t = texts(language)
        named = [s for s in self.report.longest_overdue if _named(s)]
        text = t.render(
            "digest_region",
            report=self.report,
            today=self.today,
            best=self.report.best(HIGHLIGHTS),
            worst=self.report.worst(HIGHLIGHTS),
            best_ties=self.report.best_ties(HIGHLIGHTS),
            worst_ties=self.report.worst_ties(HIGHLIGHTS),
            overdue=named[:LONGEST],
            opd_names=self.opd_names,
            waiting=self.waiting,
        )
        return [Part(text), *self._charts(language)]

    def _walidata(self, language: str) -> list[Part]:
        t = texts(language)
        text = t.render(
            "digest_walidata",
            report=self.report,
            today=self.today,
            overdue=self.report.longest_overdue[:LONGEST],
            opd_names=self.opd_names,
            waiting=self.waiting,
            no_liaison=[
                c.name for opd_id, (_, c) in self.ranks.items() if opd_id not in self.liaisons
            ],
        )
        sheet = dataset_sheet(t, self.statuses, self.opd_names, self.liaisons, self.promises)
        name = t.t("digest_xlsx_name", today=self.today)
        spreadsheet = Part(
            t.t("digest_xlsx_caption", today=self.today), DigestFile("document", name, sheet)
        )
        return [Part(text), *self._charts(language), spreadsheet]

    def _opd(self, language: str, opd_id: int) -> list[Part]:
        rank, figures = self.ranks[opd_id]
        own = self.by_opd[opd_id]
        late = [s for s in own if s.deadline.status is DeadlineStatus.TERLAMBAT]
        named = sorted(
            (s for s in late if _named(s)),
            key=lambda s: (-s.deadline.days_late, s.row.code),
        )
        soon = [s for s in own if s.deadline.status in DUE_SOON and _named(s)]
        text = texts(language).render(
            "digest_opd",
            c=figures,
            rank=rank,
            of=len(self.ranks),
            today=self.today,
            liaisons=self.liaisons.get(opd_id, []),
            late=named[:PAGE_LATE],
            more_late=max(0, len(named) - PAGE_LATE),
            hidden_late=len(late) - len(named),
            soon=soon[:PAGE_SOON],
            more_soon=max(0, len(soon) - PAGE_SOON),
            promises=self.promises,
            waiting=[w for w in self.waiting if figures.name in w.silent_opds],
        )
        return [Part(text)]

    def _render_charts(self, language: str) -> list[Part]:
        t = texts(language)
        region = self.report.region.name
        source = t.t("digest_chart_source", region=region, today=self.today)
        worst = {c.code for c in self.report.worst(HIGHLIGHTS)}
        by_opd = BarChart(
            "kepatuhan-opd.png",
            [Bar(self.short_names[c.code], c.percent, c.code in worst) for c in self.report.opds],
            t.t("digest_chart_opds", today=self.today),
            t.t("digest_chart_unit"),
            source,
            1,
            scale_max=100,
        )
        parts = [Part(by_opd.title, DigestFile("photo", by_opd.filename, by_opd.render()))]
        if len(self.report.trend) > 1:
            points = [(week.isoformat(), percent) for week, percent in self.report.trend]
            trend = LineChart(
                "kepatuhan-tren.png",
                [Line(region, points)],
                t.t("digest_chart_trend", region=region, weeks=len(points)),
                t.t("digest_chart_unit"),
                source,
                1,
            )
            parts.append(Part(trend.title, DigestFile("photo", trend.filename, trend.render())))
        return parts


ANYONE = Viewer.of(None)


def _named(status: DatasetStatus) -> bool:
    """These pages are shared by everyone but the walidata, so they name what anyone may
    know of (`domain.access`); a tertutup dataset is counted, not named."""
    return may_see_metadata(ANYONE, status.row)
