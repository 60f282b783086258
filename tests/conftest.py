"""Shared fixtures: databases on both engines, a demo registry built once, a running bot.

The tests come in three tiers, each test in exactly one (the table is `tests/tiers.py`):

- `unit`: pure code: no database, socket, subprocess or file beyond reading shipped data.
  `pytest -m unit` runs in seconds; a unit test that opens any of those fails.
- `integration`: in-process against SQLite files and PostgreSQL (`TEST_DATABASE_URL`); no
  server and no subprocess of its own.
- `e2e`: real processes (`satudata ...`, see `tests/cli_runner.py`) and real HTTP on
  127.0.0.1 (the fakes of `tests/fake_server.py`, the webhook server).

The suite runs in parallel (pytest-xdist, `addopts` in pyproject.toml): each worker has its
own PostgreSQL database next to TEST_DATABASE_URL's (`<name>_gw0`, ... created on demand),
its own temporary directories, and servers on ports the system picks. The tests that load the
whole machine (`WHOLE_MACHINE` in tests/tiers.py) run on one worker, one after another. No
test relies on the machine's speed: time is passed in (`NOW`) or injected, and where real
time must pass, waits are generous deadlines on events, never budgets the work must meet.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.wiring import Runtime, build_runtime
from domain.telegram_limits import WINDOW
from handlers.messages import Incoming, Reply
from storage import db
from storage.demo import load_demo
from storage.uow import UnitOfWorkFactory

from .cli_runner import Processes
from .fake_bot_api import TOKEN, FakeBotApi
from .tiers import Guard, forbidden_fixtures, tier_of, xdist_group

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
CHAT_ID = 4242
USER_ID = 777001  # no person in the demo registry has this Telegram id: a member of the public

T = TypeVar("T")


def run_in_thread(make_coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion outside pytest-asyncio's event loop.

    Sync (and session-scoped) fixtures need async set-up; a private thread keeps
    `asyncio.run` from touching the loop of the test being set up.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups and `-m` deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item)
        item.add_marker(tier)
        if group := xdist_group(item):
            item.add_marker(pytest.mark.xdist_group(group))
        if forbidden := forbidden_fixtures(item, tier):
            raise pytest.UsageError(
                f"{item.nodeid} is a {tier} test but uses {', '.join(sorted(forbidden))}:"
                " give it a heavier tier in tests/tiers.py"
            )


@pytest.fixture(scope="session", autouse=True)
def _matplotlib_font_cache() -> None:
    """Builds matplotlib's font cache before any tier guard is up: on a machine that has none,
    the first chart runs `fc-list`, a process of matplotlib's that no test should be blamed for."""
    import matplotlib.font_manager  # noqa: F401


@pytest.fixture(autouse=True)
def _tier_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails a test that did what its tier may not (see tests/tiers.py)."""
    guard = Guard(tier_of(request.node), monkeypatch)
    yield
    if verdict := guard.verdict(request.node.nodeid):
        pytest.fail(verdict, pytrace=False)


@pytest.fixture(scope="session")
def postgres_database() -> str | None:
    """TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own beside it
    (created the first time), so workers never wipe each other's schema."""
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    run_in_thread(lambda: _create_database(url, name))
    return base.set(database=name).render_as_string(hide_password=False)


async def _create_database(url: str, name: str) -> None:
    engine = db.create_engine(url)
    try:
        async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            exists = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if not await conn.scalar(exists, {"name": name}):
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


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


def assert_the_limit_sets_the_pace(
    limited: list[float], free: list[float], holding: float, window: int = WINDOW
) -> None:
    """A run with more to send than Telegram takes should last as long as the limit makes it,
    not longer: `limited` are its arrivals, each request holding its slot about `holding`
    seconds (its round trip and the second after), so `window` slots carry it at best.
    `free` are the arrivals of the same requests through a budget too big to wait on: what
    the machine itself takes for the work (database round trips, jitter, a starved CPU). A
    budget that wastes the limit overshoots its arithmetic plus that; a slow machine slows
    both runs alike, so the bound holds however busy the machine is."""
    required = len(limited) * holding / window
    allowed = 1.25 * required + 2 * span(free)
    taken = span(limited)
    assert taken <= allowed, (
        f"{len(limited)} requests took {taken:.1f} s: the limit needs {required:.1f} s and the"
        f" same work with no limit took {span(free):.1f} s, so the limit is wasted"
    )


def span(times: list[float]) -> float:
    return max(times) - min(times)


@pytest.fixture
def postgres_url(postgres_database: str | None) -> str:
    """A wiped PostgreSQL schema, for what only PostgreSQL does (several workers)."""
    url = postgres_database
    if not url:
        pytest.skip("several workers need PostgreSQL (TEST_DATABASE_URL); SQLite is one process")
    run_in_thread(lambda: _reset_postgres(url))
    return url


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API on 127.0.0.1, accepting `TOKEN`."""
    server = FakeBotApi(tokens={TOKEN})
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_database: str | None
) -> str:
    """An empty database on each engine: a SQLite file, or a wiped PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/t.db"
    url = postgres_database
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


@pytest.fixture
async def bot(demo_db: Path) -> AsyncIterator[Runtime]:
    """As `runtime`, with the demo people bound to the Telegram accounts of
    `people_helpers.ACCOUNTS`; modules that also reclassify datasets define their own."""
    from .people_helpers import bind_accounts  # it imports this module, for NOW

    bind_accounts(demo_db)
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


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Processes]:
    """Spawns processes for one test (logs in its tmp_path); kills what is left at the end."""
    spawned = Processes(tmp_path)
    yield spawned
    await spawned.close()
