"""Floods, oversized messages and files: a polite answer with the reason, never a crash."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.wiring import Runtime
from handlers.dispatcher import MAX_FILE_BYTES
from handlers.messages import IncomingFile
from handlers.ratelimit import RateLimiter, Verdict

from .conftest import NOW, settings_for
from .people_helpers import STRANGER, only, say

LIMITED = "Mohon maaf, Anda mengirim lebih dari 30 pesan dalam satu menit. Silakan coba lagi dalam "


async def test_the_31st_message_in_a_minute_gets_a_polite_answer_then_silence(
    runtime: Runtime,
) -> None:
    for second in range(30):
        reply = only(await say(runtime, "/start", now=NOW + timedelta(seconds=second)))
        assert reply.text.startswith("Selamat datang")

    refused = only(await say(runtime, "IPM Kota Batu", now=NOW + timedelta(seconds=30)))
    silent = await say(runtime, "IPM Kota Batu", now=NOW + timedelta(seconds=31))
    other_user = only(await say(runtime, "/start", user=STRANGER + 1, now=NOW))

    assert refused.text.startswith(LIMITED)
    assert refused.text.endswith("pesan berikutnya sampai saat itu tidak saya jawab.")
    assert "31 detik" in refused.text  # the first message leaves the window at 60 s
    assert silent == []
    assert other_user.text.startswith("Selamat datang")
    again = only(await say(runtime, "/start", now=NOW + timedelta(seconds=60)))
    assert again.text.startswith("Selamat datang")


async def test_button_presses_count_too(runtime: Runtime) -> None:
    for _ in range(30):
        await say(runtime, callback_data="a:id:v:1:1:")

    assert only(await say(runtime, callback_data="a:id:v:1:1:")).text.startswith(LIMITED)


async def test_local_transports_are_not_limited(runtime: Runtime) -> None:
    for _ in range(40):
        reply = only(await say(runtime, "/start", user=None))
        assert reply.text.startswith("Selamat datang")


def test_the_limiter_slides_and_forgets_idle_users() -> None:
    limiter = RateLimiter(per_minute=2)
    verdicts = [
        limiter.check(1, NOW),
        limiter.check(1, NOW + timedelta(seconds=10)),
        limiter.check(1, NOW + timedelta(seconds=20)),
        limiter.check(1, NOW + timedelta(seconds=30)),
        limiter.check(1, NOW + timedelta(seconds=60)),  # the first has left the window
    ]
    assert verdicts == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.REFUSE,
        Verdict.SILENT,
        Verdict.ALLOW,
    ]
    early, late = NOW + timedelta(minutes=5), NOW + timedelta(minutes=7)
    for user in range(10_000):
        limiter.check(100 + user, early)
    for user in range(10_000):
        limiter.check(100_000 + user, late)
    # Memory stays bounded: users idle for a minute were forgotten along the way.
    assert all(user >= 100_000 for user in limiter._seen)


async def test_a_message_over_2000_characters_is_refused_with_the_reason(
    runtime: Runtime,
) -> None:
    reply = only(await say(runtime, "IPM " * 501))

    assert reply.text == (
        "Pesan terlalu panjang (2.004 karakter). Kirim pertanyaan yang lebih singkat, "
        "maksimal 2.000 karakter."
    )
    assert only(await say(runtime, "x" * 2000)).text.startswith("Maaf, saya belum menemukan")


@pytest.mark.parametrize(
    ("size", "start"),
    [
        (MAX_FILE_BYTES + 1, "Berkas “data.xlsx” (10,0 MB) terlalu besar: batasnya 10 MB"),
        (50 * 1024 * 1024, "Berkas “data.xlsx” (50,0 MB) terlalu besar"),
        (MAX_FILE_BYTES, "Saya belum membaca berkas yang dikirim lewat chat"),
        (None, "Saya belum membaca berkas yang dikirim lewat chat"),
    ],
)
async def test_files_are_refused_with_the_reason(
    runtime: Runtime, size: int | None, start: str
) -> None:
    reply = only(await say(runtime, "", file=IncomingFile("data.xlsx", size)))

    assert reply.text.startswith(start)


def test_the_limit_is_configurable_and_checked(tmp_path: Path) -> None:
    assert settings_for(tmp_path / "x.db", SATUDATA_RATE_LIMIT="5").rate_limit_per_minute == 5
    assert settings_for(tmp_path / "x.db").rate_limit_per_minute == 30
    with pytest.raises(ConfigError, match="SATUDATA_RATE_LIMIT must be a whole number"):
        settings_for(tmp_path / "x.db", SATUDATA_RATE_LIMIT="lots")


@pytest.mark.parametrize(("given", "expected"), [("@satudata_bot", "satudata_bot"), ("", None)])
def test_the_bot_username_is_read_without_its_at(
    tmp_path: Path, given: str, expected: str | None
) -> None:
    settings = settings_for(tmp_path / "x.db", TELEGRAM_BOT_USERNAME=given)

    assert settings.telegram_bot_username == expected


def test_a_malformed_bot_username_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_USERNAME"):
        settings_for(tmp_path / "x.db", TELEGRAM_BOT_USERNAME="https://t.me/x")


@pytest.mark.parametrize(
    "text",
    [
        "IPM Kab\ud800 Pasuruan",  # a question naming no known region
        "/perintah\udfff",  # an unknown command
        "/kepatuhan Dinas \ud83d",  # an unknown OPD, echoed with suggestions
        "data apa saja dari \udc00Dinkes",
    ],
)
async def test_a_lone_surrogate_is_answered_with_text_telegram_can_carry(
    runtime: Runtime, text: str
) -> None:
    """JSON allows "\\ud800" alone; a reply echoing it could not be encoded and was lost."""
    replies = await say(runtime, text, user_name="Pengguna \udbff")

    assert replies
    for reply in replies:
        reply.text.encode("utf-8")  # raises on a lone surrogate
        assert "Maaf, terjadi kesalahan" not in reply.text
