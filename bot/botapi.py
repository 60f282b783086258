"""A minimal Bot API client for the outbox: one send, its outcome classified.

The interactive transports use a Telegram library; the outbox needs exact control over
retries and rate limits, so it speaks HTTP itself. What an answer means is decided in
`reminders.outcomes`, the same for every sender.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bot.updates import inline_keyboard
from handlers.messages import Button
from reminders.delivery import DeliveryResult, Outgoing
from reminders.outcomes import answer, failure

METHODS = {"photo": "sendPhoto", "document": "sendDocument"}


class BotApiDeliverer:
    def __init__(self, base_url: str, token: str, client: httpx.AsyncClient) -> None:
        self.base = f"{base_url}{token}/"
        self.client = client

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        return await _outcome(lambda: self._post(message))

    async def edit(self, chat_id: int, message_id: int, text: str) -> DeliveryResult:
        """Replace the text of a message the bot sent (a live progress line)."""
        payload = {"chat_id": chat_id, "message_id": message_id, "text": text}
        return await _outcome(lambda: self.client.post(self.base + "editMessageText", json=payload))

    async def _post(self, message: Outgoing) -> httpx.Response:
        """sendMessage as JSON; a file as multipart upload, or by Telegram's id once uploaded."""
        markup = _keyboard(message.buttons)
        file = message.file
        if file is None:
            payload: dict[str, Any] = {"chat_id": message.chat_id, "text": message.text}
            if markup:
                payload["reply_markup"] = markup
            return await self.client.post(self.base + "sendMessage", json=payload)
        fields: dict[str, Any] = {"chat_id": str(message.chat_id), "caption": message.text}
        if markup:
            fields["reply_markup"] = json.dumps(markup)
        url = self.base + METHODS[file.kind]
        if file.telegram_file_id:
            fields[file.kind] = file.telegram_file_id
            return await self.client.post(url, data=fields)
        return await self.client.post(
            url, data=fields, files={file.kind: (file.name, file.content)}
        )


def _keyboard(buttons: list[list[dict[str, str]]]) -> dict[str, Any] | None:
    """An outbox message's buttons (stored as `{"text", "data"}`) as Telegram's keyboard."""
    return inline_keyboard([[Button(b["text"], b["data"]) for b in row] for row in buttons])


async def _outcome(post: Callable[[], Awaitable[httpx.Response]]) -> DeliveryResult:
    """One request and what its answer, or the lack of one, means."""
    try:
        response = await post()
    except httpx.TimeoutException as error:
        return failure(None, f"timeout: {error!r}")
    except httpx.TransportError as error:
        return failure(None, f"connection: {error!r}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    return answer(
        response.status_code, body if isinstance(body, dict) else {}, response.reason_phrase
    )
