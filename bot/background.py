"""Work that runs beside a transport: the reminder tick, the outbox sender, catalog refresh.

APScheduler runs the periodic jobs (the tick looks at what is actionable since it last ran,
so a tick missed during downtime is simply caught up by the next one); the sender drains the
outbox continuously within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

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
        self._running: set[asyncio.Task[None]] = set()
        self._jobs_lock = asyncio.Lock()

    async def start(self) -> None:
        self.scheduler.add_job(
            self._spawn,
            trigger=IntervalTrigger(minutes=self.settings.tick_minutes),
            args=[self.tick],
            next_run_time=datetime.now(self.settings.timezone),
            id="reminder-tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        self.scheduler.add_job(
            self._spawn,
            trigger=IntervalTrigger(minutes=CATALOG_REFRESH_MINUTES),
            args=[self.refresh_catalog],
            id="catalog-refresh",
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()
        self._sender_task = asyncio.create_task(self.sender.run(self._stop, idle_poll=2.0))

    async def _spawn(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a job as a task of our own, so stopping can wait for it to finish."""
        task = asyncio.get_running_loop().create_task(self._one_at_a_time(job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _one_at_a_time(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        async with self._jobs_lock:
            await job()

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
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        if self._sender_task is not None:
            await self._sender_task
        await self.client.aclose()
