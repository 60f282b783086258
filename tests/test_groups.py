"""Group chats: silence until a walidata registers the group, one hint before that, and the
public's rights for whatever is said there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.wiring import Runtime, build_runtime
from handlers.messages import Reply

from .conftest import NOW, settings_for
from .people_helpers import ACCOUNTS, STRANGER, bind_accounts, buttons, classify, only, say

WALIDATA = ACCOUNTS["Andi Prasetyo"]
GROUP = -100200300
HINT = (
    "Grup ini belum terdaftar, jadi saya tidak menjawab di sini. Walidata dapat "
    "mendaftarkannya dengan /daftarkan_grup di grup ini. Sampai saat itu saya diam."
)


@pytest.fixture
async def bot(demo_db: Path) -> AsyncIterator[Runtime]:
    bind_accounts(demo_db)
    classify(demo_db, tpt="terbatas", tpak="tertutup")
    runtime = await build_runtime(settings_for(demo_db), NOW)
    yield runtime
    await runtime.close()


async def in_group(
    bot: Runtime, text: str = "", user: int = STRANGER, **fields: object
) -> list[Reply]:
    return await say(bot, text, user=user, chat=GROUP, chat_type="supergroup", **fields)


async def register(bot: Runtime, purpose: str = "tanya_data") -> None:
    reply = only(await in_group(bot, f"/daftarkan_grup {purpose}", user=WALIDATA))
    assert reply.text.startswith("Grup ini terdaftar"), reply.text


async def test_an_unregistered_group_is_told_once_then_silence(bot: Runtime) -> None:
    first = await in_group(bot, "/data IPM Kota Batu")
    later = [
        await in_group(bot, "/bantuan"),
        await in_group(bot, "IPM Kota Batu", user=STRANGER + 1),
        await in_group(bot, callback_data="a:id:v:1:1:"),
        await in_group(bot, "/daftarkan_grup"),  # not the walidata: like any message
        await in_group(bot, "x" * 3000),
    ]

    assert [r.text for r in first] == [HINT]
    assert later == [[]] * len(later)


async def test_the_hint_is_not_repeated_after_a_restart(bot: Runtime, demo_db: Path) -> None:
    assert only(await in_group(bot, "/start")).text == HINT
    restarted = await build_runtime(settings_for(demo_db), NOW)
    try:
        assert await in_group(restarted, "/start") == []
    finally:
        await restarted.close()


async def test_every_group_gets_its_own_hint(bot: Runtime) -> None:
    other = await say(bot, "/start", chat=GROUP - 1, chat_type="group")

    assert only(await in_group(bot, "/start")).text == HINT
    assert only(other).text == HINT


async def test_the_walidata_registers_with_purpose_buttons(bot: Runtime) -> None:
    choose = only(await in_group(bot, "/daftarkan_grup", user=WALIDATA))
    assert set(buttons(choose)) == {
        "Grup pimpinan (ringkasan kepatuhan)",
        "Tim walidata",
        "Tanya data",
        "Berhenti menjawab di grup ini",
    }

    done = only(
        await in_group(
            bot,
            callback_data=buttons(choose)["Grup pimpinan (ringkasan kepatuhan)"].data,
            user=WALIDATA,
            chat_title="Pimpinan Jatim",
        )
    )

    assert done.text.startswith("Grup ini terdaftar: Grup pimpinan (ringkasan kepatuhan).")
    answer = only(await in_group(bot, "/data IPM Kota Batu 2023"))
    assert "Kota Batu (3579), 2023: 79,07" in answer.text
    async with bot.uow() as uow:
        groups = await uow.groups.registered_with("digest_pimpinan")
    assert [(g.chat_id, g.title, g.purpose) for g in groups] == [
        (GROUP, "Pimpinan Jatim", "digest_pimpinan")
    ]


async def test_an_unknown_purpose_offers_the_choices(bot: Runtime) -> None:
    reply = only(await in_group(bot, "/daftarkan_grup rapat", user=WALIDATA))

    assert reply.text.startswith("Tujuan “rapat” tidak dikenal.")
    assert len(reply.buttons) == 4


@pytest.mark.parametrize("who", [STRANGER, ACCOUNTS["Sri Wahyuni"]])
async def test_only_the_walidata_registers_a_group(bot: Runtime, who: int) -> None:
    await in_group(bot, "/daftarkan_grup tanya_data", user=who)
    await in_group(bot, callback_data="g:tanya_data", user=who)

    async with bot.uow() as uow:
        group = await uow.groups.get(GROUP)
    assert group is None or group.registered_at is None


@pytest.mark.parametrize("data", ["g", "g:rapat", "g:", "g:tanya_data:1"])
async def test_a_malformed_registration_button_is_stale(bot: Runtime, data: str) -> None:
    await register(bot, "digest_pimpinan")

    reply = only(await in_group(bot, callback_data=data, user=WALIDATA))

    assert reply.text.startswith("Tombol ini sudah tidak berlaku.")
    async with bot.uow() as uow:
        group = await uow.groups.get(GROUP)
    assert group is not None and group.purpose == "digest_pimpinan"


async def test_registering_is_done_in_the_group(bot: Runtime) -> None:
    reply = only(await say(bot, "/daftarkan_grup tanya_data", user=WALIDATA))

    assert reply.text.startswith("Perintah ini dipakai di grup yang ingin didaftarkan")


async def test_stopping_makes_the_group_quiet_without_a_new_hint(bot: Runtime) -> None:
    await register(bot)
    stopped = only(await in_group(bot, "/daftarkan_grup berhenti", user=WALIDATA))

    assert stopped.text.startswith("Pendaftaran grup ini dicabut.")
    assert await in_group(bot, "/bantuan") == []


async def test_registration_is_audited(bot: Runtime) -> None:
    await register(bot, "walidata")

    text = only(await say(bot, "/audit 1", user=WALIDATA)).text

    assert f"chat {GROUP} · group_registered:" in text
    assert "purpose=walidata" in text


async def test_in_a_group_restricted_values_are_not_shown_even_when_the_walidata_asks(
    bot: Runtime,
) -> None:
    await register(bot, "walidata")

    asked = only(await in_group(bot, "/data TPT Kota Surabaya 2023", user=WALIDATA))
    listed = only(await in_group(bot, "/data data apa saja dari Disnakertrans", user=WALIDATA))
    private = only(await say(bot, "TPT Kota Surabaya 2023", user=WALIDATA))

    assert "berklasifikasi terbatas" in asked.text and "6,76" not in asked.text
    assert "Partisipasi Angkatan Kerja" not in listed.text
    assert "6,76" in private.text


async def test_a_broadcast_is_drafted_in_private_only(bot: Runtime) -> None:
    await register(bot)
    refused = only(await in_group(bot, "/siaran", user=WALIDATA))
    started = only(await say(bot, "/siaran", user=WALIDATA))
    # with a draft open in private, the walidata's group messages stay group messages
    answered = only(await in_group(bot, "@satudata_bot IPM Kota Batu 2023", user=WALIDATA))
    cancelled = only(await in_group(bot, "/batal", user=WALIDATA))
    drafted = only(await say(bot, "Mohon kirim data stunting terbaru.", user=WALIDATA))

    assert refused.text.startswith("Perintah ini hanya dapat dipakai di chat pribadi")
    assert not started.text.startswith("Perintah ini hanya")
    assert answered.data is not None and answered.data["region_name"] == "Kota Batu"
    assert cancelled.text.startswith("Perintah ini hanya dapat dipakai di chat pribadi")
    assert "Mohon kirim data stunting terbaru." not in answered.text
    assert drafted.buttons  # the draft kept its text step: the audience is asked next
