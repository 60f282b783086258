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

from reminders.cadence import DEFAULT_CADENCE, DEFAULT_WINDOW, Cadence, Window
from storage.db import normalise_url

T = TypeVar("T")

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/satudata.db"

# Indonesia's three time zones; deployments name either the zone or its Indonesian abbreviation.
TIMEZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
ABBREVIATIONS = {zone: abbr for abbr, zone in TIMEZONES.items()}
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


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
        )


def _api_base_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL must be an http(s) URL such as {DEFAULT_API_BASE_URL} "
            f"or http://127.0.0.1:8081/bot (got {url!r})"
        )
    return url.rstrip("/")


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
