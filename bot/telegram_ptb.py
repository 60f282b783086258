"""Telegram transport on python-telegram-bot: long polling, replies within Telegram's limits.

The handlers never see Telegram objects: updates become `Incoming`, `Reply` becomes
sendMessage / sendPhoto / sendDocument calls. Any Bot API server works (TELEGRAM_API_BASE_URL).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.background import Background
from bot.config import Settings
from bot.telegram_limits import CAPTION_LIMIT, split_text
from bot.wiring import build_runtime
from handlers.basic import menu
from handlers.dispatcher import Dispatcher
from handlers.messages import Incoming, Reply
from reports.i18n import texts

log = logging.getLogger(__name__)
T = TypeVar("T")

# Durations as timedelta, the behaviour the next major release of the library makes default.
os.environ.setdefault("PTB_TIMEDELTA", "true")

EXIT_BAD_TOKEN = 2
SEND_ATTEMPTS = 4


def to_incoming(update: Update, bot_username: str) -> Incoming | None:
    """The part of an update the handlers need; None for updates the bot ignores."""
    user = update.effective_user
    chat = update.effective_chat
    if chat is None:
        return None
    common = {
        "chat_id": chat.id,
        "user_id": user.id if user else None,
        "chat_type": chat.type,
        "user_name": user.full_name if user else "",
        "language_code": user.language_code if user else None,
    }
    if update.callback_query is not None:
        return Incoming(callback_data=update.callback_query.data or "", **common)
    message = update.message
    if message is None or message.text is None:
        return None
    text = message.text
    if chat.type != ChatType.PRIVATE:
        # In groups, speak only when spoken to: commands, or a mention of the bot.
        mention = f"@{bot_username}".casefold()
        if not text.startswith("/") and mention not in text.casefold():
            return None
        if not text.startswith("/"):
            text = text.replace(f"@{bot_username}", "").strip()
    return Incoming(text=text, **common)


def build_application(
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    request_timeout: float = 10.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Application[Any, Any, Any, Any, Any, Any]:
    assert settings.telegram_token, "build_application needs a token"
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .rate_limiter(AIORateLimiter())
        .connect_timeout(request_timeout)
        .read_timeout(request_timeout)
        .write_timeout(request_timeout)
        .get_updates_read_timeout(request_timeout + 30)
        .concurrent_updates(True)
        .build()
    )

    async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            await _with_retry(update.callback_query.answer)
        incoming = to_incoming(update, context.bot.username)
        if incoming is None:
            return
        replies = await dispatcher.handle(incoming, clock())
        for reply in replies:
            await send_reply(context.bot, incoming.chat_id, reply)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update %s failed: %s", getattr(update, "update_id", "?"), context.error)

    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return application


async def send_reply(bot: Any, chat_id: int, reply: Reply) -> list[Message]:
    """Send one reply, split to Telegram's limits; buttons go on the last message."""
    markup = _markup(reply)
    sent: list[Message] = []
    text = reply.text
    if reply.attachment is not None:
        caption = text if len(text) <= CAPTION_LIMIT else None
        file = InputFile(reply.attachment.content, filename=reply.attachment.filename)
        send = bot.send_photo if reply.attachment.kind == "photo" else bot.send_document
        field = "photo" if reply.attachment.kind == "photo" else "document"
        kwargs = {"chat_id": chat_id, field: file, "caption": caption}
        if caption is not None:
            kwargs["reply_markup"] = markup
        sent.append(await _with_retry(lambda: send(**kwargs)))
        if caption is not None:
            return sent
    chunks = split_text(text)
    for number, chunk in enumerate(chunks, start=1):
        last = number == len(chunks)
        sent.append(
            await _with_retry(
                lambda c=chunk, m=(markup if last else None): bot.send_message(
                    chat_id=chat_id, text=c, reply_markup=m
                )
            )
        )
    return sent


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
            for row in reply.buttons
        ]
    )


async def _with_retry(call: Callable[[], Awaitable[T]]) -> T:
    """Retry what Telegram asks to retry (429) and transient failures (5xx, timeouts).

    403 (the user blocked the bot) and other client errors are not retried: they are logged
    by the caller's error handler and the update is dropped.
    """
    delay = 0.5
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            if attempt == SEND_ATTEMPTS:
                raise
            log.warning("Telegram asked to retry after %.1f s", seconds)
            await asyncio.sleep(seconds)
        except Forbidden:
            raise
        except NetworkError:  # includes TimedOut and 5xx
            if attempt == SEND_ATTEMPTS:
                raise
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def register_commands(bot: Any) -> None:
    """The command menu in Indonesian by default and in English for English-language apps."""
    for language in ("id", "en"):
        commands = [BotCommand(name, description) for name, description in menu(texts(language))]
        await _with_retry(
            lambda c=commands, lang=language: bot.set_my_commands(
                c, language_code=None if lang == "id" else lang
            )
        )


async def serve_polling(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    poll_timeout: float = 10.0,
    request_timeout: float = 10.0,
) -> int:
    """Serve until SIGINT/SIGTERM (or `stop` is set); exit code 2 for a rejected token."""
    runtime = await build_runtime(settings, datetime.now(UTC))
    application = build_application(settings, runtime.dispatcher, request_timeout=request_timeout)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await application.initialize()
        except InvalidToken as error:
            print(
                "satudata: Telegram rejected TELEGRAM_BOT_TOKEN (wrong or revoked token: "
                f"{error.message}). Get a valid token from @BotFather.",
                file=sys.stderr,
            )
            return EXIT_BAD_TOKEN
        except TelegramError as error:
            print(
                f"satudata: cannot reach the Telegram Bot API at {settings.telegram_api_base_url}"
                f" ({error.message}).",
                file=sys.stderr,
            )
            return 1
        try:
            await register_commands(application.bot)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(
                timeout=poll_timeout, allowed_updates=["message", "callback_query"]
            )
            background = Background(runtime, settings)
            await background.start()
            log.info("serving @%s by long polling", application.bot.username)
            await stop.wait()
            log.info("stopping")
            await application.updater.stop()
            await background.stop()
            await application.stop()
        finally:
            await application.shutdown()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runtime.close()
    return 0
