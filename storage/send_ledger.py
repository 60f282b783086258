"""The bot-wide send budget kept in PostgreSQL, for several workers sharing one bot.

Telegram's 30 messages per second is the bot's, not a worker's: replies answered by any
worker, the leader's outbox and its progress edits all draw on it. Each request to Telegram
takes a row of `send_slots` before it leaves and frees it a second after its answer, with the
rules of `reminders.send_budget` (why a slot is held that long is explained there); a slot's
`taken_at` is its turn on the grid of evenly spaced sends. Every time is the database's clock,
the one clock all workers share. A transaction-scoped advisory lock makes "count the held
slots, take one" atomic across workers; within a worker one coroutine at a time asks, so
waiting senders do not all poll the database.

A worker that dies with a slot in flight leaves a row with no `freed_at`; it stops counting
after `STALE_SECONDS`, longer than any one request may take.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.telegram_limits import LATENESS, PER_SECOND, WINDOW
from storage.db import lock_key

LEDGER_KEY = lock_key("satudata-send-ledger")
STALE_SECONDS = 60.0
IN_FLIGHT_NAP = 0.01  # every held slot is still in flight: it frees a second after its answer

_NOW = "(clock_timestamp() AT TIME ZONE 'UTC')"
_TAKE = text(
    f"""
    WITH clock AS (SELECT {_NOW} AS now),
    held AS (
        SELECT s.taken_at, s.freed_at FROM send_slots s, clock
        WHERE s.freed_at > clock.now
           OR (s.freed_at IS NULL AND s.taken_at > clock.now - make_interval(secs => :stale))
    ),
    state AS (
        SELECT count(*) AS held, min(freed_at) AS first_free,
               max(taken_at) + make_interval(secs => :interval) AS next_turn
        FROM held
    ),
    taken AS (
        INSERT INTO send_slots (taken_at)
        SELECT greatest(state.next_turn, clock.now) FROM clock, state
        WHERE state.held < :window
          AND (state.next_turn IS NULL
               OR state.next_turn - make_interval(secs => :early) <= clock.now)
        RETURNING id
    )
    SELECT (SELECT id FROM taken),
           state.held,
           EXTRACT(EPOCH FROM state.first_free - clock.now),
           EXTRACT(EPOCH FROM state.next_turn - make_interval(secs => :early) - clock.now)
    FROM state, clock
    """
)
_FREE = text(f"UPDATE send_slots SET freed_at = {_NOW} + interval '1 second' WHERE id = :id")
_FORGET = text(
    f"""DELETE FROM send_slots WHERE freed_at <= {_NOW}
        OR (freed_at IS NULL AND taken_at < {_NOW} - make_interval(secs => :stale))"""
)


class PostgresBudget:
    """A `SendBudget` shared by every worker on one PostgreSQL database."""

    def __init__(
        self, engine: AsyncEngine, per_second: float = PER_SECOND, window: int = WINDOW
    ) -> None:
        self.engine = engine
        self.interval = 1.0 / per_second
        self.window = window
        self._asking = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._asking:
            slot_id = await self._take()
        try:
            yield
        finally:
            await asyncio.shield(self._free(slot_id))

    async def _take(self) -> int:
        while True:
            async with self.engine.begin() as conn:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_KEY})
                row = (
                    await conn.execute(
                        _TAKE,
                        {
                            "stale": STALE_SECONDS,
                            "window": self.window,
                            "interval": self.interval,
                            "early": self.interval * LATENESS,
                        },
                    )
                ).one()
            slot_id, held, first_free, next_turn = row
            if slot_id is not None:
                return int(slot_id)
            wait = float(next_turn or 0.0)
            if held >= self.window:
                wait = max(wait, float(first_free) if first_free is not None else IN_FLIGHT_NAP)
            await asyncio.sleep(max(wait, 0.001))

    async def _free(self, slot_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(_FREE, {"id": slot_id})
            await conn.execute(_FORGET, {"stale": STALE_SECONDS})
