"""Which worker runs the background work: one leader per database.

On PostgreSQL several workers share one database, but reminders, digests, the portal sync and
the outbox sender must run in one of them only: a second sender would double Telegram's rate
and could send a row twice. The leader holds a session-level advisory lock on a connection of
its own. When its process dies the connection closes and PostgreSQL frees the lock, so another
worker takes over within one period. On SQLite there is one process by design: it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.db import lock_key

log = logging.getLogger(__name__)

PERIOD_SECONDS = 5.0
CHECK_TIMEOUT_SECONDS = 3.0
APPLICATION_NAME = "satudata-background"


LEADER_KEY = lock_key(APPLICATION_NAME)

Callback = Callable[[], Awaitable[None]]


class Leadership:
    """Tries to become leader every `period` seconds; while leader, checks every period that
    the lock's connection is alive, and steps down at once when it is not."""

    def __init__(self, engine: AsyncEngine, *, period: float = PERIOD_SECONDS) -> None:
        self.period = period
        self._always = engine.dialect.name != "postgresql"
        # A connection of its own, outside the pool: the lock lives and dies with it, and it
        # carries a name an operator can find in pg_stat_activity.
        self._engine = None if self._always else _lock_engine(engine)
        self._connection: AsyncConnection | None = None

    @property
    def shared(self) -> bool:
        """Several workers may share this database (PostgreSQL)."""
        return not self._always

    @property
    def is_leader(self) -> bool:
        return self._always or self._connection is not None

    async def acquire(self) -> bool:
        """One attempt to take the lock; True when this process now leads."""
        if self.is_leader:
            return True
        assert self._engine is not None
        try:
            connection = await self._engine.connect()
        except Exception:
            log.warning("database unreachable; not leading", exc_info=True)
            return False
        try:
            got = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_KEY}
            )
        except Exception:
            log.warning("could not ask for leadership", exc_info=True)
            got = False
        if got:
            self._connection = connection
            log.info("this worker leads the background work (pid %s)", os.getpid())
        else:
            await connection.close()
        return bool(got)

    async def still_leader(self) -> bool:
        """A cheap query on the lock's connection; a failure means the lock may be gone."""
        if self._always:
            return True
        if self._connection is None:
            return False
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await self._connection.scalar(text("SELECT 1"))
            return True
        except Exception:
            log.error("lost the leadership connection; stepping down", exc_info=True)
            await self._drop()
            return False

    async def run(
        self, stop: asyncio.Event, on_elected: Callback, on_lost: Callback, *, leading: bool
    ) -> None:
        """Until `stop`: become leader when possible, and say so; step down when the lock's
        connection fails. `leading`: elected (and told) already. Releases the lock at the end."""
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.period)
                if stop.is_set():
                    break
                now_leading = await self.still_leader() if leading else await self.acquire()
                if now_leading != leading:
                    leading = now_leading
                    await (on_elected() if leading else on_lost())
        finally:
            if leading:
                await on_lost()
            await self.release()

    async def release(self) -> None:
        """Give the lock up (closing its connection frees it) so another worker takes over."""
        await self._drop()
        if self._engine is not None:
            await self._engine.dispose()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.close()
        except Exception:  # the connection is already gone, and the lock with it
            log.debug("closing the leadership connection failed", exc_info=True)


def _lock_engine(engine: AsyncEngine) -> AsyncEngine:
    name = f"{APPLICATION_NAME}:{socket.gethostname()}:{os.getpid()}"
    return create_async_engine(
        engine.url,
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",  # never idle in a transaction while holding the lock
        connect_args={"server_settings": {"application_name": name[:63]}},
    )
