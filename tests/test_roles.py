"""Roles: what /saya says, how a walidata changes them, and that a change counts at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.wiring import Runtime, build_runtime
from domain.terms import Role
from storage.models import AuditEntry, OutboxMessage, PersonRole

from .conftest import NOW, settings_for
from .people_helpers import (
    ACCOUNTS,
    STRANGER,
    bind_accounts,
    buttons,
    classify,
    only,
    person_named,
    say,
    snapshot,
)

WALIDATA = ACCOUNTS["Andi Prasetyo"]
NUR = ACCOUNTS["Nur Aini"]  # produsen of Disnakertrans, which produces TPT
TPT = "TPT Kota Surabaya 2023"


@pytest.fixture
async def bot(demo_db: Path) -> AsyncIterator[Runtime]:
    bind_accounts(demo_db)
    classify(demo_db, tpt="terbatas")
    runtime = await build_runtime(settings_for(demo_db), NOW)
    yield runtime
    await runtime.close()


@pytest.mark.parametrize(
    ("account", "lines"),
    [
        (
            ACCOUNTS["Andi Prasetyo"],
            [
                "Peran: walidata · Dinas Komunikasi dan Informatika",
                "eskalasi keterlambatan (H+7)",
                "nilai data terbuka dan terbatas, serta daftar dataset tertutup",
                "Perintah walidata: /siaran, /permintaan, /sinkron, /undang, /undangan, /peran,"
                " /audit, /daftarkan_grup.",
            ],
        ),
        (
            ACCOUNTS["Sri Wahyuni"],
            ["Peran: pimpinan", "eskalasi keterlambatan data (H+14)", "terbuka dan terbatas."],
        ),
        (
            ACCOUNTS["Wahyu Hidayat"],
            [
                "Peran: kepala OPD · Badan Perencanaan Pembangunan Daerah",
                "eskalasi bila dataset Badan Perencanaan Pembangunan Daerah terlambat (H+3)",
            ],
        ),
        (
            NUR,
            [
                "Peran: penghubung data (produsen) · Dinas Tenaga Kerja dan Transmigrasi",
                "(H-14, H-7, H-3, H-1, H, H+1, H+3), lalu pengingat mingguan",
                "nilai data terbatas milik Dinas Tenaga Kerja dan Transmigrasi",
            ],
        ),
    ],
)
async def test_saya_shows_roles_opd_and_what_the_person_receives(
    bot: Runtime, account: int, lines: list[str]
) -> None:
    text = only(await say(bot, "/saya", user=account)).text

    for line in lines:
        assert line in text
    assert ("Perintah walidata" in text) == (account == WALIDATA)


async def test_saya_tells_the_public_how_roles_are_given(bot: Runtime) -> None:
    text = only(await say(bot, "/saya", user=STRANGER)).text

    assert text.startswith("Anda belum terdaftar")
    assert "hanya diberikan lewat tautan undangan dari walidata" in text


async def test_me_answers_in_english(bot: Runtime) -> None:
    text = only(await say(bot, "/me", user=NUR)).text

    assert "Roles: data liaison (produsen) · Dinas Tenaga Kerja dan Transmigrasi" in text


async def test_claiming_a_role_in_chat_gives_nothing(bot: Runtime) -> None:
    before = await snapshot(bot)

    for text in ("saya walidata", "/peran walidata", "/start walidata", "/undang Saya Sendiri"):
        await say(bot, text, user=STRANGER)

    assert (await snapshot(bot))["people"] == before["people"]
    assert "berklasifikasi terbatas" in only(await say(bot, TPT, user=STRANGER)).text


async def test_the_walidata_finds_a_person_and_sees_their_roles(bot: Runtime) -> None:
    card = only(await say(bot, "/peran nur", user=WALIDATA))

    assert "👤 Nur Aini" in card.text
    assert "Peran: penghubung data (produsen)" in card.text
    assert "OPD: Dinas Tenaga Kerja dan Transmigrasi" in card.text
    assert set(buttons(card)) == {
        "➕ walidata",
        "➕ pimpinan",
        "➕ kepala OPD",
        "➖ penghubung data (produsen)",
        "⛔ Cabut semua akses",
    }


async def test_several_matches_are_offered_as_buttons(bot: Runtime) -> None:
    choice = only(await say(bot, "/peran a", user=WALIDATA))  # every demo name has an "a"

    assert choice.text == "Ada beberapa orang yang cocok. Pilih:"
    shown = only(
        await say(bot, callback_data=buttons(choice)["Siti Rahmawati"].data, user=WALIDATA)
    )
    assert "👤 Siti Rahmawati" in shown.text


async def test_an_unknown_name_gets_a_clear_answer(bot: Runtime) -> None:
    reply = only(await say(bot, "/peran Zzyzx Qwerty", user=WALIDATA))

    assert "Tidak ada orang aktif bernama “Zzyzx Qwerty”" in reply.text


async def test_removing_a_role_counts_at_once_and_the_person_is_told(bot: Runtime) -> None:
    assert "6,76" in only(await say(bot, TPT, user=NUR)).text
    card = only(await say(bot, "/peran Nur Aini", user=WALIDATA))

    removed = only(
        await say(
            bot, callback_data=buttons(card)["➖ penghubung data (produsen)"].data, user=WALIDATA
        )
    )

    assert removed.text.startswith("Peran penghubung data (produsen) dicabut; ia diberi tahu.")
    # The OPD binding stays, but a person without an OPD role reads as the public.
    assert "berklasifikasi terbatas" in only(await say(bot, TPT, user=NUR)).text
    async with bot.uow() as uow:
        notice = await uow.session.scalar(select(OutboxMessage))
        entry = await uow.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "role_removed")
        )
    assert notice is not None and notice.chat_id == NUR
    assert notice.text.startswith("Walidata mengubah peran Anda. Anda tidak lagi memegang peran")
    nur = await person_named(bot, "Nur Aini")
    assert entry is not None and entry.detail["person"] == nur.id
    assert entry.chat_id == WALIDATA


async def test_adding_an_opd_role_to_someone_without_an_opd_asks_for_the_opd(
    bot: Runtime,
) -> None:
    card = only(await say(bot, "/peran Sri Wahyuni", user=WALIDATA))

    ask = only(await say(bot, callback_data=buttons(card)["➕ kepala OPD"].data, user=WALIDATA))
    added = only(await say(bot, callback_data=buttons(ask)["Dinas Sosial"].data, user=WALIDATA))

    assert ask.text.startswith("Sri Wahyuni belum terikat ke OPD.")
    assert "Peran: pimpinan, kepala OPD" in added.text
    assert "OPD: Dinas Sosial" in added.text
    async with bot.uow() as uow:
        notice = await uow.session.scalar(select(OutboxMessage))
    assert notice is not None
    assert "Peran Anda sekarang: pimpinan, kepala OPD." in notice.text


async def test_a_new_role_counts_at_once(bot: Runtime) -> None:
    siti = ACCOUNTS["Siti Rahmawati"]  # produsen of Dinkes: TPT is not hers
    assert "berklasifikasi terbatas" in only(await say(bot, TPT, user=siti)).text
    card = only(await say(bot, "/peran Siti Rahmawati", user=WALIDATA))

    await say(bot, callback_data=buttons(card)["➕ pimpinan"].data, user=WALIDATA)

    assert "6,76" in only(await say(bot, TPT, user=siti)).text


async def test_the_last_walidata_cannot_remove_their_own_role(bot: Runtime) -> None:
    card = only(await say(bot, "/peran Andi Prasetyo", user=WALIDATA))
    before = await snapshot(bot)

    removed = only(await say(bot, callback_data=buttons(card)["➖ walidata"].data, user=WALIDATA))
    confirm = only(
        await say(bot, callback_data=buttons(card)["⛔ Cabut semua akses"].data, user=WALIDATA)
    )
    revoked = only(await say(bot, callback_data=confirm.buttons[0][0].data, user=WALIDATA))

    assert removed.text.startswith("Ini walidata terakhir yang aktif")
    assert revoked.text.startswith("Ini walidata terakhir yang aktif")
    assert await snapshot(bot) == before


async def test_a_walidata_confirms_before_giving_up_their_own_role(bot: Runtime) -> None:
    async with bot.uow() as uow:  # Sri Wahyuni becomes a second walidata
        sri = await person_named(bot, "Sri Wahyuni")
        held = await uow.people.get(sri.id)
        assert held is not None
        held.roles.append(PersonRole(role=Role.WALIDATA))
        await uow.commit()
    card = only(await say(bot, "/peran Andi Prasetyo", user=WALIDATA))
    before = await snapshot(bot)

    asked = only(await say(bot, callback_data=buttons(card)["➖ walidata"].data, user=WALIDATA))
    unchanged = await snapshot(bot)
    confirmed = only(await say(bot, callback_data=asked.buttons[0][0].data, user=WALIDATA))

    assert asked.text.startswith("Lepaskan peran walidata Anda sendiri?")
    assert unchanged == before  # asking changes nothing
    assert confirmed.text.startswith("Peran walidata dicabut; ia diberi tahu.")
    andi = await person_named(bot, "Andi Prasetyo")
    assert Role.WALIDATA not in andi.role_names


async def test_revoking_a_person_unlinks_them_and_they_are_told(bot: Runtime) -> None:
    card = only(await say(bot, "/peran Nur Aini", user=WALIDATA))
    confirm = only(
        await say(bot, callback_data=buttons(card)["⛔ Cabut semua akses"].data, user=WALIDATA)
    )
    assert "Ia akan diberi tahu." in confirm.text

    await say(bot, callback_data=confirm.buttons[0][0].data, user=WALIDATA)

    assert only(await say(bot, "/saya", user=NUR)).text.startswith("Anda belum terdaftar")
    async with bot.uow() as uow:
        notice = await uow.session.scalar(select(OutboxMessage))
    assert notice is not None and notice.chat_id == NUR
    assert notice.text.startswith("Walidata mencabut akses Anda.")
    stale = only(await say(bot, callback_data=buttons(card)["➕ pimpinan"].data, user=WALIDATA))
    assert stale.text.startswith("Tombol ini sudah tidak berlaku.")


@pytest.mark.parametrize("who", [STRANGER, NUR, ACCOUNTS["Sri Wahyuni"]])
async def test_role_buttons_are_the_walidatas_even_when_replayed(bot: Runtime, who: int) -> None:
    card = only(await say(bot, "/peran Nur Aini", user=WALIDATA))
    before = await snapshot(bot)

    for button in buttons(card).values():
        reply = only(await say(bot, callback_data=button.data, user=who))
        assert reply.text.startswith("Perintah dan tombol ini hanya untuk walidata.")
    assert only(await say(bot, "/peran Nur Aini", user=who)).text.startswith("Perintah dan")
    assert await snapshot(bot) == before


@pytest.mark.parametrize(
    "data",
    ["p", "p:a", "p:a:1", "p:a:1:raja", "p:o:1:produsen:x", "p:s:x", "p:X:1:walidata", "p:z:1"],
)
async def test_malformed_role_buttons_are_stale(bot: Runtime, data: str) -> None:
    before = await snapshot(bot)

    reply = only(await say(bot, callback_data=data, user=WALIDATA))

    assert reply.text.startswith("Tombol ini sudah tidak berlaku.")
    assert await snapshot(bot) == before
