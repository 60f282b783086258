"""Settings from the environment and `.env`: defaults, validation and precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings

VALID_TOKEN = "123456789:AAH-abcdefghijklmnopqrstuvwxyz_0123"


def settings(**environ: str) -> Settings:
    return Settings.from_env(environ=environ, env_file=None)


def test_defaults_serve_jawa_timur_in_indonesian_on_sqlite() -> None:
    s = settings()

    assert s.telegram_token is None
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.telegram_file_base_url == "https://api.telegram.org/file/bot"
    assert s.database_url == "sqlite+aiosqlite:///var/satudata.db"
    assert s.timezone.key == "Asia/Jakarta"
    assert s.timezone_abbreviation == "WIB"
    assert (s.region_code, s.region_name) == ("35", "Provinsi Jawa Timur")
    assert s.language == "id"
    assert s.telegram_library == "ptb"


def test_the_telegram_library_is_chosen_by_name() -> None:
    assert settings(TELEGRAM_LIBRARY="aiogram").telegram_library == "aiogram"
    assert settings(TELEGRAM_LIBRARY="PTB").telegram_library == "ptb"


def test_blank_values_fall_back_to_the_defaults() -> None:
    s = settings(TELEGRAM_BOT_TOKEN="  ", SATUDATA_LANGUAGE="", DATABASE_URL="")

    assert s.telegram_token is None
    assert s.language == "id"
    assert s.database_url == "sqlite+aiosqlite:///var/satudata.db"


def test_valid_values_are_taken() -> None:
    s = settings(
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        TELEGRAM_API_BASE_URL="http://127.0.0.1:8081/bot/",
        DATABASE_URL="postgresql://satudata:rahasia@db:5432/satudata",
        SATUDATA_REGION_CODE="3514",
        SATUDATA_REGION_NAME="Kabupaten Pasuruan",
        SATUDATA_LANGUAGE="en",
    )

    assert s.telegram_token == VALID_TOKEN
    assert s.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert s.database_url == "postgresql+asyncpg://satudata:rahasia@db:5432/satudata"
    assert (s.region_code, s.region_name, s.language) == ("3514", "Kabupaten Pasuruan", "en")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_BOT_TOKEN", "123456:short"),
        ("TELEGRAM_API_BASE_URL", "ftp://example.org/bot"),
        ("TELEGRAM_API_BASE_URL", "api.telegram.org/bot"),
        ("DATABASE_URL", "mysql://root@localhost/satudata"),
        ("DATABASE_URL", "this is not a url"),
        ("SATUDATA_TIMEZONE", "Europe/Paris"),
        ("SATUDATA_REGION_CODE", "abc"),
        ("SATUDATA_REGION_CODE", "351"),
        ("SATUDATA_LANGUAGE", "fr"),
        ("TELEGRAM_LIBRARY", "telethon"),
    ],
)
def test_invalid_value_is_refused_with_a_message_naming_the_variable(
    variable: str, value: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        settings(**{variable: value})

    message = str(raised.value)
    assert variable in message
    assert "\n" not in message  # printed as one line by the CLI


def test_token_is_not_echoed_in_the_error() -> None:
    secret = "123456:tooshort-secret"
    with pytest.raises(ConfigError) as raised:
        settings(TELEGRAM_BOT_TOKEN=secret)

    assert secret not in str(raised.value)


@pytest.mark.parametrize(
    ("given", "zone", "abbreviation"),
    [
        ("WIB", "Asia/Jakarta", "WIB"),
        ("WITA", "Asia/Makassar", "WITA"),
        ("WIT", "Asia/Jayapura", "WIT"),
        ("wita", "Asia/Makassar", "WITA"),
        ("Asia/Jayapura", "Asia/Jayapura", "WIT"),
    ],
)
def test_indonesian_time_zone_abbreviations_are_understood(
    given: str, zone: str, abbreviation: str
) -> None:
    s = settings(SATUDATA_TIMEZONE=given)

    assert s.timezone.key == zone
    assert s.timezone_abbreviation == abbreviation


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# deployment settings\n"
        "DATABASE_URL=postgresql://satudata@db:5432/satudata\n"
        "SATUDATA_LANGUAGE=en\n"
        "SATUDATA_TIMEZONE=WITA\n",
        encoding="utf-8",
    )

    s = Settings.from_env(environ={"SATUDATA_LANGUAGE": "id"}, env_file=env_file)

    assert s.database_url == "postgresql+asyncpg://satudata@db:5432/satudata"
    assert s.timezone_abbreviation == "WITA"
    assert s.language == "id"


def test_missing_env_file_is_not_an_error(tmp_path: Path) -> None:
    s = Settings.from_env(environ={}, env_file=tmp_path / "absent.env")

    assert s.language == "id"


def test_invalid_value_in_env_file_is_reported_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SATUDATA_REGION_CODE=jatim\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="SATUDATA_REGION_CODE"):
        Settings.from_env(environ={}, env_file=env_file)


@pytest.mark.parametrize(
    ("api_base", "file_base"),
    [
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/file/bot"),
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
    ],
)
def test_file_downloads_go_beside_the_method_endpoint(api_base: str, file_base: str) -> None:
    assert settings(TELEGRAM_API_BASE_URL=api_base).telegram_file_base_url == file_base
