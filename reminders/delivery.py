"""Draining the outbox within Telegram's limits, durably.

A message is claimed before it is sent (its next attempt moves past a lease, written and
committed on every engine), and marked sent only after Telegram accepted it, one commit per
message: a crash loses nothing that was not sent, and resends at most the messages that were
in flight. When the database will not take a commit (its disk full, another process holding
the write lock), the batch stops at once; what was sent meanwhile is remembered and recorded
before anything else is sent, so an unwritable database never makes a message go twice.

429 waits the `retry_after` Telegram asks for (for that chat); 5xx, timeouts and connection
errors are retried with a capped backoff for as long as it takes, and several in a row open
a circuit breaker that pauses the whole sender, probing with one message every few seconds,
instead of spending every row's attempts on an API that is down. Only Telegram's own
permanent answers (403 blocked or never started, 400 chat not found) and a person without a
Telegram account are undeliverable, and the walidata is told who cannot be reached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from domain.terms import OutboxStatus
from reminders.send_budget import LocalBudget, SendBudget
from reminders.unreachable import report_unreachable
from storage.models import OutboxMessage
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

BACKOFF_BASE = 2.0  # seconds; doubles per attempt
BACKOFF_CAP = 300.0  # a message failing on its own is tried at least every 5 minutes
# How long a message claimed for sending stays out of other senders' reach: longer than a
# send can take (the HTTP timeout and the pacing before it), short enough for a crash.
CLAIM_SECONDS = 30.0
# Passing failures in a row that mean the API is down rather than one chat unlucky.
BREAKER_THRESHOLD = 5
PROBE_SECONDS = 5.0  # while it is down: one message tried this often


@dataclass(frozen=True)
class OutgoingFile:
    """A photo or document; `telegram_file_id` (from an earlier upload) avoids sending it again."""

    kind: str  # photo, document
    name: str
    content: bytes
    telegram_file_id: str | None = None


@dataclass(frozen=True)
class Outgoing:
    chat_id: int
    text: str  # the caption when a file is attached
    buttons: list[list[dict[str, str]]]
    file: OutgoingFile | None = None


# What one send came to. `reminders.outcomes` says which Telegram answer means which, the
# same for the outbox and the interactive transports.


@dataclass(frozen=True)
class Delivered:
    message_id: int
    telegram_file_id: str | None = None  # what Telegram calls the file it now holds


@dataclass(frozen=True)
class RetryLater:
    """Try again after `seconds`: Telegram's 429, or a refused token (`TokenRejected`)."""

    seconds: float
    reason: str


@dataclass(frozen=True)
class Transient:
    """A passing failure (no answer, 5xx): try again after a backoff, a few times."""

    reason: str


@dataclass(frozen=True)
class Undeliverable:
    """Retrying cannot help: the user blocked the bot, the chat is gone, a bad request."""

    reason: str


DeliveryResult = Delivered | RetryLater | Transient | Undeliverable


class Deliverer(Protocol):
    """Sends one message; the transport (Bot API over HTTP) lives in `bot/`."""

    async def deliver(self, message: Outgoing) -> DeliveryResult: ...


@dataclass
class ChatLimits:
    """Telegram's limits per chat: 1 message/s in a private chat, 20/min in a group. The
    overall limit is the `SendBudget`'s, shared with everything else the bot sends."""

    private_interval: float = 1.0
    group_per_minute: int = 20


@dataclass
class _Pacer:
    """Decides when the next message may go to each chat."""

    limits: ChatLimits
    clock: Callable[[], float] = time.monotonic
    _chat_free_at: dict[int, float] = field(default_factory=dict)
    _group_sent: dict[int, deque[float]] = field(default_factory=dict)

    def chat_ready(self, chat_id: int) -> bool:
        now = self.clock()
        if self._chat_free_at.get(chat_id, 0.0) > now:
            return False
        if chat_id < 0:
            sent = self._group_sent.setdefault(chat_id, deque())
            while sent and sent[0] <= now - 60:
                sent.popleft()
            return len(sent) < self.limits.group_per_minute
        return True

    def answered(self, chat_id: int) -> None:
        """Count a chat's message from its answer, as the budget counts its slots (jitter on
        the way cannot then bring two of a chat's messages within the interval)."""
        now = self.clock()
        if chat_id < 0:
            self._group_sent.setdefault(chat_id, deque()).append(now)
        else:
            self._chat_free_at[chat_id] = now + self.limits.private_interval

    def hold(self, chat_id: int, seconds: float) -> None:
        self._chat_free_at[chat_id] = max(
            self._chat_free_at.get(chat_id, 0.0), self.clock() + seconds
        )


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    undeliverable: int = 0


class StorageUnavailable(Exception):
    """The database did not take a claim or a result: nothing more is sent until it does."""


# What a database that will not take a write raises, through the layers in between.
STORAGE_FAILURES = (StorageUnavailable, SQLAlchemyError, OSError)


@dataclass
class Breaker:
    """Opens after `threshold` passing failures in a row; while open, the sender sends one
    probe every `probe_seconds` and any answer from Telegram closes it."""

    threshold: int = BREAKER_THRESHOLD
    probe_seconds: float = PROBE_SECONDS
    failures: int = 0
    opened_at: datetime | None = None
    probe_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.opened_at is not None

    def probing(self, now: datetime) -> bool:
        """Open, and the time for the next probe has come (it is taken)."""
        if self.probe_at is None or now < self.probe_at:
            return False
        self.probe_at = now + timedelta(seconds=self.probe_seconds)
        return True

    def failed(self, now: datetime, reason: str) -> None:
        self.failures += 1
        if self.opened_at is None and self.failures >= self.threshold:
            self.opened_at = now
            self.probe_at = now + timedelta(seconds=self.probe_seconds)
            log.warning(
                "Telegram API unreachable (%s): sender paused, one message tried every %g s",
                reason,
                self.probe_seconds,
            )

    def answered(self, now: datetime) -> float | None:
        """Closed: how long it was open, if it was."""
        outage = (now - self.opened_at).total_seconds() if self.opened_at else None
        self.failures, self.opened_at, self.probe_at = 0, None, None
        return outage


class OutboxSender:
    """Sends pending outbox messages; one instance per process."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        deliverer: Deliverer,
        budget: SendBudget | None = None,
        limits: ChatLimits | None = None,
        *,
        concurrency: int = 8,
        lease_seconds: float = CLAIM_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_result: Callable[[DeliveryResult], None] | None = None,
    ) -> None:
        self.uow = uow_factory
        self.on_result = on_result  # e.g. metrics: every attempt's outcome, as it happens
        self.deliverer = deliverer
        self.budget = budget or LocalBudget()
        self.pacer = _Pacer(limits or ChatLimits())
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.wake = asyncio.Event()
        self.breaker = Breaker()
        # Telegram's id of each file already uploaded, for messages loaded before it was known.
        self._file_ids: dict[int, str] = {}
        # Sent, but the database did not take the result yet: recorded before any new send.
        self._unrecorded: dict[int, tuple[OutboxMessage, DeliveryResult]] = {}
        self._storage_down_since: datetime | None = None
        self._resumed_after: float | None = None  # the outage just ended, this long

    @property
    def paused(self) -> bool:
        """The API is down: only probes are sent (exported as a metric)."""
        return self.breaker.open

    async def drain(self, *, batch: int = 500, stop: asyncio.Event | None = None) -> DrainReport:
        """Send everything due now; returns when nothing due is left (or `stop` is set), or
        while the API is down, until the next probe is due. Raises StorageUnavailable when
        the database does not take a claim or a result."""
        report = DrainReport()
        try:
            await self._record_unrecorded(report)
            await self._expire()
            while stop is None or not stop.is_set():
                if self.breaker.open and not self.breaker.probing(self.clock()):
                    break
                async with self.uow() as uow:
                    due = [
                        m
                        for m in await uow.outbox.due(self.clock(), batch)
                        if m.id not in self._unrecorded
                    ]
                if not due:
                    break
                probe = self.breaker.open
                progressed = await self._send_batch(due[:1] if probe else due, report, stop, probe)
                if self._resumed_after is not None:
                    await self._say_resumed(self._resumed_after)
                if not progressed:
                    await asyncio.sleep(0.05)  # every due chat is pacing itself
            async with self.uow() as uow:
                await report_unreachable(uow, self.clock())
                await uow.commit()
        except STORAGE_FAILURES as error:
            self._storage_failed(error)
            if isinstance(error, StorageUnavailable):
                raise
            raise StorageUnavailable(str(error)) from error  # the cause says what to fix
        self._storage_back()
        return report

    def _storage_failed(self, error: BaseException) -> None:
        if self._storage_down_since is None:
            self._storage_down_since = self.clock()
            log.warning(
                "outbox: the database does not take writes (%s); sending paused, %d sent "
                "message(s) kept to record",
                str(error).splitlines()[0][:200] if str(error) else type(error).__name__,
                len(self._unrecorded),
            )

    async def _say_resumed(self, outage: float) -> None:
        self._resumed_after = None
        async with self.uow() as uow:
            waiting = await uow.outbox.pending_count()
        log.warning(
            "Telegram API reachable again after %.0f s: sending resumes, %d message(s) waiting",
            outage,
            waiting,
        )

    def _storage_back(self) -> None:
        if self._storage_down_since is not None:
            seconds = (self.clock() - self._storage_down_since).total_seconds()
            log.warning("outbox: the database takes writes again after %.0f s", seconds)
            self._storage_down_since = None

    async def _expire(self) -> None:
        """A reminder superseded by its chase's next step, a digest past its week: cancelled."""
        async with self.uow() as uow:
            expired = await uow.outbox.expire(self.clock())
            await uow.commit()
        if expired:
            log.info("outbox: %d message(s) no longer worth sending were cancelled", expired)

    async def _record_unrecorded(self, report: DrainReport) -> None:
        for message_id, (message, result) in list(self._unrecorded.items()):
            await self._finish(message, result, report)  # raises while it still cannot
            del self._unrecorded[message_id]

    def retry_wait(self, upcoming: datetime | None) -> float | None:
        """Seconds until something may be sent again (the next probe while the API is down,
        else the next due message); None when nothing is waiting."""
        if self.breaker.probe_at is not None:
            moment = self.breaker.probe_at
        elif self._unrecorded:
            moment = self.clock() + timedelta(seconds=1)
        elif upcoming is not None:
            moment = upcoming
        else:
            return None
        return max(0.0, (moment - self.clock()).total_seconds())

    async def drain_all(self, max_wait: float = 60.0) -> DrainReport:
        """Drain, then wait for retries that fall due within `max_wait` seconds, until none is
        left pending (for one-shot runs)."""
        total = DrainReport()
        while True:
            report = await self.drain()
            total.sent += report.sent
            total.retried += report.retried
            total.undeliverable += report.undeliverable
            async with self.uow() as uow:
                wait = self.retry_wait(await uow.outbox.next_attempt())
            if wait is None or wait > max_wait:
                return total
            await asyncio.sleep(max(0.05, wait))

    async def run(self, stop: asyncio.Event, idle_poll: float = 5.0) -> None:
        """Drain continuously until `stop` is set; `wake` shortens the idle wait."""
        while not stop.is_set():
            try:
                await self.drain(stop=stop)
            except StorageUnavailable:
                pass  # logged once when it began; tried again after the idle wait
            except Exception:
                log.exception("outbox drain failed; retrying shortly")
            self.wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            probe = self.retry_wait(None) if self.breaker.open else None
            timeout = idle_poll if probe is None else min(idle_poll, max(0.05, probe))
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def _send_batch(
        self,
        due: list[OutboxMessage],
        report: DrainReport,
        stop: asyncio.Event | None,
        probe: bool = False,
    ) -> bool:
        """Send what may go now. A failed commit, a stop (leadership lost) or an API found down
        ends the batch at once: the claimed messages not yet sent are released."""
        semaphore = asyncio.Semaphore(self.concurrency)
        busy: set[int] = set()
        progressed = False
        unsent: set[int] = set()
        failure: list[BaseException] = []

        async def one(message: OutboxMessage) -> None:
            nonlocal progressed
            async with semaphore:
                stopped = stop is not None and stop.is_set()
                if failure or stopped or (self.breaker.open and not probe):
                    unsent.add(message.id)
                    return
                try:
                    await self._send_one(message, report)
                except STORAGE_FAILURES as error:
                    failure.append(error)
                progressed = True
            busy.discard(message.chat_id or 0)

        chosen = []
        uploading: set[int] = set()
        for message in due:
            if message.chat_id is None:
                await self._finish(message, Undeliverable("no Telegram account linked"), report)
                progressed = True
                continue
            # One message per chat at a time keeps each chat's order and pace.
            if message.chat_id in busy or not self.pacer.chat_ready(message.chat_id):
                continue
            if self._needs_upload(message):
                # A file goes up once; the other messages carrying it wait for Telegram's id.
                if message.file_id in uploading:
                    continue
                uploading.add(message.file_id)  # type: ignore[arg-type]
            busy.add(message.chat_id)
            chosen.append(message)
        claimed = await self._claim(chosen)
        tasks = []
        for message in chosen:
            if message.id not in claimed:  # another sender has it
                busy.discard(message.chat_id or 0)
                continue
            tasks.append(asyncio.create_task(one(message)))
        if tasks:
            await asyncio.gather(*tasks)
        if unsent and not failure:
            await self._release(unsent)
        if failure:
            raise StorageUnavailable(str(failure[0])) from failure[0]
        return progressed

    async def _claim(self, messages: list[OutboxMessage]) -> set[int]:
        """The lease, committed before any of them is sent: if it cannot be written,
        nothing is sent."""
        if not messages:
            return set()
        now = self.clock()
        async with self.uow() as uow:
            claimed = await uow.outbox.claim([m.id for m in messages], now, now + self.lease)
            await uow.commit()
        return claimed

    async def _release(self, ids: set[int]) -> None:
        """Claimed but not sent: due again at once, for this sender or the next leader."""
        async with self.uow() as uow:
            await uow.outbox.release(ids, self.clock())
            await uow.commit()

    async def _send_one(self, message: OutboxMessage, report: DrainReport) -> None:
        try:
            async with self.budget.slot():
                try:
                    result = await self.deliverer.deliver(self._outgoing(message))
                except Exception as error:  # a transport bug must not stop the queue
                    log.exception("deliverer failed for outbox %s", message.id)
                    result = Transient(repr(error))
        finally:
            self.pacer.answered(message.chat_id or 0)
        await self._finish(message, result, report)

    async def _finish(
        self, message: OutboxMessage, result: DeliveryResult, report: DrainReport
    ) -> None:
        """Record what became of a send; kept in memory, and StorageUnavailable raised, when
        the database does not take it."""
        if message.id not in self._unrecorded:
            if self.on_result is not None:
                self.on_result(result)
            self._breaker_sees(result)
        try:
            await self._record(message, result, report)
        except Exception as error:  # whatever kept it from the database: never send it again
            if message.chat_id is not None:
                self._unrecorded[message.id] = (message, result)
            raise StorageUnavailable(f"{type(error).__name__}: {error}") from error

    def _breaker_sees(self, result: DeliveryResult) -> None:
        if isinstance(result, Transient):
            self.breaker.failed(self.clock(), result.reason)
        else:
            outage = self.breaker.answered(self.clock())
            if outage is not None:
                self._resumed_after = outage

    async def _record(
        self, message: OutboxMessage, result: DeliveryResult, report: DrainReport
    ) -> None:
        now = self.clock()
        async with self.uow() as uow:
            row = await uow.outbox.get(message.id)
            if row is None or row.status != OutboxStatus.PENDING:
                return
            row.attempts += 1
            match result:
                case Delivered(message_id, file_id):
                    row.status, row.sent_at, row.telegram_message_id = (
                        OutboxStatus.SENT,
                        now,
                        message_id,
                    )
                    if row.file_id is not None and file_id:
                        self._file_ids[row.file_id] = file_id
                        if row.file is not None and not row.file.telegram_file_id:
                            row.file.telegram_file_id = file_id
                    report.sent += 1
                case RetryLater(seconds, reason):
                    self.pacer.hold(message.chat_id or 0, seconds)
                    row.next_attempt_at = now + timedelta(seconds=seconds)
                    row.error = reason
                    report.retried += 1
                case Transient(reason) if self.breaker.open:
                    # The API is down, not this message: it keeps its place, its attempts.
                    row.attempts -= 1
                    row.next_attempt_at, row.error = now, reason
                    report.retried += 1
                case Transient(reason):
                    backoff = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (row.attempts - 1))
                    row.next_attempt_at = now + timedelta(seconds=backoff)
                    row.error = reason
                    report.retried += 1
                case Undeliverable(reason):
                    row.status, row.error = OutboxStatus.UNDELIVERABLE, reason
                    report.undeliverable += 1
            await uow.commit()

    def _needs_upload(self, message: OutboxMessage) -> bool:
        file = message.file
        return file is not None and not file.telegram_file_id and file.id not in self._file_ids

    def _outgoing(self, message: OutboxMessage) -> Outgoing:
        assert message.chat_id is not None
        attached = message.file
        if attached is None:
            return Outgoing(message.chat_id, message.text, message.buttons)
        file = OutgoingFile(
            message.file_kind or "document",
            attached.name,
            attached.content,
            attached.telegram_file_id or self._file_ids.get(attached.id),
        )
        return Outgoing(message.chat_id, message.text, message.buttons, file)
