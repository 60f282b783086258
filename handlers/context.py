"""What a handler gets: the incoming message, who sent it, the time, and the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.access import Viewer
from domain.engine import ReminderSettings
from handlers.catalog import Catalog
from handlers.messages import Incoming
from handlers.ratelimit import RateLimiter
from reports.digest_schedule import DEFAULT_DIGEST, DigestSchedule
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


@dataclass
class App:
    """`bot_username` comes from Telegram (getMe) when serving there, or from
    TELEGRAM_BOT_USERNAME; without it invitation links are given as `/start <token>`."""

    uow: UnitOfWorkFactory
    deployment: Deployment
    catalog: Catalog
    reminders: ReminderSettings
    digest: DigestSchedule = DEFAULT_DIGEST  # when the weekly digest goes out, for /saya
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
