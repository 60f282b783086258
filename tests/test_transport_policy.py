"""One meaning for every Bot API outcome, one retry rule, and a stop that survives cancellation.

The outbox reads raw HTTP answers, the two transports read their libraries' exceptions: the
same failure must mean the same thing to all three. No network here: outcomes are built by
hand, time is a fake `sleep`, cancellations are injected where a step waits on an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from aiogram import exceptions as aiogram_errors
from aiogram.methods import SendMessage
from telegram import error as ptb_errors

from bot import telegram_aiogram, telegram_ptb
from bot.shutdown import Shutdown
from bot.transport import unless_stopped, with_retry
from reminders.delivery import Delivered, RetryLater, Transient, Undeliverable
from reminders.outcomes import TOKEN_PAUSE, Failure, RetryPolicy, TokenRejected, answer, failure

METHOD = SendMessage(chat_id=501, text="x")


def error_body(code: int, description: str, retry_after: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


# -- what an answer means -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "description", "expected"),
    [
        (429, "Too Many Requests", RetryLater(7.0, "Too Many Requests")),
        (None, "timeout: ReadTimeout", Transient("timeout: ReadTimeout")),
        (500, "Internal Server Error", Transient("500: Internal Server Error")),
        (502, "Bad Gateway", Transient("502: Bad Gateway")),
        (401, "Unauthorized", TokenRejected(TOKEN_PAUSE, "token rejected: Unauthorized")),
        (404, "Not Found", TokenRejected(TOKEN_PAUSE, "token rejected: Not Found")),
        (403, "Forbidden: bot was blocked", Undeliverable("Forbidden: bot was blocked")),
        (400, "Bad Request: chat not found", Undeliverable("Bad Request: chat not found")),
        (400, "Bad Request: too long", Undeliverable("400: Bad Request: too long")),
        (409, "Conflict", Undeliverable("409: Conflict")),
    ],
)  # fmt: skip
def test_each_failure_has_one_meaning(
    code: int | None, description: str, expected: Failure
) -> None:
    retry_after = 7.0 if code == 429 else None
    assert failure(code, description, retry_after) == expected


def test_an_accepted_send_gives_the_message_and_the_largest_photo() -> None:
    result = {
        "message_id": 812,
        "photo": [{"file_id": "small"}, {"file_id": "large"}],
    }
    assert answer(200, {"ok": True, "result": result}, "OK") == Delivered(812, "large")


def test_a_raw_answer_is_read_as_the_table_says() -> None:
    assert answer(429, error_body(429, "Too Many Requests", 3), "") == RetryLater(
        3.0, "Too Many Requests"
    )
    assert answer(502, {}, "Bad Gateway") == Transient("502: Bad Gateway")  # a proxy's page
    assert isinstance(answer(401, error_body(401, "Unauthorized"), ""), TokenRejected)


# Each library's exception and the raw answer it comes from, side by side.
PTB = [
    (ptb_errors.RetryAfter(timedelta(seconds=5)), 429, 5),
    (ptb_errors.RetryAfter(2), 429, 2),
    (ptb_errors.Forbidden("Forbidden: bot was blocked by the user"), 403, None),
    (ptb_errors.InvalidToken("Unauthorized"), 401, None),
    (ptb_errors.BadRequest("Bad Request: message is too long"), 400, None),
    (ptb_errors.ChatMigrated(-1001), 400, None),
    (ptb_errors.Conflict("Conflict: terminated by other getUpdates request"), 409, None),
    (ptb_errors.NetworkError("Internal Server Error (500)"), 500, None),
    (ptb_errors.TimedOut(), None, None),
]
AIOGRAM = [
    (aiogram_errors.TelegramRetryAfter(METHOD, "Too Many Requests", 5), 429, 5),
    (aiogram_errors.TelegramForbiddenError(METHOD, "Forbidden: bot was blocked"), 403, None),
    (aiogram_errors.TelegramUnauthorizedError(METHOD, "Unauthorized"), 401, None),
    (aiogram_errors.TelegramNotFound(METHOD, "Not Found"), 404, None),
    (aiogram_errors.TelegramBadRequest(METHOD, "Bad Request: chat not found"), 400, None),
    (aiogram_errors.TelegramMigrateToChat(METHOD, "migrated", -1001), 400, None),
    (aiogram_errors.TelegramConflictError(METHOD, "Conflict"), 409, None),
    (aiogram_errors.TelegramEntityTooLarge(METHOD, "Request Entity Too Large"), 413, None),
    (aiogram_errors.TelegramServerError(METHOD, "Internal Server Error"), 500, None),
    (aiogram_errors.TelegramNetworkError(METHOD, "Request timeout error"), None, None),
]


@pytest.mark.parametrize(
    ("read", "error", "code", "retry_after"),
    [(telegram_ptb.failure_of, *case) for case in PTB]
    + [(telegram_aiogram.failure_of, *case) for case in AIOGRAM],
)
def test_both_libraries_exceptions_mean_what_the_raw_answer_means(
    read: Callable[[BaseException], Failure | None],
    error: BaseException,
    code: int | None,
    retry_after: int | None,
) -> None:
    outcome = read(error)
    raw = failure(code, "", None if retry_after is None else float(retry_after))
    assert type(outcome) is type(raw)
    if isinstance(raw, RetryLater):
        assert isinstance(outcome, RetryLater) and outcome.seconds == raw.seconds


def test_what_is_no_bot_api_failure_is_left_alone() -> None:
    assert telegram_ptb.failure_of(ValueError("a bug")) is None
    assert telegram_aiogram.failure_of(KeyError("a bug")) is None


# -- the retry rule -----------------------------------------------------------------------------


def test_the_policy_waits_as_asked_backs_off_and_gives_up() -> None:
    policy = RetryPolicy(attempts=4, first_backoff=0.5)
    passing = Transient("502: Bad Gateway")
    assert [policy.wait(n, passing) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, None]
    assert policy.wait(1, RetryLater(9.0, "429")) == 9.0
    assert policy.wait(4, RetryLater(9.0, "429")) is None
    assert policy.wait(1, TokenRejected(TOKEN_PAUSE, "token rejected")) is None
    assert policy.wait(1, Undeliverable("blocked")) is None


class Flaky:
    """A Bot API call that fails with the given exceptions first, then answers."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_a_reply_waits_out_a_429_and_a_5xx_then_is_sent_once() -> None:
    call = Flaky(ptb_errors.RetryAfter(3), ptb_errors.NetworkError("Bad Gateway"))
    sleep = Sleeps()
    assert await with_retry(call, telegram_ptb.failure_of, sleep=sleep) == "sent"
    # The backoff grows with each try, whatever the tries before it met.
    assert call.calls == 3 and sleep.waits == [3.0, 1.0]


@pytest.mark.parametrize(
    "error",
    [
        ptb_errors.Forbidden("Forbidden: bot was blocked by the user"),
        ptb_errors.BadRequest("Bad Request: message is too long"),
        ValueError("a bug"),
    ],
)
async def test_what_retrying_cannot_fix_is_raised_at_once(error: BaseException) -> None:
    call, sleep = Flaky(error), Sleeps()
    with pytest.raises(type(error)):
        await with_retry(call, telegram_ptb.failure_of, sleep=sleep)
    assert call.calls == 1 and sleep.waits == []


async def test_retries_end_after_the_last_attempt() -> None:
    errors = [aiogram_errors.TelegramServerError(METHOD, "Bad Gateway") for _ in range(5)]
    call, sleep = Flaky(*errors), Sleeps()
    with pytest.raises(aiogram_errors.TelegramServerError):
        await with_retry(call, telegram_aiogram.failure_of, sleep=sleep)
    assert call.calls == 4 and sleep.waits == [0.5, 1.0, 2.0]


# -- stopping -----------------------------------------------------------------------------------


class Steps:
    """Release steps that record themselves; `held` ones wait for `release` halfway."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    def step(self, name: str, held: bool = False) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self.log.append(f"{name} begins")
            if held:
                self.entered.set()
                await self.release.wait()
            self.log.append(f"{name} ends")

        return run


async def test_steps_run_newest_first_each_once() -> None:
    steps, shutdown = Steps(), Shutdown()
    for name in ("database", "session", "polling"):
        shutdown.push(name, steps.step(name))
    await shutdown.run()
    await shutdown.run()  # nothing is released twice
    assert [entry for entry in steps.log if entry.endswith("ends")] == [
        "polling ends",
        "session ends",
        "database ends",
    ]
    assert len(steps.log) == 6


async def test_a_failing_step_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    steps, shutdown = Steps(), Shutdown()

    async def broken() -> None:
        raise RuntimeError("This Application is still running!")

    shutdown.push("database", steps.step("database"))
    shutdown.push("application", broken)
    await shutdown.run()
    assert steps.log == ["database begins", "database ends"]
    assert any("application failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("cancellations", [1, 3])
async def test_a_cancelled_stop_finishes_every_step_then_is_cancelled(cancellations: int) -> None:
    steps, shutdown = Steps(), Shutdown()
    shutdown.push("database", steps.step("database"))
    shutdown.push("application", steps.step("application", held=True))
    shutdown.push("updater", steps.step("updater"))
    stopping = asyncio.create_task(shutdown.run())
    await steps.entered.wait()
    for _ in range(cancellations):
        stopping.cancel()
        await asyncio.sleep(0)
    steps.release.set()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert steps.log == [
        "updater begins",
        "updater ends",
        "application begins",
        "application ends",  # not cut in half
        "database begins",
        "database ends",
    ]


async def test_a_stop_while_starting_cuts_the_start_short() -> None:
    stop, reached = asyncio.Event(), asyncio.Event()
    cut_short = False

    async def start() -> None:
        nonlocal cut_short
        reached.set()
        try:
            await asyncio.Event().wait()  # getMe, say, taking its time
        except asyncio.CancelledError:
            cut_short = True
            raise

    starting = asyncio.create_task(unless_stopped(start(), stop))
    await reached.wait()
    stop.set()
    assert await starting is False
    assert cut_short


async def test_a_start_that_finishes_or_fails_says_so() -> None:
    async def fine() -> None:
        return None

    async def refused() -> None:
        raise LookupError("token refused")

    assert await unless_stopped(fine(), asyncio.Event()) is True
    with pytest.raises(LookupError):
        await unless_stopped(refused(), asyncio.Event())


async def test_cancelling_a_start_cancels_what_it_started() -> None:
    reached, ended = asyncio.Event(), asyncio.Event()

    async def start() -> None:
        reached.set()
        try:
            await asyncio.Event().wait()
        finally:
            ended.set()

    starting = asyncio.create_task(unless_stopped(start(), asyncio.Event()))
    await reached.wait()
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert ended.is_set()
