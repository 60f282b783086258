"""What a handler gets: the incoming message, who sent it, the time, and the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.engine import ReminderSettings
from handlers.catalog import Catalog
from handlers.messages import Incoming
from handlers.ratelimit import RateLimiter
from storage.models import Person
from storage.portal.sync import PortalSyncer
from storage.uow import UnitOfWorkFactory
from texts.i18n import Texts, texts


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
    """The person behind a message, or an anonymous member of the public.

    `in_group`: the reply goes to a group chat, where anyone may read it.
    `language`: the person's own, stored with them (when they accepted their invitation, the
    language they were answered in; or the `bahasa` of an imported list); None for the public
    and for a person who has not chosen one (imported without it), whose Telegram app's
    language or the deployment's default is used instead.
    """

    person_id: int | None
    name: str
    roles: frozenset[str]
    opd_id: int | None
    language: str | None
    in_group: bool = False

    @property
    def is_known(self) -> bool:
        return self.person_id is not None

    @classmethod
    def of(cls, person: Person | None, *, in_group: bool = False) -> Viewer:
        """The reader a message to this person (or, with None, to the public) is for."""
        if person is None or not person.active:
            return cls(None, "", frozenset(), None, None, in_group)
        return cls(
            person.id, person.name, person.role_names, person.opd_id, person.language, in_group
        )


@dataclass
class App:
    """`bot_username` comes from Telegram (getMe) when serving there, or from
    TELEGRAM_BOT_USERNAME; without it invitation links are given as `/start <token>`."""

    uow: UnitOfWorkFactory
    deployment: Deployment
    catalog: Catalog
    reminders: ReminderSettings
    portal: PortalSyncer | None = None  # the region's CKAN portal, when CKAN_URL is set
    limiter: RateLimiter = field(default_factory=RateLimiter)
    bot_username: str | None = None


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

    @property
    def today(self) -> date:
        """The deployment's calendar day at `now` (WIB, WITA or WIT as configured)."""
        return self.now.astimezone(self.app.deployment.timezone).date()
