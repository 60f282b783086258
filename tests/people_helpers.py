"""Helpers for tests about people, roles and classification: demo people by name or role,
Telegram accounts bound to them, datasets reclassified in a demo database copy."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.wiring import Runtime
from handlers.messages import Button, Incoming, Reply
from storage.models import AuditEntry, Invitation, OutboxMessage, Person, PersonRole

from .conftest import NOW

# Telegram accounts the tests bind to demo people (none is bound in the demo registry).
ACCOUNTS = {
    "Andi Prasetyo": 880001,  # walidata, Diskominfo
    "Sri Wahyuni": 880002,  # pimpinan
    "Wahyu Hidayat": 880003,  # kepala_opd, Bappeda
    "Agus Setiawan": 880005,  # produsen, Bappeda
    "Siti Rahmawati": 880006,  # produsen, Dinkes
    "Nur Aini": 880007,  # produsen, Disnakertrans
}
STRANGER = 770001  # a Telegram account nobody is bound to


def classify(database: Path, **classes: str) -> None:
    """`classify(db, tpt="terbatas")`: change classifications in a demo database copy."""
    with sqlite3.connect(database) as conn:
        for code, classification in classes.items():
            conn.execute(
                "UPDATE datasets SET classification = ? WHERE code = ?", (classification, code)
            )
    conn.close()


def bind_accounts(database: Path) -> None:
    with sqlite3.connect(database) as conn:
        for name, account in ACCOUNTS.items():
            conn.execute("UPDATE people SET telegram_user_id = ? WHERE name = ?", (account, name))
    conn.close()


async def person_named(runtime: Runtime, name: str) -> Person:
    async with runtime.uow() as uow:
        found = await uow.session.scalar(select(Person).where(Person.name == name))
    assert found is not None, name
    return found


async def say(
    runtime: Runtime,
    text: str = "",
    *,
    user: int | None = STRANGER,
    chat: int | None = None,
    now: datetime = NOW,
    **fields: object,
) -> list[Reply]:
    """A message from a Telegram account (in its private chat unless `chat` is given)."""
    chat_id = chat if chat is not None else (user or 1)
    incoming = Incoming(chat_id, user, text=text, **fields)  # type: ignore[arg-type]
    return await runtime.dispatcher.handle(incoming, now)


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


def buttons(reply: Reply) -> dict[str, Button]:
    return {button.text: button for row in reply.buttons for button in row}


async def snapshot(runtime: Runtime) -> dict[str, object]:
    """What an invitation or role change may alter: people, their roles and accounts,
    invitations, audit entries of changes and queued notices (a refused attempt is audited
    too, yet changes nothing)."""
    async with runtime.uow() as uow:
        people = {
            (p.id, p.name, p.telegram_user_id, p.opd_id, p.active, p.role_names)
            for p in await uow.people.all()
        }
        counts = {
            model.__name__: await uow.session.scalar(select(func.count()).select_from(model))
            for model in (Invitation, OutboxMessage, PersonRole)
        }
        counts["changes audited"] = await uow.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action != "invitation_refused")
        )
        used = await uow.session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.used_at.is_not(None))
        )
    return {"people": people, "used": used, **counts}
