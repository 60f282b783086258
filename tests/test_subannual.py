"""Monthly and quarterly datasets: month and quarter questions, and a year asked of them."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.wiring import Runtime, build_runtime
from handlers.messages import Incoming, Reply
from tests.conftest import CHAT_ID, NOW, USER_ID, settings_for

MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)][:15]
QUARTERS = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
REGIONS = {"3579": 100.0, "3573": 200.0}  # Kota Batu, Kota Malang: base of each series


def value(region_code: str, index: int) -> float:
    return REGIONS[region_code] + index


def add_dataset(
    db: sqlite3.Connection,
    code: str,
    title: str,
    keywords: str,
    periodicity: str,
    periods: list[str],
) -> None:
    opd = db.execute("SELECT id FROM opds WHERE code = 'bappeda'").fetchone()[0]
    dataset = db.execute(
        "INSERT INTO datasets (code, title, description, opd_id, periodicity, classification,"
        " unit, source, keywords, is_headline, note, latest_period)"
        " VALUES (?, ?, '', ?, ?, 'terbuka', 'kunjungan', 'Data uji', ?, 1, '', ?)",
        (code, title, opd, periodicity, keywords, periods[-1]),
    ).lastrowid
    indicator = db.execute(
        "INSERT INTO indicators (dataset_id, code, name, unit) VALUES (?, ?, ?, 'kunjungan')",
        (dataset, code, title),
    ).lastrowid
    for region_code in REGIONS:
        region = db.execute("SELECT id FROM regions WHERE code = ?", (region_code,)).fetchone()[0]
        db.executemany(
            "INSERT INTO observations (indicator_id, region_id, period, value, decimals, status)"
            " VALUES (?, ?, ?, ?, 0, 'final')",
            [(indicator, region, p, value(region_code, i)) for i, p in enumerate(periods)],
        )


@pytest.fixture
async def runtime(demo_db: Path) -> AsyncIterator[Runtime]:
    with sqlite3.connect(demo_db) as db:
        add_dataset(
            db,
            "kunjungan_bulanan",
            "Kunjungan Wisatawan Bulanan",
            "kunjungan wisatawan; tourist visits",
            "bulanan",
            MONTHS,
        )
        add_dataset(
            db,
            "kunjungan_triwulanan",
            "Kunjungan Museum Triwulanan",
            "kunjungan museum; museum visits",
            "triwulanan",
            QUARTERS,
        )
    runtime = await build_runtime(settings_for(demo_db), NOW)
    yield runtime
    await runtime.close()


async def ask(runtime: Runtime, text: str) -> Reply:
    replies = await runtime.dispatcher.handle(Incoming(CHAT_ID, USER_ID, text=text), NOW)
    assert len(replies) == 1
    return replies[0]


@pytest.mark.parametrize(
    ("question", "period", "label"),
    [
        ("kunjungan wisatawan Kota Batu Juli 2024", "2024-07", "Juli 2024"),
        ("tourist visits Batu City July 2024", "2024-07", "July 2024"),
        ("kunjungan wisatawan Kota Batu 2024", "2024-12", "Desember 2024"),  # a year: its last
        ("kunjungan wisatawan Kota Batu", "2025-03", "Maret 2025"),  # latest
    ],
)
async def test_monthly_questions_pick_the_month_meant(
    runtime: Runtime, question: str, period: str, label: str
) -> None:
    reply = await ask(runtime, question)
    assert reply.data is not None
    assert reply.data["period"] == period
    assert reply.data["value"] == value("3579", MONTHS.index(period))
    assert f"Kota Batu (3579), {label}:" in reply.text


async def test_a_month_is_compared_with_the_month_before(runtime: Runtime) -> None:
    reply = await ask(runtime, "kunjungan wisatawan Kota Batu Juli 2024")
    assert "dibanding Juni 2024" in reply.text


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("kunjungan museum Kota Malang triwulan II 2024", "2024-Q2"),
        ("kunjungan museum Kota Malang Q3 2024", "2024-Q3"),
        ("kunjungan museum Kota Malang kuartal 1 2025", "2025-Q1"),
    ],
)
async def test_quarterly_questions_pick_the_quarter_meant(
    runtime: Runtime, question: str, period: str
) -> None:
    reply = await ask(runtime, question)
    assert reply.data is not None
    assert reply.data["period"] == period
    assert reply.data["value"] == value("3573", QUARTERS.index(period))
    assert "Triwulan " in reply.text


async def test_a_ranking_for_a_year_uses_its_latest_month(runtime: Runtime) -> None:
    reply = await ask(runtime, "kunjungan wisatawan tertinggi 2024")
    assert reply.data is not None
    assert reply.data["period"] == "2024-12"
    assert [r["region_code"] for r in reply.data["ranking"]] == ["3573", "3579"]
    assert "belum tersedia" not in reply.text


async def test_a_month_with_no_data_says_what_is_latest(runtime: Runtime) -> None:
    reply = await ask(runtime, "kunjungan wisatawan Kota Batu Desember 2025")
    assert reply.data is not None
    assert reply.data["period"] == "2025-03"
    assert "Data Desember 2025 belum tersedia; terbaru Maret 2025" in reply.text
