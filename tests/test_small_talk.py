"""Greetings, thanks and "who are you" are answered as a person would, with example
questions the bot really answers; a courtesy around a question does not stop it being one.

Officials open with "Selamat pagi pak" and close with "terima kasih banyak ya": a failed
search in reply is rude. Each example is asked back, and must give a value of the indicator
it names, for the person asking (a closed dataset is never one).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.wiring import Runtime
from handlers.messages import Reply
from handlers.small_talk import small_talk

from .conftest import NOW
from .people_helpers import classify, only, say

NO_MATCH = "belum menemukan data"
WIB = timedelta(hours=7)
VALUE_TYPES = {"indicator_value", "indicator_trend", "indicator_ranking"}


def examples_in(reply: Reply) -> list[str]:
    """The example questions a reply lists, as bullets after "misalnya:"/"for example:"."""
    lines = reply.text.splitlines()
    opening = next(i for i, line in enumerate(lines) if line.endswith(("misalnya:", "example:")))
    return [line.removeprefix("• ") for line in lines[opening + 1 :] if line.startswith("• ")]


def at_wib(hour: int) -> datetime:
    return NOW.replace(hour=0) + timedelta(hours=hour) - WIB


@pytest.mark.parametrize(
    ("hour", "greeting"),
    [(7, "Selamat pagi"), (12, "Selamat siang"), (16, "Selamat sore"), (20, "Selamat malam")],
)
async def test_a_greeting_is_returned_for_the_time_of_day_in_the_region(
    runtime: Runtime, hour: int, greeting: str
) -> None:
    reply = only(await say(runtime, "Selamat pagi pak", now=at_wib(hour)))
    assert reply.text.startswith(greeting + "!")
    assert NO_MATCH not in reply.text
    assert len(examples_in(reply)) >= 2


@pytest.mark.parametrize(
    ("text", "opening"),
    [
        ("halo, apa kabar?", "Kabar baik"),
        ("Assalamualaikum wr wb", "Waalaikumsalam"),
        ("siapa kamu?", "Saya asisten Satu Data Provinsi Jawa Timur"),
        ("kamu bisa apa saja?", "Yang bisa saya bantu"),
        ("terima kasih banyak ya pak", "Sama-sama"),
        ("oke, makasih infonya", "Sama-sama"),
        ("hello there", "Good "),
        ("who are you?", "I am the Satu Data assistant"),
        ("what can you do", "What I can help with"),
        ("thank you so much", "You are welcome"),
    ],
)
async def test_small_talk_gets_a_reply_in_its_language(
    runtime: Runtime, text: str, opening: str
) -> None:
    reply = only(await say(runtime, text))
    assert opening in reply.text
    assert NO_MATCH not in reply.text and "Sorry" not in reply.text
    assert reply.data is None


async def test_thanks_close_the_talk_without_examples(runtime: Runtime) -> None:
    reply = only(await say(runtime, "terima kasih banyak ya"))
    assert "misalnya" not in reply.text
    assert "Silakan bertanya lagi" in reply.text


async def test_every_example_offered_is_answered_with_a_value(runtime: Runtime) -> None:
    for opening, language in (("Selamat siang", "id"), ("good morning", "en")):
        examples = examples_in(only(await say(runtime, opening)))
        assert len(examples) == 3, examples
        kinds = set()
        for example in examples:
            answer = only(await say(runtime, example))
            assert answer.data is not None, (example, answer.text)
            assert answer.data["type"] in VALUE_TYPES
            kinds.add(answer.data["type"])
        assert kinds == VALUE_TYPES, language  # a value, a trend and a ranking


async def test_start_offers_the_same_answerable_examples(runtime: Runtime) -> None:
    welcome = only(await say(runtime, "/start"))
    examples = examples_in(welcome)
    assert examples == examples_in(only(await say(runtime, "halo")))
    for example in examples:
        assert only(await say(runtime, example)).data is not None, example


async def test_the_most_asked_indicators_are_the_examples(runtime: Runtime) -> None:
    before = examples_in(only(await say(runtime, "halo")))
    assert not any("TPAK" in e or "Angkatan Kerja" in e for e in before)
    for user in range(5):
        await say(runtime, "TPAK Kota Surabaya 2023", user=660000 + user)
    after = examples_in(only(await say(runtime, "halo")))
    assert "Angkatan Kerja" in after[0] or "TPAK" in after[0], after


async def test_a_dataset_the_person_may_not_read_is_never_an_example(
    runtime: Runtime, demo_db: Path
) -> None:
    before = examples_in(only(await say(runtime, "halo")))
    assert any("Pembangunan Manusia" in e for e in before), before
    classify(demo_db, ipm_lfsp2020="tertutup", ipm="terbatas")
    after = examples_in(only(await say(runtime, "halo")))
    assert len(after) == 3
    assert not any("Pembangunan Manusia" in e or "IPM" in e for e in after), after


@pytest.mark.parametrize(
    "text",
    [
        "selamat pagi, IPM Kota Batu 2023?",
        "halo pak, berapa TPT Kota Surabaya 2023",
        "thanks, HDI Kota Batu 2023",
    ],
)
async def test_a_courtesy_around_a_question_does_not_stop_it_being_answered(
    runtime: Runtime, text: str
) -> None:
    reply = only(await say(runtime, text))
    assert reply.data is not None and reply.data["type"] == "indicator_value", reply.text


@pytest.mark.parametrize(
    "text", ["Selamat pagi pak", "halo, apa kabar?", "terima kasih banyak ya", "bisa apa"]
)
def test_small_talk_is_recognised(text: str) -> None:
    assert small_talk(text)


@pytest.mark.parametrize(
    "text", ["selamat pagi, IPM Jember 2023", "Kota", "kalau tahun 2020?", "info kemiskinan"]
)
def test_a_message_with_more_than_small_talk_is_not(text: str) -> None:
    assert not small_talk(text)
