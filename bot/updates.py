"""What every Telegram transport shares, whichever library speaks the Bot API.

Updates become `Incoming` and replies become a plan of sends and a keyboard by the same
rules, so the python-telegram-bot and aiogram transports (and the outbox) cannot drift apart.
Both libraries model the Bot API's objects with the same field names (`message.chat.type`,
`from_user.full_name`, `document.file_size`…), which is all these functions read, and both
parse the Bot API's own JSON for a keyboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from domain.telegram_limits import CAPTION_LIMIT, split_text
from handlers.dispatcher import MAX_FILE_BYTES
from handlers.messages import Button, Incoming, IncomingFile, Reply

PRIVATE = "private"
FILE_KINDS = ("document", "photo", "video", "audio", "voice", "animation", "video_note")


def callback_to_incoming(query: Any) -> Incoming | None:
    """A button press; None when its message is out of reach (an inline message)."""
    if query.message is None:
        return None
    return Incoming(callback_data=query.data or "", **_common(query.message.chat, query.from_user))


def message_to_incoming(message: Any, bot_username: str) -> Incoming | None:
    """A text or file message; None for what the bot ignores (service messages, group chatter).

    Files are described (name and size), never downloaded here: the dispatcher refuses the
    ones that are too large before anything would fetch them.
    """
    file = describe_file(message)
    if message.text is None and file is None:
        return None
    text = message.text if message.text is not None else (message.caption or "")
    if message.chat.type != PRIVATE:
        # In groups, speak only when spoken to: commands, or a mention of the bot.
        mention = f"@{bot_username}".casefold()
        if not text.startswith("/") and mention not in text.casefold():
            return None
        if not text.startswith("/"):
            text = text.replace(f"@{bot_username}", "").strip()
    return Incoming(text=text, file=file, **_common(message.chat, message.from_user))


def _common(chat: Any, user: Any) -> dict[str, Any]:
    return {
        "chat_id": chat.id,
        "user_id": user.id if user else None,
        "chat_type": chat.type,
        "chat_title": chat.title or "",
        "user_name": user.full_name if user else "",
        "language_code": user.language_code if user else None,
    }


def describe_file(message: Any) -> IncomingFile | None:
    for kind in FILE_KINDS:
        value = getattr(message, kind, None)
        if value:
            item = value[-1] if isinstance(value, tuple | list) else value  # photo: largest last
            return IncomingFile(getattr(item, "file_name", None) or kind, item.file_size)
    return None


def with_fetch(
    incoming: Incoming, document: Any, fetch: Callable[[], Awaitable[bytes]]
) -> Incoming:
    """Let a conversation fetch a document sent in a private chat (a broadcast's template, a
    liaison's data); one over the size limit is left for the dispatcher to refuse, never
    downloaded."""
    described = incoming.file
    if document is None or described is None or incoming.chat_type != PRIVATE:
        return incoming
    if (document.file_size or MAX_FILE_BYTES + 1) > MAX_FILE_BYTES:
        return incoming
    return replace(incoming, file=replace(described, fetch=fetch))


@dataclass(frozen=True)
class Send:
    """One Bot API call a reply becomes: a message, or its attachment with or without caption."""

    kind: Literal["message", "photo", "document"]
    text: str | None  # the message text, or the caption (None: a file without caption)
    buttons: bool  # whether the reply's buttons ride on this call


def plan_sends(reply: Reply) -> list[Send]:
    """A reply within Telegram's limits: text split at 4,096 characters with the buttons on
    the last part; an attachment takes the text as caption when it fits, otherwise the file
    goes first and the text follows."""
    has_buttons = bool(reply.buttons)
    if reply.attachment is not None:
        if len(reply.text) <= CAPTION_LIMIT:
            return [Send(reply.attachment.kind, reply.text, has_buttons)]
        first = [Send(reply.attachment.kind, None, False)]
    else:
        first = []
    chunks = split_text(reply.text)
    return first + [
        Send("message", chunk, has_buttons and number == len(chunks))
        for number, chunk in enumerate(chunks, start=1)
    ]


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> dict[str, Any] | None:
    """Buttons as the Bot API's `InlineKeyboardMarkup` object; None when there are none."""
    if not rows:
        return None
    return {"inline_keyboard": [[_button(button) for button in row] for row in rows]}


def _button(button: Button) -> dict[str, str]:
    fields = {"text": button.text}
    if button.url is not None:
        fields["url"] = button.url
    if button.data is not None:
        fields["callback_data"] = button.data
    return fields
