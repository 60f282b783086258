"""The Telegram transport end to end, against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot

from bot.config import Settings
from bot.telegram_limits import TEXT_LIMIT
from bot.telegram_ptb import send_reply, serve_polling
from handlers.messages import Button, Reply
from tests.fake_bot_api import FakeBotApi

TOKEN = "123456:TEST-token-for-the-fake-bot-api"
OTHER_TOKEN = "654321:revoked-token-the-server-rejects"
CHAT = 501


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(tokens={TOKEN}, timeout_delay=2.0)
    await server.start()
    yield server
    await server.stop()


def settings_for(api: FakeBotApi, tmp_path: Path, token: str = TOKEN) -> Settings:
    return Settings.from_env(
        environ={
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
        },
        env_file=None,
    )


@pytest.fixture
async def serving(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[FakeBotApi]:
    """The bot polling the fake API in this event loop, stopped cleanly afterwards."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_polling(settings_for(api, tmp_path), stop=stop, poll_timeout=1, request_timeout=1)
    )
    await api.wait_for(lambda: bool(api.calls_to("setMyCommands")), within=20)
    yield api
    stop.set()
    assert await asyncio.wait_for(task, 15) == 0


def texts_to(api: FakeBotApi, chat_id: int = CHAT) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in api.sent_to(chat_id)]


async def test_start_and_a_question_are_answered(serving: FakeBotApi) -> None:
    serving.push_message("/start")
    await serving.wait_for(lambda: any("Selamat datang" in t for t in texts_to(serving)))
    serving.push_message("IPM Kabupaten Pasuruan")
    await serving.wait_for(lambda: any("73,02" in t for t in texts_to(serving)))
    answer = next(t for t in texts_to(serving) if "73,02" in t)
    assert "Kabupaten Pasuruan (3514), 2025" in answer
    assert "Sumber:" in answer


async def test_command_menu_is_registered_in_both_languages(serving: FakeBotApi) -> None:
    calls = serving.calls_to("setMyCommands")
    by_language = {c.params.get("language_code"): c.params["commands"] for c in calls}
    assert {c["command"] for c in by_language[None]} >= {"start", "bantuan", "data"}
    assert any(c["description"] == "how to use the bot" for c in by_language["en"])
    assert any(c["description"] == "panduan penggunaan" for c in by_language[None])


async def test_ambiguous_region_offers_buttons_and_a_press_answers(serving: FakeBotApi) -> None:
    serving.push_message("IPM Pasuruan 2022")
    await serving.wait_for(lambda: any(c.params.get("reply_markup") for c in serving.sent_to(CHAT)))
    markup = next(
        c.params["reply_markup"] for c in serving.sent_to(CHAT) if c.params.get("reply_markup")
    )
    buttons = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    assert set(buttons) == {"Kabupaten Pasuruan", "Kota Pasuruan"}
    assert all(len(data.encode()) <= 64 for data in buttons.values())
    serving.push_callback(buttons["Kota Pasuruan"])
    await serving.wait_for(
        lambda: any("Kota Pasuruan (3575), 2022" in t for t in texts_to(serving))
    )
    assert serving.calls_to("answerCallbackQuery"), "the button spinner must be stopped"


async def test_a_trend_question_gets_a_chart_photo_with_caption(serving: FakeBotApi) -> None:
    serving.push_message("tren IPM Kota Batu 5 tahun terakhir")
    await serving.wait_for(lambda: bool(serving.calls_to("sendPhoto")), within=20)
    photo = serving.calls_to("sendPhoto")[0]
    assert photo.files["photo"].startswith(b"\x89PNG")
    caption = photo.params["caption"]
    assert len(caption) <= 1024
    assert "Kota Batu (3579), 2021–2025" in caption
    assert "Sumber:" in caption


async def test_replies_survive_429_5xx_and_timeouts_without_duplicates(serving: FakeBotApi) -> None:
    serving.inject("sendMessage", "429", retry_after=1)
    serving.inject("sendMessage", "500")
    serving.inject("sendMessage", "timeout")
    serving.push_message("TPT Kota Surabaya 2023")
    await serving.wait_for(
        lambda: any("Kota Surabaya (3578)" in t for t in texts_to(serving)), within=20
    )
    await asyncio.sleep(0.5)
    answers = [t for t in texts_to(serving) if "Kota Surabaya (3578)" in t]
    assert len(answers) == 1


async def test_a_user_who_blocked_the_bot_does_not_stop_it(serving: FakeBotApi) -> None:
    serving.inject("sendMessage", "403")
    serving.push_message("/start", chat_id=777, user_id=777)
    await serving.wait_for(lambda: serving.pending_faults("sendMessage") == 0)
    serving.push_message("/start")
    await serving.wait_for(lambda: any("Selamat datang" in t for t in texts_to(serving)))
    assert texts_to(serving, 777) == []


async def test_in_groups_the_bot_speaks_only_when_spoken_to(serving: FakeBotApi) -> None:
    group = -100123
    serving.push_message("IPM Kota Batu", chat_id=group, chat_type="supergroup")
    serving.push_message("/bantuan@satudata_test_bot", chat_id=group, chat_type="supergroup")
    await serving.wait_for(lambda: any("Panduan" in t for t in texts_to(serving, group)))
    assert len(texts_to(serving, group)) == 1


async def test_long_replies_are_split_and_buttons_go_last(api: FakeBotApi) -> None:
    paragraph = "Baris data yang panjang untuk menguji pemotongan pesan. " * 20
    text = "\n".join([paragraph] * 12)
    assert len(text) > 2 * TEXT_LIMIT
    reply = Reply(text, buttons=[[Button("Detail", "ans:id:1:1:0")]])
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        await send_reply(bot, CHAT, reply)
    sent = api.sent_to(CHAT)
    # 12 paragraphs of 1,120 characters: three fit in one message, so four messages.
    assert len(paragraph) == 1120
    assert len(sent) == 4
    assert all(len(c.params["text"]) <= TEXT_LIMIT for c in sent)
    assert [bool(c.params.get("reply_markup")) for c in sent] == [False, False, False, True]
    # Nothing lost: the same words in the same order, only whitespace at the cuts differs.
    assert " ".join(c.params["text"] for c in sent).split() == text.split()


async def test_photo_with_long_text_sends_photo_then_text(api: FakeBotApi) -> None:
    from handlers.messages import Attachment

    reply = Reply("x" * 1500, attachment=Attachment("photo", "chart.png", b"\x89PNG fake"))
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        await send_reply(bot, CHAT, reply)
    methods = [c.method for c in api.sent_to(CHAT)]
    assert methods == ["sendPhoto", "sendMessage"]
    assert api.sent_to(CHAT)[0].files["photo"] == b"\x89PNG fake"


async def test_rejected_token_exits_2_with_one_line(
    api: FakeBotApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await serve_polling(settings_for(api, tmp_path, OTHER_TOKEN), request_timeout=2)
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "TELEGRAM_BOT_TOKEN" in err[0]


async def test_satudata_run_serves_telegram_and_stops_on_sigterm(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/run.db",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_for(lambda: bool(api.calls_to("setMyCommands")), within=30)
        api.push_message("/start")
        api.push_message("jumlah penduduk miskin Jember 2021")
        await api.wait_for(lambda: any("257,09" in t for t in texts_to(api)), within=20)
        assert any("Selamat datang" in t for t in texts_to(api))
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
