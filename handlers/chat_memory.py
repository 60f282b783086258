"""What a chat said last, kept for a few minutes: the question an answer resolved to, and
the choices a clarifying question offered (see storage.models.ChatContext)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from handlers.context import Request
from handlers.messages import Button
from storage.uow import UnitOfWork

# Long enough to read an answer and ask the next thing; short enough that a question typed
# after a meeting is not read as a follow-up of one asked before it.
KEPT = timedelta(minutes=20)


@dataclass(frozen=True)
class Memory:
    ask: str | None  # an AnswerButton's packed data
    indicator_id: int | None
    categories: str
    choices: tuple[tuple[str, str], ...]  # (label, button data)


def _key(request: Request) -> tuple[int, int]:
    incoming = request.incoming
    return incoming.chat_id, incoming.user_id or 0


async def recall(request: Request, uow: UnitOfWork) -> Memory | None:
    context = await uow.chats.since(*_key(request), request.now - KEPT)
    if context is None:
        return None
    choices = tuple((label, data) for label, data in context.choices)
    return Memory(context.ask, context.indicator_id, context.categories, choices)


async def remember(
    request: Request, uow: UnitOfWork, ask: str, indicator_id: int, categories: str
) -> None:
    """The question just answered; the choices offered before it are spent."""
    await uow.chats.save(
        *_key(request), request.now, ask=ask, indicator_id=indicator_id, categories=categories
    )
    await uow.commit()


async def offer(request: Request, uow: UnitOfWork, buttons: list[list[Button]]) -> None:
    """The choices of a clarifying question, each button on its own row; the question
    before it stays the one a follow-up continues."""
    previous = await recall(request, uow)
    choices = [(row[0].text, row[0].data) for row in buttons if row and row[0].data]
    await uow.chats.save(
        *_key(request),
        request.now,
        ask=previous.ask if previous else None,
        indicator_id=previous.indicator_id if previous else None,
        categories=previous.categories if previous else "",
        choices=choices,
    )
    await uow.commit()
