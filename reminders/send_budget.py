"""One budget for every message the bot sends to Telegram: about 30 per second, bot-wide.

Replies to questions, outbox deliveries and progress edits all take a slot from the same
budget, so together they stay within the limit. In one process the budget lives in memory
(`LocalBudget`); with several workers on PostgreSQL they share one kept in the database
(`storage.send_ledger.PostgresBudget`).

Telegram counts a request when it arrives, somewhere between the moment it leaves here and
the moment its answer comes back; network and scheduling jitter move that moment. So a slot is
held from departure until one second after the answer: all the requests arriving within any
one second then held their slots at the same instant (the last arrival), hence there are never
more of them than the window, however they were bunched on the way. A request refused with
429 keeps its slot too: Telegram saw it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

from domain.telegram_limits import LATENESS, PER_SECOND, WINDOW


def is_message(endpoint: str) -> bool:
    """Methods that post or change a message count against the budget (sendMessage,
    sendPhoto, editMessageText, …); answering a button press or reading does not."""
    return endpoint.startswith(("send", "edit", "copy", "forward"))


class SendBudget(Protocol):
    def slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held around one request to Telegram, from departure to answer."""
        ...


@dataclass
class LocalBudget:
    """The budget of a single process (SQLite deployments, tests, one-shot commands)."""

    per_second: float = PER_SECOND
    window: int = WINDOW
    clock: Callable[[], float] = time.monotonic
    _turn: float = float("-inf")  # the grid moment of the last send
    _in_flight: int = 0
    _freed_at: deque[float] = field(default_factory=deque)  # answered: slot free at these times

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._freed_at.append(self.clock() + 1.0)

    async def _acquire(self) -> None:
        interval = 1.0 / self.per_second
        while True:
            now = self.clock()
            while self._freed_at and self._freed_at[0] <= now:
                self._freed_at.popleft()
            wait = self._turn + interval * (1 - LATENESS) - now
            if self._in_flight + len(self._freed_at) >= self.window:
                # The earliest slot to free up; one still in flight frees a second after.
                wait = max(wait, self._freed_at[0] - now if self._freed_at else 0.005)
            if wait <= 0:
                self._turn = max(self._turn + interval, now)
                self._in_flight += 1
                return
            await asyncio.sleep(wait)
