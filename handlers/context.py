"""What a handler gets: the incoming message, who sent it, the time, and the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.catalog import Catalog
from handlers.messages import Incoming
from reminders.engine import ReminderSettings
from reports.i18n import Texts, texts
from storage.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class Deployment:
    """The region this bot serves; its own region is the default reading of a question."""

    region_code: str
    region_name: str
    timezone: ZoneInfo
    timezone_abbreviation: str
    language: str


@dataclass(frozen=True)
class Viewer:
    """The person behind a message, or an anonymous member of the public."""

    person_id: int | None
    name: str
    roles: frozenset[str]
    opd_id: int | None
    language: str | None

    @property
    def is_known(self) -> bool:
        return self.person_id is not None


@dataclass
class App:
    uow: UnitOfWorkFactory
    deployment: Deployment
    catalog: Catalog
    reminders: ReminderSettings


@dataclass(frozen=True)
class Request:
    incoming: Incoming
    now: datetime
    viewer: Viewer
    language: str
    app: App

    @property
    def texts(self) -> Texts:
        return texts(self.language)
