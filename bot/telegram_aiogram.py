"""Telegram transport on aiogram 3 (TELEGRAM_LIBRARY=aiogram): long polling or webhook updates.

It behaves like the python-telegram-bot transport: the same handlers, the same conversion of
updates and planning of replies (`bot.updates`), the same lifecycle, retry loop and answer to
an update (`bot.transport`); this module adds what the library needs: its bot and session,
its router and the meaning of its exceptions. Deployments choose the library they can
support; any Bot API server works (TELEGRAM_API_BASE_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
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
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
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
    InlineKeyboardMarkup,
    Message,
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

# The HTTP status each of the library's exceptions stands for (it keeps none itself), most
# specific first: TelegramEntityTooLarge is a TelegramNetworkError, for one.
STATUSES: tuple[tuple[type[TelegramAPIError], int], ...] = (
    (TelegramEntityTooLarge, 413),
    (TelegramBadRequest, 400),
    (TelegramMigrateToChat, 400),
    (TelegramUnauthorizedError, 401),
    (TelegramForbiddenError, 403),
    (TelegramNotFound, 404),
    (TelegramConflictError, 409),
    (TelegramServerError, 500),
)


def failure_of(error: BaseException) -> Failure | None:
    """The library's exception (or a file download's aiohttp error) as a Bot API outcome
    (`reminders.outcomes`); None for any other exception."""
    match error:
        case TelegramAPIError():
            return _failure(error)
        case ClientDecodeError():  # a proxy's error page, or a URL that is no Bot API
            return failure(None, f"not a Bot API answer: {str(error.data)[:80]}")
        case aiohttp.ClientResponseError():
            return failure(error.status, error.message)
        case aiohttp.ClientError() | TimeoutError():
            return failure(None, repr(error))
    return None


def _failure(error: TelegramAPIError) -> Failure:
    if isinstance(error, TelegramRetryAfter):
        return failure(429, error.message, float(error.retry_after))
    if isinstance(error, TelegramNetworkError) and not isinstance(error, TelegramEntityTooLarge):
        return failure(None, error.message)  # a timeout or a lost connection
    status = next((s for kind, s in STATUSES if isinstance(error, kind)), 400)
    return failure(status, error.message)  # 400: another client error, of no named kind


async def _with_retry(call: Callable[[], Awaitable[T]]) -> T:
    """The transports' retry loop with this library's exceptions."""
    return await transport.with_retry(call, failure_of)


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


class AiogramTransport:
    """A `bot.transport.Transport` on aiogram."""

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
        self.bot = make_bot(settings, runtime.budget, request_timeout=request_timeout)
        self.router = AiogramDispatcher()  # messages and button presses; the rest is ignored
        self.router.message.register(self._on_message)
        self.router.callback_query.register(self._on_callback)
        self.router.startup.register(self._on_startup)
        self._polling: asyncio.Task[None] | None = None
        self._polling_started = asyncio.Event()
        # Updates being answered: polling hands each to a task of its own and, unlike the
        # other library, does not wait for them when it stops; stopping does.
        self._answering: set[asyncio.Task[Any]] = set()

    async def identify(self) -> str:
        try:
            me = await self.bot.me()
        except (TelegramAPIError, ClientDecodeError) as error:
            outcome = failure_of(error)
            assert outcome is not None  # both kinds have one
            raise StartFailed.refused(outcome, self.settings) from None
        return me.username or ""

    async def register_commands(self) -> None:
        await register_commands(self.bot)

    async def start_polling(self, poll_timeout: float) -> None:
        await _with_retry(self.bot.delete_webhook)  # no polling while a webhook is set
        self._polling = asyncio.create_task(
            self.router.start_polling(
                self.bot,
                polling_timeout=max(1, round(poll_timeout)),
                allowed_updates=ALLOWED_UPDATES,
                handle_signals=False,  # the signals set `stop`, here as in the other transport
                close_bot_session=False,  # closed by `close`, with the rest of the transport
            )
        )
        started = asyncio.create_task(self._polling_started.wait())
        try:
            await asyncio.wait([self._polling, started], return_when=asyncio.FIRST_COMPLETED)
        finally:
            started.cancel()
        if self._polling.done():
            self._polling.result()  # polling failed to start: its error

    async def _on_startup(self) -> None:
        self._polling_started.set()

    async def stop_polling(self) -> None:
        polling = self._polling
        if polling is not None:
            if not polling.done():
                if self._polling_started.is_set():
                    await self.router.stop_polling()
                else:  # not started yet: nothing to wind down
                    polling.cancel()
            await asyncio.wait([polling])
            if not polling.cancelled() and (error := polling.exception()) is not None:
                log.error("polling failed: %r", error, exc_info=error)
        await asyncio.gather(*self._answering, return_exceptions=True)

    async def set_webhook(self, url: str, secret: str) -> None:
        await _with_retry(
            lambda: self.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        )

    async def feed(self, update: dict[str, Any]) -> None:
        await self.router.feed_raw_update(self.bot, update)

    async def send_reply(self, chat_id: int, reply: Reply) -> None:
        await send_reply(self.bot, chat_id, reply)

    async def close(self) -> None:
        await self.bot.session.close()

    async def _on_message(self, message: Message, bot: Bot) -> None:
        me = await bot.me()
        incoming = message_to_incoming(message, me.username or "")
        if incoming is not None:
            await self._answer(with_fetcher(bot, message, incoming))

    async def _on_callback(self, query: CallbackQuery, bot: Bot) -> None:
        await self._answer(callback_to_incoming(query), acknowledge=query.answer)

    async def _answer(
        self,
        incoming: Incoming | None,
        acknowledge: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._answering.add(task)
        try:
            await transport.answer(
                self.dispatcher,
                incoming,
                self.clock(),
                self.send_reply,
                failure_of,
                acknowledge=acknowledge,
            )
        finally:
            self._answering.discard(task)


def with_fetcher(bot: Bot, message: Message, incoming: Incoming) -> Incoming:
    """Let a conversation fetch a document sent in a private chat, within the size limit."""
    document = message.document

    async def fetch() -> bytes:
        assert document is not None
        file = await _with_retry(lambda: bot.get_file(document.file_id))
        assert file.file_path is not None
        path = file.file_path
        content = await _with_retry(lambda: bot.download_file(path))
        assert content is not None
        return content.read()

    return with_fetch(incoming, document, fetch)


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> list[Message]:
    """Send one reply, split to Telegram's limits; buttons go on the last message."""
    keyboard = inline_keyboard(reply.buttons)
    markup = InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None
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


async def register_commands(bot: Bot) -> None:
    """The command menu from the declarations in handlers.commands: Indonesian names and
    descriptions by default, English ones for apps set to English."""

    async def set_menu(language: str) -> None:
        commands = [
            BotCommand(command=name, description=description)
            for name, description in menu(texts(language))
        ]
        code = None if language == "id" else language
        await _with_retry(lambda: bot.set_my_commands(commands, language_code=code))

    for language in ("id", "en"):
        await set_menu(language)


async def serve_polling_aiogram(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    poll_timeout: float = 10.0,
    request_timeout: float = 10.0,
) -> int:
    """Serve by long polling until SIGINT/SIGTERM (or `stop`); exit code 2 for a refused token."""
    return await transport.serve_polling(
        AiogramTransport,
        settings,
        stop=stop,
        poll_timeout=poll_timeout,
        request_timeout=request_timeout,
    )


async def serve_webhook_aiogram(
    settings: Settings, *, stop: asyncio.Event | None = None, request_timeout: float = 10.0
) -> int:
    """Webhook mode through aiogram: the same server, health checks and metrics as with
    python-telegram-bot; the webhook is registered at start and left in place at stop."""
    return await transport.serve_webhook(
        AiogramTransport, settings, stop=stop, request_timeout=request_timeout
    )
