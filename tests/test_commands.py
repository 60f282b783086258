"""Commands declared once (handlers.commands): both names work, the name typed chooses the
language, the dispatcher refuses those without the role, and menus list the declarations.
Then the language of everything else: the question's words, the person's own, their
Telegram app's, the deployment's."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.wiring import Runtime, build_runtime
from domain.terms import Role
from handlers.commands import COMMANDS, menu
from handlers.context import Request
from handlers.dispatcher import Command, Dispatcher
from handlers.language import from_language_code
from handlers.messages import Incoming, Reply
from storage.importing import import_people
from texts.i18n import texts

from .conftest import NOW, settings_for
from .people_helpers import ACCOUNTS, STRANGER, bind_accounts, buttons, only, person_named, say

WALIDATA = ACCOUNTS["Andi Prasetyo"]
LIAISON = ACCOUNTS["Agus Setiawan"]  # produsen, Bappeda
BILINGUAL = [c for c in COMMANDS if c.id_name != c.en_name]
# Every name of every command that has one per language, with the language it stands for.
NAMED = [(c, c.id_name, "id") for c in BILINGUAL] + [(c, c.en_name, "en") for c in BILINGUAL]
RESTRICTED = [
    (c, name) for c in COMMANDS if c.roles is not None for name in c.names
]  # every name of every command not open to everyone
BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")  # what Telegram's setMyCommands accepts


def prefer_english(database: Path, name: str) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE people SET language = 'en' WHERE name = ?", (name,))
    connection.close()


async def say_language(request: Request) -> list[Reply]:
    return [Reply(request.language)]


def echoing(runtime: Runtime) -> Dispatcher:
    """The declared commands, open to all, each answering with the language it was asked in."""
    dispatcher = Dispatcher(runtime.dispatcher.app)
    for command in COMMANDS:
        dispatcher.command(replace(command, handler=say_language, roles=None))
    return dispatcher


# --- names and the language of the answer ------------------------------------------------


@pytest.mark.parametrize(("command", "name", "language"), NAMED, ids=[n for _, n, _ in NAMED])
async def test_the_name_typed_chooses_the_language_whatever_the_person_or_app(
    bot: Runtime, demo_db: Path, command: Command, name: str, language: str
) -> None:
    prefer_english(demo_db, "Sri Wahyuni")
    dispatcher = echoing(bot)
    other = "en" if language == "id" else "id"
    senders = [
        Incoming(1, STRANGER, text=f"/{name}", language_code=other),
        Incoming(2, ACCOUNTS["Sri Wahyuni"], text=f"/{name}"),  # chose English
        Incoming(3, WALIDATA, text=f"/{name}@SatuDataBot extra words", language_code=other),
    ]

    for incoming in senders:
        assert only(await dispatcher.handle(incoming, NOW)).text == language, incoming


@pytest.mark.parametrize("name", [c.id_name for c in COMMANDS if c.id_name == c.en_name])
async def test_a_name_shared_by_both_languages_leaves_the_language_to_the_person(
    bot: Runtime, demo_db: Path, name: str
) -> None:
    prefer_english(demo_db, "Sri Wahyuni")
    dispatcher = echoing(bot)

    english = await dispatcher.handle(Incoming(1, ACCOUNTS["Sri Wahyuni"], text=f"/{name}"), NOW)
    indonesian = await dispatcher.handle(Incoming(2, WALIDATA, text=f"/{name}"), NOW)

    assert (only(english).text, only(indonesian).text) == ("en", "id")


async def test_english_names_get_english_answers_and_indonesian_names_indonesian(
    bot: Runtime, demo_db: Path
) -> None:
    prefer_english(demo_db, "Agus Setiawan")

    assert only(await say(bot, "/compliance")).text.startswith("/compliance is for officials")
    assert only(await say(bot, "/kepatuhan")).text.startswith("Perintah /kepatuhan untuk")
    # A person who chose English still gets Indonesian for an Indonesian name, and back.
    assert only(await say(bot, "/sinkron", user=LIAISON)).text.startswith(
        "Perintah /sinkron hanya untuk walidata."
    )
    assert only(await say(bot, "/sync", user=LIAISON)).text.startswith(
        "/sync is for the walidata only."
    )
    assert only(await say(bot, "/invite", user=WALIDATA)).text.startswith(
        "Write the invited person's full name after /invite"
    )
    assert only(await say(bot, "/undang", user=WALIDATA)).text.startswith("Tulis nama lengkap")
    assert "Walidata commands:" in only(await say(bot, "/me", user=WALIDATA)).text
    assert "Perintah walidata:" in only(await say(bot, "/saya", user=WALIDATA)).text


async def test_the_english_names_do_what_the_indonesian_ones_do(bot: Runtime) -> None:
    """/broadcast opens the draft that /cancel drops, as /siaran and /batal do."""
    assert only(await say(bot, "/broadcast", user=WALIDATA)).text.startswith(
        "Write the data request to broadcast"
    )
    assert only(await say(bot, "/cancel", user=WALIDATA)).text.startswith(
        "Broadcast draft cancelled."
    )
    assert only(await say(bot, "/batal", user=WALIDATA)).text == texts("id").t("siaran_no_draft")
    assert only(await say(bot, "/requests", user=WALIDATA)).text == texts("en").t("req_none_open")


# --- who may use a command ----------------------------------------------------------------


@pytest.mark.parametrize(("command", "name"), RESTRICTED, ids=[n for _, n in RESTRICTED])
async def test_the_public_is_refused_each_restricted_command_in_its_names_language(
    bot: Runtime, command: Command, name: str
) -> None:
    reply = only(await say(bot, f"/{name}"))

    assert reply.text == texts(command.language(name) or "id").t(command.refusal)
    assert reply.buttons == []


async def test_the_refusal_comes_from_the_dispatcher_before_the_handler_runs(
    bot: Runtime,
) -> None:
    async def must_not_run(request: Request) -> list[Reply]:
        raise AssertionError("the handler ran for someone the roles exclude")

    dispatcher = Dispatcher(bot.dispatcher.app)
    for command in COMMANDS:
        dispatcher.command(replace(command, handler=must_not_run))

    liaison = await dispatcher.handle(Incoming(1, LIAISON, text="/siaran"), NOW)
    public = await dispatcher.handle(Incoming(2, STRANGER, text="/register_group"), NOW)

    assert only(liaison).text == texts("id").t("siaran_walidata_only")
    assert only(public).text == texts("en").t("walidata_only_action")


async def test_the_refusal_is_in_the_language_of_a_shared_name_s_reader(bot: Runtime) -> None:
    public_in_english = only(await say(bot, "/status", language_code="en"))
    public = only(await say(bot, "/audit"))

    assert public_in_english.text == texts("en").t("status_who")
    assert public.text == texts("id").t("walidata_only_action")


# --- menus and /bantuan ---------------------------------------------------------------------


def test_menus_list_the_declared_names_in_each_language() -> None:
    assert [name for name, _ in menu(texts("id"))] == [
        "start",
        "bantuan",
        "data",
        "status",
        "kepatuhan",
        "kirim",
        "saya",
    ]
    assert [name for name, _ in menu(texts("en"))] == [
        "start",
        "help",
        "data",
        "status",
        "compliance",
        "send",
        "me",
    ]
    assert [name for name, _ in menu(texts("en"), walidata=True)] == [
        "broadcast",
        "requests",
        "sync",
        "invite",
        "invitations",
        "roles",
        "audit",
        "register_group",
    ]
    assert ("kepatuhan", "kepatuhan pembaruan data per OPD") in menu(texts("id"))


def test_every_name_is_declared_once_and_fits_telegram_s_menu() -> None:
    names = [name for command in COMMANDS for name in command.names]

    assert len(names) == len(set(names))
    for command in COMMANDS:
        for language in ("id", "en"):
            assert BOT_COMMAND_NAME.fullmatch(command.name(language)), command
            assert 1 <= len(texts(language).t(command.description)) <= 256, command


async def test_help_lists_the_walidata_s_commands_only_to_them_in_the_language_asked(
    bot: Runtime,
) -> None:
    english = only(await say(bot, "/help", user=WALIDATA)).text
    indonesian = only(await say(bot, "/bantuan", user=WALIDATA)).text
    public = only(await say(bot, "/help")).text

    assert "Walidata commands:" in english
    assert "/register_group — register this group" in english
    assert "/compliance — data compliance per agency" in english
    assert "/kepatuhan" not in english and "/daftarkan_grup" not in english
    assert "Perintah walidata:" in indonesian
    assert "/daftarkan_grup — daftarkan grup ini" in indonesian
    assert "/register_group" not in indonesian and "/help" not in indonesian
    assert "Walidata commands:" not in public
    assert "/batal" not in indonesian and "/cancel" not in english  # used only while composing


# --- the language of everything else ------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "language"),
    [("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("id", None), ("fr", None), (None, None)],
)
def test_an_english_telegram_app_means_english_and_any_other_the_default(
    code: str | None, language: str | None
) -> None:
    assert from_language_code(code) == language


@pytest.mark.parametrize(
    ("code", "greeting"),
    [("en", "Welcome!"), ("en-US", "Welcome!"), ("id", "Selamat datang!"), ("fr", "Selamat")],
)
async def test_the_public_is_answered_in_their_app_s_language(
    bot: Runtime, code: str, greeting: str
) -> None:
    assert only(await say(bot, "/start", language_code=code)).text.startswith(greeting)


async def test_an_app_in_indonesian_gets_the_deployment_s_default(demo_db: Path) -> None:
    runtime = await build_runtime(settings_for(demo_db, SATUDATA_LANGUAGE="en"), NOW)
    try:
        reply = only(await say(runtime, "/start", language_code="id"))
    finally:
        await runtime.close()

    assert reply.text.startswith("Welcome!")


async def test_a_person_s_own_language_wins_over_their_app_s(bot: Runtime) -> None:
    reply = only(await say(bot, "/start", user=WALIDATA, language_code="en"))

    assert reply.text.startswith("Selamat datang, Andi Prasetyo!")


async def test_an_imported_person_without_a_language_gets_their_app_s(
    bot: Runtime, tmp_path: Path
) -> None:
    people = tmp_path / "pengguna.csv"
    people.write_text(
        "nama,peran,opd,telegram_id,bahasa\n"
        "Budi Santoso,produsen,dindik,6001,\n"
        "Rina Marlina,produsen,dinsos,6002,id\n"
    )
    assert (await import_people(bot.uow, people, NOW)).ok

    unchosen = only(await say(bot, "/start", user=6001, language_code="en"))
    chosen = only(await say(bot, "/start", user=6002, language_code="en"))
    default = only(await say(bot, "/start", user=6001, language_code="id"))

    assert unchosen.text.startswith("Welcome, Budi Santoso!")
    assert chosen.text.startswith("Selamat datang, Rina Marlina!")
    assert default.text.startswith("Selamat datang, Budi Santoso!")


async def test_the_words_of_a_question_win_over_the_app_s_language(bot: Runtime) -> None:
    indonesian = only(await say(bot, "IPM Kabupaten Pasuruan 2023", language_code="en"))
    english = only(await say(bot, "/data IPM Kota Batu 2023", language_code="en"))

    assert "Kabupaten Pasuruan (3514), 2023: 71,91" in indonesian.text
    assert "Menurut" in indonesian.text
    assert "79,07" in english.text and "Source:" in english.text


async def test_someone_invited_from_an_english_app_is_kept_in_english(demo_db: Path) -> None:
    bind_accounts(demo_db)
    runtime = await build_runtime(settings_for(demo_db), NOW)
    try:
        choose_role = only(await say(runtime, "/undang Budi Santoso", user=WALIDATA))
        issued = only(
            await say(runtime, callback_data=buttons(choose_role)["pimpinan"].data, user=WALIDATA)
        )
        token = re.search(r"/start (\S+)", issued.text).group(1)  # type: ignore[union-attr]
        welcome = only(await say(runtime, f"/start {token}", language_code="en-US"))
        later = only(await say(runtime, "/start"))  # the app's language no longer sent
        budi = await person_named(runtime, "Budi Santoso")
    finally:
        await runtime.close()

    assert welcome.text.startswith("Welcome, Budi Santoso!")
    assert later.text.startswith("Welcome, Budi Santoso!")
    assert budi.language == "en" and Role.PIMPINAN in budi.role_names


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("Sri Wahyuni", "ringkasan kepatuhan mingguan seluruh daerah"),
        ("Wahyu Hidayat", "ringkasan kepatuhan mingguan Badan Perencanaan Pembangunan Daerah"),
        ("Andi Prasetyo", "ringkasan kepatuhan mingguan semua OPD dengan lampiran XLSX"),
    ],
)
async def test_saya_names_the_weekly_digest_at_its_configured_time(
    demo_db: Path, name: str, what: str
) -> None:
    bind_accounts(demo_db)
    runtime = await build_runtime(settings_for(demo_db, SATUDATA_DIGEST_AT="kamis 15:45"), NOW)
    try:
        mine = only(await say(runtime, "/saya", user=ACCOUNTS[name])).text
        liaison = only(await say(runtime, "/saya", user=LIAISON)).text
        english = only(await say(runtime, "/me", user=ACCOUNTS[name])).text
    finally:
        await runtime.close()

    assert f"{what}, setiap Kamis pukul 15.45" in mine
    assert "mingguan" not in liaison.replace("pengingat mingguan", "")  # liaisons get none
    assert "weekly compliance digest" in english and "every Thursday at 15:45" in english
