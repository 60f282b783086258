"""Prometheus-style metrics for a serving process: updates, answer latency, outbox, deliveries.

A private registry keeps the exposition to what this bot measures (and lets tests build
several servers in one process). The outbox depth is read from the database when scraped,
so every worker reports the shared queue, and a cache keeps frequent scrapes cheap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncEngine

from reminders.delivery import (
    Delivered,
    DeliveryResult,
    OutboxSender,
    RetryLater,
    Transient,
    Undeliverable,
)
from reminders.outcomes import TokenRejected
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
DEPTH_CACHE_SECONDS = 5.0
_RESULTS: dict[type[DeliveryResult], str] = {
    Delivered: "sent",
    RetryLater: "retry",
    TokenRejected: "retry",  # the outbox holds the message for a long retry
    Transient: "transient",
    Undeliverable: "undeliverable",
}
# Answers take milliseconds for a lookup and seconds for a chart or a slow Bot API.
_ANSWER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.monotonic) -> None:
        self._uow = UnitOfWorkFactory(engine)
        self.clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "satudata_updates",
            "Telegram updates handled, by kind (message, callback) or error",
            ["kind"],
            registry=self.registry,
        )
        self.answer_seconds = Histogram(
            "satudata_answer_seconds",
            "Time from taking an update to its replies being sent",
            buckets=_ANSWER_BUCKETS,
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "satudata_outbox_depth",
            "Outbox messages waiting to be sent (shared by all workers)",
            registry=self.registry,
        )
        self.deliveries = Counter(
            "satudata_deliveries",
            "Outbox delivery attempts by this process, by result",
            ["result"],
            registry=self.registry,
        )
        self.outbox_paused = Gauge(
            "satudata_outbox_paused",
            "1 while this process's sender is paused because the Telegram API is down",
            registry=self.registry,
        )
        for kind in ("message", "callback", "error"):
            self.updates.labels(kind)
        for result in set(_RESULTS.values()):
            self.deliveries.labels(result)
        self._depth_read_at = float("-inf")

    def delivery(self, result: DeliveryResult) -> None:
        """The OutboxSender's `on_result` hook."""
        self.deliveries.labels(_RESULTS[type(result)]).inc()

    def watch(self, sender: OutboxSender) -> None:
        """Expose whether the sender's circuit breaker holds it paused."""
        self.outbox_paused.set_function(lambda: float(sender.paused))

    async def render(self) -> bytes:
        """The text exposition, with a fresh outbox depth at most DEPTH_CACHE_SECONDS old."""
        if self.clock() - self._depth_read_at >= DEPTH_CACHE_SECONDS:
            try:
                self.outbox_depth.set(await self._pending())
                self._depth_read_at = self.clock()
            except Exception as error:  # a scrape must not fail because the database did
                log.warning("outbox depth unavailable: %s", error)
        return generate_latest(self.registry)

    async def _pending(self) -> int:
        async with self._uow() as uow:
            return await uow.outbox.pending_count()
