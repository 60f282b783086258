"""SQLAlchemy models of the registry.

The schema is shared by SQLite (embedded default) and PostgreSQL (production), so only
portable column types are used; time stamps are stored as UTC through `UTCDateTime`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from domain.terms import (
    Classification,
    ExtensionStatus,
    OutboxStatus,
    PushStatus,
    RequestStatus,
    SubmissionStatus,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every engine.

    SQLite drops the offset of a stored datetime; normalising to naive UTC on the way in
    and re-attaching UTC on the way out makes both engines behave the same.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Region(Base):
    """A region down to desa. Names repeat (a kecamatan and a desa "Purwodadi", many
    "Sukorejo"), so a region is known by its codes and its parent, never by its name alone.

    `code` is the BPS code (provinsi and kabupaten/kota, where it equals the Kemendagri code
    without dots); `kemendagri_code` the dotted Kemendagri code at every level. Either is empty
    where it could not be confirmed (Indonesia as a whole, new provinces)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(10), unique=True)
    kemendagri_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    # negara, provinsi, kabupaten, kota, kecamatan, desa, kelurahan
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    aliases: Mapped[str] = mapped_column(Text, default="")  # "; "-separated everyday names


class Opd(Base):
    __tablename__ = "opds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(60))
    # Due-rule overrides for every dataset of this OPD (a dataset's own override wins).
    due_months: Mapped[int | None] = mapped_column(SmallInteger)
    due_day: Mapped[int | None] = mapped_column(SmallInteger)
    # The data portal's organization behind this OPD (CKAN organization id), once synced.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # The language the person chose (at their invitation, or in an imported list); None: not
    # chosen, so their Telegram app's language or the deployment's default is used instead.
    language: Mapped[str | None] = mapped_column(String(2))
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opds.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    roles: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    opd: Mapped[Opd | None] = relationship(lazy="selectin")

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class Dataset(Base):
    """A registry entry. Schedule fields feed the deadline engine; `keywords` feeds search."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    opd_id: Mapped[int] = mapped_column(ForeignKey("opds.id"))
    periodicity: Mapped[str] = mapped_column(String(16))
    classification: Mapped[str] = mapped_column(String(16), default=Classification.TERBUKA)
    unit: Mapped[str] = mapped_column(String(60), default="")
    due_months: Mapped[int | None] = mapped_column(SmallInteger)
    due_day: Mapped[int | None] = mapped_column(SmallInteger)
    last_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latest_period: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[str] = mapped_column(Text, default="")
    series_group: Mapped[str | None] = mapped_column(String(64))
    is_headline: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # A period a walidata confirmed as delivered before the registry shows it: the chase stops.
    confirmed_period: Mapped[str | None] = mapped_column(String(16))
    # When the reminder tick must look at this dataset again (None: not yet planned).
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The portal's own modification time of the package (`external_id`) as last synced: an
    # equal time on the next sync means nothing there changed.
    portal_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the portal stopped publishing it (deleted or made private): no longer answered or
    # chased, kept with its history until it is published again.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the portal's tables looked like when last read (resource times, sizes, row counts):
    # a table can change without the package's modification time moving.
    tables_digest: Mapped[str | None] = mapped_column(String(64))

    opd: Mapped[Opd] = relationship(lazy="selectin")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Indicator.position",
    )


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("dataset_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60), default="")
    position: Mapped[int] = mapped_column(SmallInteger, default=0)  # the table's column order

    dataset: Mapped[Dataset] = relationship(back_populates="indicators")
    categories: Mapped[list[IndicatorCategory]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="IndicatorCategory.position"
    )


class IndicatorCategory(Base):
    """One category an indicator is broken down by, with its label and place as published
    ("Jenis Kelamin: Perempuan", second); observations name it by its keys."""

    __tablename__ = "indicator_categories"
    __table_args__ = (UniqueConstraint("indicator_id", "dimension", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(64))  # "jenis_kelamin"
    dimension_label: Mapped[str] = mapped_column(String(120))  # "Jenis Kelamin"
    key: Mapped[str] = mapped_column(String(120))  # "perempuan"
    label: Mapped[str] = mapped_column(String(200))  # "Perempuan"
    position: Mapped[int] = mapped_column(Integer, default=0)


class Observation(Base):
    """One published value; `decimals` keeps the precision it was published with.

    `categories` names the breakdown ("jenis_kelamin=perempuan;kelompok_umur=65_69", keys
    sorted by dimension); empty is the total. A total the table did not publish but that
    could be summed from its categories is `computed`."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("indicator_id", "region_id", "period", "categories"),
        Index("ix_observations_indicator_period", "indicator_id", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    period: Mapped[str] = mapped_column(String(16))
    categories: Mapped[str] = mapped_column(String(400), default="")
    value: Mapped[float] = mapped_column(Float)
    decimals: Mapped[int] = mapped_column(SmallInteger, default=2)
    status: Mapped[str] = mapped_column(String(24), default="final")
    computed: Mapped[bool] = mapped_column(Boolean, default=False)


class ObservationRevision(Base):
    """A value as it was before a later table corrected it: a revised figure keeps its
    history, and the observation is marked `perbaikan` (BPS's "angka perbaikan")."""

    __tablename__ = "observation_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("observations.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[float] = mapped_column(Float)
    decimals: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(24))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Invitation(Base):
    """A single-use link that binds a Telegram account to a person with one role.

    Only the SHA-256 of the token is kept: the link is shown once, to whoever issued it, so a
    copy of the database cannot be used to join. While a walidata is still choosing the role
    and OPD the row is a draft (`token_hash` and `role` empty) and no link exists yet.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(16))
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opds.id"))
    # The person it binds: someone already in the registry, or whoever accepted it.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None: command line
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    opd: Mapped[Opd | None] = relationship(lazy="selectin")


class GroupChat(Base):
    """A group the bot was spoken to in. It answers there only once a walidata registered the
    group with a purpose; an unregistered group is told once how (`hinted_at`), then silence."""

    __tablename__ = "group_chats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str | None] = mapped_column(String(32))  # digest_pimpinan, walidata, tanya_data
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hinted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A notification to deliver. Written in the same transaction as the change behind it;
    `key` makes writing it twice impossible, `status` makes sending it twice avoidable."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # an OutboxKind
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[list[dict[str, str]]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Until when it is worth sending (a reminder: the next step of its chase; a digest: the
    # end of its week's catching up); not sent, but cancelled, later. None: always.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A photo or document sent with the text (the text becomes its caption when it fits).
    file_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_files.id"))
    file_kind: Mapped[str | None] = mapped_column(String(16))  # photo, document

    file: Mapped[OutboxFile | None] = relationship(lazy="selectin")

    @classmethod
    def to_person(
        cls,
        person: Person,
        *,
        key: str,
        kind: str,
        text: str,
        now: datetime,
        buttons: list[list[dict[str, str]]] | None = None,
        file: OutboxFile | None = None,
        file_kind: str | None = None,
        expires_at: datetime | None = None,
    ) -> OutboxMessage:
        """A pending message to a person's private chat (None: they never linked Telegram)."""
        return cls.to_chat(
            person.telegram_user_id,
            key=key,
            kind=kind,
            text=text,
            now=now,
            buttons=buttons,
            file=file,
            file_kind=file_kind,
            person_id=person.id,
            expires_at=expires_at,
        )

    @classmethod
    def to_chat(
        cls,
        chat_id: int | None,
        *,
        key: str,
        kind: str,
        text: str,
        now: datetime,
        buttons: list[list[dict[str, str]]] | None = None,
        file: OutboxFile | None = None,
        file_kind: str | None = None,
        person_id: int | None = None,
        expires_at: datetime | None = None,
    ) -> OutboxMessage:
        return cls(
            key=key,
            kind=kind,
            person_id=person_id,
            chat_id=chat_id,
            text=text,
            buttons=buttons or [],
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            error="",
            file=file,
            file_kind=file_kind if file is not None else None,
            expires_at=expires_at,
        )


class OutboxFile(Base):
    """A file to attach, stored once however many messages carry it (a digest chart goes to
    every official). Telegram's `file_id` from the first upload lets later sends skip it."""

    __tablename__ = "outbox_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    telegram_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ComplianceSnapshot(Base):
    """One week's compliance figures for the region (`scope` "region") or one OPD ("opd:<code>").

    Names and figures are copied, not referenced, so last month's trend still reads the same
    after an OPD is renamed, merged or removed."""

    __tablename__ = "compliance_snapshots"
    __table_args__ = (UniqueConstraint("week", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday of the ISO week, local time
    scope: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled: Mapped[int] = mapped_column(Integer)
    up_to_date: Mapped[int] = mapped_column(Integer)
    due_soon: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    average_days_late: Mapped[float] = mapped_column(Float)
    worst_days_late: Mapped[int] = mapped_column(Integer)
    percent: Mapped[float] = mapped_column(Float)


class ReminderSend(Base):
    """One reminder step for one dataset period to one person: written once, ever."""

    __tablename__ = "reminder_sends"
    __table_args__ = (UniqueConstraint("dataset_id", "period", "step", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32))  # "H-7", "weekly-3@2026-07-15"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Extension(Base):
    """A liaison's request for a later due date for one period, and the walidata's decision."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    new_due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ExtensionStatus.PENDING)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Submission(Base):
    """A liaison's file for one dataset period that passed the automatic checks, and the
    walidata's decision on it: the first decision counts (`status` moves once)."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    file_id: Mapped[int] = mapped_column(ForeignKey("outbox_files.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.PENDING, index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")  # a catalogue key, or as written
    # The walidata who chose to write the reason, and when: their next message is it.
    reason_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    file: Mapped[OutboxFile] = relationship(lazy="selectin")


class PortalPush(Base):
    """A verified table to publish to the portal, written in the transaction that accepted
    the submission (the outbox pattern): a portal outage delays it, never loses it.

    `table` is the `storage.portal.source.VerifiedTable` as JSON, the whole dataset as the
    registry held it then; a later acceptance of the same dataset supersedes it."""

    __tablename__ = "portal_pushes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    package_id: Mapped[str] = mapped_column(String(200))
    table: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PushStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resource_id: Mapped[str | None] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # The walidata was told the portal is slow to take it: once, not at every retry.
    delay_told: Mapped[bool] = mapped_column(Boolean, default=False)


class PortalSync(Base):
    """Where syncing with one data portal stands: what was seen, and whether it is down.

    `outage_since` marks the first failed sync of an outage, so the walidata is told once per
    outage (the outbox key carries it), not at every failed hourly run."""

    __tablename__ = "portal_syncs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal: Mapped[str] = mapped_column(String(300), unique=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The newest package modification time seen: the next incremental sync starts there.
    high_water: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Digest of the mapping (and token use) the registry was synced with; a change re-reads
    # every package.
    mapping_digest: Mapped[str] = mapped_column(String(64), default="")
    outage_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")


class DataRequest(Base):
    """A walidata's request for data, broadcast to agencies and tracked until closed.

    While it is composed it is a "draft" owned by `created_by`: each walidata has their own,
    kept in the database so a restart does not lose it. `audience` describes who it goes to
    (and, while drafting, which step the walidata is at)."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_files.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id", ondelete="SET NULL"))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.DRAFT, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The walidata's live progress line: an outbox message, edited in place once sent.
    progress_outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    progress_text: Mapped[str] = mapped_column(Text, default="")
    progress_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reminder steps already sent for the deadline ("H-3", "weekly-1").
    reminded_steps: Mapped[list[str]] = mapped_column(JSON, default=list)

    file: Mapped[OutboxFile | None] = relationship(lazy="selectin")


class DataRequestRecipient(Base):
    """One person a request went to, and their answer (null until they press a button)."""

    __tablename__ = "data_request_recipients"
    __table_args__ = (UniqueConstraint("request_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opds.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    answer: Mapped[str | None] = mapped_column(String(16))  # received, promised, sent, not_ours
    promised_date: Mapped[date | None] = mapped_column(Date)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_file_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_files.id"))


class SendSlot(Base):
    """A slot of the bot-wide send budget that several workers share on PostgreSQL (see
    `storage.send_ledger`): in flight while `freed_at` is null, then held until `freed_at`."""

    __tablename__ = "send_slots"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    freed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChatContext(Base):
    """What a person's last question in a chat resolved to, and the choices a clarifying
    question offered, so a short follow-up ("kalau tahun 2020?") or a typed answer ("2",
    "Kota") reads in their light. In the database rather than in memory: it survives a restart
    and every worker sees it. `ask` is an `AnswerButton`'s packed data, `categories` the
    category asked for as observations name it; `choices` [label, button data] pairs."""

    __tablename__ = "chat_contexts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # 0: not known
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ask: Mapped[str | None] = mapped_column(String(64))
    # The indicator asked about, for "what people ask most" (see `popular`).
    indicator_id: Mapped[int | None] = mapped_column(Integer)
    categories: Mapped[str] = mapped_column(String(500), default="")
    choices: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
