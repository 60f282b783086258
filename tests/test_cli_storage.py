"""The command line and its database, as real processes: several first starts at once set the
database up once, and a database that cannot be used stops any command with one line."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import db
from storage.demo import DEMO_DATA, read_long_csv

from .cli_runner import cli_env, satudata, satudata_async

STARTS = 4  # processes starting together on one fresh database
TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # well-formed; nothing ever reaches Telegram
REFUSED = "postgresql://postgres:rahasia@127.0.0.1:1/satudata"  # nothing listens on port 1


def assert_one_storage_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("satudata: ")
    for word in words:
        assert word in lines[0], lines[0]


async def demo_rows(database_url: str) -> dict[str, int]:
    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return {
                table: int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
                for table in ("datasets", "people", "observations")
            }
    finally:
        await engine.dispose()


def demo_size() -> dict[str, int]:
    spec = tomllib.loads((DEMO_DATA / "registry.toml").read_text(encoding="utf-8"))
    rows = sum(len(read_long_csv(DEMO_DATA / d["file"])) for d in spec["dataset"])
    return {"datasets": len(spec["dataset"]), "people": len(spec["person"]), "observations": rows}


async def test_first_starts_at_once_all_answer_and_load_the_demo_once(
    tmp_path: Path, database_url: str
) -> None:
    env = cli_env(database_url)

    results = await asyncio.gather(
        *(
            satudata_async("ask", "IPM Kabupaten Pasuruan", cwd=tmp_path, env=env)
            for _ in range(STARTS)
        )
    )

    for result in results:
        assert result.returncode == 0, result.stderr
        assert "Kabupaten Pasuruan (3514), 2025: 73,02" in result.stdout
        assert "Traceback" not in result.stderr
    assert await demo_rows(database_url) == demo_size()


async def test_demo_loads_at_once_on_a_fresh_database_load_it_once(
    tmp_path: Path, database_url: str
) -> None:
    env = cli_env(database_url)

    results = await asyncio.gather(
        *(satudata_async("demo", "load", cwd=tmp_path, env=env) for _ in range(STARTS))
    )

    assert [r.returncode for r in results] == [0] * STARTS, [r.stderr for r in results]
    assert await demo_rows(database_url) == demo_size()


@pytest.mark.parametrize(
    ("args", "settings"),
    [
        (("ask", "IPM Kota Batu"), {}),
        (("db", "upgrade"), {}),
        (("admin", "list-people"), {}),
        (("reminders", "plan", "--at", "2026-03-24T09:00"), {}),
        (("worker",), {"TELEGRAM_BOT_TOKEN": TOKEN}),
        (("serve",), {"TELEGRAM_BOT_TOKEN": TOKEN}),
    ],
)
def test_a_refused_connection_stops_any_command_with_one_line(
    tmp_path: Path, args: tuple[str, ...], settings: dict[str, str]
) -> None:
    result = satudata(*args, cwd=tmp_path, env=cli_env(REFUSED, **settings))

    assert_one_storage_line(result, "tidak dapat dihubungi", "127.0.0.1:1", "DATABASE_URL")
    assert "rahasia" not in result.stderr  # the password stays out of the message


@pytest.mark.parametrize(
    ("args", "stdin"),
    [(("demo", "load"), ""), (("console",), "IPM\n"), (("digest", "preview"), "")],
)
def test_a_sqlite_path_that_cannot_be_created_stops_with_one_line(
    tmp_path: Path, args: tuple[str, ...], stdin: str
) -> None:
    (tmp_path / "berkas").write_text("not a directory", encoding="utf-8")
    database = tmp_path / "berkas" / "satudata.db"  # its directory would be a file

    result = satudata(*args, cwd=tmp_path, database=database, stdin=stdin)

    assert_one_storage_line(result, "tidak dapat dibuka atau dibuat", str(database))


@pytest.mark.parametrize(
    "args",
    [("run",), ("reminders", "tick"), ("import", "pengguna", "pengguna.csv")],
)
def test_a_corrupt_sqlite_file_stops_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    database = tmp_path / "satudata.db"
    database.write_bytes(b"bukan basis data " * 300)
    (tmp_path / "pengguna.csv").write_text("nama,peran\n", encoding="utf-8")

    result = satudata(*args, cwd=tmp_path, database=database, stdin="IPM\n")

    assert_one_storage_line(result, "bukan basis data SQLite yang utuh", str(database))
    assert database.read_bytes() == b"bukan basis data " * 300  # left as it was


@pytest.fixture
def newer_database(tmp_path: Path) -> Path:
    """A database another (newer) version migrated to a revision this one does not have."""
    database = tmp_path / "satudata.db"
    assert satudata("db", "upgrade", cwd=tmp_path, database=database).returncode == 0
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_dari_masa_depan'")
    return database


@pytest.mark.parametrize(
    ("args", "settings"),
    [
        (("db", "upgrade"), {}),
        (("ask", "IPM Kota Batu"), {}),
        (("sync", "ckan", "--dry-run"), {"CKAN_URL": "http://127.0.0.1:1"}),
    ],
)
def test_a_database_at_an_unknown_revision_stops_with_one_line(
    tmp_path: Path, newer_database: Path, args: tuple[str, ...], settings: dict[str, str]
) -> None:
    result = satudata(*args, cwd=tmp_path, env=cli_env(newer_database, **settings))

    assert_one_storage_line(result, "revisi skema 9999_dari_masa_depan")


def test_the_storage_line_follows_the_deployment_language(
    tmp_path: Path, newer_database: Path
) -> None:
    env = cli_env(newer_database, SATUDATA_LANGUAGE="en")

    result = satudata("digest", "run", cwd=tmp_path, env=env)

    assert_one_storage_line(result, "schema revision 9999_dari_masa_depan", "newer satudata")
