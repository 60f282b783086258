"""The `satudata` command line, run as a real process (no Telegram token: console mode)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from storage.db import MIGRATIONS

from .cli_runner import cli_env, satudata
from .conftest import copy_database


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("satudata: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`satudata demo load` once per module; tests work on copies."""
    workdir = tmp_path_factory.mktemp("cli-template")
    database = workdir / "satudata.db"
    result = satudata("demo", "load", cwd=workdir, database=database)
    assert result.returncode == 0, result.stderr
    return database


@pytest.fixture
def database(loaded_template: Path, tmp_path: Path) -> Path:
    return copy_database(loaded_template, tmp_path / "satudata.db")


def test_run_without_token_answers_questions_from_stdin(tmp_path: Path, database: Path) -> None:
    result = satudata("run", cwd=tmp_path, database=database, stdin="IPM Kabupaten Pasuruan\n")

    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN tidak diatur" in result.stdout
    assert "Kabupaten Pasuruan (3514), 2025: 73,02" in result.stdout
    assert "Sumber: BPS Jatim" in result.stdout
    assert "Traceback" not in result.stderr


def test_ask_json_prints_the_structured_answer(tmp_path: Path, database: Path) -> None:
    result = satudata("ask", "--json", "IPM Kabupaten Pasuruan", cwd=tmp_path, database=database)

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["question"] == "IPM Kabupaten Pasuruan"
    assert output["answer"]["region_code"] == "3514"
    assert (output["answer"]["period"], output["answer"]["value"]) == ("2025", 73.02)
    assert output["answer"]["dataset"] == "ipm_lfsp2020"
    assert "73,02" in output["replies"][0]["text"]


def test_ask_json_shows_the_buttons_of_an_ambiguous_question(
    tmp_path: Path, database: Path
) -> None:
    result = satudata("ask", "--json", "IPM Pasuruan", cwd=tmp_path, database=database)

    output = json.loads(result.stdout)
    assert output["answer"] is None
    buttons = [button["text"] for row in output["replies"][0]["buttons"] for button in row]
    assert buttons == ["Kabupaten Pasuruan", "Kota Pasuruan"]


def test_ask_prints_the_plain_reply(tmp_path: Path, database: Path) -> None:
    result = satudata("ask", "TPT Kota Surabaya 2023", cwd=tmp_path, database=database)

    assert result.returncode == 0, result.stderr
    assert "Kota Surabaya (3578), 2023: 6,76 persen" in result.stdout
    assert result.stderr == ""


def test_ask_as_a_role_sees_what_that_role_may_see(tmp_path: Path, database: Path) -> None:
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE datasets SET classification = 'terbatas' WHERE code = 'tpt'")
    conn.close()
    question = "TPT Kota Surabaya 2023"

    public = satudata("ask", question, cwd=tmp_path, database=database)
    walidata = satudata("ask", "--as", "walidata", question, cwd=tmp_path, database=database)
    by_name = satudata("ask", "--as", "Sri Wahyuni", question, cwd=tmp_path, database=database)

    assert public.returncode == walidata.returncode == by_name.returncode == 0
    assert "berklasifikasi terbatas" in public.stdout and "6,76" not in public.stdout
    assert "Kota Surabaya (3578), 2023: 6,76 persen" in walidata.stdout
    assert "Kota Surabaya (3578), 2023: 6,76 persen" in by_name.stdout


def test_ask_as_an_unknown_person_exits_2_with_one_line(tmp_path: Path, database: Path) -> None:
    result = satudata("ask", "--as", "nobody", "IPM", cwd=tmp_path, database=database)

    assert_one_line_error(result, "--as 'nobody'", "walidata")
    assert result.stdout == ""


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "satudata.db"

    result = satudata("db", "upgrade", cwd=tmp_path, database=database)

    assert result.returncode == 0, result.stderr
    assert "newest schema" in result.stdout
    with sqlite3.connect(database) as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    conn.close()
    assert version == newest_revision()


def newest_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


def test_demo_load_adds_everything_once_then_nothing(tmp_path: Path) -> None:
    database = tmp_path / "satudata.db"

    first = satudata("demo", "load", cwd=tmp_path, database=database)
    second = satudata("demo", "load", cwd=tmp_path, database=database)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert json.loads(first.stdout) == {
        "regions_added": 77,
        "datasets_added": 15,
        "people_added": 7,
        "observations_added": 8289,
        "observations_updated": 0,
    }
    assert set(json.loads(second.stdout).values()) == {0}


def test_ask_on_a_new_database_sets_it_up_first(tmp_path: Path) -> None:
    database = tmp_path / "var" / "satudata.db"

    result = satudata("ask", "IPM Kota Batu 2023", cwd=tmp_path, database=database)

    assert result.returncode == 0, result.stderr
    assert "Kota Batu (3579), 2023: 79,07" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root:rahasia@localhost/satudata"),
        ("DATABASE_URL", "bukan url"),
        ("TELEGRAM_BOT_TOKEN", "salah"),
        ("SATUDATA_LANGUAGE", "fr"),
    ],
)
def test_invalid_setting_exits_2_with_one_line_naming_it(
    tmp_path: Path, database: Path, variable: str, value: str
) -> None:
    result = satudata("ask", "IPM", cwd=tmp_path, env=cli_env(database, **{variable: value}))

    assert_one_line_error(result, variable)
    assert "rahasia" not in result.stderr  # no password in the message


def test_settings_are_read_from_dot_env_in_the_working_directory(
    tmp_path: Path, database: Path
) -> None:
    (tmp_path / ".env").write_text("SATUDATA_LANGUAGE=fr\n", encoding="utf-8")

    result = satudata("ask", "IPM", cwd=tmp_path, database=database)

    assert_one_line_error(result, "SATUDATA_LANGUAGE")


def test_console_button_is_pressed_by_typing_its_number(tmp_path: Path, database: Path) -> None:
    result = satudata("console", cwd=tmp_path, database=database, stdin="IPM Pasuruan\n2\n")

    assert result.returncode == 0, result.stderr
    assert "Anda berbicara sebagai publik" in result.stdout
    assert "  [1] Kabupaten Pasuruan" in result.stdout
    assert "  [2] Kota Pasuruan" in result.stdout
    assert "Kota Pasuruan (3575), 2025: 79,52" in result.stdout
    assert "> " not in result.stdout  # no prompts when stdin is a pipe


def test_console_number_without_buttons_is_an_ordinary_message(
    tmp_path: Path, database: Path
) -> None:
    result = satudata("console", cwd=tmp_path, database=database, stdin="2\n")

    assert result.returncode == 0, result.stderr
    assert "belum menemukan data" in result.stdout


def test_console_as_a_role_names_the_person_in_the_banner(tmp_path: Path, database: Path) -> None:
    result = satudata("console", "--as", "walidata", cwd=tmp_path, database=database, stdin="")

    assert result.returncode == 0, result.stderr
    assert "Anda berbicara sebagai Andi Prasetyo (walidata)" in result.stdout


def test_missing_command_is_a_usage_error(tmp_path: Path, database: Path) -> None:
    result = satudata(cwd=tmp_path, database=database)

    assert result.returncode == 2
    assert "usage: satudata" in result.stderr


def test_digest_preview_prints_every_recipient_and_writes_nothing(
    tmp_path: Path, database: Path
) -> None:
    result = satudata(
        "digest", "preview", "--at", "2026-11-23T07:30", cwd=tmp_path, database=database
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Ringkasan mingguan pekan 2026-11-23")
    assert "→ Andi Prasetyo (walidata, id, belum terhubung Telegram)" in out
    assert "→ Sri Wahyuni (pimpinan" in out
    assert "Kepatuhan: 33,3%" in out
    assert "[photo kepatuhan-opd.png," in out and "[document kepatuhan-2026-11-23.xlsx," in out
    with sqlite3.connect(database) as conn:
        written = conn.execute(
            "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM compliance_snapshots)"
        ).fetchone()
    assert written == (0, 0)


def test_digest_run_enqueues_once_per_week(tmp_path: Path, database: Path) -> None:
    at = ("--at", "2026-11-23T07:31")
    first = satudata("digest", "run", *at, cwd=tmp_path, database=database)
    again = satudata("digest", "run", *at, cwd=tmp_path, database=database)
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert "pekan 2026-11-23: 7 pesan ringkasan mingguan masuk antrean" in first.stdout
    assert "sudah dibuat sebelumnya" in again.stdout
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM outbox WHERE kind = 'digest'").fetchone() == (7,)


def test_digest_with_a_malformed_moment_exits_2_with_one_line(
    tmp_path: Path, database: Path
) -> None:
    result = satudata("digest", "preview", "--at", "senin pagi", cwd=tmp_path, database=database)
    assert_one_line_error(result, "--at", "2026-03-24T09:00")


def test_files_the_bot_creates_are_readable_by_its_own_account_only(tmp_path: Path) -> None:
    """People's Telegram ids, roles, the audit log and tertutup charts must not be readable by
    every account on the server, even under the usual umask 022."""
    database = tmp_path / "var" / "satudata.db"

    result = satudata(
        "ask", "TPT tertinggi di Jawa Timur 2023", cwd=tmp_path, database=database, umask=0o022
    )

    assert result.returncode == 0, result.stderr
    charts = list((tmp_path / "var" / "attachments").glob("*.png"))
    assert charts, result.stdout
    folders = [tmp_path / "var", tmp_path / "var" / "attachments"]
    files = [p for p in (tmp_path / "var").iterdir() if p.is_file()] + charts
    assert database in files and database.with_name("satudata.db.lock") in files
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in folders + files}
    assert modes == {p.name: "0o700" for p in folders} | {p.name: "0o600" for p in files}
