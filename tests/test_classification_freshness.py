"""A classification changed in the registry (by an import, another process, an operator)
applies to the very next message, although the catalog in memory is refreshed only every
few minutes; and a series of the same indicator is held to its own classification."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bot.wiring import Runtime
from handlers.indicators import Ask
from handlers.understanding import PeriodAsk

from .people_helpers import ACCOUNTS, classify, only, say

TPAK = "Tingkat Partisipasi Angkatan Kerja"


def tpt_button(bot: Runtime) -> str:
    catalog = bot.dispatcher.app.catalog
    tpt = next(d for d in catalog.datasets.values() if d.code == "tpt")
    return Ask("value", tpt, (catalog.by_code["3578"],), PeriodAsk()).button_data("id")


async def test_closing_a_dataset_applies_to_the_next_answer_and_button(
    bot: Runtime, demo_db: Path
) -> None:
    button = tpt_button(bot)
    assert "6,76" in only(await say(bot, "TPT Kota Surabaya 2023")).text

    classify(demo_db, tpt="terbatas")

    assert "berklasifikasi terbatas" in only(await say(bot, "TPT Kota Surabaya 2023")).text
    assert "berklasifikasi terbatas" in only(await say(bot, callback_data=button)).text
    catalog = bot.dispatcher.app.catalog  # still the one loaded before the change
    assert next(d for d in catalog.datasets.values() if d.code == "tpt").classification == "terbuka"


async def test_a_newly_closed_dataset_leaves_lists_and_suggestions_at_once(
    bot: Runtime, demo_db: Path
) -> None:
    assert TPAK in only(await say(bot, "data apa saja dari Disnakertrans")).text

    classify(demo_db, tpak="tertutup")

    listed = only(await say(bot, "data apa saja dari Disnakertrans"))
    asked = only(await say(bot, "TPAK Kabupaten Nganjuk 2019"))
    suggested = only(await say(bot, "partisipasi angkatn krja"))
    assert (
        TPAK not in listed.text
        and listed.data is not None
        and "tpak" not in listed.data["datasets"]
    )
    assert TPAK not in asked.text and asked.data is None
    assert TPAK not in suggested.text


async def test_opening_a_dataset_applies_at_once_too(bot: Runtime, demo_db: Path) -> None:
    classify(demo_db, tpt="terbatas")
    assert "berklasifikasi terbatas" in only(await say(bot, "TPT Kota Surabaya 2023")).text

    classify(demo_db, tpt="terbuka")

    assert "6,76" in only(await say(bot, "TPT Kota Surabaya 2023")).text


async def test_moving_a_dataset_to_another_opd_moves_who_may_read_it(
    bot: Runtime, demo_db: Path
) -> None:
    classify(demo_db, tpt="terbatas")
    nur, siti = ACCOUNTS["Nur Aini"], ACCOUNTS["Siti Rahmawati"]  # Disnakertrans, Dinkes
    assert "6,76" in only(await say(bot, "TPT Kota Surabaya 2023", user=nur)).text

    with sqlite3.connect(demo_db) as conn:
        conn.execute(
            "UPDATE datasets SET opd_id = (SELECT id FROM opds WHERE code = 'dinkes') "
            "WHERE code = 'tpt'"
        )
    conn.close()

    assert (
        "berklasifikasi terbatas" in only(await say(bot, "TPT Kota Surabaya 2023", user=nur)).text
    )
    assert "6,76" in only(await say(bot, "TPT Kota Surabaya 2023", user=siti)).text


# --- the other series of an indicator -------------------------------------------------------

OLD_SERIES_2019 = "70,61"  # Kota Batu, IPM SP2010 series: the only IPM series with 2019


@pytest.mark.parametrize(
    "question",
    ["IPM Kota Batu 2019", "IPM Kota Batu 2022", "tren IPM Kota Batu", "IPM tertinggi 2019"],
)
async def test_a_restricted_series_is_not_shown_beside_or_instead_of_an_open_one(
    bot: Runtime, demo_db: Path, question: str
) -> None:
    classify(demo_db, ipm="terbatas")  # the old series; the Long Form series stays open

    reply = only(await say(bot, question))

    assert "seri lama" not in reply.text and "SP2010" not in reply.text, reply.text
    assert OLD_SERIES_2019 not in reply.text
    if reply.data is not None:
        assert reply.data.get("dataset") in (None, "ipm_lfsp2020")
        assert reply.data.get("other_series") is None


async def test_the_walidata_still_sees_both_series(bot: Runtime, demo_db: Path) -> None:
    classify(demo_db, ipm="terbatas")

    reply = only(await say(bot, "IPM Kota Batu 2022", user=ACCOUNTS["Andi Prasetyo"]))

    assert reply.data is not None and reply.data["other_series"] is not None
    assert re.search(r"SP2010|seri lama", reply.text)
