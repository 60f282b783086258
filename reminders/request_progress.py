"""The walidata's live progress line for a broadcast, edited in place as the outbox drains.

"terkirim 340/512 · gagal 3 · menunggu 169" is recounted from the outbox, so it is right after
a restart too. Each line is edited at most every `min_interval` seconds, never with unchanged
text (Telegram refuses that), and after a 429 not before Telegram allows; `pacing` lets the
caller take the edit out of the same overall budget as the sends. When nothing is pending
the line becomes the summary, with the names of those it did not reach. The time is passed
in: `step` takes `now`, and `run` reads the clock its caller gives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from domain.terms import OutboxStatus
from reminders.delivery import Delivered, DeliveryResult, RetryLater, Undeliverable
from storage.models import DataRequest
from storage.uow import UnitOfWork, UnitOfWorkFactory
from texts.i18n import texts

log = logging.getLogger(__name__)
MIN_INTERVAL = 3.0  # seconds between two edits of one line
MAX_FAILURES_NAMED = 60
# A line whose message is in one of these will never be shown: there is nothing to edit.
GONE = frozenset({OutboxStatus.UNDELIVERABLE, OutboxStatus.CANCELLED})


class Editor(Protocol):
    async def edit(self, chat_id: int, message_id: int, text: str) -> DeliveryResult: ...


@dataclass(frozen=True)
class Line:
    request_id: int
    chat_id: int
    message_id: int
    text: str
    final: bool


@dataclass
class ProgressReporter:
    uow: UnitOfWorkFactory
    editor: Editor
    min_interval: float = MIN_INTERVAL
    pacing: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None
    _last_edit: dict[int, datetime] = field(default_factory=dict)
    _blocked_until: dict[int, datetime] = field(default_factory=dict)

    async def step(self, now: datetime) -> int:
        """Edit every live line that is due and changed; returns how many edits were made."""
        edits = 0
        for line in await self._lines(now):
            result = await self._edit(line)
            if isinstance(result, Delivered) or _not_modified(result):
                edits += isinstance(result, Delivered)
                self._last_edit[line.request_id] = now
                await self._store(line, now)
            elif isinstance(result, RetryLater):
                self._blocked_until[line.request_id] = now + timedelta(seconds=result.seconds)
            elif isinstance(result, Undeliverable):  # the message is gone: stop editing it
                log.warning("progress line of request %s: %s", line.request_id, result.reason)
                await self._store(line, now, gone=True)
        return edits

    async def run(
        self, stop: asyncio.Event, clock: Callable[[], datetime], poll: float = 1.0
    ) -> None:
        """Step every `poll` seconds, at the time `clock` says, until `stop` is set."""
        while not stop.is_set():
            try:
                await self.step(clock())
            except Exception:
                log.exception("progress update failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)

    async def _edit(self, line: Line) -> DeliveryResult:
        async with self.pacing() if self.pacing else contextlib.nullcontext():
            return await self.editor.edit(line.chat_id, line.message_id, line.text)

    async def _lines(self, now: datetime) -> list[Line]:
        lines = []
        async with self.uow() as uow:
            for request in await uow.requests.showing_progress():
                if not self._due(request.id, now):
                    continue
                assert request.progress_outbox_id is not None  # as `showing_progress` selects
                shown = await uow.outbox.get(request.progress_outbox_id)
                if shown is None or shown.status in GONE:
                    request.progress_done_at = now  # nothing to edit
                    continue
                if shown.status != OutboxStatus.SENT or shown.telegram_message_id is None:
                    continue  # the line itself has not reached the walidata yet
                text, final = await self._text(uow, request)
                if text == request.progress_text and not final:
                    continue
                assert shown.chat_id is not None
                lines.append(
                    Line(request.id, shown.chat_id, shown.telegram_message_id, text, final)
                )
            await uow.commit()
        return lines

    async def _text(self, uow: UnitOfWork, request: DataRequest) -> tuple[str, bool]:
        walidata = await uow.people.get(request.created_by)
        t = texts(walidata.language if walidata else "id")
        counts = await uow.requests.delivery(request.id)
        if counts.pending:
            text = t.t(
                "request_progress",
                id=request.id,
                sent=counts.sent,
                total=counts.total,
                failed=counts.failed,
                pending=counts.pending,
            )
            return text, False
        failures = await uow.requests.failed_names(request.id)
        text = t.render(
            "request_summary",
            id=request.id,
            sent=counts.sent,
            total=counts.total,
            failed=counts.failed,
            failures=failures[:MAX_FAILURES_NAMED],
            more=max(0, len(failures) - MAX_FAILURES_NAMED),
        )
        return text, True

    def _due(self, request_id: int, now: datetime) -> bool:
        last = self._last_edit.get(request_id)
        if last is not None and (now - last).total_seconds() < self.min_interval:
            return False
        blocked = self._blocked_until.get(request_id)
        return blocked is None or now >= blocked

    async def _store(self, line: Line, now: datetime, *, gone: bool = False) -> None:
        async with self.uow() as uow:
            request = await uow.requests.get(line.request_id)
            if request is None:
                return
            request.progress_text = line.text
            if line.final or gone:
                request.progress_done_at = now
            await uow.commit()


def _not_modified(result: DeliveryResult) -> bool:
    """The line already reads so (an edit lost on its way back): nothing to do."""
    return isinstance(result, Undeliverable) and "not modified" in result.reason
