"""A short follow-up continues the chat's last question; a typed answer to a clarifying
question is the choice it names.

"kalau tahun 2020?" after "IPM Kota Malang 2022" is Kota Malang's IPM of 2020, and the
answer says the region was carried over. The memory is in the database: a restarted bot (or
another worker) continues the conversation, another person in the same group does not, and
after some minutes a message is read on its own again.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.wiring import build_runtime
from handlers.chat_memory import KEPT
from handlers.follow_up import picked
from handlers.messages import Reply

from .conftest import NOW, Send, settings_for
from .people_helpers import buttons, say
from .test_answers import demo_values, id_number, only

CARRIED = "(Wilayah sama dengan pertanyaan sebelumnya: Kota Malang.)"


def value_of(reply: Reply) -> tuple[str, str, str]:
    assert reply.data is not None, reply.text
    return reply.data["indicator"], reply.data["region_name"], reply.data["period"]


async def test_a_follow_up_changes_only_what_it_says(send: Send) -> None:
    ipm = demo_values("ipm")
    first = only(await send("IPM Kota Malang 2022"))
    assert value_of(first) == ("ipm_lfsp2020", "Kota Malang", "2022")
    assert CARRIED not in first.text

    year = only(await send("kalau tahun 2020?"))
    assert value_of(year) == ("ipm_lfsp2020", "Kota Malang", "2020")
    assert CARRIED in year.text

    region = only(await send("bagaimana dengan Kota Batu?"))
    assert value_of(region) == ("ipm_lfsp2020", "Kota Batu", "2020")
    assert "pertanyaan sebelumnya" not in region.text  # the region was named
    assert region.data is not None and region.data["value"] != ipm[("Kota Malang", 2020)]

    indicator = only(await send("dan TPT-nya?"))
    assert value_of(indicator) == ("tpt", "Kota Batu", "2020")
    assert "(Wilayah sama dengan pertanyaan sebelumnya: Kota Batu.)" in indicator.text
    tpt = demo_values("tpt")[("Kota Batu", 2020)]
    assert id_number(tpt) in indicator.text


async def test_a_question_of_its_own_is_not_a_follow_up(send: Send) -> None:
    await send("IPM Kota Malang 2022")
    fresh = only(await send("TPT 2023"))  # names an indicator, opens with no follow-up word
    assert value_of(fresh) == ("tpt", "Provinsi Jawa Timur", "2023")
    assert "Wilayah tidak disebut" in fresh.text


async def test_a_trend_follow_up_keeps_the_trend(send: Send) -> None:
    await send("tren IPM Kota Batu 5 tahun terakhir")
    trend = only(await send("bagaimana dengan Kota Kediri?"))
    assert trend.data is not None and trend.data["type"] == "indicator_trend"
    assert trend.data["region_name"] == "Kota Kediri"


async def test_a_ranking_follow_up_ranks_another_year(send: Send) -> None:
    await send("5 kabupaten dengan IPM tertinggi 2022")
    ranking = only(await send("kalau 2020?"))
    assert ranking.data is not None and ranking.data["type"] == "indicator_ranking"
    assert ranking.data["period"] == "2020"
    assert len(ranking.data["ranking"]) == 5
    assert {row["region_level"] for row in ranking.data["ranking"]} == {"kabupaten"}


async def test_the_choice_is_typed_as_a_number_a_word_or_the_name(send: Send) -> None:
    for typed, chosen in (("2", "Kota Pasuruan"), ("Kota", "Kota Pasuruan"), ("kab", None)):
        question = only(await send("IPM Pasuruan 2023"))
        offered = list(buttons(question))
        assert offered == ["Kabupaten Pasuruan", "Kota Pasuruan"], question.text
        expected = chosen or "Kabupaten Pasuruan"
        answer = only(await send(typed))
        assert value_of(answer) == ("ipm_lfsp2020", expected, "2023"), typed
        assert id_number(demo_values("ipm")[(expected, 2023)]) in answer.text


async def test_a_choice_is_typed_once(send: Send) -> None:
    await send("IPM Pasuruan 2023")
    await send("2")
    again = only(await send("2"))  # no question is open now
    assert again.data is None or again.data.get("region_name") != "Kota Pasuruan"


def test_words_shared_by_the_choices_choose_none() -> None:
    choices = (("Kabupaten Pasuruan", "a"), ("Kota Pasuruan", "b"))
    assert picked("Pasuruan", choices) is None
    assert picked("IPM Kota Malang", choices) is None  # a new question
    assert picked("3", choices) is None
    assert picked("yang kedua saja", choices) == "b"
    assert picked("Kabupaten Pasuruan", choices) == "a"


async def test_the_memory_survives_a_restart_and_is_per_person(demo_db: Path) -> None:
    settings = settings_for(demo_db)
    first = await build_runtime(settings, NOW)
    try:
        await say(first, "IPM Kota Malang 2022", user=501, chat=-100)
    finally:
        await first.close()
    second = await build_runtime(settings, NOW)
    try:
        mine = only(await say(second, "kalau tahun 2020?", user=501, chat=-100))
        assert value_of(mine) == ("ipm_lfsp2020", "Kota Malang", "2020")
        # Another member of the same group has asked nothing: no IPM of Kota Malang.
        theirs = only(await say(second, "kalau tahun 2020?", user=502, chat=-100))
        assert theirs.data is None or theirs.data.get("region_name") != "Kota Malang"
    finally:
        await second.close()


async def test_after_some_minutes_a_message_stands_on_its_own(demo_db: Path) -> None:
    runtime = await build_runtime(settings_for(demo_db), NOW)
    try:
        await say(runtime, "IPM Kota Malang 2022", user=501)
        soon = NOW + KEPT - timedelta(seconds=1)
        assert value_of(only(await say(runtime, "kalau 2021?", user=501, now=soon)))[1] == (
            "Kota Malang"
        )
        later = soon + KEPT + timedelta(seconds=1)
        alone = only(await say(runtime, "kalau 2020?", user=501, now=later))
        assert alone.data is None or alone.data.get("region_name") != "Kota Malang"
    finally:
        await runtime.close()
