"""Settings from environment variables (and an optional `.env`), validated at start-up.

Every problem is reported as one `ConfigError` naming the variable, so the CLI can print a
single clear line instead of a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from dotenv import dotenv_values

from domain.cadence import DEFAULT_CADENCE, DEFAULT_WINDOW, Cadence, Window
from handlers.ratelimit import DEFAULT_PER_MINUTE
from reports.digest_schedule import DEFAULT_DIGEST, DigestSchedule
from storage.ckan.mapping import MappingError, PortalMapping
from storage.db import normalise_url

T = TypeVar("T")

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/satudata.db"

# Indonesia's three time zones; deployments name either the zone or its Indonesian abbreviation.
TIMEZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
ABBREVIATIONS = {zone: abbr for abbr, zone in TIMEZONES.items()}
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook's secret_token allows
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1:8080"
DEFAULT_WEBHOOK_PATH = "/telegram"
TELEGRAM_LIBRARIES = ("ptb", "aiogram")  # python-telegram-bot (default) or aiogram 3


class ConfigError(Exception):
    """Invalid configuration; the message names the variable and what to do."""


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None
    telegram_api_base_url: str
    database_url: str
    timezone: ZoneInfo
    region_code: str
    region_name: str
    language: str
    reminder_window: Window = DEFAULT_WINDOW
    reminder_cadence: Cadence = DEFAULT_CADENCE
    tick_minutes: int = 5
    max_extensions: int = 2
    digest_schedule: DigestSchedule = DEFAULT_DIGEST
    ckan_url: str | None = None
    ckan_api_token: str | None = None
    ckan_sync_minutes: int = 60
    ckan_mapping: PortalMapping | None = None
    telegram_bot_username: str | None = None
    rate_limit_per_minute: int = DEFAULT_PER_MINUTE
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8080)
    webhook_workers: int = 8
    background: bool = True  # SATUDATA_BACKGROUND=off: no ticks, digest or sender here
    log_level: str | None = None  # None: INFO for the servers, WARNING for one-shot commands

    @property
    def webhook_path(self) -> str:
        """The server listens on the path of the public URL, so a proxy can pass it through."""
        path = urlparse(self.webhook_url or "").path.rstrip("/")
        return path or DEFAULT_WEBHOOK_PATH

    def require_webhook(self) -> tuple[str, str]:
        """URL and secret for `serve --webhook`; checked only then, polling needs neither."""
        if not self.webhook_url:
            raise ConfigError(
                "WEBHOOK_URL is required for serve --webhook: the public https address "
                "Telegram posts updates to, e.g. https://bot.example.go.id/telegram"
            )
        if not self.webhook_secret:
            raise ConfigError(
                "WEBHOOK_SECRET is required for serve --webhook: 1-256 characters of "
                "A-Z a-z 0-9 _ - that Telegram sends with every update"
            )
        return self.webhook_url, self.webhook_secret

    telegram_library: str = "ptb"

    @property
    def timezone_abbreviation(self) -> str:
        return ABBREVIATIONS[self.timezone.key]

    @property
    def telegram_file_base_url(self) -> str:
        """File downloads live beside the method endpoint: `.../bot` → `.../file/bot`."""
        base = self.telegram_api_base_url
        head, _, tail = base.rstrip("/").rpartition("/")
        return f"{head}/file/{tail}"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str, default: str = "") -> str:
            return values.get(name, "").strip() or default

        token = get("TELEGRAM_BOT_TOKEN") or None
        if token is not None and not _TOKEN.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected 123456:ABC..., "
                "as given by @BotFather)"
            )
        return cls(
            telegram_token=token,
            telegram_api_base_url=_api_base_url(get("TELEGRAM_API_BASE_URL", DEFAULT_API_BASE_URL)),
            database_url=_database_url(get("DATABASE_URL", DEFAULT_DATABASE_URL)),
            timezone=_timezone(get("SATUDATA_TIMEZONE", "Asia/Jakarta")),
            region_code=_region_code(get("SATUDATA_REGION_CODE", "35")),
            region_name=get("SATUDATA_REGION_NAME", "Provinsi Jawa Timur"),
            language=_language(get("SATUDATA_LANGUAGE", "id")),
            reminder_window=_parsed("SATUDATA_REMINDER_WINDOW", get, Window.parse, DEFAULT_WINDOW),
            reminder_cadence=_parsed(
                "SATUDATA_REMINDER_CADENCE", get, Cadence.parse, DEFAULT_CADENCE
            ),
            tick_minutes=_number(
                "SATUDATA_TICK_MINUTES", get("SATUDATA_TICK_MINUTES", "5"), 1, 1440
            ),
            max_extensions=_number(
                "SATUDATA_MAX_EXTENSIONS", get("SATUDATA_MAX_EXTENSIONS", "2"), 0, 10
            ),
            digest_schedule=_parsed(
                "SATUDATA_DIGEST_AT", get, DigestSchedule.parse, DEFAULT_DIGEST
            ),
            ckan_url=_ckan_url(get("CKAN_URL")) or None,
            ckan_api_token=get("CKAN_API_TOKEN") or None,
            ckan_sync_minutes=_number(
                "CKAN_SYNC_MINUTES", get("CKAN_SYNC_MINUTES", "60"), 5, 10080
            ),
            ckan_mapping=_mapping(get("CKAN_MAPPING")),
            telegram_bot_username=_username(get("TELEGRAM_BOT_USERNAME")),
            rate_limit_per_minute=_number(
                "SATUDATA_RATE_LIMIT",
                get("SATUDATA_RATE_LIMIT", str(DEFAULT_PER_MINUTE)),
                1,
                10_000,
            ),
            webhook_url=_webhook_url(get("WEBHOOK_URL")) or None,
            webhook_secret=_webhook_secret(get("WEBHOOK_SECRET")) or None,
            webhook_listen=_listen(get("WEBHOOK_LISTEN", DEFAULT_WEBHOOK_LISTEN)),
            webhook_workers=_number("WEBHOOK_WORKERS", get("WEBHOOK_WORKERS", "8"), 1, 256),
            background=_switch("SATUDATA_BACKGROUND", get("SATUDATA_BACKGROUND", "on")),
            telegram_library=_library(get("TELEGRAM_LIBRARY", "ptb")),
            log_level=_log_level(get("SATUDATA_LOG_LEVEL")) or None,
        )


def _url(name: str, url: str, schemes: tuple[str, ...], what: str) -> str:
    """An address with one of `schemes` and a host, without its trailing slash; `what` says
    what it is, with an example, in the one-line error."""
    parsed = urlparse(url)
    if parsed.scheme not in schemes or not parsed.netloc:
        raise ConfigError(f"{name} must be {what} (got {url!r})")
    return url.rstrip("/")


def _api_base_url(url: str) -> str:
    what = f"an http(s) URL such as {DEFAULT_API_BASE_URL} or http://127.0.0.1:8081/bot"
    return _url("TELEGRAM_API_BASE_URL", url, ("http", "https"), what)


def _ckan_url(url: str) -> str:
    what = "the portal's http(s) address, such as https://data.example.go.id"
    return _url("CKAN_URL", url, ("http", "https"), what) if url else ""


def _webhook_url(url: str) -> str:
    what = "the public https address Telegram posts to, such as https://bot.example.go.id/telegram"
    return _url("WEBHOOK_URL", url, ("https",), what) if url else ""


def _webhook_secret(secret: str) -> str:
    if secret and not _WEBHOOK_SECRET.match(secret):
        raise ConfigError(
            "WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule "
            "for secret_token)"
        )
    return secret


def _listen(text: str) -> tuple[str, int]:
    """`host:port` to bind; port 0 lets the system choose (the chosen one is logged)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"WEBHOOK_LISTEN must be host:port, such as 0.0.0.0:8080 (got {text!r})")
    return host.strip("[]"), int(port)


def _switch(name: str, text: str) -> bool:
    value = text.casefold()
    if value not in ("on", "off", "true", "false", "1", "0"):
        raise ConfigError(f"{name} must be on or off (got {text!r})")
    return value in ("on", "true", "1")


def _log_level(level: str) -> str:
    if level and level.upper() not in LOG_LEVELS:
        raise ConfigError(
            f"SATUDATA_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {level!r})"
        )
    return level.upper()


def _mapping(path: str) -> PortalMapping:
    """The portal field mapping, checked now so a typo stops start-up with one line."""
    try:
        return PortalMapping.load(Path(path) if path else None)
    except MappingError as error:
        raise ConfigError(f"CKAN_MAPPING: {error}") from None


def _username(name: str) -> str | None:
    """`@satudata_bot` or `satudata_bot`: Telegram usernames are 5–32 letters, digits, _."""
    name = name.removeprefix("@")
    if not name:
        return None
    if not _USERNAME.match(name):
        raise ConfigError(
            f"TELEGRAM_BOT_USERNAME must be the bot's username, e.g. satudata_bot (got {name!r})"
        )
    return name


def _database_url(url: str) -> str:
    try:
        return normalise_url(url)
    except Exception as error:  # sqlalchemy raises several types for malformed URLs
        raise ConfigError(
            "DATABASE_URL must look like sqlite:///var/satudata.db or "
            f"postgresql://user@host:5432/dbname ({error})"
        ) from None


def _timezone(name: str) -> ZoneInfo:
    zone = TIMEZONES.get(name.upper(), name)
    if zone not in ABBREVIATIONS:
        raise ConfigError(
            "SATUDATA_TIMEZONE must be one of WIB/Asia/Jakarta, WITA/Asia/Makassar, "
            f"WIT/Asia/Jayapura (got {name!r})"
        )
    return ZoneInfo(zone)


def _region_code(code: str) -> str:
    if not re.fullmatch(r"\d{2}|\d{4}", code):
        raise ConfigError(
            f"SATUDATA_REGION_CODE must be a BPS code of 2 (province) or 4 (kabupaten/kota) "
            f"digits (got {code!r})"
        )
    return code


def _library(name: str) -> str:
    if name.lower() not in TELEGRAM_LIBRARIES:
        raise ConfigError(
            f"TELEGRAM_LIBRARY must be ptb (python-telegram-bot) or aiogram (got {name!r})"
        )
    return name.lower()


def _language(language: str) -> str:
    if language not in ("id", "en"):
        raise ConfigError(f"SATUDATA_LANGUAGE must be id or en (got {language!r})")
    return language


def _parsed(name: str, get: Callable[[str], str], parse: Callable[[str], T], default: T) -> T:
    text = get(name)
    if not text:
        return default
    try:
        return parse(text)
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def _number(name: str, text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high} (got {text!r})")
    return int(text)
