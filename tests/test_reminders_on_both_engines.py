"""The reminder pipeline on SQLite and PostgreSQL: import, tick, outbox, delivery, fulfilment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, update

from bot.botapi import BotApiDeliverer
from domain.engine import ReminderSettings
from reminders.delivery import OutboxSender
from reminders.tick import plan_at, run_tick
from storage.importing import import_datasets
from storage.models import OutboxMessage, Person
from storage.uow import UnitOfWorkFactory
from tests.conftest import NOW
from tests.fake_bot_api import TOKEN, FakeBotApi

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_9 = datetime(2026, 11, 24, 9, 0, tzinfo=WIB).astimezone(UTC)
SETTINGS = ReminderSettings(WIB)


async def outbox(uow: UnitOfWorkFactory) -> list[OutboxMessage]:
    async with uow() as work:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await work.session.scalars(query)).all())


async def test_the_pipeline_behaves_the_same_on_both_engines(
    loaded: UnitOfWorkFactory, api: FakeBotApi, tmp_path: Path
) -> None:
    async with loaded() as uow:
        await uow.session.execute(update(Person).values(telegram_user_id=Person.id + 8000))
        await uow.commit()
    daftar = tmp_path / "daftar.csv"
    daftar.write_text(
        "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir\n"
        "stunting,Prevalensi Stunting Balita,Dinas Kesehatan,tahunan,terbuka,2024\n",
        encoding="utf-8",
    )
    report = await import_datasets(loaded, daftar, NOW)
    assert (report.created, report.errors) == (1, [])

    planned = await plan_at(loaded, TUESDAY_9, SETTINGS)
    tick = await run_tick(loaded, TUESDAY_9, SETTINGS)
    again = await run_tick(loaded, TUESDAY_9, SETTINGS)

    assert tick.messages == len(planned) > 0
    assert again.messages == 0
    siti = next(n for n in planned if n.person.name == "Siti Rahmawati")
    assert "stunting" in {item.code for item in siti.items}

    async with httpx.AsyncClient(timeout=5) as client:
        deliverer = BotApiDeliverer(api.base_url, TOKEN, client)
        sender = OutboxSender(loaded, deliverer, clock=lambda: TUESDAY_9)
        delivered = await sender.drain_all()
    assert delivered.sent == tick.messages
    assert {m.status for m in await outbox(loaded)} == {"sent"}
    to_siti = [c for c in api.calls_to("sendMessage") if "Siti Rahmawati" in c.params["text"]]
    assert len(to_siti) == 1 and "Prevalensi Stunting Balita" in to_siti[0].params["text"]

    daftar.write_text(
        "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir\n"
        "stunting,Prevalensi Stunting Balita,Dinas Kesehatan,tahunan,terbuka,2025\n",
        encoding="utf-8",
    )
    arrived = await import_datasets(loaded, daftar, TUESDAY_9)
    assert arrived.periods_arrived == 1
    thanks = [m for m in await outbox(loaded) if m.kind == "thanks"]
    assert [m.status for m in thanks] == ["pending"]
    later = await plan_at(loaded, TUESDAY_9, SETTINGS)
    assert all(item.code != "stunting" for notice in later for item in notice.items)


async def test_data_already_late_when_it_appears_tells_the_liaison_with_the_escalation(
    loaded: UnitOfWorkFactory, api: FakeBotApi, tmp_path: Path
) -> None:
    """A weekly dataset imported with week 45 owed since 11 November: at 24 November its
    chase is at H+7, the walidata's step. The liaison and the head of the agency, whose steps
    (H-14 … H+1, H+3) passed before it existed, hear in the same tick; the pimpinan only at
    H+14, and then no one else again."""
    async with loaded() as uow:
        await uow.session.execute(update(Person).values(telegram_user_id=Person.id + 8000))
        await uow.commit()
        chats = {p.telegram_user_id: p.name for p in await uow.people.all()}
    daftar = tmp_path / "daftar.csv"
    daftar.write_text(
        "kode,judul,opd,periodisitas,klasifikasi,periode_terakhir\n"
        "dbd_mingguan,Kasus Demam Berdarah Mingguan,Dinas Kesehatan,mingguan,terbuka,2026-W44\n",
        encoding="utf-8",
    )
    assert (await import_datasets(loaded, daftar, NOW)).created == 1

    async def told_at(moment: datetime) -> dict[str, str]:
        """Who got a message naming the dataset when the tick at `moment` was delivered."""
        before = len(api.calls_to("sendMessage"))
        await run_tick(loaded, moment, SETTINGS)
        async with httpx.AsyncClient(timeout=5) as client:
            deliverer = BotApiDeliverer(api.base_url, TOKEN, client)
            await OutboxSender(loaded, deliverer, clock=lambda: moment).drain_all()
        return {
            chats[int(call.params["chat_id"])]: call.params["text"]
            for call in api.calls_to("sendMessage")[before:]
            if "Kasus Demam Berdarah Mingguan" in call.params["text"]
        }

    first = await told_at(TUESDAY_9)
    assert set(first) == {"Siti Rahmawati", "Retno Kusumawati", "Andi Prasetyo"}
    assert "Data berikut sudah lewat jatuh tempo" in first["Siti Rahmawati"]
    assert "terlambat 13 hari (jatuh tempo 11 November 2026)" in first["Siti Rahmawati"]
    assert "Eskalasi keterlambatan data" in first["Retno Kusumawati"]
    assert "Eskalasi keterlambatan data" in first["Andi Prasetyo"]

    assert await told_at(TUESDAY_9 + timedelta(hours=3)) == {}
    h_plus_14 = TUESDAY_9 + timedelta(days=1)  # Wednesday 25 November
    assert set(await told_at(h_plus_14)) == {"Sri Wahyuni"}
