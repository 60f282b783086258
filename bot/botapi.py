"""A minimal Bot API client for the outbox: one send, its outcome classified.

The interactive transport uses python-telegram-bot; the outbox needs exact control over
retries and rate limits, so it speaks HTTP itself.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from reminders.delivery import (
    Delivered,
    DeliveryResult,
    Outgoing,
    RetryLater,
    Transient,
    Undeliverable,
)

TOKEN_PAUSE = 300.0
METHODS = {"photo": "sendPhoto", "document": "sendDocument"}


class BotApiDeliverer:
    def __init__(self, base_url: str, token: str, client: httpx.AsyncClient) -> None:
        self.base = f"{base_url}{token}/"
        self.client = client

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        try:
            response = await self._post(message)
        except httpx.TimeoutException as error:
            return Transient(f"timeout: {error!r}")
        except httpx.TransportError as error:
            return Transient(f"connection: {error!r}")
        return _classify(response)

    async def edit(self, chat_id: int, message_id: int, text: str) -> DeliveryResult:
        """Replace the text of a message the bot sent (a live progress line)."""
        payload = {"chat_id": chat_id, "message_id": message_id, "text": text}
        try:
            response = await self.client.post(self.base + "editMessageText", json=payload)
        except httpx.TimeoutException as error:
            return Transient(f"timeout: {error!r}")
        except httpx.TransportError as error:
            return Transient(f"connection: {error!r}")
        return _classify(response)

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
    if not buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": b["text"], "callback_data": b["data"]} for b in row] for row in buttons
        ]
    }


def _file_id(result: dict[str, Any]) -> str | None:
    """The largest photo size, or the document: what a later send may refer to."""
    if result.get("photo"):
        return str(result["photo"][-1]["file_id"])
    if result.get("document"):
        return str(result["document"]["file_id"])
    return None


def _classify(response: httpx.Response) -> DeliveryResult:
    """Telegram's answer as an outcome the outbox acts on."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    description = str(body.get("description", response.reason_phrase))
    if response.status_code == 200 and body.get("ok"):
        result = body["result"]
        return Delivered(int(result["message_id"]), _file_id(result))
    if response.status_code == 429:
        retry_after = (body.get("parameters") or {}).get("retry_after", 1)
        return RetryLater(float(retry_after), description)
    if response.status_code in (401, 404):
        # The token itself was refused: keep the message and wait for the operator.
        return RetryLater(TOKEN_PAUSE, f"token rejected: {description}")
    if response.status_code == 403:
        return Undeliverable(description)
    if response.status_code == 400 and "chat not found" in description.lower():
        return Undeliverable(description)
    if response.status_code >= 500:
        return Transient(f"{response.status_code}: {description}")
    return Undeliverable(f"{response.status_code}: {description}")
