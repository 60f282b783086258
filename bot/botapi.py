"""A minimal Bot API client for the outbox: one sendMessage, its outcome classified.

The interactive transport uses python-telegram-bot; the outbox needs exact control over
retries and rate limits, so it speaks HTTP itself.
"""

from __future__ import annotations

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


class BotApiDeliverer:
    def __init__(self, base_url: str, token: str, client: httpx.AsyncClient) -> None:
        self.url = f"{base_url}{token}/sendMessage"
        self.client = client

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        payload: dict[str, object] = {"chat_id": message.chat_id, "text": message.text}
        if message.buttons:
            payload["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": b["text"], "callback_data": b["data"]} for b in row]
                    for row in message.buttons
                ]
            }
        try:
            response = await self.client.post(self.url, json=payload)
        except httpx.TimeoutException as error:
            return Transient(f"timeout: {error!r}")
        except httpx.TransportError as error:
            return Transient(f"connection: {error!r}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        description = str(body.get("description", response.reason_phrase))
        if response.status_code == 200 and body.get("ok"):
            return Delivered(int(body["result"]["message_id"]))
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
