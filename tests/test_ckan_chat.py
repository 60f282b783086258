"""/sinkron in chat, and answers from what the portal published, through the whole bot."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.background import Background
from bot.wiring import Runtime, build_runtime
from handlers.messages import Incoming, Reply
from storage.ckan.client import CkanClient
from storage.ckan.source import CkanPortal

from .cli_runner import cli_env, satudata_async
from .conftest import NOW, settings_for
from .fake_bot_api import FakeBotApi
from .fake_ckan import FakeCkan
from .test_ckan_sync import IPM, LPE, ipm_rows, lpe_rows, resource

TOKEN = "123456:TEST-token-for-the-fake-bot-api"


@pytest.fixture
async def portal() -> AsyncIterator[FakeCkan]:
    fake = FakeCkan.recorded()
    fake.tables[resource(fake, IPM)] = ipm_rows(range(2019, 2025))
    fake.tables[resource(fake, LPE)] = lpe_rows()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(demo_db: Path, portal: FakeCkan) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(settings_for(demo_db, CKAN_URL=portal.url), NOW)
    syncer = runtime.dispatcher.app.portal
    assert syncer is not None
    assert isinstance(syncer.portal, CkanPortal)
    syncer.portal = replace(
        syncer.portal,
        client_factory=lambda: CkanClient(portal.url, timeout=5, attempts=2, backoff=0.01),
    )
    yield runtime
    await runtime.close()


def person_id(database: Path, name: str) -> int:
    with sqlite3.connect(database) as connection:
        (found,) = connection.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
    connection.close()
    return int(found)


async def say(bot: Runtime, text: str, who: int | None = None) -> Reply:
    replies = await bot.dispatcher.handle(Incoming(1, None, text=text, person_id=who), NOW)
    assert len(replies) == 1
    return replies[0]


async def test_a_walidata_syncs_from_chat_and_the_values_are_answered_at_once(
    bot: Runtime, demo_db: Path
) -> None:
    before = await say(bot, "IPM Kecamatan Pandaan 2024")
    assert before.data is None
    assert "Kecamatan Pandaan tidak ada di registri ini" in before.text

    reply = await say(bot, "/sinkron", person_id(demo_db, "Andi Prasetyo"))

    assert "Dataset: 3 baru · 0 berubah · 0 tetap · 0 ditarik · 1 dilewati" in reply.text
    assert "• Indeks Pembangunan Manusia (IPM)" in reply.text
    # The AKI table was not recorded and this portal does not serve it.
    assert "• angka-kematian-ibu: DataStore tidak terbaca (Not Found Error" in reply.text
    assert reply.data is not None and reply.data["observations_loaded"] == 36
    # The demo registry has IPM series too, without kecamatan: the portal's is the one meant.
    answer = await say(bot, "Indeks Pembangunan Manusia Kecamatan Pandaan 2024")
    assert "Kecamatan Pandaan, 2024: 73,5\nNaik 0,5 poin dibanding 2023 (73,0)." in answer.text
    assert "Sumber: 127.0.0.1: Indeks Pembangunan Manusia (IPM)" in answer.text
    # The demo's yearly series has no quarters: the portal's quarterly one answers.
    quarterly = await say(bot, "laju pertumbuhan ekonomi Kota Pasuruan triwulan III 2024")
    assert "Kota Pasuruan (3575), Triwulan III 2024: 5,3 persen" in quarterly.text
    with sqlite3.connect(demo_db) as connection:
        audited = connection.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'portal_sync'"
        ).fetchone()
    connection.close()
    assert audited == (1,)


async def test_the_walidata_sees_in_chat_that_the_portal_is_down(
    bot: Runtime, demo_db: Path, portal: FakeCkan
) -> None:
    portal.down = True

    reply = await say(bot, "/sinkron", person_id(demo_db, "Andi Prasetyo"))

    assert "Portal tidak dapat dibaca: package_search: HTTP 503" in reply.text
    assert "Registri tidak diubah." in reply.text


async def test_others_are_told_politely_in_their_language_and_nothing_is_read(
    bot: Runtime, demo_db: Path, portal: FakeCkan
) -> None:
    liaison = person_id(demo_db, "Agus Setiawan")
    with sqlite3.connect(demo_db) as connection:
        connection.execute("UPDATE people SET language = 'en' WHERE id = ?", (liaison,))
    connection.close()

    public = await say(bot, "/sinkron")
    english = await say(bot, "/sync", liaison)  # the name typed says the language

    assert public.text.startswith("Perintah /sinkron hanya untuk walidata.")
    assert english.text.startswith("/sync is for the walidata only.")
    assert portal.calls == []


async def test_without_a_portal_the_walidata_is_told_it_is_not_configured(
    demo_db: Path,
) -> None:
    runtime = await build_runtime(settings_for(demo_db), NOW)
    try:
        reply = await say(runtime, "/sinkron", person_id(demo_db, "Andi Prasetyo"))
    finally:
        await runtime.close()

    assert "CKAN_URL" in reply.text


async def satudata(*args: str, database: Path, portal: FakeCkan, cwd: Path) -> tuple[int, str]:
    """The command line in its own process, while this test's loop serves the portal."""
    result = await satudata_async(*args, cwd=cwd, env=cli_env(database, CKAN_URL=portal.url))
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout


async def test_the_command_line_dry_run_reports_and_changes_nothing_then_syncs(
    demo_db: Path, portal: FakeCkan, tmp_path: Path
) -> None:
    code, dry = await satudata(
        "sync", "ckan", "--dry-run", database=demo_db, portal=portal, cwd=tmp_path
    )
    with sqlite3.connect(demo_db) as connection:
        (datasets_after_dry_run,) = connection.execute("SELECT COUNT(*) FROM datasets").fetchone()
    connection.close()
    code_real, real = await satudata("sync", "ckan", database=demo_db, portal=portal, cwd=tmp_path)
    code_since, since = await satudata(
        "sync",
        "ckan",
        "--since",
        "2026-11-22T16:29:07",
        database=demo_db,
        portal=portal,
        cwd=tmp_path,
    )

    assert (code, code_real, code_since) == (0, 0, 0)
    assert "(uji coba, tidak ada yang disimpan)" in dry
    assert "Dataset: 3 baru" in dry and datasets_after_dry_run == 15
    assert "Dataset: 3 baru" in real
    assert "Paket yang berubah sejak 22 November 2026 16.29 WIB." in since
    assert "0 baru · 0 berubah · 1 tetap" in since  # only APM changed after 09:29:07 UTC


async def test_the_running_bot_syncs_with_the_portal_on_its_own_only_when_one_is_set(
    demo_db: Path, portal: FakeCkan
) -> None:
    api = FakeBotApi(tokens={TOKEN})
    await api.start()
    try:
        for ckan in ({"CKAN_URL": portal.url}, {}):
            settings = settings_for(
                demo_db, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url, **ckan
            )
            runtime = await build_runtime(settings, NOW)
            background = Background(runtime, settings)
            await background.start()
            try:
                scheduled = background.scheduler.get_job("portal-sync") is not None
                if ckan:
                    await api.wait_for(lambda: bool(portal.calls_to("organization_list")))
            finally:
                await background.stop()
                await runtime.close()
            assert scheduled == bool(ckan)
    finally:
        await api.stop()
    with sqlite3.connect(demo_db) as connection:
        (synced,) = connection.execute(
            "SELECT COUNT(*) FROM datasets WHERE external_id IS NOT NULL"
        ).fetchone()
    connection.close()
    assert synced == 3
