"""Each transport fed by hand, as the webhook server feeds it: raw update bodies in, answers at
the fake Bot API. Written for aiogram first; python-telegram-bot must behave alike."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.telegram_aiogram import AiogramTransport
from bot.telegram_ptb import PtbTransport
from bot.transport import StartFailed, Transport, TransportFactory, open_transport
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_transport import (
    OTHER_TOKEN,
    REQUEST_TIMEOUT,
    settings_for,
    texts_to,
)

TRANSPORTS: dict[str, TransportFactory] = {"aiogram": AiogramTransport, "ptb": PtbTransport}
CHAT = 501
_ids = itertools.count(1)


def message(text: str, chat_id: int = CHAT, chat_type: str = "private") -> dict[str, Any]:
    """A webhook body as Telegram posts it."""
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "Grup Uji"
    user = {"id": CHAT, "is_bot": False, "first_name": "Pengguna", "language_code": "id"}
    body: dict[str, Any] = {"message_id": next(_ids), "date": int(time.time()), "chat": chat,
                            "from": user, "text": text}  # fmt: skip
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_ids), "message": body}


def press(data: str) -> dict[str, Any]:
    user = {"id": CHAT, "is_bot": False, "first_name": "Pengguna", "language_code": "id"}
    query = {"id": f"cb{next(_ids)}", "from": user, "chat_instance": "ci1", "data": data,
             "message": {"message_id": 1, "date": int(time.time()),
                         "chat": {"id": CHAT, "type": "private"}, "text": "pilih"}}  # fmt: skip
    return {"update_id": next(_ids), "callback_query": query}


@pytest.fixture(params=sorted(TRANSPORTS))
def library(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def sink(api: FakeBotApi, tmp_path: Path, library: str) -> AsyncIterator[Transport]:
    settings = settings_for(api, tmp_path, library=library)
    make = TRANSPORTS[library]
    async with open_transport(make, settings, request_timeout=REQUEST_TIMEOUT) as transport:
        yield transport


async def test_fed_updates_are_answered_at_the_bot_api(sink: Transport, api: FakeBotApi) -> None:
    await sink.feed(message("/start"))
    await sink.feed(message("IPM Pasuruan 2022"))
    markup = api.sent_to(CHAT)[-1].params["reply_markup"]
    buttons = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    await sink.feed(press(buttons["Kota Pasuruan"]))

    texts = texts_to(api)
    assert "Selamat datang" in texts[0]
    assert "Kota Pasuruan (3575), 2022" in texts[-1]
    assert len(api.calls_to("answerCallbackQuery")) == 1
    assert len(api.calls_to("setMyCommands")) == 2


async def test_what_the_bot_ignores_is_accepted_without_an_answer(
    sink: Transport, api: FakeBotApi
) -> None:
    await sink.feed(message("IPM Kota Batu", chat_id=-100123, chat_type="supergroup"))
    await sink.feed({"update_id": next(_ids), "edited_message": message("x")["message"]})
    assert api.sent_to(-100123) == [] and api.sent_to(CHAT) == []


async def test_a_failed_send_does_not_escape_the_sink(sink: Transport, api: FakeBotApi) -> None:
    api.inject("sendMessage", "403")
    await sink.feed(message("/start"))  # the user blocked the bot: logged, not raised
    api.inject("sendMessage", "429", retry_after=1)
    await sink.feed(message("/start"))
    assert len([t for t in texts_to(api) if "Selamat datang" in t]) == 1


async def test_a_rejected_token_stops_the_start(
    api: FakeBotApi, tmp_path: Path, library: str
) -> None:
    settings = settings_for(api, tmp_path, OTHER_TOKEN, library=library)
    with pytest.raises(StartFailed) as failed:
        async with open_transport(TRANSPORTS[library], settings, request_timeout=REQUEST_TIMEOUT):
            pass
    assert failed.value.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN" in str(failed.value)
