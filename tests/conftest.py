"""Shared fixtures: databases on both engines, a demo registry built once, a running bot.

Time is always passed in (`NOW`), so answers never depend on the day the tests run.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.wiring import Runtime, build_runtime
from handlers.messages import Incoming, Reply
from storage import db
from storage.demo import load_demo
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
CHAT_ID = 4242
USER_ID = 777001  # no person in the demo registry has this Telegram id: a member of the public

T = TypeVar("T")


def run_in_thread(make_coro: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion outside pytest-asyncio's event loop.

    Sync (and session-scoped) fixtures need async set-up; a private thread keeps
    `asyncio.run` from touching the loop of the test being set up.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


async def _reset_postgres(url: str) -> None:
    engine = db.create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def busiest_window(times: list[float], seconds: float = 1.0) -> tuple[int, float]:
    """The most arrivals within `seconds` of one another, and when those start: what
    Telegram's limits are judged by."""
    times = sorted(times)
    return max((bisect.bisect_left(times, at + seconds) - i, at) for i, at in enumerate(times))


@pytest.fixture
def postgres_url() -> str:
    """A wiped PostgreSQL schema, for what only PostgreSQL does (several workers)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("several workers need PostgreSQL (TEST_DATABASE_URL); SQLite is one process")
    run_in_thread(lambda: _reset_postgres(url))
    return url


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each engine: a SQLite file, or a wiped PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/t.db"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    run_in_thread(lambda: _reset_postgres(url))
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def migrated(engine: AsyncEngine) -> UnitOfWorkFactory:
    """A database at the newest schema, with no rows."""
    await db.upgrade(engine)
    return UnitOfWorkFactory(engine)


@pytest.fixture
async def loaded(migrated: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """A database holding the demo registry."""
    await load_demo(migrated, NOW)
    return migrated


async def _build_demo_sqlite(path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{path}")
    try:
        await db.upgrade(engine)
        await load_demo(UnitOfWorkFactory(engine), NOW)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo-loaded SQLite file, built once per test session; copy it, never write to it."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    run_in_thread(lambda: _build_demo_sqlite(path))
    return path


def copy_database(template: Path, target: Path) -> Path:
    """Copy a SQLite database with its WAL side files, if any are left."""
    for source in template.parent.glob(template.name + "*"):
        shutil.copyfile(source, target.parent / source.name.replace(template.name, target.name))
    return target


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database for one test."""
    return copy_database(demo_template, tmp_path / "satudata.db")


def settings_for(database: Path, **extra: str) -> Settings:
    environ = {"DATABASE_URL": f"sqlite:///{database}", **extra}
    return Settings.from_env(environ=environ, env_file=None)


@pytest.fixture
async def runtime(demo_db: Path) -> AsyncIterator[Runtime]:
    """The whole bot (database, catalog, dispatcher) on a copy of the demo registry."""
    runtime = await build_runtime(settings_for(demo_db), NOW)
    yield runtime
    await runtime.close()


Send = Callable[..., Awaitable[list[Reply]]]


@pytest.fixture
def send(runtime: Runtime) -> Send:
    """`await send("IPM Kota Batu")` or `await send(callback_data="ans:...")`: the replies."""

    async def _send(text: str = "", **fields: object) -> list[Reply]:
        incoming = Incoming(CHAT_ID, fields.pop("user_id", USER_ID), text=text, **fields)  # type: ignore[arg-type]
        return await runtime.dispatcher.handle(incoming, NOW)

    return _send


@pytest.fixture
def no_logged_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail the test if a handler logged an exception (it was swallowed into an apology)."""
    yield
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, [r.getMessage() for r in errors]
