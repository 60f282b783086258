"""Invitations, role changes and group registration on SQLite and PostgreSQL alike,
including two people opening the same link at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.wiring import Runtime, build_runtime
from storage.models import GroupChat, Person

from .conftest import NOW
from .people_helpers import STRANGER, buttons, only, say

WALIDATA = 990001


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Runtime]:
    settings = Settings.from_env(environ={"DATABASE_URL": database_url}, env_file=None)
    runtime = await build_runtime(settings, NOW)
    async with runtime.uow() as uow:
        await uow.session.execute(
            update(Person).where(Person.name == "Andi Prasetyo").values(telegram_user_id=WALIDATA)
        )
        await uow.commit()
    yield runtime
    await runtime.close()


async def token_for(bot: Runtime, name: str, role: str) -> str:
    choose = only(await say(bot, f"/undang {name}", user=WALIDATA))
    issued = only(await say(bot, callback_data=buttons(choose)[role].data, user=WALIDATA))
    return issued.text.split("/start ", 1)[1].split()[0]


async def test_a_link_opened_twice_at_once_binds_one_account(bot: Runtime) -> None:
    token = await token_for(bot, "Budi Santoso", "pimpinan")

    first, second = await asyncio.gather(
        say(bot, f"/start {token}", user=STRANGER), say(bot, f"/start {token}", user=STRANGER + 1)
    )

    texts = sorted(only(r).text for r in (first, second))
    assert texts[0].startswith("Selamat datang, Budi Santoso!")
    assert texts[1].startswith("Tautan undangan ini sudah dipakai.")
    async with bot.uow() as uow:
        bound = [p for p in await uow.people.all() if p.name == "Budi Santoso"]
    assert len(bound) == 1 and bound[0].telegram_user_id in (STRANGER, STRANGER + 1)


async def test_role_changes_and_revocation_are_stored(bot: Runtime) -> None:
    token = await token_for(bot, "Budi Santoso", "pimpinan")
    await say(bot, f"/start {token}", user=STRANGER)

    card = only(await say(bot, "/peran Budi Santoso", user=WALIDATA))
    added = only(await say(bot, callback_data=buttons(card)["➕ walidata"].data, user=WALIDATA))
    confirm = only(
        await say(bot, callback_data=buttons(added)["⛔ Cabut semua akses"].data, user=WALIDATA)
    )
    revoked = only(await say(bot, callback_data=confirm.buttons[0][0].data, user=WALIDATA))

    assert "Peran: walidata, pimpinan" in added.text
    assert revoked.text == "Semua akses Budi Santoso dicabut dan akun Telegram-nya dilepas."
    async with bot.uow() as uow:
        budi = await uow.session.scalar(select(Person).where(Person.name == "Budi Santoso"))
    assert budi is not None and (budi.active, budi.telegram_user_id, budi.role_names) == (
        False,
        None,
        frozenset(),
    )


async def test_group_registration_is_stored_and_queried(bot: Runtime) -> None:
    group = -100555
    hint = only(await say(bot, "/bantuan", chat=group, chat_type="supergroup"))
    assert hint.text.startswith("Grup ini belum terdaftar")

    await say(
        bot,
        "/daftarkan_grup digest_pimpinan",
        user=WALIDATA,
        chat=group,
        chat_type="supergroup",
        chat_title="Pimpinan Jatim",
    )

    async with bot.uow() as uow:
        leaders = await uow.groups.registered_with("digest_pimpinan")
        others = await uow.groups.registered_with("walidata")
        stored = await uow.session.scalar(select(GroupChat))
    assert [(g.chat_id, g.title) for g in leaders] == [(group, "Pimpinan Jatim")]
    assert others == []
    assert stored is not None and stored.hinted_at is not None
