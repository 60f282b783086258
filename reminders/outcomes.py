"""What a Bot API call's outcome means, for everything that sends: the outbox and both
Telegram transports.

Telegram answers `{"ok": true, "result": ...}`, or `{"ok": false, "error_code": ...,
"description": ..., "parameters": {"retry_after": ...}}` with the error code as HTTP status; or
no answer comes (a timeout, a lost connection). One table says what each means:

- 429 (`retry_after`): Telegram's rate limit; try again after that many seconds (`RetryLater`).
- no answer, or 5xx: a passing failure; try again after a backoff (`Transient`).
- 401 or 404: the token itself was refused (`TokenRejected`): the outbox keeps its messages
  and waits for the operator; a transport stops trying, and at start exits.
- 403 (blocked, never started the bot), 400 (chat not found, a bad request) and any other
  client error: the message cannot be delivered, and retrying would not change that
  (`Undeliverable`).

The outbox reads raw HTTP (`answer`); the transports read their library's exceptions and hand
what they say to `failure`. `RetryPolicy` turns a failure into the wait before the next try.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reminders.delivery import Delivered, DeliveryResult, RetryLater, Transient, Undeliverable

# How long the outbox waits before trying again with a token Telegram refused.
TOKEN_PAUSE = 300.0
# Telegram's 429 always says how long to wait; an answer that does not, waits this long.
DEFAULT_RETRY_AFTER = 1.0


@dataclass(frozen=True)
class TokenRejected(RetryLater):
    """The token itself was refused (401/404). The outbox treats it as a long `RetryLater`
    (the operator must fix the token; nothing is lost meanwhile); nothing else retries it."""


Failure = RetryLater | Transient | Undeliverable


def failure(code: int | None, description: str, retry_after: float | None = None) -> Failure:
    """A call that did not succeed: `code` is Telegram's error code (the HTTP status), None when
    no answer came; `retry_after` is the answer's `parameters.retry_after`, if any."""
    if code == 429 or retry_after is not None:
        return RetryLater(retry_after or DEFAULT_RETRY_AFTER, description)
    if code is None:
        return Transient(description)
    if code in (401, 404):
        return TokenRejected(TOKEN_PAUSE, f"token rejected: {description}")
    if code == 403 or (code == 400 and "chat not found" in description.lower()):
        return Undeliverable(description)
    if code >= 500:
        return Transient(f"{code}: {description}")
    return Undeliverable(f"{code}: {description}")


def answer(status: int, body: Mapping[str, Any], reason_phrase: str) -> DeliveryResult:
    """An HTTP answer to a send (`body` is its JSON object, empty if it had none)."""
    if status == 200 and body.get("ok"):
        result = body["result"]
        return Delivered(int(result["message_id"]), _file_id(result))
    description = str(body.get("description", reason_phrase))
    retry_after = (body.get("parameters") or {}).get("retry_after")
    return failure(status, description, None if retry_after is None else float(retry_after))


def _file_id(result: Mapping[str, Any]) -> str | None:
    """The largest photo size, or the document: what a later send may refer to."""
    if result.get("photo"):
        return str(result["photo"][-1]["file_id"])
    if result.get("document"):
        return str(result["document"]["file_id"])
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often a call is tried and how long to wait between tries: Telegram's `retry_after`
    as asked, a doubling backoff after a passing failure, never for a refused token or an
    undeliverable message."""

    attempts: int = 4
    first_backoff: float = 0.5  # seconds; doubles with each further try

    def wait(self, attempt: int, outcome: Failure) -> float | None:
        """Seconds to wait after try number `attempt` failed with `outcome`; None: give up."""
        if attempt >= self.attempts:
            return None
        match outcome:
            case TokenRejected():
                return None
            case RetryLater(seconds):
                return seconds
            case Transient():
                return float(self.first_backoff * 2 ** (attempt - 1))
            case Undeliverable():
                return None
