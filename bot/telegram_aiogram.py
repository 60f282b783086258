"""Telegram transport on aiogram 3 (TELEGRAM_LIBRARY=aiogram): long polling or webhook updates.

It behaves like the python-telegram-bot transport: the same handlers, the same conversion of
updates (`bot.updates`), the same reply splitting and retry rules, the same start-up contract.
Deployments choose the library they can support; any Bot API server works
(TELEGRAM_API_BASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
from aiogram import Bot
from aiogram import Dispatcher as AiogramDispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.background import Background
from bot.config import Settings
from bot.metrics import Metrics
from bot.signals import stop_on_signals
from bot.updates import callback_to_incoming, message_to_incoming, plan_sends, with_fetch
from bot.webhook import Readiness, run_webhook
from bot.wiring import Runtime, build_runtime
from handlers.basic import menu
from handlers.dispatcher import Dispatcher
from handlers.messages import Incoming, Reply
from reminders.send_budget import SendBudget, is_message
from texts.i18n import texts

log = logging.getLogger(__name__)
T = TypeVar("T")

EXIT_BAD_TOKEN = 2
EXIT_UNREACHABLE = 1
SEND_ATTEMPTS = 4
ALLOWED_UPDATES = ["message", "callback_query"]
# Failures worth another try: timeouts, lost connections, 5xx (a file download included).
TRANSIENT = (TelegramNetworkError, TelegramServerError, aiohttp.ClientConnectionError, TimeoutError)


class StartFailed(Exception):
    """Telegram refused the token or could not be reached; the message is the line to print."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class BudgetMiddleware(BaseRequestMiddleware):
    """Messages take a slot of the bot-wide budget, shared with the outbox and, on
    PostgreSQL, with the other workers."""

    def __init__(self, budget: SendBudget) -> None:
        self.budget = budget

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        slot = self.budget.slot() if is_message(method.__api_method__) else contextlib.nullcontext()
        async with slot:
            return await make_request(bot, method)


def make_bot(settings: Settings, budget: SendBudget, *, request_timeout: float = 10.0) -> Bot:
    """A bot speaking to the configured Bot API server (methods and file downloads), its
    messages within the budget."""
    assert settings.telegram_token, "the Telegram transport needs a token"
    server = TelegramAPIServer(
        base=f"{settings.telegram_api_base_url}{{token}}/{{method}}",
        file=f"{settings.telegram_file_base_url}{{token}}/{{path}}",
    )
    session = AiohttpSession(api=server, timeout=request_timeout)
    session.middleware(BudgetMiddleware(budget))
    return Bot(settings.telegram_token, session=session)


def build_router(
    dispatcher: Dispatcher, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> AiogramDispatcher:
    """Messages and button presses go to the handlers; every other update is ignored."""
    router = AiogramDispatcher()

    async def on_message(message: Message, bot: Bot) -> None:
        me = await bot.me()
        incoming = message_to_incoming(message, me.username or "")
        if incoming is None:
            return
        document = message.document

        async def fetch() -> bytes:
            assert document is not None
            file = await _with_retry(lambda: bot.get_file(document.file_id))
            assert file.file_path is not None
            content = await _with_retry(lambda: bot.download_file(str(file.file_path)))
            assert content is not None
            return content.read()

        await _answer(bot, dispatcher, with_fetch(incoming, document, fetch), clock)

    async def on_callback(query: CallbackQuery, bot: Bot) -> None:
        try:
            await _with_retry(query.answer)  # stops the button's spinner
        except TelegramAPIError as error:
            log.error("update for chat %s failed: %s", query.from_user.id, error)
            return
        incoming = callback_to_incoming(query)
        if incoming is not None:
            await _answer(bot, dispatcher, incoming, clock)

    router.message.register(on_message)
    router.callback_query.register(on_callback)
    return router


async def _answer(
    bot: Bot, dispatcher: Dispatcher, incoming: Incoming, clock: Callable[[], datetime]
) -> None:
    """Handle one action and send its replies; a failure is logged and the update dropped,
    as with the other transport, so one blocked user or bad update never stops the bot."""
    try:
        for reply in await dispatcher.handle(incoming, clock()):
            await send_reply(bot, incoming.chat_id, reply)
    except TelegramAPIError as error:
        log.error("update for chat %s failed: %s", incoming.chat_id, error)
    except Exception:
        log.exception("update for chat %s failed", incoming.chat_id)


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> list[Message]:
    """Send one reply, split to Telegram's limits; buttons go on the last message."""
    markup = _markup(reply)
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
    file = BufferedInputFile(attachment.content, filename=attachment.filename)
    if kind == "photo":
        return lambda: bot.send_photo(chat_id, photo=file, caption=caption, reply_markup=markup)
    return lambda: bot.send_document(chat_id, document=file, caption=caption, reply_markup=markup)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.data, url=b.url) for b in row]
            for row in reply.buttons
        ]
    )


async def _with_retry(call: Callable[[], Awaitable[T]]) -> T:
    """Retry what Telegram asks to retry (429) and transient failures (5xx, timeouts).

    403 (the user blocked the bot) and other client errors are not retried: the caller logs
    them and drops the update.
    """
    delay = 0.5
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await call()
        except TelegramRetryAfter as error:
            if attempt == SEND_ATTEMPTS:
                raise
            log.warning("Telegram asked to retry after %.1f s", error.retry_after)
            await asyncio.sleep(error.retry_after)
        except TRANSIENT:
            if attempt == SEND_ATTEMPTS:
                raise
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def register_commands(bot: Bot) -> None:
    """The command menu in Indonesian by default and in English for English-language apps."""
    for language in ("id", "en"):
        commands = [
            BotCommand(command=name, description=description)
            for name, description in menu(texts(language))
        ]
        await _with_retry(
            lambda c=commands, lang=language: bot.set_my_commands(
                c, language_code=None if lang == "id" else lang
            )
        )


@dataclass
class AiogramUpdateSink:
    """The running transport: `feed` hands one raw Bot API update (a webhook body) to the
    handlers; `bot` is there for the Bot API calls a webhook server makes (setWebhook)."""

    bot: Bot
    router: AiogramDispatcher
    runtime: Runtime

    async def feed(self, update: dict[str, Any]) -> None:
        await self.router.feed_raw_update(self.bot, update)


@contextlib.asynccontextmanager
async def open_transport(
    settings: Settings, *, request_timeout: float = 10.0, background: bool = True
) -> AsyncIterator[AiogramUpdateSink]:
    """Start everything but the update source: database, bot identity (the token is checked
    here, `StartFailed` if refused), both command menus and, unless told not to, the
    background jobs. Polling or a webhook server then feeds updates in."""
    runtime = await build_runtime(settings, datetime.now(UTC))
    bot = make_bot(settings, runtime.budget, request_timeout=request_timeout)
    jobs: Background | None = None
    try:
        me = await _identify(bot, settings)
        runtime.dispatcher.app.bot_username = me  # for invitation links
        await register_commands(bot)
        if background:
            jobs = Background(runtime, settings)
            await jobs.start()
        yield AiogramUpdateSink(bot, build_router(runtime.dispatcher), runtime)
    finally:
        if jobs is not None:
            await jobs.stop()
        await bot.session.close()
        await runtime.close()


async def _identify(bot: Bot, settings: Settings) -> str:
    try:
        me = await bot.me()
    except TelegramUnauthorizedError as error:
        raise StartFailed(
            "satudata: Telegram rejected TELEGRAM_BOT_TOKEN (wrong or revoked token: "
            f"{error.message}). Get a valid token from @BotFather.",
            EXIT_BAD_TOKEN,
        ) from None
    except TelegramAPIError as error:
        raise StartFailed(
            f"satudata: cannot reach the Telegram Bot API at {settings.telegram_api_base_url}"
            f" ({error.message}).",
            EXIT_UNREACHABLE,
        ) from None
    return me.username or ""


async def serve_polling_aiogram(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    poll_timeout: float = 10.0,
    request_timeout: float = 10.0,
) -> int:
    """Serve until SIGINT/SIGTERM (or `stop` is set); exit code 2 for a rejected token."""
    stop = stop or asyncio.Event()
    try:
        with stop_on_signals(stop):
            async with open_transport(settings, request_timeout=request_timeout) as sink:
                await _with_retry(sink.bot.delete_webhook)  # no polling while a webhook is set
                log.info("serving @%s by long polling", sink.runtime.dispatcher.app.bot_username)
                await _poll(sink, stop, poll_timeout)
    except StartFailed as failure:
        print(failure, file=sys.stderr)
        return failure.exit_code
    return 0


async def _poll(sink: AiogramUpdateSink, stop: asyncio.Event, poll_timeout: float) -> None:
    started = asyncio.Event()

    async def on_startup() -> None:
        started.set()

    sink.router.startup.register(on_startup)
    polling = asyncio.create_task(
        sink.router.start_polling(
            sink.bot,
            polling_timeout=max(1, round(poll_timeout)),
            allowed_updates=ALLOWED_UPDATES,
            handle_signals=False,  # the signals set `stop`, here as in the other transport
            close_bot_session=False,  # closed with the rest of the transport
        )
    )
    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait([polling, waiting], return_when=asyncio.FIRST_COMPLETED)
    log.info("stopping")
    waiting.cancel()
    if not polling.done():
        await started.wait()
        await sink.router.stop_polling()
    await polling


async def serve_webhook_aiogram(
    settings: Settings, *, stop: asyncio.Event | None = None, request_timeout: float = 10.0
) -> int:
    """Webhook mode through aiogram: the same server, health checks and metrics as with
    python-telegram-bot; the webhook is registered at start and left in place at stop."""
    url, secret = settings.require_webhook()
    stop = stop or asyncio.Event()
    try:
        with stop_on_signals(stop):
            # run_webhook starts the background jobs itself (unless SATUDATA_BACKGROUND=off).
            async with open_transport(
                settings, request_timeout=request_timeout, background=False
            ) as sink:
                await _with_retry(
                    lambda: sink.bot.set_webhook(
                        url,
                        secret_token=secret,
                        allowed_updates=["message", "callback_query"],
                        drop_pending_updates=False,
                    )
                )
                readiness = Readiness(sink.runtime.engine)
                readiness.bot_ok = True
                metrics = Metrics(sink.runtime.engine)
                await run_webhook(settings, sink.runtime, sink, readiness, metrics, stop)
    except StartFailed as failure:
        print(failure, file=sys.stderr)
        return failure.exit_code
    return 0
