"""SQLite through aiosqlite in one thread round trip per statement.

aiosqlite runs each call on its connection's own thread, and SQLAlchemy's adapter makes four
calls a statement: open a cursor, execute, fetch, close. On a busy two-core machine each trip
costs about 0.1 ms, more than a typical answer query itself, and an answer runs several. The
cursor here does the four in one trip; everything else (transactions, the pool, errors) is
SQLAlchemy's own aiosqlite adapter, which already reaches into aiosqlite's thread the same way.

Used by `storage.db.create_engine` as the engine's DBAPI module: the URL stays
`sqlite+aiosqlite://`. Server-side cursors are SQLAlchemy's, unchanged.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

Description = tuple[tuple[Any, ...], ...] | None


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """Holds what the statement returned: its rows, description, row count and last row id,
    read on the connection's thread while the sqlite3 cursor was open."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No aiosqlite cursor is opened here: that would be a trip of its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Description = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing is open between statements."""

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        def run(connection: sqlite3.Connection) -> tuple[Description, list[Any], int, int | None]:
            cursor = connection.cursor()
            try:
                cursor.execute(operation, () if parameters is None else parameters)
                rows = cursor.fetchall() if cursor.description else []
                return cursor.description, rows, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            result = await self._connection._execute(run, self._connection._conn)
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = deque(rows)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        def run(connection: sqlite3.Connection) -> int:
            cursor = connection.cursor()
            try:
                cursor.executemany(operation, seq_of_parameters)
                return cursor.rowcount
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            self._rowcount = await self._connection._execute(run, self._connection._conn)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
