"""Stopping what a start acquired, whatever interrupts the start or the stop.

A long-running command starts in steps (database, Telegram session, background jobs, the
update source), and each step that acquires something registers the step that releases it,
before it begins: a step cancelled half-way is released too, so each release must cope with a
start that got only part of the way. `Shutdown.run` then releases everything in reverse order,
each step once and to its end, even when the task running it is cancelled meanwhile (a
library's stop sequence cut in half leaves it "still running" for the next step); the
cancellation is re-raised when the last step is done, so whoever cancelled sees it honoured.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class Shutdown:
    """The release steps of one start, last acquired first released."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], Awaitable[object]]]] = []

    def push(self, name: str, step: Callable[[], Awaitable[object]]) -> None:
        """Register how to release what is about to be acquired; `name` is for the log."""
        self._steps.append((name, step))

    async def run(self) -> None:
        """Every registered step, newest first, each once. A step that fails is logged and the
        others still run; a cancellation meanwhile waits for the steps, then is re-raised."""
        cancelled = False
        while self._steps:
            name, step = self._steps.pop()
            log.debug("stopping: %s", name)
            task = asyncio.ensure_future(step())
            cancelled |= await to_the_end(task)
            if not task.cancelled() and (error := task.exception()) is not None:
                log.error("stopping: %s failed: %r", name, error, exc_info=error)
        if cancelled:
            raise asyncio.CancelledError


async def to_the_end(task: asyncio.Future[Any]) -> bool:
    """Wait until `task` is done, through cancellations of the waiting task (the task itself is
    left alone); whether any arrived, for the caller to re-raise."""
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:
            cancelled = True
    return cancelled
