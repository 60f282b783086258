"""`satudata worker`: the background role without a Telegram transport.

In a deployment with several processes, web workers answer updates while one or more of these
run the scheduled work; whichever holds the leadership lock ticks, sends and digests, the
others wait to take over. SIGTERM (or Ctrl-C) stops cleanly: the leader steps down, sends in
flight are recorded, and the lock is released for the next worker.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from bot.background import Background
from bot.config import Settings
from bot.operations import OperationError
from bot.signals import stop_on_signals
from bot.wiring import build_runtime

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> int:
    if not settings.telegram_token:
        raise OperationError("TELEGRAM_BOT_TOKEN is not set: a worker needs it to send")
    stop = stop or asyncio.Event()
    with stop_on_signals(stop):
        runtime = await build_runtime(settings, datetime.now(UTC))
        try:
            background = Background(runtime, settings)
            await background.start()
            log.info("worker started")
            try:
                await stop.wait()
            finally:
                await background.stop()
        finally:
            await runtime.close()
    log.info("worker stopped")
    return 0
