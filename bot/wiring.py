"""Builds the running application from settings: database, demo data, catalog, dispatcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from domain.engine import ReminderSettings
from handlers.catalog import Catalog
from handlers.context import App, Deployment
from handlers.dispatcher import Dispatcher
from handlers.ratelimit import RateLimiter
from handlers.routes import build_dispatcher
from reminders.send_budget import LocalBudget, SendBudget
from reports.digest import DigestPlace
from storage import db
from storage.ckan.mapping import PortalMapping
from storage.ckan.source import CkanPortal
from storage.demo import load_demo
from storage.models import Person, PortalSync
from storage.portal.sync import PortalSyncer
from storage.send_ledger import PostgresBudget
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

PUBLIC_NAMES = ("publik", "public", "umum")


@dataclass
class Runtime:
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    dispatcher: Dispatcher
    budget: SendBudget  # what this process may send to Telegram, shared with other workers

    async def close(self) -> None:
        await self.engine.dispose()


async def prepare_database(engine: AsyncEngine, now: datetime, *, demo: bool = True) -> None:
    """Migrate, then on a registry that has never held anything load the demo registry (one
    worker at a time, so workers starting together do not race).

    `demo` False: the registry is to be a real one (a portal is configured, or a Daftar Data
    is being imported), which the demo's datasets and OPDs would only compete with; the demo
    stays available with `satudata demo load`. A registry that holds datasets (imported, or
    synced) or has been synced with a portal at all is never given the demo by itself."""
    async with db.migration_lock(engine):
        if not await db.is_current(engine):
            await db.upgrade(engine)
        uow_factory = UnitOfWorkFactory(engine)
        async with uow_factory() as uow:
            untouched = not await uow.datasets.any() and not await _synced_ever(uow)
        if demo and untouched:
            report = await load_demo(uow_factory, now)
            log.info("demo registry loaded: %s", report.as_dict())


def wants_demo(settings: Settings) -> bool:
    """The demo registry is loaded by itself only where no portal is configured."""
    return settings.ckan_url is None


async def _synced_ever(uow: UnitOfWork) -> bool:
    return await uow.session.scalar(select(PortalSync.id).limit(1)) is not None


async def build_runtime(settings: Settings, now: datetime) -> Runtime:
    engine = db.create_engine(settings.database_url)
    try:
        await prepare_database(engine, now, demo=wants_demo(settings))
        uow_factory = UnitOfWorkFactory(engine)
        async with uow_factory() as uow:
            catalog = await Catalog.load(uow)
    except BaseException:
        await engine.dispose()
        raise
    deployment = Deployment(
        region_code=settings.region_code,
        region_name=settings.region_name,
        timezone=settings.timezone,
        timezone_abbreviation=settings.timezone_abbreviation,
        language=settings.language,
    )
    app = App(
        uow=uow_factory,
        deployment=deployment,
        catalog=catalog,
        reminders=reminder_settings(settings),
        digest=settings.digest_schedule,
        portal=PortalSyncer(uow_factory, portal_config(settings)) if settings.ckan_url else None,
        limiter=RateLimiter(settings.rate_limit_per_minute),
        bot_username=settings.telegram_bot_username,
    )
    return Runtime(engine, uow_factory, build_dispatcher(app), send_budget(engine))


def send_budget(engine: AsyncEngine) -> SendBudget:
    """On PostgreSQL any number of workers may send, so they share a budget in the database;
    SQLite is one process."""
    if engine.dialect.name == "postgresql":
        return PostgresBudget(engine)
    return LocalBudget()


def reminder_settings(settings: Settings) -> ReminderSettings:
    return ReminderSettings(
        timezone=settings.timezone,
        cadence=settings.reminder_cadence,
        window=settings.reminder_window,
        max_extensions=settings.max_extensions,
    )


def digest_place(settings: Settings) -> DigestPlace:
    return DigestPlace(settings.region_name, settings.timezone, settings.language)


def portal_config(settings: Settings) -> CkanPortal:
    assert settings.ckan_url, "the portal connector needs CKAN_URL"
    return CkanPortal(
        url=settings.ckan_url,
        token=settings.ckan_api_token,
        mapping=settings.ckan_mapping or PortalMapping.load(),
        home_region_code=settings.region_code,
        home_region_name=settings.region_name,
    )


class UnknownIdentity(LookupError):
    """`--as` named neither a role nor a person in the registry."""


async def resolve_identity(uow_factory: UnitOfWorkFactory, who: str | None) -> Person | None:
    """`--as walidata` or `--as "Sri Wahyuni"`: the first matching person; None for public."""
    if who is None or who.casefold() in PUBLIC_NAMES:
        return None
    wanted = who.casefold().replace("-", "_")
    async with uow_factory() as uow:
        people = [p for p in await uow.people.all() if p.active]
    for person in people:
        if wanted in person.role_names:
            return person
    for person in people:
        if wanted == person.name.casefold() or wanted in person.name.casefold():
            return person
    raise UnknownIdentity(who)
