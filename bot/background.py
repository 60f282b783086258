"""Work that runs beside a transport: the reminder tick, the outbox sender, catalog refresh.

APScheduler runs the periodic jobs (the tick looks at what is actionable since it last ran,
so a tick missed during downtime is simply caught up by the next one); the sender drains the
outbox continuously within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.botapi import BotApiDeliverer
from bot.config import Settings
from bot.wiring import Runtime, reminder_settings
from handlers.catalog import Catalog
from reminders.delivery import OutboxSender
from reminders.tick import run_tick

log = logging.getLogger(__name__)
CATALOG_REFRESH_MINUTES = 10


class Background:
    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        assert settings.telegram_token, "background delivery needs a bot token"
        self.runtime = runtime
        self.settings = settings
        self.client = httpx.AsyncClient(timeout=10)
        deliverer = BotApiDeliverer(
            settings.telegram_api_base_url, settings.telegram_token, self.client
        )
        self.sender = OutboxSender(runtime.uow, deliverer)
        self.scheduler = AsyncIOScheduler(timezone=settings.timezone)
        self._stop = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(minutes=self.settings.tick_minutes),
            next_run_time=datetime.now(self.settings.timezone),
            id="reminder-tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self.scheduler.add_job(
            self.refresh_catalog,
            IntervalTrigger(minutes=CATALOG_REFRESH_MINUTES),
            id="catalog-refresh",
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()
        self._sender_task = asyncio.create_task(self.sender.run(self._stop, idle_poll=2.0))

    async def tick(self) -> None:
        try:
            report = await run_tick(
                self.runtime.uow, datetime.now(UTC), reminder_settings(self.settings)
            )
        except Exception:
            log.exception("reminder tick failed; the next tick catches up")
            return
        if report.messages:
            log.info("tick: %s", report)
            self.sender.wake.set()

    async def refresh_catalog(self) -> None:
        """Datasets imported or synced by another process become answerable."""
        async with self.runtime.uow() as uow:
            self.runtime.dispatcher.app.catalog = await Catalog.load(uow)

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        self._stop.set()
        if self._sender_task is not None:
            await self._sender_task
        await self.client.aclose()
