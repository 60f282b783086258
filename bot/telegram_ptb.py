"""Telegram transport on python-telegram-bot: long polling or webhook updates, replies within
Telegram's limits.

The handlers never see Telegram objects: updates become `Incoming`, `Reply` becomes
sendMessage / sendPhoto / sendDocument calls (`bot.updates`). The lifecycle, the retry loop and
the answer to an update are those of every transport (`bot.transport`); this module adds what
the library needs: its application, its rate limiter and the meaning of its exceptions. Any
Bot API server works (TELEGRAM_API_BASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from telegram import Bot, BotCommand, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    TypeHandler,
)

from bot import transport
from bot.config import Settings
from bot.transport import ALLOWED_UPDATES, StartFailed
from bot.updates import (
    callback_to_incoming,
    inline_keyboard,
    message_to_incoming,
    plan_sends,
    with_fetch,
)
from bot.wiring import Runtime
from handlers.commands import menu
from handlers.messages import Incoming, Reply
from reminders.outcomes import Failure, failure
from reminders.send_budget import SendBudget, is_message
from texts.i18n import texts

log = logging.getLogger(__name__)
T = TypeVar("T")

# Durations as timedelta, the behaviour the next major release of the library makes default.
os.environ.setdefault("PTB_TIMEDELTA", "true")

PtbApplication = Application[Any, Any, Any, Any, Any, Any]


def failure_of(error: BaseException) -> Failure | None:
    """The library's exception as a Bot API outcome (`reminders.outcomes`); None for any other
    exception."""
    return _failure(error) if isinstance(error, TelegramError) else None


def _failure(error: TelegramError) -> Failure:
    """The library keeps no HTTP status, so the status each exception stands for is restored;
    a plain `NetworkError` is a lost connection or a 5xx, passing failures alike."""
    match error:
        case RetryAfter():
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return failure(429, error.message, seconds)
        case Forbidden():
            return failure(403, error.message)
        case InvalidToken():
            return failure(401, error.message)
        case BadRequest() | ChatMigrated():  # BadRequest before TimedOut: both NetworkErrors
            return failure(400, error.message)
        case Conflict():
            return failure(409, error.message)
        case TimedOut():
            return failure(None, f"timeout: {error.message}")
    return failure(None, error.message)


async def _with_retry(call: Callable[[], Awaitable[T]]) -> T:
    """The transports' retry loop with this library's exceptions."""
    return await transport.with_retry(call, failure_of)


def to_incoming(update: Update, bot_username: str) -> Incoming | None:
    """The part of an update the handlers need; None for updates the bot ignores."""
    if update.callback_query is not None:
        return callback_to_incoming(update.callback_query)
    if update.message is None:
        return None
    incoming = message_to_incoming(update.message, bot_username)
    return None if incoming is None else with_fetcher(update.message, incoming)


def with_fetcher(message: Message, incoming: Incoming) -> Incoming:
    """Let a conversation fetch a document sent in a private chat, within the size limit."""
    document = message.document

    async def fetch() -> bytes:
        assert document is not None
        file = await _with_retry(document.get_file)
        return bytes(await _with_retry(file.download_as_bytearray))

    return with_fetch(incoming, document, fetch)


class BudgetRateLimiter(BaseRateLimiter[int]):
    """Messages take a slot of the bot-wide budget (shared with the outbox and, on
    PostgreSQL, with the other workers); the library's own limiter keeps the 20 per minute of
    each group, its overall limit switched off in favour of the budget."""

    def __init__(self, budget: SendBudget) -> None:
        self.budget = budget
        self.groups = AIORateLimiter(overall_max_rate=0)

    async def initialize(self) -> None:
        await self.groups.initialize()

    async def shutdown(self) -> None:
        await self.groups.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        slot = self.budget.slot() if is_message(endpoint) else contextlib.nullcontext()
        async with slot:
            return await self.groups.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )


def build_application(
    settings: Settings,
    budget: SendBudget,
    on_update: Callable[[Update], Awaitable[None]],
    *,
    request_timeout: float = 10.0,
) -> PtbApplication:
    """The library's application around the Bot API server: polled updates go to
    `on_update`, several at a time."""
    assert settings.telegram_token, "build_application needs a token"
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .rate_limiter(BudgetRateLimiter(budget))
        .connect_timeout(request_timeout)
        .read_timeout(request_timeout)
        .write_timeout(request_timeout)
        .get_updates_read_timeout(request_timeout + 30)
        .concurrent_updates(True)
        .build()
    )

    async def on_polled(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            await on_update(update)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        number = getattr(update, "update_id", "?")
        log.error("update %s failed: %s", number, context.error, exc_info=context.error)

    application.add_handler(TypeHandler(Update, on_polled))
    application.add_error_handler(on_error)
    return application


class PtbTransport:
    """A `bot.transport.Transport` on python-telegram-bot."""

    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        *,
        request_timeout: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.dispatcher = runtime.dispatcher
        self.clock = clock
        self.application = build_application(
            settings, runtime.budget, self.answer_update, request_timeout=request_timeout
        )

    async def identify(self) -> str:
        try:
            await self.application.initialize()  # getMe
        except TelegramError as error:
            raise StartFailed.refused(_failure(error), self.settings) from None
        return str(self.application.bot.username)

    async def register_commands(self) -> None:
        await register_commands(self.application.bot)

    async def start_polling(self, poll_timeout: float) -> None:
        updater = self.application.updater
        assert updater is not None
        await self.application.start()
        # The library's start removes a webhook left behind (deleteWebhook) before polling.
        await updater.start_polling(
            timeout=timedelta(seconds=poll_timeout), allowed_updates=ALLOWED_UPDATES
        )

    async def stop_polling(self) -> None:
        """The updater, then the application (which waits for the updates in hand): each only
        if running, so a cut-short start stops as cleanly as a full one."""
        updater = self.application.updater
        try:
            if updater is not None and updater.running:
                await updater.stop()
        finally:
            if self.application.running:
                await self.application.stop()

    async def set_webhook(self, url: str, secret: str) -> None:
        await _with_retry(
            lambda: self.application.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        )

    async def feed(self, update: dict[str, Any]) -> None:
        bot = self.application.bot
        await self.answer_update(Update.de_json(update, bot))

    async def answer_update(self, update: Update) -> None:
        """One update in, its replies out: the same for long polling and for webhooks."""
        query = update.callback_query
        await transport.answer(
            self.dispatcher,
            to_incoming(update, self.application.bot.username),
            self.clock(),
            self.send_reply,
            failure_of,
            acknowledge=query.answer if query is not None else None,
        )

    async def send_reply(self, chat_id: int, reply: Reply) -> None:
        await send_reply(self.application.bot, chat_id, reply)

    async def close(self) -> None:
        """The application, then the bot's connections: an application whose start did not
        get past getMe leaves them to the bot."""
        try:
            await self.application.shutdown()
        finally:
            await self.application.bot.shutdown()


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> list[Message]:
    """Send one reply, split to Telegram's limits; buttons go on the last message."""
    keyboard = inline_keyboard(reply.buttons)
    markup = InlineKeyboardMarkup.de_json(keyboard, bot) if keyboard else None
    sent: list[Message] = []
    for part in plan_sends(reply):
        buttons = markup if part.buttons else None
        if part.kind == "message":
            call = _message_call(bot, chat_id, part.text or "", buttons)
        else:
            call = _file_call(bot, chat_id, reply, part.kind, part.text, buttons)
        sent.append(await _with_retry(call))
    return sent


def _message_call(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> Callable[[], Awaitable[Message]]:
    return lambda: bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)


def _file_call(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    kind: str,
    caption: str | None,
    markup: InlineKeyboardMarkup | None,
) -> Callable[[], Awaitable[Message]]:
    attachment = reply.attachment
    assert attachment is not None
    file = InputFile(attachment.content, filename=attachment.filename)
    if kind == "photo":
        return lambda: bot.send_photo(chat_id, file, caption=caption, reply_markup=markup)
    return lambda: bot.send_document(chat_id, file, caption=caption, reply_markup=markup)


async def register_commands(bot: Any) -> None:
    """The command menu from the declarations in handlers.commands: Indonesian names and
    descriptions by default, English ones for apps set to English."""

    async def set_menu(language: str) -> None:
        commands = [BotCommand(name, description) for name, description in menu(texts(language))]
        code = None if language == "id" else language
        await _with_retry(lambda: bot.set_my_commands(commands, language_code=code))

    for language in ("id", "en"):
        await set_menu(language)


async def serve_polling(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    poll_timeout: float = 10.0,
    request_timeout: float = 10.0,
) -> int:
    """Serve by long polling until SIGINT/SIGTERM (or `stop`); exit code 2 for a refused token."""
    return await transport.serve_polling(
        PtbTransport,
        settings,
        stop=stop,
        poll_timeout=poll_timeout,
        request_timeout=request_timeout,
    )


async def serve_webhook(
    settings: Settings, *, stop: asyncio.Event | None = None, request_timeout: float = 10.0
) -> int:
    """Serve Telegram's webhook posts until SIGINT/SIGTERM (or `stop`); 2 for a refused token."""
    return await transport.serve_webhook(
        PtbTransport, settings, stop=stop, request_timeout=request_timeout
    )
