"""Invitations: issued by a walidata, single-use, expiring, stored as hashes, revocable; the
only way into a role."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.wiring import Runtime, build_runtime
from handlers.invites import MISFITS, TRANSITIONS, InviteAction, InviteButton, InviteStep
from handlers.messages import Reply
from reminders.buttons import LinkButton
from storage.models import Invitation, OutboxMessage

from .conftest import NOW, settings_for
from .people_helpers import (
    ACCOUNTS,
    STRANGER,
    bind_accounts,
    buttons,
    only,
    person_named,
    say,
    snapshot,
)

WALIDATA = ACCOUNTS["Andi Prasetyo"]
LINK = re.compile(r"https://t\.me/satudata_test_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
async def bot(demo_db: Path) -> AsyncIterator[Runtime]:
    bind_accounts(demo_db)
    runtime = await build_runtime(
        settings_for(demo_db, TELEGRAM_BOT_USERNAME="satudata_test_bot"), NOW
    )
    yield runtime
    await runtime.close()


async def invite(bot: Runtime, name: str, role: str, opd: str | None = None) -> str:
    """The token of an invitation made through the walidata's buttons."""
    choose_role = only(await say(bot, f"/undang {name}", user=WALIDATA))
    role_button = next(b for b in buttons(choose_role).values() if b.data.endswith(f":{role}"))
    reply = only(await say(bot, callback_data=role_button.data, user=WALIDATA))
    if opd is not None:
        reply = only(await say(bot, callback_data=buttons(reply)[opd].data, user=WALIDATA))
    match = LINK.search(reply.text)
    assert match, reply.text
    return match.group(1)


async def test_the_walidata_gets_a_deep_link_after_choosing_role_and_opd(bot: Runtime) -> None:
    choose_role = only(await say(bot, "/undang Budi Santoso", user=WALIDATA))
    assert set(buttons(choose_role)) == {
        "walidata",
        "pimpinan",
        "kepala OPD",
        "penghubung data (produsen)",
    }
    choose_opd = only(
        await say(
            bot,
            callback_data=buttons(choose_role)["penghubung data (produsen)"].data,
            user=WALIDATA,
        )
    )
    assert "Dinas Kesehatan" in buttons(choose_opd)

    issued = only(
        await say(bot, callback_data=buttons(choose_opd)["Dinas Kesehatan"].data, user=WALIDATA)
    )

    assert "Budi Santoso sebagai penghubung data (produsen) di Dinas Kesehatan" in issued.text
    assert "berlaku sampai 29 November 2026" in issued.text  # seven days
    token = LINK.search(issued.text).group(1)  # type: ignore[union-attr]
    assert 20 <= len(token) <= 64
    assert all(len(b.data.encode()) <= 64 for r in (choose_role, choose_opd) for b in r.buttons[0])


async def test_only_the_tokens_hash_is_stored(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")

    async with bot.uow() as uow:
        invitation = await uow.session.scalar(select(Invitation))
    assert invitation is not None
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(
        [getattr(invitation, c.key) for c in Invitation.__table__.columns]  # type: ignore[attr-defined]
    )


async def test_tokens_are_random(bot: Runtime) -> None:
    tokens = {await invite(bot, f"Orang Ke {n}", "pimpinan") for n in range(5)}

    assert len(tokens) == 5


async def test_opening_the_link_binds_the_account_and_says_what_the_bot_will_do(
    bot: Runtime,
) -> None:
    token = await invite(bot, "Budi Santoso", "produsen", "Dinas Kesehatan")

    welcome = only(await say(bot, f"/start {token}", user=STRANGER))

    assert welcome.text.startswith(
        "Selamat datang, Budi Santoso! Akun Telegram Anda sekarang terhubung sebagai "
        "penghubung data (produsen) di Dinas Kesehatan."
    )
    assert "pengingat sebelum dataset Dinas Kesehatan jatuh tempo (H-14, H-7" in welcome.text
    assert "nilai data terbatas milik Dinas Kesehatan" in welcome.text
    budi = await person_named(bot, "Budi Santoso")
    assert (budi.telegram_user_id, budi.role_names, budi.active) == (
        STRANGER,
        frozenset({"produsen"}),
        True,
    )
    me = only(await say(bot, "/saya", user=STRANGER))
    assert "Peran: penghubung data (produsen) · Dinas Kesehatan" in me.text


async def test_the_inviting_walidata_is_told_through_the_outbox(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")

    await say(bot, f"/start {token}", user=STRANGER)

    async with bot.uow() as uow:
        notices = list(await uow.session.scalars(select(OutboxMessage)))
    assert [(n.chat_id, n.text) for n in notices] == [
        (WALIDATA, "Budi Santoso menerima undangan dan kini terhubung sebagai pimpinan.")
    ]


async def test_a_used_link_is_refused_and_changes_nothing(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "walidata")
    await say(bot, f"/start {token}", user=STRANGER)
    before = await snapshot(bot)

    again = only(await say(bot, f"/start {token}", user=STRANGER + 1))

    assert again.text.startswith("Tautan undangan ini sudah dipakai.")
    assert "Tidak ada yang berubah." in again.text
    assert await snapshot(bot) == before
    public = only(await say(bot, "/saya", user=STRANGER + 1))
    assert public.text.startswith("Anda belum terdaftar")


async def test_an_expired_link_is_refused_and_changes_nothing(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")
    before = await snapshot(bot)

    late = only(await say(bot, f"/start {token}", now=NOW + timedelta(days=7, seconds=1)))

    assert late.text.startswith("Tautan undangan ini sudah kedaluwarsa")
    assert "29 November 2026" in late.text
    assert await snapshot(bot) == before
    still_valid = only(await say(bot, f"/start {token}", now=NOW + timedelta(days=6)))
    assert still_valid.text.startswith("Selamat datang, Budi Santoso!")


async def test_a_revoked_link_is_refused_and_changes_nothing(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")
    listed = only(await say(bot, "/undangan", user=WALIDATA))
    assert "Budi Santoso — pimpinan; berlaku sampai 29 November 2026" in listed.text
    revoke = buttons(listed)["❌ Batalkan undangan Budi Santoso"]
    assert "dibatalkan" in only(await say(bot, callback_data=revoke.data, user=WALIDATA)).text
    before = await snapshot(bot)

    refused = only(await say(bot, f"/start {token}"))

    assert refused.text.startswith("Tautan undangan ini sudah dibatalkan walidata.")
    assert await snapshot(bot) == before
    assert "Tidak ada." in only(await say(bot, "/undangan", user=WALIDATA)).text


@pytest.mark.parametrize(
    "token",
    [
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "x",
        "A" * 65,
        "../../etc/passwd",
        "' OR 1=1 --",
        "{{ 7*7 }}",
        "tok en",
    ],
)
async def test_a_forged_link_is_refused_and_changes_nothing(bot: Runtime, token: str) -> None:
    await invite(bot, "Budi Santoso", "walidata")
    before = await snapshot(bot)

    refused = only(await say(bot, f"/start {token}"))

    assert refused.text.startswith("Tautan undangan ini tidak dikenal.")
    assert await snapshot(bot) == before


async def test_a_link_opened_in_a_group_is_refused(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "walidata")
    group = -100777
    await say(bot, "/daftarkan_grup tanya_data", user=WALIDATA, chat=group, chat_type="group")
    before = await snapshot(bot)

    reply = only(await say(bot, f"/start {token}", chat=group, chat_type="group"))

    assert reply.text.startswith("Tautan undangan hanya dapat dibuka di chat pribadi")
    assert "sudah saya batalkan" in reply.text
    assert (await snapshot(bot))["people"] == before["people"]
    later = only(await say(bot, f"/start {token}", user=STRANGER))
    assert later.text.startswith("Tautan undangan ini sudah dibatalkan walidata.")
    async with bot.uow() as uow:
        told = [m.text for m in await uow.session.scalars(select(OutboxMessage))]
    assert [m for m in told if "terlihat di grup" in m and "Budi Santoso" in m], told


async def test_a_link_pasted_in_an_unregistered_group_is_revoked(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")

    await say(
        bot,
        f"ini tautannya https://t.me/satudata_test_bot?start={token} ya",
        chat=-100888,
        chat_type="supergroup",
    )

    later = only(await say(bot, f"/start {token}", user=STRANGER))
    assert later.text.startswith("Tautan undangan ini sudah dibatalkan walidata.")


async def refusals(bot: Runtime) -> list[dict[str, object]]:
    async with bot.uow() as uow:
        entries = await uow.audit.since(NOW - timedelta(days=1))
    return [e.detail for e in entries if e.action == "invitation_refused"]


async def test_failed_openings_are_audited_and_an_account_trying_too_often_waits(
    bot: Runtime,
) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")
    for guess in range(5):
        refused = only(await say(bot, f"/start {'A' * 31}{guess}", user=STRANGER))
        assert refused.text.startswith("Tautan undangan ini tidak dikenal.")
    assert [r["reason"] for r in await refusals(bot)] == ["invite_unknown"] * 5

    waiting = only(await say(bot, f"/start {token}", user=STRANGER))
    after_an_hour = only(
        await say(bot, f"/start {token}", user=STRANGER, now=NOW + timedelta(minutes=61))
    )

    assert waiting.text.startswith("Terlalu banyak tautan undangan yang gagal dibuka")
    assert after_an_hour.text.startswith("Selamat datang, Budi Santoso!")


async def test_a_flood_of_guesses_from_many_accounts_makes_everyone_wait(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")
    for account in range(100):
        await say(bot, f"/start {'B' * 32}", user=STRANGER + 1 + account)

    waiting = only(await say(bot, f"/start {token}", user=STRANGER))

    assert waiting.text.startswith("Terlalu banyak tautan undangan yang gagal dibuka")
    assert len(await refusals(bot)) == 100


async def unlink(bot: Runtime, name: str) -> int:
    """Take a demo person's account away, as if they were imported without one."""
    async with bot.uow() as uow:
        person = await uow.people.get((await person_named(bot, name)).id)
        assert person is not None
        person.telegram_user_id = None
        await uow.commit()
    return person.id


async def test_someone_in_the_registry_without_an_account_is_linked_by_choice(
    bot: Runtime,
) -> None:
    """The demo liaison Agus Setiawan (Bappeda), imported without an account, is chosen from
    /undang's list: his link binds him with the role he holds, not a second Agus."""
    await unlink(bot, "Agus Setiawan")
    count = len((await snapshot(bot))["people"])  # type: ignore[arg-type]
    offer = only(await say(bot, "/undang agus setiawan", user=WALIDATA))
    assert "Agus Setiawan (Badan Perencanaan Pembangunan Daerah) sudah ada di registri" in (
        offer.text
    )
    choice = buttons(offer)["🔗 Tautan untuk Agus Setiawan (Badan Perencanaan Pembangunan…)"]
    issued = only(await say(bot, callback_data=choice.data, user=WALIDATA))
    token = LINK.search(issued.text).group(1)  # type: ignore[union-attr]
    assert "Agus Setiawan sudah ada di registri" in issued.text

    welcome = only(await say(bot, f"/start {token}", user=STRANGER))

    assert welcome.text.startswith("Selamat datang, Agus Setiawan!")
    assert len((await snapshot(bot))["people"]) == count  # type: ignore[arg-type]
    agus = await person_named(bot, "Agus Setiawan")
    assert (agus.telegram_user_id, agus.role_names) == (STRANGER, {"produsen"})


async def test_the_walidata_s_name_on_a_pimpinan_link_cannot_take_their_account(
    bot: Runtime,
) -> None:
    offer = only(await say(bot, "/undang Andi Prasetyo", user=WALIDATA))
    assert "Andi Prasetyo (Dinas Komunikasi dan Informatika) sudah ada di registri dan sudah" in (
        offer.text
    )
    assert not [label for label in buttons(offer) if label.startswith("🔗")]
    pimpinan = buttons(offer)["pimpinan"]
    token = LINK.search(  # type: ignore[union-attr]
        only(await say(bot, callback_data=pimpinan.data, user=WALIDATA)).text
    ).group(1)

    only(await say(bot, f"/start {token}", user=STRANGER))

    async with bot.uow() as uow:
        andis = [p for p in await uow.people.all() if p.name == "Andi Prasetyo"]
    accounts = {p.telegram_user_id: p.role_names for p in andis}
    assert accounts == {WALIDATA: {"walidata"}, STRANGER: {"pimpinan"}}  # someone new


async def test_a_link_for_someone_already_linked_is_refused_when_asked_for(bot: Runtime) -> None:
    siti = (await person_named(bot, "Siti Rahmawati")).id
    before = await snapshot(bot)

    refused = only(await say(bot, callback_data=LinkButton(siti).pack(), user=WALIDATA))

    assert refused.text.startswith("Siti Rahmawati sudah terhubung dengan akun Telegram")
    assert "/peran Siti Rahmawati" in refused.text
    assert await snapshot(bot) == before


async def test_only_the_walidata_may_ask_for_a_person_s_link(bot: Runtime) -> None:
    agus = await unlink(bot, "Agus Setiawan")
    before = await snapshot(bot)

    refused = only(
        await say(bot, callback_data=LinkButton(agus).pack(), user=ACCOUNTS["Sri Wahyuni"])
    )

    assert not LINK.search(refused.text)
    assert await snapshot(bot) == before


async def test_a_person_linked_elsewhere_since_their_link_was_made_is_not_unlinked(
    bot: Runtime,
) -> None:
    agus = await unlink(bot, "Agus Setiawan")
    issued = only(await say(bot, callback_data=LinkButton(agus).pack(), user=WALIDATA))
    token = LINK.search(issued.text).group(1)  # type: ignore[union-attr]
    async with bot.uow() as uow:  # meanwhile an import gives Agus his account
        person = await uow.people.get(agus)
        assert person is not None
        person.telegram_user_id = ACCOUNTS["Agus Setiawan"]
        await uow.commit()
    before = await snapshot(bot)

    refused = only(await say(bot, f"/start {token}", user=STRANGER))

    assert refused.text.startswith("Agus Setiawan sudah terhubung dengan akun Telegram lain")
    assert await snapshot(bot) == before


async def test_a_second_link_for_a_person_makes_the_first_stop_working(bot: Runtime) -> None:
    agus = await unlink(bot, "Agus Setiawan")
    first = only(await say(bot, callback_data=LinkButton(agus).pack(), user=WALIDATA))
    second = only(await say(bot, callback_data=LinkButton(agus).pack(), user=WALIDATA))
    old, new = (LINK.search(r.text).group(1) for r in (first, second))  # type: ignore[union-attr]

    refused = only(await say(bot, f"/start {old}", user=STRANGER))

    assert refused.text.startswith("Tautan undangan ini sudah dibatalkan walidata.")
    welcome = only(await say(bot, f"/start {new}", user=STRANGER))
    assert welcome.text.startswith("Selamat datang, Agus Setiawan!")


async def test_a_role_taken_away_is_not_given_back_by_an_open_link(bot: Runtime) -> None:
    agus = await unlink(bot, "Agus Setiawan")
    issued = only(await say(bot, callback_data=LinkButton(agus).pack(), user=WALIDATA))
    token = LINK.search(issued.text).group(1)  # type: ignore[union-attr]
    card = only(await say(bot, "/peran Agus Setiawan", user=WALIDATA))
    remove = buttons(card)["➖ penghubung data (produsen)"]
    only(await say(bot, callback_data=remove.data, user=WALIDATA))

    refused = only(await say(bot, f"/start {token}", user=STRANGER))

    assert refused.text.startswith("Tautan undangan ini sudah dibatalkan walidata.")
    agus_now = await person_named(bot, "Agus Setiawan")
    assert (agus_now.telegram_user_id, agus_now.role_names) == (None, frozenset())


async def test_the_role_card_of_someone_without_an_account_offers_their_link(
    bot: Runtime,
) -> None:
    await unlink(bot, "Agus Setiawan")

    card = only(await say(bot, "/peran Agus Setiawan", user=WALIDATA))
    linked_card = only(await say(bot, "/peran Siti Rahmawati", user=WALIDATA))

    assert "🔗 Tautan untuk Agus Setiawan" in buttons(card)
    assert not [label for label in buttons(linked_card) if label.startswith("🔗")]


async def test_an_account_linked_to_someone_else_is_refused(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")
    await say(bot, f"/start {token}", user=STRANGER)
    second = await invite(bot, "Sri Wahyuni", "pimpinan")  # a demo person, bound to 880002
    before = await snapshot(bot)

    refused = only(await say(bot, f"/start {second}", user=STRANGER))

    assert refused.text.startswith("Akun Telegram ini sudah terhubung dengan Budi Santoso.")
    assert await snapshot(bot) == before


async def test_a_link_for_someone_new_cannot_add_a_role_to_a_linked_account(
    bot: Runtime,
) -> None:
    token = await invite(bot, "Penghubung Baru", "kepala_opd", "Dinas Kesehatan")
    before = await snapshot(bot)

    refused = only(await say(bot, f"/start {token}", user=ACCOUNTS["Nur Aini"]))

    assert refused.text.startswith("Akun Telegram ini sudah terhubung dengan Nur Aini.")
    assert await snapshot(bot) == before


async def test_a_person_moved_to_another_opd_since_the_invitation_is_refused(
    bot: Runtime,
) -> None:
    agus = await unlink(bot, "Agus Setiawan")
    issued = only(await say(bot, callback_data=LinkButton(agus).pack(), user=WALIDATA))
    token = LINK.search(issued.text).group(1)  # type: ignore[union-attr]
    async with bot.uow() as uow:  # meanwhile an import moves Agus to Dinas Sosial
        person, dinsos = await uow.people.get(agus), await uow.opds.by_code("dinsos")
        assert person is not None and dinsos is not None
        person.opd_id = dinsos.id
        await uow.commit()
    before = await snapshot(bot)

    refused = only(await say(bot, f"/start {token}", user=STRANGER))

    assert refused.text.startswith("Agus Setiawan terdaftar di OPD lain")
    assert await snapshot(bot) == before


async def test_the_console_cannot_accept_a_link(bot: Runtime) -> None:
    token = await invite(bot, "Budi Santoso", "pimpinan")
    before = await snapshot(bot)

    reply = only(await say(bot, f"/start {token}", user=None))

    assert "buka tautannya di Telegram" in reply.text
    assert await snapshot(bot) == before


@pytest.mark.parametrize("who", [STRANGER, ACCOUNTS["Sri Wahyuni"], ACCOUNTS["Nur Aini"]])
async def test_only_the_walidata_may_invite(bot: Runtime, who: int) -> None:
    before = await snapshot(bot)

    refused = only(await say(bot, "/undang Budi Santoso", user=who))
    listed = only(await say(bot, "/undangan", user=who))
    pressed = only(await say(bot, callback_data="u:r:1:walidata", user=who))

    for reply in (refused, listed, pressed):
        assert reply.text.startswith("Perintah dan tombol ini hanya untuk walidata.")
    assert await snapshot(bot) == before


async def test_a_replayed_role_button_cannot_reissue_or_change_an_invitation(
    bot: Runtime,
) -> None:
    choose_role = only(await say(bot, "/undang Budi Santoso", user=WALIDATA))
    pimpinan = buttons(choose_role)["pimpinan"].data
    await say(bot, callback_data=pimpinan, user=WALIDATA)
    before = await snapshot(bot)

    again = only(await say(bot, callback_data=pimpinan, user=WALIDATA))
    walidata = only(
        await say(bot, callback_data=buttons(choose_role)["walidata"].data, user=WALIDATA)
    )

    assert "sudah dibuat" in again.text and "sudah dibuat" in walidata.text
    assert await snapshot(bot) == before


async def test_a_draft_is_only_the_inviting_walidatas(bot: Runtime) -> None:
    choose_role = only(await say(bot, "/undang Budi Santoso", user=WALIDATA))
    async with bot.uow() as uow:
        other = await person_named(bot, "Sri Wahyuni")
        row = await uow.people.get(other.id)
        assert row is not None
        row.roles.append(type(row.roles[0])(role="walidata"))
        await uow.commit()

    reply = only(
        await say(
            bot, callback_data=buttons(choose_role)["walidata"].data, user=ACCOUNTS["Sri Wahyuni"]
        )
    )

    assert reply.text.startswith("Tombol ini sudah tidak berlaku.")


@pytest.mark.parametrize("text", ["/undang", "/undang   ", "/undang 12345", "/undang " + "x" * 121])
async def test_a_missing_or_bad_name_gets_a_clear_answer(bot: Runtime, text: str) -> None:
    reply = only(await say(bot, text, user=WALIDATA))

    assert reply.text.startswith(("Tulis nama lengkap", "Nama itu tidak dapat dipakai"))
    assert reply.buttons == []


async def test_invitation_commands_are_refused_in_groups(bot: Runtime) -> None:
    group = -100778
    await say(bot, "/daftarkan_grup walidata", user=WALIDATA, chat=group, chat_type="group")

    for text in ("/undang Budi", "/undangan", "/peran Nur", "/audit"):
        reply = only(await say(bot, text, user=WALIDATA, chat=group, chat_type="group"))
        assert reply.text.startswith("Perintah ini hanya dapat dipakai di chat pribadi"), text


async def test_the_link_falls_back_to_the_start_command_without_a_bot_username(
    demo_db: Path,
) -> None:
    bind_accounts(demo_db)
    runtime = await build_runtime(settings_for(demo_db), NOW)
    try:
        choose_role = only(await say(runtime, "/undang Budi Santoso", user=WALIDATA))
        issued = only(
            await say(runtime, callback_data=buttons(choose_role)["pimpinan"].data, user=WALIDATA)
        )
    finally:
        await runtime.close()

    assert re.search(r"^/start [A-Za-z0-9_-]{32}$", issued.text, re.MULTILINE), issued.text
    assert "https://t.me" not in issued.text


def test_every_press_at_every_step_either_moves_on_or_is_answered() -> None:
    every = {(step, action) for step in InviteStep for action in InviteAction}

    assert set(TRANSITIONS) | set(MISFITS) == every
    assert not set(TRANSITIONS) & set(MISFITS)


def draft_id(choose_role: Reply) -> int:
    """The draft invitation the role buttons of `/undang` belong to."""
    button = InviteButton.unpack(buttons(choose_role)["pimpinan"].data or "")
    assert button is not None
    return button.invitation_id


async def test_an_opd_press_before_the_role_is_answered_and_changes_nothing(
    bot: Runtime,
) -> None:
    choose_role = only(await say(bot, "/undang Budi Santoso", user=WALIDATA))
    async with bot.uow() as uow:
        dinkes = next(o for o in await uow.opds.all() if o.name == "Dinas Kesehatan")
    forged = InviteButton.choose_opd(draft_id(choose_role), dinkes.id).pack()
    before = await snapshot(bot)

    reply = only(await say(bot, callback_data=forged, user=WALIDATA))

    assert (
        reply.text == "Pilih dulu peran untuk Budi Santoso, baru OPD-nya. Tidak ada yang berubah."
    )
    assert await snapshot(bot) == before
    issued = only(
        await say(bot, callback_data=buttons(choose_role)["pimpinan"].data, user=WALIDATA)
    )
    assert LINK.search(issued.text)


async def test_a_draft_cannot_be_revoked_and_a_revoked_link_not_twice(bot: Runtime) -> None:
    choose_role = only(await say(bot, "/undang Budi Santoso", user=WALIDATA))
    revoke_draft = InviteButton.revoke(draft_id(choose_role)).pack()
    before = await snapshot(bot)

    draft = only(await say(bot, callback_data=revoke_draft, user=WALIDATA))

    assert draft.text.startswith("Undangan untuk Budi Santoso sudah tidak terbuka")
    assert await snapshot(bot) == before
    await say(bot, callback_data=buttons(choose_role)["pimpinan"].data, user=WALIDATA)
    assert "dibatalkan" in only(await say(bot, callback_data=revoke_draft, user=WALIDATA)).text
    revoked = await snapshot(bot)
    again = only(await say(bot, callback_data=revoke_draft, user=WALIDATA))
    assert again.text.startswith("Undangan untuk Budi Santoso sudah tidak terbuka")
    assert await snapshot(bot) == revoked


async def test_another_role_instead_of_the_opd_changes_the_role(bot: Runtime) -> None:
    choose_role = only(await say(bot, "/undang Budi Santoso", user=WALIDATA))
    produsen = buttons(choose_role)["penghubung data (produsen)"].data
    choose_opd = only(await say(bot, callback_data=produsen, user=WALIDATA))
    assert "Dinas Kesehatan" in buttons(choose_opd)

    issued = only(
        await say(bot, callback_data=buttons(choose_role)["pimpinan"].data, user=WALIDATA)
    )
    late_opd = only(
        await say(bot, callback_data=buttons(choose_opd)["Dinas Kesehatan"].data, user=WALIDATA)
    )

    assert "Budi Santoso sebagai pimpinan" in issued.text and LINK.search(issued.text)
    assert "sudah dibuat" in late_opd.text


@pytest.mark.parametrize(
    "data", ["u", "u:r:1", "u:r:1:raja", "u:o:1:dinkes", "u:x:1:walidata", "u:z:1", "u:x:satu"]
)
async def test_malformed_invitation_buttons_are_stale(bot: Runtime, data: str) -> None:
    only(await say(bot, "/undang Budi Santoso", user=WALIDATA))
    before = await snapshot(bot)

    reply = only(await say(bot, callback_data=data, user=WALIDATA))

    assert reply.text.startswith("Tombol ini sudah tidak berlaku.")
    assert await snapshot(bot) == before
