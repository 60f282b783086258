"""Repositories: the only place that builds queries, so handlers stay free of SQL."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    CursorResult,
    Result,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from domain.terms import OutboxStatus, PushStatus, RequestAnswer, SubmissionStatus
from storage.models import (
    AuditEntry,
    ChatContext,
    ComplianceSnapshot,
    DataRequest,
    DataRequestRecipient,
    Dataset,
    Extension,
    GroupChat,
    Indicator,
    Invitation,
    Observation,
    Opd,
    OutboxFile,
    OutboxMessage,
    Person,
    PortalPush,
    Region,
    ReminderSend,
    Submission,
)


class PublishedCell(NamedTuple):
    region_code: str | None  # Kemendagri
    region_name: str
    region_level: str
    period: str
    categories: str
    indicator_id: int
    value: float
    decimals: int


REQUEST_KINDS = ("request", "request_file", "request_reminder")


class RegionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Region]:
        return (await self.session.scalars(select(Region).order_by(Region.id))).all()

    async def by_code(self, code: str) -> Region | None:
        return await self.session.scalar(select(Region).where(Region.code == code))


class OpdRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Opd]:
        return (await self.session.scalars(select(Opd).order_by(Opd.name))).all()

    async def by_code(self, code: str) -> Opd | None:
        return await self.session.scalar(select(Opd).where(Opd.code == code))

    async def get(self, opd_id: int) -> Opd | None:
        return await self.session.get(Opd, opd_id)


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def by_telegram_id(self, telegram_user_id: int) -> Person | None:
        return await self.session.scalar(
            select(Person).where(Person.telegram_user_id == telegram_user_id, Person.active)
        )

    async def all(self) -> Sequence[Person]:
        return (await self.session.scalars(select(Person).order_by(Person.id))).all()

    async def active_with_role(self, role: str) -> list[Person]:
        """The active people holding `role`, of every OPD for an OPD's role."""
        return [p for p in await self.all() if p.active and role in p.role_names]

    async def holding_account(self, telegram_user_id: int) -> Person | None:
        """Whoever the account is bound to, active or not (the column is unique)."""
        return await self.session.scalar(
            select(Person).where(Person.telegram_user_id == telegram_user_id)
        )

    async def add(self, person: Person) -> None:
        """Written at once, so the new person's id is known to what refers to them next."""
        self.session.add(person)
        await self.session.flush()

    async def release_account(self, person: Person) -> None:
        """Unbind the person's Telegram account at once: the column is unique, so another
        person can be bound to the account in the same transaction only after this."""
        person.telegram_user_id = None
        await self.session.flush()


class InvitationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, invitation_id: int) -> Invitation | None:
        return await self.session.get(Invitation, invitation_id)

    async def add(self, invitation: Invitation) -> None:
        """Written at once, so its id can go into the buttons that follow."""
        self.session.add(invitation)
        await self.session.flush()

    async def by_hash(self, token_hash: str) -> Invitation | None:
        return await self.session.scalar(
            select(Invitation).where(Invitation.token_hash == token_hash)
        )

    async def open(self, now: datetime) -> Sequence[Invitation]:
        """Issued, unused, not revoked and not expired: the links that still work."""
        query = (
            select(Invitation)
            .where(
                Invitation.token_hash.is_not(None),
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.expires_at, Invitation.id)
        )
        return (await self.session.scalars(query)).all()

    async def open_for(self, person_id: int, now: datetime) -> Sequence[Invitation]:
        return [i for i in await self.open(now) if i.person_id == person_id]

    async def use(self, invitation_id: int, person_id: int, now: datetime) -> bool:
        """Mark the invitation used, if it still may be: False when another acceptance (or a
        revocation) got there first, so a link binds one account however fast it is opened."""
        result = await self.session.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .values(used_at=now, person_id=person_id)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


class PortalPushRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, push: PortalPush) -> None:
        self.session.add(push)

    async def due(self, now: datetime) -> Sequence[PortalPush]:
        """Pushes waiting whose time has come, oldest first."""
        query = (
            select(PortalPush)
            .where(PortalPush.status == PushStatus.PENDING, PortalPush.next_attempt_at <= now)
            .order_by(PortalPush.id)
        )
        return (await self.session.scalars(query)).all()

    async def get(self, push_id: int) -> PortalPush:
        found = await self.session.get(PortalPush, push_id)
        assert found is not None, "pushes are never deleted while they are published"
        return found

    async def waiting(self, dataset_id: int) -> Sequence[PortalPush]:
        """The dataset's pushes not yet published, oldest first."""
        query = (
            select(PortalPush)
            .where(PortalPush.dataset_id == dataset_id, PortalPush.status == PushStatus.PENDING)
            .order_by(PortalPush.id)
        )
        return (await self.session.scalars(query)).all()

    async def unpublished(self, dataset_id: int) -> bool:
        """Whether values accepted for the dataset are not on the portal yet: its newest
        push waits or was refused."""
        push = await self.latest(dataset_id)
        return push is not None and push.status in (PushStatus.PENDING, PushStatus.FAILED)

    async def latest(self, dataset_id: int) -> PortalPush | None:
        """The dataset's newest push, whatever became of it."""
        query = (
            select(PortalPush)
            .where(PortalPush.dataset_id == dataset_id)
            .order_by(PortalPush.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)


class SubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, submission: Submission) -> None:
        self.session.add(submission)

    async def get(self, submission_id: int) -> Submission | None:
        return await self.session.get(Submission, submission_id)

    async def decide(
        self, submission_id: int, status: str, person_id: int | None, at: datetime, reason: str
    ) -> bool:
        """Record the decision if none was made: two walidata pressing at once, one counts."""
        result = await self.session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status == SubmissionStatus.PENDING)
            .values(status=status, decided_by=person_id, decided_at=at, reason=reason)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def awaiting_reason(self, person_id: int, since: datetime) -> Submission | None:
        """The file this walidata chose, after `since`, to write the reason to return."""
        query = (
            select(Submission)
            .where(
                Submission.reason_by == person_id,
                Submission.reason_asked_at >= since,
                Submission.status == SubmissionStatus.PENDING,
            )
            .order_by(Submission.id.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def listed(self, status: str | None = None) -> Sequence[Submission]:
        """Newest first; with `status`, only those."""
        query = select(Submission).order_by(Submission.id.desc())
        if status is not None:
            query = query.where(Submission.status == status)
        return (await self.session.scalars(query)).all()

    async def pending(self, dataset_ids: Sequence[int]) -> set[tuple[int, str]]:
        """(dataset, period) pairs with a file waiting for the walidata."""
        found: set[tuple[int, str]] = set()
        for chunk in _chunks(dataset_ids):
            query = select(Submission.dataset_id, Submission.period).where(
                Submission.dataset_id.in_(chunk), Submission.status == SubmissionStatus.PENDING
            )
            found.update(
                (dataset_id, period) for dataset_id, period in await self.session.execute(query)
            )
        return found


class ChatContextRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def since(self, chat_id: int, user_id: int, moment: datetime) -> ChatContext | None:
        """The person's context in this chat, if saved at `moment` or later."""
        context = await self.session.get(ChatContext, (chat_id, user_id))
        return context if context is not None and context.saved_at >= moment else None

    async def save(
        self,
        chat_id: int,
        user_id: int,
        now: datetime,
        *,
        ask: str | None,
        indicator_id: int | None,
        categories: str = "",
        choices: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Overwrites the person's context in this chat; two workers saving the first one at
        once both succeed (the later write wins)."""
        values = {
            "saved_at": now,
            "ask": ask,
            "indicator_id": indicator_id,
            "categories": categories,
            "choices": [list(choice) for choice in choices],
        }
        context = await self.session.get(ChatContext, (chat_id, user_id))
        if context is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(ChatContext(chat_id=chat_id, user_id=user_id, **values))
                return
            except IntegrityError:
                context = await self.session.get(ChatContext, (chat_id, user_id))
                assert context is not None
        for name, value in values.items():
            setattr(context, name, value)
        await self.session.flush()

    async def popular(self, limit: int) -> list[int]:
        """The indicators most people asked about last, most first."""
        query = (
            select(ChatContext.indicator_id)
            .where(ChatContext.indicator_id.is_not(None))
            .group_by(ChatContext.indicator_id)
            .order_by(func.count().desc(), ChatContext.indicator_id)
            .limit(limit)
        )
        return [i for i in (await self.session.scalars(query)).all() if i is not None]


class GroupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, chat_id: int) -> GroupChat | None:
        return await self.session.scalar(select(GroupChat).where(GroupChat.chat_id == chat_id))

    def add(self, group: GroupChat) -> None:
        self.session.add(group)

    async def registered_with(self, purpose: str) -> Sequence[GroupChat]:
        """Registered groups with this purpose, e.g. `digest_pimpinan` for the weekly digest."""
        query = (
            select(GroupChat)
            .where(GroupChat.registered_at.is_not(None), GroupChat.purpose == purpose)
            .order_by(GroupChat.id)
        )
        return (await self.session.scalars(query)).all()

    async def claim_hint(self, chat_id: int, title: str, now: datetime) -> bool:
        """True for the one message that should explain how to register this group."""
        if await self.get(chat_id) is None:
            self.session.add(GroupChat(chat_id=chat_id, title=title[:200], hinted_at=now))
            await self.session.flush()
            return True
        result = await self.session.execute(
            update(GroupChat)
            .where(GroupChat.chat_id == chat_id, GroupChat.hinted_at.is_(None))
            .values(hinted_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


class ScheduleRow(NamedTuple):
    """One dataset's schedule and last update, OPD due-rule overrides applied: what an
    answer's freshness line and the deadline it owes are made of."""

    id: int
    periodicity: str
    latest_period: str | None
    confirmed_period: str | None
    due_months: int | None
    due_day: int | None
    last_updated_at: datetime | None
    withdrawn: bool
    extended_dues: dict[str, date]  # period → the latest approved extended due date


class ValueRow(NamedTuple):
    region_id: int
    period: str
    value: float
    decimals: int
    status: str
    computed: bool  # a total summed from the table's categories, not published as such


class CategoryRow(NamedTuple):
    categories: str  # "jenis_kelamin=perempuan"
    value: float
    decimals: int


# Answers read totals unless a category is asked: one sex is never the region's figure.
TOTAL = ""
# The statements behind every answer, built once: plain columns, not ORM objects, since
# answers read many values and never change them.
VALUE_COLUMNS = (
    Observation.region_id,
    Observation.period,
    Observation.value,
    Observation.decimals,
    Observation.status,
    Observation.computed,
)
SERIES = (
    select(*VALUE_COLUMNS)
    .where(
        Observation.indicator_id == bindparam("indicator"),
        Observation.region_id == bindparam("region"),
        Observation.categories == bindparam("categories"),
    )
    .order_by(Observation.period)
)
CROSS_SECTION = select(*VALUE_COLUMNS).where(
    Observation.indicator_id == bindparam("indicator"),
    Observation.period.in_(bindparam("periods", expanding=True)),
    Observation.region_id.in_(bindparam("regions", expanding=True)),
    Observation.categories == bindparam("categories"),
)
# A total's categories of one dimension ("jenis_kelamin=perempuan", not an age × sex cell).
BREAKDOWN = select(Observation.categories, Observation.value, Observation.decimals).where(
    Observation.indicator_id == bindparam("indicator"),
    Observation.region_id == bindparam("region"),
    Observation.period == bindparam("period"),
    Observation.categories != TOTAL,
    Observation.categories.not_like("%;%"),
)
# Built once: every question reads these, and building the statement costs more than the
# query itself.
ACCESS = select(Dataset.id, Dataset.classification, Dataset.opd_id).where(
    Dataset.id.in_(bindparam("ids", expanding=True))
)
HOLDINGS = (
    select(
        Observation.indicator_id,
        func.count(func.distinct(Observation.region_id)),
        func.max(
            case(
                (
                    (Observation.period == bindparam("period"))
                    | Observation.period.like(bindparam("within")),
                    1,
                ),
                else_=0,
            )
        ),
    )
    .where(
        Observation.indicator_id.in_(bindparam("indicators", expanding=True)),
        Observation.region_id.in_(bindparam("regions", expanding=True)),
    )
    .group_by(Observation.indicator_id)
)
# A dataset's due rule, where it sets none its OPD's (joined as `Opd`).
DUE_MONTHS = func.coalesce(Dataset.due_months, Opd.due_months)
DUE_DAY = func.coalesce(Dataset.due_day, Opd.due_day)
SCHEDULE = (
    select(
        Dataset.id,
        Dataset.periodicity,
        Dataset.latest_period,
        Dataset.confirmed_period,
        DUE_MONTHS,
        DUE_DAY,
        Dataset.last_updated_at,
        Dataset.withdrawn_at.is_not(None),
        Extension.period,
        Extension.new_due,
    )
    .join(Opd, Opd.id == Dataset.opd_id)
    .outerjoin(Extension, (Extension.dataset_id == Dataset.id) & (Extension.status == "approved"))
    .where(Dataset.id == bindparam("dataset"))
)


class DatasetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Classification and producer as this unit of work first read them: a question checks
        # its candidates, then the dataset it answers from, and one read serves both.
        self._access: dict[int, tuple[str, int] | None] = {}

    async def schedule(self, dataset_id: int) -> ScheduleRow | None:
        """In one query with its approved extensions (a row each): every value answer reads
        this."""
        rows = await _read(self.session, SCHEDULE, {"dataset": dataset_id})
        if not rows:
            return None
        dues: dict[str, date] = {}
        for *_, period, new_due in rows:
            if period is not None:
                dues[period] = max(new_due, dues.get(period, new_due))
        return ScheduleRow._make((*rows[0][:-2], dues))

    async def any(self) -> bool:
        return await self.session.scalar(select(Dataset.id).limit(1)) is not None

    async def all(self) -> Sequence[Dataset]:
        """Datasets in use: one its portal withdrew is kept for its history, not shown."""
        query = select(Dataset).where(Dataset.withdrawn_at.is_(None)).order_by(Dataset.id)
        return (await self.session.scalars(query)).all()

    async def by_code(self, code: str) -> Dataset | None:
        return await self.session.scalar(select(Dataset).where(Dataset.code == code))

    async def get(self, dataset_id: int) -> Dataset | None:
        return await self.session.get(Dataset, dataset_id)

    async def access_of(self, dataset_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
        """dataset → (classification, producing OPD) as stored now; datasets that do not
        exist are left out."""
        unread = [i for i in dict.fromkeys(dataset_ids) if i not in self._access]
        for chunk in _chunks(unread):
            rows = await _read(self.session, ACCESS, {"ids": list(chunk)})
            stored = {dataset_id: (classification, opd) for dataset_id, classification, opd in rows}
            self._access.update({i: stored.get(i) for i in chunk})
        return {i: found for i in dataset_ids if (found := self._access[i]) is not None}


class ObservationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def series(
        self, indicator_id: int, region_id: int, categories: str = TOTAL
    ) -> list[ValueRow]:
        """All periods of one indicator for one region and category, oldest first."""
        parameters = {"indicator": indicator_id, "region": region_id, "categories": categories}
        return [ValueRow(*row) for row in await _read(self.session, SERIES, parameters)]

    async def for_periods(
        self,
        indicator_id: int,
        periods: Sequence[str],
        region_ids: Collection[int],
        categories: str = TOTAL,
    ) -> list[ValueRow]:
        """The regions' values of one indicator and category in the periods (for ranks and
        comparisons): read for the regions compared only, since a desa table holds thousands
        of others, and for several periods at once."""
        rows: list[ValueRow] = []
        for chunk in _chunks(sorted(region_ids)) if periods else []:
            parameters = {
                "indicator": indicator_id,
                "periods": list(periods),
                "regions": list(chunk),
                "categories": categories,
            }
            rows += [ValueRow(*row) for row in await _read(self.session, CROSS_SECTION, parameters)]
        return rows

    async def breakdown(self, indicator_id: int, region_id: int, period: str) -> list[CategoryRow]:
        """The values of one region and period by each single category, in no set order."""
        parameters = {"indicator": indicator_id, "region": region_id, "period": period}
        return [CategoryRow(*row) for row in await _read(self.session, BREAKDOWN, parameters)]

    async def coverage(
        self, indicator_ids: Sequence[int], region_ids: Sequence[int], period: str | None
    ) -> dict[int, tuple[int, bool]]:
        """indicator → (how many of the regions have a value, whether any is of `period` or,
        for a year, of a month or quarter in it); indicators without any are left out.

        Which of several matching datasets holds what was asked is the surest sign of which
        one was meant; one query, however many candidates.
        """
        if not indicator_ids or not region_ids:
            return {}
        # A year asked of monthly or quarterly data is any of its months or quarters
        # ("2024-%"); "" matches no stored period.
        parameters = {
            "indicators": list(indicator_ids),
            "regions": list(region_ids),
            "period": period or "",
            "within": f"{period}-%" if period and len(period) == 4 else "",
        }
        return {
            indicator: (regions, bool(found))
            for indicator, regions, found in await _read(self.session, HOLDINGS, parameters)
        }

    async def regions_in(self, indicator_ids: Sequence[int], period: str) -> set[int]:
        """The regions with a total of any of the indicators in the period: the regions of a
        dataset's table, as last accepted."""
        query = (
            select(Observation.region_id)
            .where(
                Observation.indicator_id.in_(indicator_ids),
                Observation.period == period,
                Observation.categories == TOTAL,
            )
            .distinct()
        )
        return set((await self.session.scalars(query)).all())

    async def cells(self, dataset_id: int, period: str) -> dict[tuple[str, str, str], float]:
        """(indicator code, Kemendagri code, categories) → value: a dataset's period as a
        table that is sent again names its cells."""
        query = (
            select(
                Indicator.code, Region.kemendagri_code, Observation.categories, Observation.value
            )
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .join(Region, Region.id == Observation.region_id)
            .where(Indicator.dataset_id == dataset_id, Observation.period == period)
        )
        return {
            (code, region, categories): value
            for code, region, categories, value in await self.session.execute(query)
            if region is not None
        }

    async def published(self, dataset_id: int) -> list[PublishedCell]:
        """Every value of the dataset as published (computed totals left out), with its
        region's Kemendagri code, name and level: the dataset as a table again."""
        query = (
            select(
                Region.kemendagri_code,
                Region.name,
                Region.level,
                Observation.period,
                Observation.categories,
                Observation.indicator_id,
                Observation.value,
                Observation.decimals,
            )
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .join(Region, Region.id == Observation.region_id)
            .where(Indicator.dataset_id == dataset_id, Observation.computed.is_(False))
        )
        return [PublishedCell(*row) for row in await self.session.execute(query)]

    async def dataset_periods(self, dataset_id: int) -> set[str]:
        """Every period the dataset holds a value of."""
        query = (
            select(Observation.period)
            .join(Indicator, Indicator.id == Observation.indicator_id)
            .where(Indicator.dataset_id == dataset_id)
            .distinct()
        )
        return set((await self.session.scalars(query)).all())

    async def spans(
        self, indicator_ids: Sequence[int], region_id: int | None = None
    ) -> dict[int, tuple[str, str]]:
        """indicator → its first and last period with a total (for the region, if given):
        the years a list says a dataset covers, in one query for all of them."""
        spans: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(sorted(indicator_ids)):
            query = (
                select(
                    Observation.indicator_id,
                    func.min(Observation.period),
                    func.max(Observation.period),
                )
                .where(Observation.indicator_id.in_(chunk), Observation.categories == TOTAL)
                .group_by(Observation.indicator_id)
            )
            if region_id is not None:
                query = query.where(Observation.region_id == region_id)
            for indicator, first, last in await self.session.execute(query):
                spans[indicator] = (first, last)
        return spans

    async def periods(self, indicator_id: int, categories: str = TOTAL) -> list[str]:
        """Periods with at least one value of the category (the total), oldest first."""
        query = (
            select(Observation.period)
            .where(Observation.indicator_id == indicator_id, Observation.categories == categories)
            .distinct()
            .order_by(Observation.period)
        )
        return list((await self.session.scalars(query)).all())


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self,
        *,
        at: datetime,
        action: str,
        person_id: int | None = None,
        chat_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEntry(
                at=at, action=action, person_id=person_id, chat_id=chat_id, detail=detail or {}
            )
        )

    async def recent(self, limit: int = 20) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()

    async def count(self, action: str, since: datetime, *, chat_id: int | None = None) -> int:
        """Entries of `action` from `since` on, of one chat if given (rate limits)."""
        query = select(func.count()).where(AuditEntry.action == action, AuditEntry.at >= since)
        if chat_id is not None:
            query = query.where(AuditEntry.chat_id == chat_id)
        return int(await self.session.scalar(query) or 0)

    async def since(self, moment: datetime) -> Sequence[AuditEntry]:
        """Entries from `moment` on, oldest first (for exports)."""
        query = select(AuditEntry).where(AuditEntry.at >= moment).order_by(AuditEntry.id)
        return (await self.session.scalars(query)).all()


class ChaseRow(NamedTuple):
    """A scheduled dataset as the reminder tick needs it, OPD due-rule overrides applied."""

    id: int
    code: str
    title: str
    opd_id: int
    periodicity: str
    latest_period: str | None
    confirmed_period: str | None
    due_months: int | None
    due_day: int | None
    classification: str


CHASE_COLUMNS = (
    Dataset.id,
    Dataset.code,
    Dataset.title,
    Dataset.opd_id,
    Dataset.periodicity,
    Dataset.latest_period,
    Dataset.confirmed_period,
    DUE_MONTHS,
    DUE_DAY,
    Dataset.classification,
)


class SendRecord(NamedTuple):
    """One dataset period one outbox message chases at one step (a `ReminderSend` row)."""

    dataset_id: int
    period: str
    step: str
    person_id: int
    outbox_id: int
    created_at: datetime


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def actionable(self, now: datetime) -> list[ChaseRow]:
        """Datasets whose next action time has come: an index range, not a registry scan."""
        query = (
            select(*CHASE_COLUMNS)
            .join(Opd, Opd.id == Dataset.opd_id)
            .where(Dataset.next_action_at <= now, Dataset.withdrawn_at.is_(None))
            .order_by(Dataset.next_action_at)
        )
        return [ChaseRow._make(row) for row in await self.session.execute(query)]

    async def scheduled(
        self, *, opd_id: int | None = None, dataset_id: int | None = None
    ) -> list[ChaseRow]:
        """Datasets with a schedule, all or one OPD's or one (plans must not rely on ticks)."""
        query = (
            select(*CHASE_COLUMNS)
            .join(Opd, Opd.id == Dataset.opd_id)
            .where(Dataset.periodicity != "sewaktu-waktu", Dataset.withdrawn_at.is_(None))
            .order_by(Dataset.id)
        )
        if opd_id is not None:
            query = query.where(Dataset.opd_id == opd_id)
        if dataset_id is not None:
            query = query.where(Dataset.id == dataset_id)
        return [ChaseRow._make(row) for row in await self.session.execute(query)]

    async def sent_steps(self, dataset_ids: Sequence[int]) -> dict[int, dict[str, set[str]]]:
        """dataset → period → step keys already sent, for the given datasets."""
        sent: dict[int, dict[str, set[str]]] = {}
        for chunk in _chunks(dataset_ids):
            query = select(ReminderSend.dataset_id, ReminderSend.period, ReminderSend.step).where(
                ReminderSend.dataset_id.in_(chunk)
            )
            for dataset_id, period, step in await self.session.execute(query):
                sent.setdefault(dataset_id, {}).setdefault(period, set()).add(step)
        return sent

    async def extended_dues(self, dataset_ids: Sequence[int]) -> dict[int, dict[str, date]]:
        """dataset → period → the latest approved extended due date."""
        dues: dict[int, dict[str, date]] = {}
        for chunk in _chunks(dataset_ids):
            query = select(Extension.dataset_id, Extension.period, Extension.new_due).where(
                Extension.dataset_id.in_(chunk), Extension.status == "approved"
            )
            for dataset_id, period, new_due in await self.session.execute(query):
                periods = dues.setdefault(dataset_id, {})
                periods[period] = max(new_due, periods.get(period, new_due))
        return dues

    async def promises(self, dataset_ids: Sequence[int]) -> dict[int, dict[str, Extension]]:
        """dataset → period → the latest extension asked for and not refused: what was promised."""
        found: dict[int, dict[str, Extension]] = {}
        for chunk in _chunks(dataset_ids):
            query = (
                select(Extension)
                .where(Extension.dataset_id.in_(chunk), Extension.status != "refused")
                .order_by(Extension.requested_at, Extension.id)
            )
            for extension in await self.session.scalars(query):
                found.setdefault(extension.dataset_id, {})[extension.period] = extension
        return found

    async def set_next_actions(self, next_actions: dict[int, datetime | None]) -> None:
        if next_actions:
            await self.session.execute(
                update(Dataset),
                [{"id": k, "next_action_at": v} for k, v in next_actions.items()],
            )

    async def replan(self, opd_ids: set[int] | None, now: datetime) -> None:
        """Make the next tick look at these OPDs' scheduled datasets (None: every dataset)."""
        query = (
            update(Dataset)
            .where(Dataset.periodicity != "sewaktu-waktu")
            .values(next_action_at=now)
            .execution_options(synchronize_session=False)
        )
        if opd_ids is not None:
            query = query.where(Dataset.opd_id.in_(opd_ids))
        await self.session.execute(query)

    async def extensions_for(self, dataset_id: int, period: str) -> Sequence[Extension]:
        query = select(Extension).where(
            Extension.dataset_id == dataset_id, Extension.period == period
        )
        return (await self.session.scalars(query)).all()

    async def extension(self, extension_id: int) -> Extension | None:
        return await self.session.get(Extension, extension_id)

    async def datasets_in(self, outbox_id: int) -> list[tuple[str, str]]:
        """(code, title) of the datasets a reminder message was about."""
        query = (
            select(Dataset.code, Dataset.title)
            .join(ReminderSend, ReminderSend.dataset_id == Dataset.id)
            .where(ReminderSend.outbox_id == outbox_id)
            .order_by(Dataset.code)
        )
        return [(code, title) for code, title in await self.session.execute(query)]

    async def periods_in(self, outbox_id: int) -> set[tuple[int, str]]:
        """(dataset, period) pairs a reminder message chases."""
        query = select(ReminderSend.dataset_id, ReminderSend.period).where(
            ReminderSend.outbox_id == outbox_id
        )
        return {(dataset_id, period) for dataset_id, period in await self.session.execute(query)}

    async def chased_periods(self, dataset_id: int, after: str | None, upto: str) -> list[str]:
        """Periods of this dataset that reminders were sent for, in (after, upto]."""
        query = (
            select(ReminderSend.period)
            .where(ReminderSend.dataset_id == dataset_id, ReminderSend.period <= upto)
            .distinct()
        )
        if after is not None:
            query = query.where(ReminderSend.period > after)
        return sorted((await self.session.scalars(query)).all())

    async def sends_for(self, dataset_id: int, period: str) -> Sequence[ReminderSend]:
        query = (
            select(ReminderSend)
            .where(ReminderSend.dataset_id == dataset_id, ReminderSend.period == period)
            .order_by(ReminderSend.id)
        )
        return (await self.session.scalars(query)).all()

    async def record_sends(self, sends: Sequence[SendRecord]) -> None:
        """Plain rows in one batched insert, not ORM objects: a tick writes thousands and
        never reads them back in the same transaction."""
        if sends:
            await self.session.execute(insert(ReminderSend), [send._asdict() for send in sends])

    async def add_extension(self, extension: Extension) -> None:
        """Written at once, so its id can go into the walidata's buttons."""
        self.session.add(extension)
        await self.session.flush()


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exists(self, key: str) -> bool:
        query = select(OutboxMessage.id).where(OutboxMessage.key == key)
        return await self.session.scalar(query) is not None

    def add(self, message: OutboxMessage) -> None:
        self.session.add(message)

    async def add_now(self, messages: Sequence[OutboxMessage]) -> None:
        """Written at once, in batched inserts, so their ids can be referred to next."""
        self.session.add_all(messages)
        await self.session.flush()

    async def get(self, message_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, message_id)

    async def file(self, name: str, content: bytes, now: datetime) -> OutboxFile:
        """The stored file with this content, stored now if it is new."""
        digest = hashlib.sha256(content).hexdigest()
        found = await self.session.scalar(select(OutboxFile).where(OutboxFile.sha256 == digest))
        if found is None:
            found = OutboxFile(sha256=digest, name=name, content=content, created_at=now)
            self.session.add(found)
        return found

    async def expire(self, now: datetime) -> int:
        """Cancel the pending messages no longer worth sending; how many."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.expires_at.is_not(None),
                OutboxMessage.expires_at <= now,
            )
            .values(status=OutboxStatus.CANCELLED, error="expired: a later message replaces it")
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    async def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

    async def claim(self, ids: Sequence[int], now: datetime, until: datetime) -> set[int]:
        """Of these due messages, the ones this sender may send now.

        Each claimed row's next attempt moves to `until` (the lease), on every engine, so a
        sender whose commits fail afterwards cannot find the row due again and send it twice.
        On PostgreSQL several workers share the outbox: rows another sender holds locked are
        skipped, so even two senders running at once never send the same row. A claim
        outlives a crashed sender by `until` at most.
        """
        if not ids:
            return set()
        free = select(OutboxMessage.id).where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        if self.session.get_bind().dialect.name == "postgresql":
            free = free.with_for_update(skip_locked=True)
        claim = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(free.scalar_subquery()))
            .values(next_attempt_at=until)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        return set((await self.session.scalars(claim)).all())

    async def release(self, ids: Collection[int], now: datetime) -> None:
        """Claimed messages that were not sent: due again now."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.status == OutboxStatus.PENDING)
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )

    async def pending_count(self) -> int:
        query = select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
        return int(await self.session.scalar(query) or 0)

    async def next_attempt(self) -> datetime | None:
        query = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
        return await self.session.scalar(query)

    async def unreported_failures(self) -> Sequence[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.UNDELIVERABLE,
                OutboxMessage.reported_at.is_(None),
                # Broadcasts report their own failures on the walidata's progress line.
                OutboxMessage.kind.not_in(("unreachable", *REQUEST_KINDS)),
            )
            .order_by(OutboxMessage.id)
        )
        return (await self.session.scalars(query)).all()

    async def pending_for_datasets(self, dataset_id: int, period: str) -> Sequence[OutboxMessage]:
        """Unsent reminders that name this dataset period."""
        naming = select(ReminderSend.outbox_id).where(
            ReminderSend.dataset_id == dataset_id, ReminderSend.period == period
        )
        query = select(OutboxMessage).where(
            OutboxMessage.id.in_(naming), OutboxMessage.status == OutboxStatus.PENDING
        )
        return (await self.session.scalars(query)).all()


def _rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE matched: its result is a CursorResult, which the types do not say."""
    return cast("CursorResult[Any]", result).rowcount


async def _read(
    session: AsyncSession, statement: Executable, parameters: dict[str, Any]
) -> Sequence[Any]:
    """An answer's column reads go straight to the connection: the ORM's handling of the
    result costs more than most of these queries, and an answer has nothing pending to flush
    before it reads."""
    connection = await session.connection()
    return (await connection.execute(statement, parameters)).all()


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    """Keep IN lists under the engines' parameter limits."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class SnapshotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def has_week(self, week: date) -> bool:
        query = select(ComplianceSnapshot.id).where(
            ComplianceSnapshot.week == week, ComplianceSnapshot.scope == "region"
        )
        return await self.session.scalar(query) is not None

    async def since(self, week: date) -> Sequence[ComplianceSnapshot]:
        query = (
            select(ComplianceSnapshot)
            .where(ComplianceSnapshot.week >= week)
            .order_by(ComplianceSnapshot.week, ComplianceSnapshot.scope)
        )
        return (await self.session.scalars(query)).all()

    def add(self, snapshot: ComplianceSnapshot) -> None:
        self.session.add(snapshot)

    async def add_week(self, snapshots: Sequence[ComplianceSnapshot]) -> None:
        """Written at once: the region's row is unique per week, so a week another worker
        already took fails here (IntegrityError), before anything is sent."""
        self.session.add_all(snapshots)
        await self.session.flush()


class DeliveryCounts(NamedTuple):
    """How a broadcast's messages stand in the outbox."""

    sent: int
    failed: int
    pending: int

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.pending


class DataRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, request_id: int) -> DataRequest | None:
        return await self.session.get(DataRequest, request_id)

    async def draft_of(self, person_id: int) -> DataRequest | None:
        """The walidata's own draft: drafts are per person, so two walidata never mix."""
        query = select(DataRequest).where(
            DataRequest.created_by == person_id, DataRequest.status == "draft"
        )
        return await self.session.scalar(query.order_by(DataRequest.id.desc()).limit(1))

    async def with_status(self, *statuses: str) -> Sequence[DataRequest]:
        query = select(DataRequest).where(DataRequest.status.in_(statuses))
        return (await self.session.scalars(query.order_by(DataRequest.id))).all()

    async def recipients(self, request_id: int) -> Sequence[DataRequestRecipient]:
        query = (
            select(DataRequestRecipient)
            .where(DataRequestRecipient.request_id == request_id)
            .order_by(DataRequestRecipient.id)
        )
        return (await self.session.scalars(query)).all()

    async def recipient(self, request_id: int, person_id: int) -> DataRequestRecipient | None:
        query = select(DataRequestRecipient).where(
            DataRequestRecipient.request_id == request_id,
            DataRequestRecipient.person_id == person_id,
        )
        return await self.session.scalar(query)

    async def awaiting_file(self, person_id: int) -> DataRequestRecipient | None:
        """The newest open request this person said they sent without attaching the file."""
        query = (
            select(DataRequestRecipient)
            .join(DataRequest, DataRequest.id == DataRequestRecipient.request_id)
            .where(
                DataRequestRecipient.person_id == person_id,
                DataRequestRecipient.answer == RequestAnswer.SENT,
                DataRequestRecipient.answer_file_id.is_(None),
                DataRequest.status == "open",
            )
            .order_by(DataRequestRecipient.answered_at.desc())
            .limit(1)
        )
        return await self.session.scalar(query)

    async def delivery(self, request_id: int) -> DeliveryCounts:
        """Counts of the request's main messages by outbox status (cancelled count as failed)."""
        query = (
            select(OutboxMessage.status, func.count())
            .join(DataRequestRecipient, DataRequestRecipient.outbox_id == OutboxMessage.id)
            .where(DataRequestRecipient.request_id == request_id)
            .group_by(OutboxMessage.status)
        )
        counts = dict((await self.session.execute(query)).all())
        return DeliveryCounts(
            counts.get(OutboxStatus.SENT, 0),
            counts.get(OutboxStatus.UNDELIVERABLE, 0) + counts.get(OutboxStatus.CANCELLED, 0),
            counts.get(OutboxStatus.PENDING, 0),
        )

    async def failed_names(self, request_id: int) -> list[str]:
        """Who the request's message did not reach: blocked, gave up, or withdrawn."""
        query = (
            select(Person.name)
            .join(DataRequestRecipient, DataRequestRecipient.person_id == Person.id)
            .join(OutboxMessage, OutboxMessage.id == DataRequestRecipient.outbox_id)
            .where(
                DataRequestRecipient.request_id == request_id,
                OutboxMessage.status.in_((OutboxStatus.UNDELIVERABLE, OutboxStatus.CANCELLED)),
            )
            .order_by(Person.name)
        )
        return list((await self.session.scalars(query)).all())

    async def showing_progress(self) -> Sequence[DataRequest]:
        """Requests whose progress line is still live."""
        query = select(DataRequest).where(
            DataRequest.status != "draft",
            DataRequest.progress_outbox_id.is_not(None),
            DataRequest.progress_done_at.is_(None),
        )
        return (await self.session.scalars(query.order_by(DataRequest.id))).all()

    async def messages(self, request_id: int) -> Sequence[OutboxMessage]:
        """The request's main message to each recipient on Telegram."""
        ids = select(DataRequestRecipient.outbox_id).where(
            DataRequestRecipient.request_id == request_id
        )
        return (
            await self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        ).all()

    async def pending_messages(self, request_id: int) -> Sequence[OutboxMessage]:
        """The request's messages not yet sent (its main messages and their files)."""
        ids = select(DataRequestRecipient.outbox_id).where(
            DataRequestRecipient.request_id == request_id
        )
        query = select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            (OutboxMessage.id.in_(ids)) | (OutboxMessage.key.like(f"request:{request_id}:%:file")),
        )
        return (await self.session.scalars(query)).all()

    def add(self, request: DataRequest) -> None:
        self.session.add(request)

    async def delete(self, request: DataRequest) -> None:
        """A draft given up: its recipients (none yet) go with it."""
        await self.session.delete(request)

    def add_recipients(self, recipients: Sequence[DataRequestRecipient]) -> None:
        self.session.add_all(recipients)

    async def attach_answer_file(self, recipient: DataRequestRecipient, file: OutboxFile) -> None:
        """Written at once, so a file stored in this transaction has the id to refer to."""
        await self.session.flush()
        recipient.answer_file_id = file.id
