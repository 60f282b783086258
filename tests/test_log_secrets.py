"""The log filter that keeps the bot token, the webhook secret and the database password out
of every log line, whatever logger wrote it and however the secret got into it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.log_secrets import MaskSecrets, secrets_of

TOKEN = "123456789:AAH-abcdefghijklmnopqrstuvwxyz_0123"
SECRET = "the-webhook-secret-1"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """A handler as `satudata` sets one up: on the root logger, the filter on the handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    settings = Settings.from_env(
        environ={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_SECRET": SECRET,
            "DATABASE_URL": "postgresql://satudata:db-password-42@127.0.0.1/satudata",
        },
        env_file=None,
    )
    handler.addFilter(MaskSecrets(secrets_of(settings)))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_a_library_logger_quoting_the_bot_url_is_masked(logged: io.StringIO) -> None:
    logging.getLogger("httpx").warning("HTTP Request: POST %s/bot%s/getMe", "https://x", TOKEN)

    assert logged.getvalue() == "HTTP Request: POST https://x/bot…/getMe\n"


def test_an_exception_and_its_cause_are_masked(logged: io.StringIO) -> None:
    try:
        try:
            raise OSError(f"cannot connect to https://api.telegram.org/bot{TOKEN}/getUpdates")
        except OSError as error:
            raise RuntimeError(f"webhook {SECRET} and half {TOKEN.split(':')[1]}") from error
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("polling failed")

    text = logged.getvalue()
    assert "polling failed" in text and "OSError" in text and "RuntimeError" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text and SECRET not in text
    assert "bot…/getUpdates" in text


def test_the_database_password_is_masked_but_short_words_are_left_alone() -> None:
    masking = MaskSecrets(["db-password-42", "s"])

    assert masking.mask("login satudata:db-password-42 failed") == "login satudata:… failed"
