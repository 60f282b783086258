"""Unit of work: one transaction, the repositories that share it, all or nothing."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.repositories import (
    AuditRepository,
    ChatContextRepository,
    DataRequestRepository,
    DatasetRepository,
    GroupRepository,
    InvitationRepository,
    ObservationRepository,
    OpdRepository,
    OutboxRepository,
    PersonRepository,
    PortalPushRepository,
    RegionRepository,
    ReminderRepository,
    SnapshotRepository,
    SubmissionRepository,
)


class UnitOfWork:
    """Use as `async with uow_factory() as uow: ...; await uow.commit()`.

    Leaving the block without `commit()` (or with an exception) rolls everything back, so a
    handler that fails half-way never leaves a half-applied change.
    """

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.regions = RegionRepository(self.session)
        self.opds = OpdRepository(self.session)
        self.people = PersonRepository(self.session)
        self.datasets = DatasetRepository(self.session)
        self.observations = ObservationRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.reminders = ReminderRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.snapshots = SnapshotRepository(self.session)
        self.requests = DataRequestRepository(self.session)
        self.invitations = InvitationRepository(self.session)
        self.groups = GroupRepository(self.session)
        self.submissions = SubmissionRepository(self.session)
        self.pushes = PortalPushRepository(self.session)
        self.chats = ChatContextRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed; loaded objects stay readable.
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()


class UnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions)
