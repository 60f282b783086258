"""Work that runs beside a transport: the reminder tick (datasets and data requests), the weekly
digest, the outbox sender with the broadcasts' live progress lines, catalog refresh, and the CKAN
portal sync when CKAN_URL is set, with the publication of accepted tables when it has a token.

APScheduler runs the periodic jobs (the tick looks at what is actionable since it last ran,
so a tick missed during downtime is simply caught up by the next one; the digest job runs at
its time on every working weekday and at start, and sends only when its week is due and not
yet sent); the sender drains the outbox continuously within Telegram's limits.

With several workers on one PostgreSQL database, only the elected leader (`bot.leader`) runs
the tick, the digest, the portal sync, the sender and the progress lines, so every reminder is
enqueued by one process and one sender keeps the bot within Telegram's overall limit. Catalog
refresh runs in every worker, since each answers questions: with SATUDATA_BACKGROUND=off it is
all that runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.botapi import BotApiDeliverer
from bot.config import Settings
from bot.leader import Leadership
from bot.wiring import Runtime, digest_place, reminder_settings
from domain.calendar import WorkCalendar
from handlers.catalog import Catalog
from reminders.delivery import DeliveryResult, OutboxSender
from reminders.request_progress import ProgressReporter
from reminders.requests import run_request_tick
from reminders.tick import run_tick
from reports.weekly_digest import DigestOutcome, run_weekly_digest
from storage import db
from storage.portal.push import PortalPusher

log = logging.getLogger(__name__)
CATALOG_REFRESH_MINUTES = 10
DIGEST_RETRY_MINUTES = 5
STEP_DOWN_GRACE_SECONDS = 5.0  # sends in flight may finish; their rows are claimed meanwhile
# A new leader's pacer knows nothing of what the previous one sent in its last second: waiting
# that long keeps the overall and per-chat limits across a failover.
TAKEOVER_PAUSE_SECONDS = 1.5
LEADER_JOBS = ("reminder-tick", "weekly-digest", "digest-retry", "portal-sync", "portal-push")
PORTAL_PUSH_SECONDS = 5  # how soon an accepted table reaches the portal (one indexed query)


class Background:
    def __init__(
        self,
        runtime: Runtime,
        settings: Settings,
        *,
        on_delivery: Callable[[DeliveryResult], None] | None = None,
    ) -> None:
        assert settings.telegram_token, "background delivery needs a bot token"
        self.runtime = runtime
        self.settings = settings
        self.client = httpx.AsyncClient(timeout=10)
        deliverer = BotApiDeliverer(
            settings.telegram_api_base_url, settings.telegram_token, self.client
        )
        self.sender = OutboxSender(runtime.uow, deliverer, runtime.budget, on_result=on_delivery)
        # Progress edits, like replies, draw on the budget the outbox sends from.
        self.progress = ProgressReporter(runtime.uow, deliverer, pacing=runtime.budget.slot)
        self.scheduler = AsyncIOScheduler(timezone=settings.timezone)
        self.calendar = WorkCalendar()
        self._stop = asyncio.Event()
        self.leadership = Leadership(runtime.engine)
        self._leadership_task: asyncio.Task[None] | None = None
        self._term_stop = asyncio.Event()  # ends the sender and progress of one leadership term
        self._leader_tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._jobs_lock = asyncio.Lock()
        syncer = runtime.dispatcher.app.portal
        self.pusher = (
            PortalPusher(runtime.uow, syncer.portal)
            if syncer is not None and syncer.portal.writable
            else None
        )

    async def start(self) -> None:
        self.scheduler.add_job(
            self._spawn,
            trigger=IntervalTrigger(minutes=CATALOG_REFRESH_MINUTES),
            args=[self.refresh_catalog],
            id="catalog-refresh",
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start()
        if not self.settings.background:
            return  # SATUDATA_BACKGROUND=off: this process only answers, so only refreshes
        leading = await self.leadership.acquire()  # at once: the first tick need not wait
        if leading:
            await self._lead()
        self._leadership_task = asyncio.create_task(
            self.leadership.run(self._stop, self._lead, self._step_down, leading=leading)
        )

    async def _lead(self) -> None:
        """Elected: the leader-only jobs start, the first tick and digest check at once."""
        self.scheduler.add_job(
            self._spawn,
            trigger=IntervalTrigger(minutes=self.settings.tick_minutes),
            args=[self.tick],
            next_run_time=datetime.now(self.settings.timezone),
            id="reminder-tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            replace_existing=True,
        )
        at = self.settings.digest_schedule.at
        self.scheduler.add_job(
            self._spawn,
            trigger=CronTrigger(
                day_of_week="mon-fri",
                hour=at.hour,
                minute=at.minute,
                timezone=self.settings.timezone,
            ),
            args=[self.digest],
            next_run_time=datetime.now(self.settings.timezone),
            id="weekly-digest",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            replace_existing=True,
        )
        if self.runtime.dispatcher.app.portal is not None:
            self.scheduler.add_job(
                self._spawn,
                trigger=IntervalTrigger(minutes=self.settings.ckan_sync_minutes),
                args=[self.sync_portal],
                next_run_time=datetime.now(self.settings.timezone),
                id="portal-sync",
                coalesce=True,
                max_instances=1,
                replace_existing=True,
            )
        if self.pusher is not None:
            self.scheduler.add_job(
                self._spawn,
                trigger=IntervalTrigger(seconds=PORTAL_PUSH_SECONDS),
                args=[self.push_portal],
                next_run_time=datetime.now(self.settings.timezone),
                id="portal-push",
                coalesce=True,
                max_instances=1,
                replace_existing=True,
            )
        self._term_stop = asyncio.Event()
        self._leader_tasks = [asyncio.create_task(self._deliver(self._term_stop))]

    async def _deliver(self, stop: asyncio.Event) -> None:
        """The sender and the broadcasts' progress lines, for one leadership term."""
        if self.leadership.shared:
            try:
                await asyncio.wait_for(stop.wait(), TAKEOVER_PAUSE_SECONDS)
                return
            except TimeoutError:
                pass
        await asyncio.gather(
            self.sender.run(stop, idle_poll=2.0), self.progress.run(stop, self.sender.clock)
        )

    async def _step_down(self) -> None:
        """Leadership lost (or stopping): no new leader-only work starts here; sends in flight
        get a moment to be recorded, then are cancelled."""
        for job in LEADER_JOBS:
            if self.scheduler.get_job(job) is not None:
                self.scheduler.remove_job(job)
        self._term_stop.set()
        tasks, self._leader_tasks = self._leader_tasks, []
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STEP_DOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _spawn(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a job as a task of our own, so stopping can wait for it to finish."""
        task = asyncio.get_running_loop().create_task(self._one_at_a_time(job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _one_at_a_time(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        async with self._jobs_lock:
            await job()

    async def tick(self) -> None:
        now, settings = datetime.now(UTC), reminder_settings(self.settings)
        try:
            report = await run_tick(self.runtime.uow, now, settings)
            requests = await run_request_tick(self.runtime.uow, now, settings)
        except Exception as error:
            _failed("reminder tick failed; the next tick catches up", error)
            return
        if report.messages or requests:
            log.info("tick: %s; data request reminders: %s", report, requests)
            self.sender.wake.set()

    async def digest(self) -> None:
        try:
            run = await run_weekly_digest(
                self.runtime.uow,
                datetime.now(UTC),
                self.settings.digest_schedule,
                self.calendar,
                digest_place(self.settings),
            )
        except Exception as error:
            _failed(f"weekly digest failed; trying again in {DIGEST_RETRY_MINUTES} minutes", error)
            retry_at = datetime.now(self.settings.timezone) + timedelta(
                minutes=DIGEST_RETRY_MINUTES
            )
            self.scheduler.add_job(
                self._spawn,
                "date",
                run_date=retry_at,
                args=[self.digest],
                id="digest-retry",
                replace_existing=True,
            )
            return
        if run.outcome is not DigestOutcome.ALREADY:
            log.info("weekly digest: %s", run)
            self.sender.wake.set()

    async def sync_portal(self) -> None:
        """The registry follows the CKAN portal; an outage is reported by the sync itself."""
        portal = self.runtime.dispatcher.app.portal
        assert portal is not None
        try:
            report = await portal.run(datetime.now(UTC))
        except Exception as error:
            _failed("portal sync failed; the next run tries again", error)
            return
        log.info("portal sync: %s", report.as_dict())
        if report.ok:
            await self.refresh_catalog()
        self.sender.wake.set()  # thanks, or the walidata's outage notice

    async def push_portal(self) -> None:
        """Accepted tables to the portal; an outage only delays them (`storage.portal.push`)."""
        assert self.pusher is not None
        try:
            done = await self.pusher.run_due(datetime.now(UTC))
        except Exception as error:
            _failed("portal push failed; the next run tries again", error)
            return
        if done.busy:
            log.info("portal push: %s", done)
            self.sender.wake.set()  # the walidata hears how it went

    async def refresh_catalog(self) -> None:
        """Datasets imported or synced by another process become answerable."""
        async with self.runtime.uow() as uow:
            self.runtime.dispatcher.app.catalog = await Catalog.load(uow)

    async def stop(self) -> None:
        self._stop.set()
        if self._leadership_task is not None:
            await self._leadership_task  # steps down and releases the lock
        self.scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        await self.client.aclose()


def _failed(what: str, error: Exception) -> None:
    """A database that stopped a job is one line (what, where, why); anything else is a bug
    and gets its traceback."""
    problem = db.storage_error(error)
    if problem is None:
        log.exception(what)
    else:
        log.error("%s: %s", what, problem)
