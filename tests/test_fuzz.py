"""Random and hostile text and button data, thousands of cases, straight into the dispatcher:
no exception may reach the user, and no restricted value may appear in any reply.

The restricted datasets hold sentinel values that occur nowhere else in the registry, so a
leak through any channel (text, structured data, chart) is found by simple search:
TPT is terbatas, TPAK tertutup, and the old IPM series terbatas (beside an open series).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.wiring import Runtime, build_runtime
from handlers.messages import Incoming, Reply
from texts.i18n import texts

from .conftest import NOW, copy_database, settings_for
from .people_helpers import ACCOUNTS, STRANGER, bind_accounts, classify, snapshot

SENTINELS = {"tpt": 31337.77, "tpak": 41414.44, "ipm": 52525.55}
LEAKS = ("31.337", "31337", "41.414", "41414", "52.525", "52525")
CLOSED_TITLE = "Partisipasi Angkatan Kerja"
GROUP = -100999
WALIDATA = ACCOUNTS["Andi Prasetyo"]
APOLOGIES = {texts(language).t("internal_error") for language in ("id", "en")}
# Who talks: the public, a liaison of another OPD, and the walidata in a group (where
# everyone reads as the public).
SPEAKERS = [(STRANGER, STRANGER, "private"), (ACCOUNTS["Siti Rahmawati"], 5, "private")]
SPEAKERS.append((WALIDATA, GROUP, "supergroup"))

COMMANDS = ["", "/start", "/data", "/bantuan", "/help", "/status", "/kepatuhan", "/saya"]
COMMANDS += ["/undang", "/undangan", "/peran", "/audit", "/daftarkan_grup", "/me", "/x"]
# Words that reach restricted data, and words that try to break things.
WORDS = ["TPT", "TPAK", "IPM", "seri lama", "SP2010", "pengangguran", "angkatan kerja", "tren"]
WORDS += ["bandingkan", "dan", "tertinggi", "terendah", "peringkat", "Kota Surabaya", "2019"]
WORDS += ["Pasuruan", "Jawa Timur", "2019-2023", "5 tahun terakhir", "siapa produsen data"]
WORDS += ["kapan terakhir diperbarui", "data apa saja dari Disnakertrans", "walidata"]
WORDS += ["' OR 1=1 --", "Robert'); DROP TABLE people;--", "{{ 7*7 }}", "{% raw %}", "%s%n"]
WORDS += ["\x00", "\u202e", "🙂", "../../etc/passwd", "<b>x</b>", "9" * 40, "-1", "\n", "@bot"]
PREFIXES = ["a", "q", "r", "u", "p", "g", "x", ""]
# Pieces of button data: codes the handlers know, ids, roles, periods, nonsense.
PARTS = ["id", "en", "v", "t", "c", "r", "R", "vk5", "tp", "done", "confirm", "move", "ext"]
PARTS += ["a", "o", "d", "x", "X", "s", "walidata", "produsen"]
PARTS += ["pimpinan", "2019", "L5", "2019~2023", "digest_pimpinan", "berhenti", "-1", "9" * 20, ""]


@pytest.fixture(scope="module")
def fuzz_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = copy_database(demo_template, tmp_path_factory.mktemp("fuzz") / "fuzz.db")
    bind_accounts(database)
    classify(database, tpt="terbatas", tpak="tertutup", ipm="terbatas")
    with sqlite3.connect(database) as conn:
        for code, value in SENTINELS.items():
            conn.execute(
                "UPDATE observations SET value = ?, decimals = 2 WHERE indicator_id = "
                "(SELECT i.id FROM indicators i JOIN datasets d ON d.id = i.dataset_id "
                "WHERE d.code = ?)",
                (value, code),
            )
    conn.close()
    return database


@pytest.fixture(scope="module")
def ids(fuzz_template: Path) -> list[str]:
    """Dataset and region ids that exist (restricted ones included), as button parts."""
    with sqlite3.connect(fuzz_template) as conn:
        datasets = [str(r[0]) for r in conn.execute("SELECT id FROM datasets")]
        regions = [str(r[0]) for r in conn.execute("SELECT id FROM regions LIMIT 40")]
    conn.close()
    return datasets + regions + [".".join(regions[:3]), ".".join(regions[:7])]


@pytest.fixture
async def bot(fuzz_template: Path, tmp_path: Path) -> AsyncIterator[Runtime]:
    runtime = await build_runtime(
        settings_for(copy_database(fuzz_template, tmp_path / "f.db")), NOW
    )
    runtime.dispatcher.app.limiter.per_minute = 1_000_000  # floods are tested elsewhere
    incoming = Incoming(GROUP, WALIDATA, text="/daftarkan_grup tanya_data", chat_type="group")
    await runtime.dispatcher.handle(incoming, NOW)
    yield runtime
    await runtime.close()


def hostile_text() -> st.SearchStrategy[str]:
    phrase = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=8)
    return st.one_of(
        st.text(max_size=300),
        st.builds(lambda c, p: (c + " " + " ".join(p)).strip(), st.sampled_from(COMMANDS), phrase),
    )


def hostile_callback(ids: list[str]) -> st.SearchStrategy[str]:
    part = st.one_of(st.sampled_from(PARTS), st.sampled_from(ids), st.text(max_size=6))
    structured = st.builds(
        lambda prefix, parts: ":".join([prefix, *parts]),
        st.sampled_from(PREFIXES),
        st.lists(part, max_size=6),
    )
    return st.one_of(structured, st.text(max_size=80))


def check(replies: list[Reply]) -> None:
    for reply in replies:
        shown = " ".join(
            [
                reply.text,
                repr(reply.data),
                repr(reply.chart),
                *(b.text for r in reply.buttons for b in r),
            ]
        )
        assert reply.text not in APOLOGIES, "a handler failed"
        assert "Traceback" not in shown
        assert not any(leak in shown for leak in LEAKS), shown
        assert CLOSED_TITLE not in shown, shown


FUZZ = settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def clock() -> count[int]:
    return count()


@FUZZ
@given(text=hostile_text(), speaker=st.sampled_from(SPEAKERS))
async def test_hostile_text_never_crashes_or_leaks(
    bot: Runtime, clock: count[int], text: str, speaker: tuple[int, int, str]
) -> None:
    user, chat, kind = speaker
    incoming = Incoming(chat, user, text=text, chat_type=kind)
    now = NOW + timedelta(seconds=next(clock))

    check(await bot.dispatcher.handle(incoming, now, render_charts=False))


@FUZZ
@given(data=st.data(), speaker=st.sampled_from(SPEAKERS))
async def test_hostile_buttons_never_crash_or_leak(
    bot: Runtime,
    ids: list[str],
    clock: count[int],
    data: st.DataObject,
    speaker: tuple[int, int, str],
) -> None:
    user, chat, kind = speaker
    callback = data.draw(hostile_callback(ids))
    incoming = Incoming(chat, user, callback_data=callback, chat_type=kind)
    now = NOW + timedelta(seconds=next(clock))

    check(await bot.dispatcher.handle(incoming, now, render_charts=False))


async def test_the_sentinels_are_what_allowed_readers_see(bot: Runtime) -> None:
    """The leak check is not vacuous: the walidata, in private, does see the values."""
    replies = []
    for question in ("TPT Kota Surabaya 2019", "IPM Kota Batu 2019"):
        incoming = Incoming(WALIDATA, WALIDATA, text=question)
        replies += await bot.dispatcher.handle(incoming, NOW, render_charts=False)

    assert "31.337,77" in replies[0].text
    assert "52.525,55" in replies[1].text


async def test_the_fuzzing_changed_no_roles_and_logged_no_errors(
    bot: Runtime, ids: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A fixed sample of the same shapes, checked for side effects and swallowed errors."""
    before = await snapshot(bot)
    samples = [
        "/peran Siti",
        "/undang Budi",
        "/start AAAA",
        "p:a:1:walidata",
        "u:r:1:walidata",
        "g:tanya_data",
        "r:move:1:2025:2",
        "a:id:v:3:1:2019",
    ]
    with caplog.at_level(logging.WARNING):
        for user, chat, kind in SPEAKERS[:2]:
            for sample in samples:
                field = {"callback_data": sample} if ":" in sample else {"text": sample}
                replies = await bot.dispatcher.handle(
                    Incoming(chat, user, chat_type=kind, **field), NOW, render_charts=False
                )
                check(replies)
    after = await snapshot(bot)
    assert after["people"] == before["people"] and after["Invitation"] == before["Invitation"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
