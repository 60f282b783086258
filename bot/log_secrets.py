"""Secrets never reach a log line.

The Bot API puts the bot token in every URL, so any library message or exception that quotes a
URL (a failed request, a connection error, a debug line per call) would print it; the webhook
secret and a database password can travel the same way. The filter sits on the root logger's
handlers, where every propagated record passes, and rewrites the message, the exception text
and the stack before they are formatted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.engine import make_url

from bot.config import Settings

MASK = "…"
SHORTEST = 8  # shorter "secrets" (a test's "s") would mask ordinary words


class MaskSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if len(s) >= SHORTEST}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.mask(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """The token (and its secret half alone, which some messages quote), the webhook secret
    and the database password."""
    found = [settings.webhook_secret or "", make_url(settings.database_url).password or ""]
    if settings.telegram_token:
        found += [settings.telegram_token, settings.telegram_token.partition(":")[2]]
    return [str(secret) for secret in found]


def mask_secrets_in_logs(settings: Settings) -> MaskSecrets:
    """Install the filter on every handler of the root logger (set up by then)."""
    masking = MaskSecrets(secrets_of(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(masking)
    return masking
