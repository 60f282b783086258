"""Messages to other people, through the outbox, in the reader's own language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.terms import OutboxKind
from storage.models import OutboxMessage, Person
from storage.uow import UnitOfWork
from texts.i18n import texts


async def notify(
    uow: UnitOfWork, person: Person, key: str, message: str, now: datetime, **context: Any
) -> None:
    """Queue `message` for the person once per `key`; people without a linked Telegram
    account cannot be reached, so nothing is queued for them."""
    if person.telegram_user_id is not None:
        await tell(uow, person, key, message, now, **context)


async def tell(
    uow: UnitOfWork,
    person: Person,
    key: str,
    message: str,
    now: datetime,
    /,
    *,
    buttons: list[list[dict[str, str]]] | None = None,
    **context: Any,
) -> None:
    """Queue `message` (and its buttons) for the person once per `key`, however often the
    button behind it is pressed; one without a linked account is reported unreachable."""
    if await uow.outbox.exists(key):
        return
    text = texts(person.language or "id").t(message, **context)
    uow.outbox.add(
        OutboxMessage.to_person(
            person, key=key, kind=OutboxKind.NOTICE, text=text, now=now, buttons=buttons
        )
    )
