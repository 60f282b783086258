"""What a Telegram transport is, and the one lifecycle every library runs.

A `Transport` is one Telegram library speaking the Bot API for the bot: python-telegram-bot
(`bot.telegram_ptb`) or aiogram (`bot.telegram_aiogram`). What does not depend on the library
lives here once: the order of start-up (database, token check, command menus, background
jobs, then the update source), polling or the webhook server, a stop that survives being
cancelled (`bot.shutdown`), one way to answer an update, one retry loop for its Bot API
calls, and one line and exit code when Telegram refuses the token.

A SIGINT or SIGTERM sets `stop`: while serving, the bot winds down and exits 0; while starting,
what is starting is cut short (the database set-up excepted, which always finishes, so a first
start never leaves half a migration) and the bot stops and exits 0 too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from bot.background import Background
from bot.config import DEFAULT_API_BASE_URL, Settings
from bot.log_secrets import MaskSecrets, secrets_of
from bot.metrics import Metrics
from bot.shutdown import Shutdown, to_the_end
from bot.signals import stop_on_signals
from bot.webhook import Readiness, start_webhook
from bot.wiring import Runtime, build_runtime
from handlers.dispatcher import Dispatcher
from handlers.messages import Incoming, Reply
from reminders.outcomes import Failure, RetryPolicy, TokenRejected
from texts.i18n import texts

log = logging.getLogger(__name__)
T = TypeVar("T")

EXIT_BAD_TOKEN = 2
EXIT_UNREACHABLE = 1
ALLOWED_UPDATES = ["message", "callback_query"]
# A reply is worth a few quick tries; the outbox, not a waiting user, takes the long waits.
REPLIES = RetryPolicy(attempts=4, first_backoff=0.5)

# What a library's exception says as a Bot API outcome; None for anything else (a bug).
FailureOf = Callable[[BaseException], Failure | None]


class StartFailed(Exception):
    """Telegram refused the token or could not be reached; the message is the line to print."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    @classmethod
    def refused(cls, outcome: Failure, settings: Settings) -> StartFailed:
        """getMe's failure at start, said in one line without the token."""
        say = texts(settings.language).t
        detail = MaskSecrets(secrets_of(settings)).mask(outcome.reason)
        where = settings.telegram_api_base_url
        if isinstance(outcome, TokenRejected):
            # A server that is no Bot API answers 404 too, which the libraries call a bad token.
            key = "telegram_token_rejected"
            if where != DEFAULT_API_BASE_URL:
                key = "telegram_token_rejected_at"
            return cls(f"satudata: {say(key, where=where, detail=detail)}", EXIT_BAD_TOKEN)
        line = say("telegram_unreachable", where=where, detail=detail)
        return cls(f"satudata: {line}", EXIT_UNREACHABLE)


class Transport(Protocol):
    """What the bot needs of a Telegram library. Its Bot API calls retry by `with_retry`."""

    async def identify(self) -> str:
        """Check the token (getMe) and return the bot's username; `StartFailed` when Telegram
        refuses the token or cannot be reached."""
        ...

    async def register_commands(self) -> None:
        """The command menus (setMyCommands), Indonesian by default and English."""
        ...

    async def start_polling(self, poll_timeout: float) -> None:
        """Receive updates by long polling from now on; a webhook left behind is removed."""
        ...

    async def stop_polling(self) -> None:
        """Stop receiving updates and finish answering those in hand. Copes with a
        `start_polling` that was cut short or never ran."""
        ...

    async def set_webhook(self, url: str, secret: str) -> None:
        """Have Telegram post updates to `url` with `secret` in the secret-token header."""
        ...

    async def feed(self, update: dict[str, Any]) -> None:
        """Answer one update as Telegram posted it (the webhook server's `UpdateSink`)."""
        ...

    async def send_reply(self, chat_id: int, reply: Reply) -> None:
        """Send one reply, split to Telegram's limits, its buttons on the last message."""
        ...

    async def close(self) -> None:
        """Release the Bot API session. Copes with an `identify` that failed or was cut short."""
        ...


class TransportFactory(Protocol):
    """Makes one library's transport for a run: the adapter's class itself."""

    def __call__(
        self, settings: Settings, runtime: Runtime, *, request_timeout: float
    ) -> Transport: ...


async def serve_polling(
    make: TransportFactory,
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    poll_timeout: float = 10.0,
    request_timeout: float = 10.0,
) -> int:
    """Serve by long polling until SIGINT/SIGTERM (or `stop`); the exit code (2: a refused
    token)."""

    async def start(runtime: Runtime, shutdown: Shutdown) -> None:
        transport = await _open(make, settings, runtime, shutdown, request_timeout)
        background = Background(runtime, settings)
        shutdown.push("background jobs", background.stop)
        await background.start()
        shutdown.push("polling", transport.stop_polling)
        await transport.start_polling(poll_timeout)
        log.info("serving @%s by long polling", runtime.dispatcher.app.bot_username)

    return await _serve(settings, stop, start)


async def serve_webhook(
    make: TransportFactory,
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    request_timeout: float = 10.0,
) -> int:
    """Serve Telegram's webhook posts until SIGINT/SIGTERM (or `stop`); the exit code.

    The webhook is registered at every start (with this deployment's URL and secret) and left
    in place at stop: the other workers behind the same URL keep serving it.
    """
    url, secret = settings.require_webhook()

    async def start(runtime: Runtime, shutdown: Shutdown) -> None:
        transport = await _open(make, settings, runtime, shutdown, request_timeout)
        readiness = Readiness(runtime.engine, bot_ok=True)  # getMe has succeeded
        await transport.set_webhook(url, secret)
        metrics = Metrics(runtime.engine)
        await start_webhook(settings, runtime, transport, readiness, metrics, shutdown)

    return await _serve(settings, stop, start)


@contextlib.asynccontextmanager
async def open_transport(
    make: TransportFactory, settings: Settings, *, request_timeout: float = 10.0
) -> AsyncIterator[Transport]:
    """A transport to feed updates by hand: identified, menus registered, with neither an
    update source nor background jobs; released on exit, whatever interrupts."""
    shutdown = Shutdown()
    try:
        runtime = await build_runtime(settings, datetime.now(UTC))
        shutdown.push("database", runtime.close)
        yield await _open(make, settings, runtime, shutdown, request_timeout)
    finally:
        await shutdown.run()


async def _open(
    make: TransportFactory,
    settings: Settings,
    runtime: Runtime,
    shutdown: Shutdown,
    request_timeout: float,
) -> Transport:
    transport = make(settings, runtime, request_timeout=request_timeout)
    shutdown.push("Telegram session", transport.close)
    runtime.dispatcher.app.bot_username = await transport.identify()  # for invitation links
    await transport.register_commands()
    return transport


async def _serve(
    settings: Settings,
    stop: asyncio.Event | None,
    start: Callable[[Runtime, Shutdown], Coroutine[Any, Any, None]],
) -> int:
    stop = stop or asyncio.Event()
    shutdown = Shutdown()
    with stop_on_signals(stop):
        try:
            # Not cut short by a stop: a first start's migrations and demo load finish.
            runtime = await build_runtime(settings, datetime.now(UTC))
            shutdown.push("database", runtime.close)
            if await unless_stopped(start(runtime, shutdown), stop):
                await stop.wait()
            log.info("stopping")
        except StartFailed as failure:
            print(failure, file=sys.stderr)
            return failure.exit_code
        finally:
            await shutdown.run()
    return 0


async def unless_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run `work` unless `stop` is set first, which cancels it: whether it finished. Its own
    exception is raised; a cancellation of the caller cancels it too."""
    task = asyncio.create_task(work)
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        await to_the_end(task)
        raise
    finally:
        stopped.cancel()
    if not task.done():
        task.cancel()
        if await to_the_end(task):
            raise asyncio.CancelledError
    if task.cancelled() and stop.is_set():
        return False
    task.result()
    return True


async def with_retry(
    call: Callable[[], Awaitable[T]],
    failure_of: FailureOf,
    policy: RetryPolicy = REPLIES,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`call` until it succeeds or `policy` gives up, then its exception is raised. The
    adapter's `failure_of` reads its library's exceptions (anything else is raised at once)."""
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as error:
            outcome = failure_of(error)
            wait = None if outcome is None else policy.wait(attempt, outcome)
            if wait is None:
                raise
            log.warning("Bot API call failed (%s); try %d in %.1f s", error, attempt + 1, wait)
            await sleep(wait)
            attempt += 1


async def answer(
    dispatcher: Dispatcher,
    incoming: Incoming | None,
    now: datetime,
    send: Callable[[int, Reply], Awaitable[None]],
    failure_of: FailureOf,
    *,
    acknowledge: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """One update answered: a button's spinner stopped (`acknowledge`), then the replies to
    `incoming` (None: nothing to answer) sent. A Bot API failure (the user blocked the bot,
    retries used up) is logged and the update dropped, so no user can stop the bot; anything
    else is a bug, left to the library's or the webhook server's error handling."""
    try:
        if acknowledge is not None:
            await with_retry(acknowledge, failure_of)
        if incoming is None:
            return
        for reply in await dispatcher.handle(incoming, now):
            await send(incoming.chat_id, reply)
    except Exception as error:
        outcome = failure_of(error)
        if outcome is None:
            raise
        chat = incoming.chat_id if incoming is not None else "?"
        log.error("update for chat %s failed: %s", chat, outcome.reason)
