"""Engine creation and schema migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage import sqlite_driver
from storage.private_files import open_private, private_file, private_folder

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_POLL_SECONDS = 0.05  # how often a process waiting for another's set-up looks again


class StorageProblem(StrEnum):
    """Why the configured database cannot be used; the CLI explains each in one line."""

    UNREACHABLE = "unreachable"  # no connection to the server (refused, unknown host, login)
    UNWRITABLE = "unwritable"  # a SQLite file that cannot be opened or created
    NEWER_SCHEMA = "newer_schema"  # at a migration this version does not know
    CORRUPT = "corrupt"  # a file that is not (or no longer) a SQLite database
    FAILED = "failed"  # any other error the database reported


class StorageError(Exception):
    """The database cannot be used as configured: something the operator fixes (a server to
    start, a path to correct, a file to restore), not a bug to trace."""

    def __init__(self, problem: StorageProblem, detail: str) -> None:
        super().__init__(f"{problem}: {detail}")
        self.problem = problem
        self.detail = detail


def lock_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory lock key for a name, the same everywhere."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


MIGRATION_LOCK_KEY = lock_key("satudata-migrate")


def normalise_url(url: str) -> str:
    """Accept the URLs operators write (`postgresql://`, `sqlite:///`) and pick async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return parsed.render_as_string(hide_password=False)


def describe(url: str) -> str:
    """Where the data lives, for messages: the SQLite file, or the server URL without its
    password and driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


def create_engine(url: str) -> AsyncEngine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if _sqlite_file(parsed) is not None:
            try:
                database = Path(parsed.database or "")
                private_file(private_folder(database.parent) / database.name)
            except OSError as error:
                raise StorageError(StorageProblem.UNWRITABLE, _one_line(error)) from error
        engine = create_async_engine(
            url, module=sqlite_driver.dbapi(), connect_args={"timeout": 30}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        problem = StorageProblem.UNWRITABLE
    else:
        engine = create_async_engine(url, pool_pre_ping=True)
        problem = StorageProblem.UNREACHABLE
    event.listen(engine.sync_engine, "do_connect", _connect_or_explain(problem))
    return engine


def _sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _connect_or_explain(problem: StorageProblem) -> Callable[[Dialect, Any, Any, Any], Any]:
    """Connecting fails for reasons the operator fixes (a refused port, an unknown host, a
    wrong login, a file that cannot be created): say so as a StorageError. The driver raises
    plain OSErrors for some of them, which nothing else would tie to the database."""

    def connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except (OSError, dialect.loaded_dbapi.Error) as error:
            raise StorageError(problem, _one_line(error)) from error

    return connect


def storage_error(error: BaseException) -> StorageError | None:
    """The storage problem behind an error that stopped a command, if there is one: a
    StorageError, or any SQLAlchemy error (only the database raises those), found through
    causes and exception groups."""
    pending = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, StorageError):
            return current
        if isinstance(current, SQLAlchemyError):
            return _classify(current)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(_causes(current))
    return None


def _causes(error: BaseException) -> list[BaseException]:
    context = None if error.__suppress_context__ else error.__context__
    return [cause for cause in (error.__cause__, context) if cause is not None]


SQLITE_PROBLEMS = {
    "SQLITE_NOTADB": StorageProblem.CORRUPT,
    "SQLITE_CORRUPT": StorageProblem.CORRUPT,
    "SQLITE_CANTOPEN": StorageProblem.UNWRITABLE,
    "SQLITE_READONLY": StorageProblem.UNWRITABLE,
    "SQLITE_PERM": StorageProblem.UNWRITABLE,
    "SQLITE_FULL": StorageProblem.UNWRITABLE,
}


def _classify(error: SQLAlchemyError) -> StorageError:
    original: BaseException = error
    if isinstance(error, DBAPIError) and error.orig is not None:
        original = error.orig  # the driver's own words, without SQLAlchemy's decoration
    problem = _sqlite_problem(str(getattr(original, "sqlite_errorname", "")))
    if problem is None and isinstance(error, DBAPIError) and error.connection_invalidated:
        problem = StorageProblem.UNREACHABLE
    return StorageError(problem or StorageProblem.FAILED, _one_line(original))


def _sqlite_problem(name: str) -> StorageProblem | None:
    """SQLite's result code, primary or extended (SQLITE_READONLY_DBMOVED is a READONLY)."""
    for primary, problem in SQLITE_PROBLEMS.items():
        if name == primary or name.startswith(f"{primary}_"):
            return problem
    return None


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    def run(connection: Connection) -> None:
        config = _alembic_config(connection)
        _refuse_unknown_revisions(connection, config)
        command.upgrade(config, revision)
        _check_foreign_keys(connection)

    async with engine.connect() as conn, _sqlite_foreign_keys_off(conn), conn.begin():
        await conn.run_sync(run)


@asynccontextmanager
async def _sqlite_foreign_keys_off(conn: AsyncConnection) -> AsyncIterator[None]:
    """SQLite changes a column by rebuilding its table (Alembic's batch mode): copy, drop the
    old table, rename the copy. With foreign keys on, the drop first deletes every row, which
    deletes the rows referring to them (ON DELETE CASCADE: a person's roles) or fails on them;
    so migrations run with foreign keys off and are checked after (`_check_foreign_keys`), as
    SQLite documents for ALTER TABLE. The pragma is ignored inside a transaction, hence its
    own commit."""
    if conn.dialect.name != "sqlite":
        yield
        return
    await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    await conn.commit()
    try:
        yield
    finally:
        await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        await conn.commit()


def _check_foreign_keys(connection: Connection) -> None:
    """On SQLite, a migration that left a reference dangling is undone rather than committed."""
    if connection.dialect.name != "sqlite":
        return
    if dangling := connection.exec_driver_sql("PRAGMA foreign_key_check").all():
        table, row, parent, _ = dangling[0]
        raise StorageError(
            StorageProblem.FAILED,
            f"a migration left {len(dangling)} dangling reference(s), e.g. {table} row {row}"
            f" to {parent}",
        )


def _refuse_unknown_revisions(connection: Connection, config: Config) -> None:
    """A database at a migration this version lacks was written by a newer one: going on
    would run old code on a schema it does not know."""
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    if unknown := sorted(set(current) - known):
        raise StorageError(StorageProblem.NEWER_SCHEMA, ", ".join(unknown))


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database is at the newest migration, so start-up can skip upgrading."""

    def check(connection: Connection) -> bool:
        script = ScriptDirectory.from_config(_alembic_config(connection))
        current = MigrationContext.configure(connection).get_current_heads()
        return set(current) == set(script.get_heads())

    async with engine.connect() as conn:
        return await conn.run_sync(check)


@asynccontextmanager
async def migration_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Processes starting together on one database set it up (migrate, seed) one after
    another: the first does the work, the others wait, then find it done. PostgreSQL: an
    advisory lock. SQLite: an exclusive lock on a file beside the database, since SQLite's
    own locks last one transaction and set-up takes several."""
    if engine.dialect.name == "postgresql":
        async with _advisory_lock(engine, MIGRATION_LOCK_KEY):
            yield
        return
    path = _sqlite_file(engine.url)
    if path is None:  # in memory: every connection has a database of its own
        yield
        return
    async with _file_lock(path.with_name(f"{path.name}.lock")):
        yield


@asynccontextmanager
async def _advisory_lock(engine: AsyncEngine, key: int) -> AsyncIterator[None]:
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    """flock(2) on `path`, waited for without blocking the event loop. The file stays (removing
    it would let a waiter lock a file nobody else opens); closing it releases the lock, also
    when the process dies."""
    try:
        handle = open_private(path, os.O_RDWR)
    except OSError as error:
        raise StorageError(StorageProblem.UNWRITABLE, _one_line(error)) from error
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(handle)
