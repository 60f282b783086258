"""Webhook mode: an HTTP server Telegram posts updates to, for deployments with several workers.

Telegram waits for our answer before it sends that chat's next update, and retries what was
not answered with 2xx. So an update is checked (the secret Telegram echoes back), queued and
answered 200 at once; consumer tasks do the slow work (database, charts, sending). A full queue
answers 503, which makes Telegram retry later rather than pile work on a busy worker.

The server knows nothing of a Telegram library: it hands update dicts to an `UpdateSink`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.background import Background
from bot.config import Settings
from bot.metrics import CONTENT_TYPE, Metrics
from bot.shutdown import Shutdown
from bot.wiring import Runtime
from storage import db

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
QUEUE_SIZE = 1024
DRAIN_SECONDS = 20.0  # on stop, how long queued updates may still take
READY_CHECK_SECONDS = 5.0
MAX_BODY_BYTES = 1024 * 1024  # an update is a few kilobytes; files are fetched, never posted


class UpdateSink(Protocol):
    """Handles one Telegram update (the JSON object Telegram posted), replies included."""

    async def feed(self, update: dict[str, Any]) -> None: ...


@dataclass
class Readiness:
    """Ready means this worker can answer: the database responds with the current schema and
    Telegram accepted the token (getMe) at start."""

    engine: AsyncEngine
    bot_ok: bool = False

    async def problem(self) -> str | None:
        if not self.bot_ok:
            return "Telegram getMe has not succeeded"
        try:
            async with asyncio.timeout(READY_CHECK_SECONDS):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                current = await db.is_current(self.engine)
        except Exception as error:
            return f"database unreachable: {type(error).__name__}: {error}".splitlines()[0]
        if not current:
            return "database schema is not current (run: satudata db upgrade)"
        return None


def _is_update(body: object) -> bool:
    """Telegram posts an object with an integer update_id; nothing else is worth a worker."""
    if not isinstance(body, dict):
        return False
    update_id = body.get("update_id")
    return isinstance(update_id, int) and not isinstance(update_id, bool)


class WebhookServer:
    def __init__(
        self,
        sink: UpdateSink,
        secret: str,
        metrics: Metrics,
        readiness: Readiness,
        *,
        path: str = "/telegram",
        workers: int = 8,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.sink = sink
        self.secret = secret.encode()
        self.metrics = metrics
        self.readiness = readiness
        self.path = path
        self.workers = workers
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self._accepting = False
        self._consumers: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen and start the consumers; returns the port (useful when `port` is 0)."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.path, self._update)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._consumers = [asyncio.create_task(self._consume()) for _ in range(self.workers)]
        self._accepting = True
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def stop(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Refuse new updates (Telegram retries them, elsewhere or later), finish the queued
        ones within `drain_seconds`, then close."""
        self._accepting = False
        try:
            async with asyncio.timeout(drain_seconds):
                await self.queue.join()
        except TimeoutError:
            log.warning("stopping with %d updates not handled", self.queue.qsize())
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=401, text="wrong secret token")
        if not self._accepting:
            return web.Response(status=503, text="stopping")
        try:
            update = await request.json()
        except (ValueError, RecursionError):  # nesting deeper than the parser goes
            return web.Response(status=400, text="body is not JSON")
        if not _is_update(update):
            return web.Response(status=400, text="an update is a JSON object with an update_id")
        try:
            self.queue.put_nowait(update)
        except asyncio.QueueFull:
            return web.Response(status=503, text="busy")
        return web.Response(text="ok")

    async def _consume(self) -> None:
        while True:
            update = await self.queue.get()
            kind = "callback" if "callback_query" in update else "message"
            started = time.perf_counter()
            try:
                await self.sink.feed(update)
            except Exception:
                log.exception("update %s failed", update.get("update_id", "?"))
                self.metrics.updates.labels("error").inc()
            else:
                self.metrics.updates.labels(kind).inc()
                self.metrics.answer_seconds.observe(time.perf_counter() - started)
            finally:
                self.queue.task_done()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _readyz(self, request: web.Request) -> web.Response:
        problem = await self.readiness.problem()
        if problem is not None:
            return web.Response(status=503, text=problem)
        return web.Response(text="ready")

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await self.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def start_webhook(
    settings: Settings,
    runtime: Runtime,
    sink: UpdateSink,
    readiness: Readiness,
    metrics: Metrics,
    shutdown: Shutdown,
) -> None:
    """Start the background jobs (only the catalog refresh with SATUDATA_BACKGROUND=off) and
    the server; `shutdown` stops the server first, then the jobs.

    The caller has already initialised the bot (getMe) and registered the webhook; the webhook
    stays registered on stop, since other workers go on serving it.
    """
    secret = settings.webhook_secret
    assert secret, "start_webhook needs WEBHOOK_SECRET (Settings.require_webhook)"
    background = Background(runtime, settings, on_delivery=metrics.delivery)
    if settings.background:
        metrics.watch(background.sender)
    shutdown.push("background jobs", background.stop)
    await background.start()
    server = WebhookServer(
        sink,
        secret,
        metrics,
        readiness,
        path=settings.webhook_path,
        workers=settings.webhook_workers,
    )
    host, port = settings.webhook_listen
    shutdown.push("webhook server", server.stop)
    bound = await server.start(host, port)
    log.info(
        "listening on http://%s:%d%s (background jobs %s)",
        host,
        bound,
        settings.webhook_path,
        "on" if settings.background else "off",
    )
