"""Telegram transport on python-telegram-bot: long polling, replies within Telegram's limits.

The handlers never see Telegram objects: updates become `Incoming`, `Reply` becomes
sendMessage / sendPhoto / sendDocument calls. Any Bot API server works (TELEGRAM_API_BASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
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
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    TypeHandler,
)

from bot.background import Background
from bot.config import Settings
from bot.metrics import Metrics
from bot.signals import stop_on_signals
from bot.updates import callback_to_incoming, message_to_incoming, plan_sends, with_fetch
from bot.webhook import Readiness, run_webhook
from bot.wiring import build_runtime
from handlers.basic import menu
from handlers.dispatcher import Dispatcher
from handlers.messages import Incoming, Reply
from reminders.send_budget import SendBudget, is_message
from texts.i18n import texts

log = logging.getLogger(__name__)
T = TypeVar("T")

# Durations as timedelta, the behaviour the next major release of the library makes default.
os.environ.setdefault("PTB_TIMEDELTA", "true")

EXIT_BAD_TOKEN = 2
SEND_ATTEMPTS = 4


def to_incoming(update: Update, bot_username: str) -> Incoming | None:
    """The part of an update the handlers need; None for updates the bot ignores."""
    if update.callback_query is not None:
        return callback_to_incoming(update.callback_query)
    if update.message is None:
        return None
    return message_to_incoming(update.message, bot_username)


def with_fetcher(update: Update, incoming: Incoming) -> Incoming:
    """Let a conversation fetch a document sent in a private chat, within the size limit."""
    document = update.message.document if update.message else None

    async def fetch() -> bytes:
        assert document is not None
        file = await _with_retry(document.get_file)
        return bytes(await _with_retry(file.download_as_bytearray))

    return with_fetch(incoming, document, fetch)


class BudgetRateLimiter(BaseRateLimiter[dict[str, Any]]):
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
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        slot = self.budget.slot() if is_message(endpoint) else contextlib.nullcontext()
        async with slot:
            return await self.groups.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )


def build_application(
    settings: Settings,
    dispatcher: Dispatcher,
    budget: SendBudget,
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
        .rate_limiter(BudgetRateLimiter(budget))
        .connect_timeout(request_timeout)
        .read_timeout(request_timeout)
        .write_timeout(request_timeout)
        .get_updates_read_timeout(request_timeout + 30)
        .concurrent_updates(True)
        .build()
    )

    async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if isinstance(update, Update):
            await answer_update(update, context.bot, dispatcher, clock())

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update %s failed: %s", getattr(update, "update_id", "?"), context.error)

    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return application


async def answer_update(update: Update, bot: Any, dispatcher: Dispatcher, now: datetime) -> None:
    """One update in, its replies out: the same for long polling and for webhooks."""
    if update.callback_query is not None:
        await _with_retry(update.callback_query.answer)
    incoming = to_incoming(update, bot.username)
    if incoming is None:
        return
    if incoming.chat_type == ChatType.PRIVATE:
        incoming = with_fetcher(update, incoming)
    replies = await dispatcher.handle(incoming, now)
    for reply in replies:
        await send_reply(bot, incoming.chat_id, reply)


class PtbSink:
    """Webhook updates (JSON dicts) answered through an initialised application's bot.

    Failures propagate to the webhook server, which counts and logs them.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        dispatcher: Dispatcher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.bot = application.bot
        self.dispatcher = dispatcher
        self.clock = clock

    async def feed(self, update: dict[str, Any]) -> None:
        await answer_update(
            Update.de_json(update, self.bot), self.bot, self.dispatcher, self.clock()
        )


async def send_reply(bot: Any, chat_id: int, reply: Reply) -> list[Message]:
    """Send one reply, split to Telegram's limits; buttons go on the last message."""
    markup = _markup(reply)
    sent: list[Message] = []
    for part in plan_sends(reply):
        kwargs: dict[str, Any] = {
            "chat_id": chat_id,
            "reply_markup": markup if part.buttons else None,
        }
        if part.kind == "message":
            send: Callable[..., Awaitable[Message]] = bot.send_message
            kwargs["text"] = part.text
        else:
            assert reply.attachment is not None
            send = bot.send_photo if part.kind == "photo" else bot.send_document
            kwargs[part.kind] = InputFile(
                reply.attachment.content, filename=reply.attachment.filename
            )
            kwargs["caption"] = part.text
        sent.append(await _with_retry(lambda s=send, k=kwargs: s(**k)))
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
    application = build_application(
        settings, runtime.dispatcher, runtime.budget, request_timeout=request_timeout
    )
    stop = stop or asyncio.Event()
    with stop_on_signals(stop):
        try:
            failed = await _initialize(application, settings)
            if failed is not None:
                return failed
            runtime.dispatcher.app.bot_username = application.bot.username  # for invitation links
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
            await runtime.close()
    return 0


async def serve_webhook(
    settings: Settings, *, stop: asyncio.Event | None = None, request_timeout: float = 10.0
) -> int:
    """Serve Telegram's webhook posts until SIGINT/SIGTERM (or `stop`); 2 for a rejected token.

    The webhook is registered at every start (with this deployment's URL and secret) and left
    in place at stop: the other workers behind the same URL keep serving it.
    """
    url, secret = settings.require_webhook()
    runtime = await build_runtime(settings, datetime.now(UTC))
    application = build_application(
        settings, runtime.dispatcher, runtime.budget, request_timeout=request_timeout
    )
    readiness = Readiness(runtime.engine)
    stop = stop or asyncio.Event()
    with stop_on_signals(stop):
        try:
            failed = await _initialize(application, settings)
            if failed is not None:
                return failed
            readiness.bot_ok = True
            runtime.dispatcher.app.bot_username = application.bot.username
            try:
                await register_commands(application.bot)
                await _with_retry(
                    lambda: application.bot.set_webhook(
                        url,
                        secret_token=secret,
                        allowed_updates=["message", "callback_query"],
                        drop_pending_updates=False,
                    )
                )
                sink = PtbSink(application, runtime.dispatcher)
                metrics = Metrics(runtime.engine)
                await run_webhook(settings, runtime, sink, readiness, metrics, stop)
            finally:
                await application.shutdown()
        finally:
            await runtime.close()
    return 0


async def _initialize(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> int | None:
    """getMe through `initialize`; an exit code, with one line said, when Telegram refuses."""
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
    return None
