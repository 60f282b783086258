"""The conversation question set (tests/data/questions-conversation.csv): small talk,
questions about the registry, follow-ups and data the registry does not hold, asked by the
public or by a named demo person, each row in a chat of its own.

A row's `turns` are sent one after the other ("TPT Kota Surabaya 2023 | kalau tahun 2020?");
the last turn's reply is judged. The file holds no figures: a value is looked up in the demo
CSV files and a late list is worked out from them, so the set cannot drift from the data.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from bot.wiring import Runtime
from handlers.messages import Reply

from .people_helpers import ACCOUNTS, STRANGER, say
from .test_answers import DEMO_DATA, registry
from .test_eval import accepted_forms, contains_number
from .test_registry_questions import OPDS, late_codes

QUESTIONS = Path(__file__).parent / "data" / "questions-conversation.csv"
VALUE_TYPES = {"indicator_value", "indicator_trend", "indicator_ranking", "indicator_comparison"}
METADATA_TYPES = {
    "list": "dataset_list",
    "late": "late_datasets",
    "deadline": "dataset_updated",
    "updated": "dataset_updated",
    "producer": "dataset_producer",
}
APOLOGIES = ("belum menemukan", "could not find")
DATASETS = {d["code"]: d for d in registry()["dataset"]}
PEOPLE = {p["name"]: p for p in registry()["person"]}
REGION_WIDE = {"walidata", "pimpinan"}


@dataclass(frozen=True)
class Row:
    turns: tuple[str, ...]
    user: str
    expect: str
    datasets: tuple[str, ...]
    region: str
    period: str
    names: str


def load_rows() -> list[Row]:
    with QUESTIONS.open(newline="", encoding="utf-8") as handle:
        return [
            Row(
                turns=tuple(t.strip() for t in r["turns"].split(" | ")),
                user=r["user"],
                expect=r["expect"],
                datasets=tuple(c for c in r["dataset"].split("|") if c),
                region=r["region"],
                period=r["period"],
                names=r["names"],
            )
            for r in csv.DictReader(handle)
        ]


def published(code: str, region: str, period: str) -> str | None:
    """The demo value as published for the region and year (the newest year when blank)."""
    with (DEMO_DATA / DATASETS[code]["file"]).open(encoding="utf-8", newline="") as handle:
        held = {r["year"]: r["value"] for r in csv.DictReader(handle) if r["region_name"] == region}
    if not held:
        return None
    return held.get(period or max(held))


def judge(row: Row, reply: Reply) -> str | None:
    """None when the reply is right for the row, else what is wrong with it."""
    data = reply.data or {}
    kind = data.get("type")
    text = reply.text
    if row.expect in ("small_talk", "courtesy"):
        if data or any(a in text for a in APOLOGIES):
            return "not small talk"
        if row.expect == "courtesy" or text.count("\n• ") >= 2:
            return None  # a greeting or "bisa apa" shows what to ask; thanks need not
        return "no example questions"
    if row.expect == "not_available":
        if kind in VALUE_TYPES:
            return f"gave a value of {data.get('dataset')}"
        return None if row.names.lower() in text.lower() else f"does not name {row.names!r}"
    if row.expect == "value":
        if kind != "indicator_value":
            return f"no value ({kind})"
        if data["dataset"] not in row.datasets or data["region_name"] != row.region:
            return f"value of {data['dataset']} for {data['region_name']}"
        if row.period and data["period"] != row.period:
            return f"period {data['period']}"
        value = published(data["dataset"], row.region, row.period)
        assert value is not None, row
        forms = accepted_forms(value)
        return None if any(contains_number(text, f) for f in forms) else f"{value} not said"
    if kind != METADATA_TYPES[row.expect]:
        return f"{kind} instead of {METADATA_TYPES[row.expect]}"
    if row.names and row.names not in text:
        return f"does not name {row.names!r}"
    if row.expect == "list":
        if row.region and data["region"] != row.region:
            return f"listed for {data['region']}"
        if row.datasets and not set(row.datasets) <= set(data["datasets"]):
            return f"{row.datasets} not listed"
        return None
    if row.expect == "late":
        return None if set(data["datasets"]) == expected_late(row) else "wrong late list"
    dataset = data["dataset"]
    return None if dataset in row.datasets else f"about {dataset}"


def expected_late(row: Row) -> set[str]:
    person = PEOPLE[row.user]
    if REGION_WIDE & set(person["roles"]):
        named = next((code for code, name in OPDS.items() if name == row.names), None)
        return late_codes(named)
    return late_codes(person["opd"])


async def test_conversation_questions_are_answered(bot: Runtime) -> None:
    rows = load_rows()
    failures = []
    for number, row in enumerate(rows):
        user = ACCOUNTS[row.user] if row.user else STRANGER + number
        for turn in row.turns:
            replies = await say(bot, turn, user=user)
        problem = judge(row, replies[-1])
        if problem:
            failures.append(f"  {' | '.join(row.turns)!r}: {problem}")

    print(f"\nquestions-conversation: {len(rows) - len(failures)}/{len(rows)}")
    assert not failures, "\n".join(failures)


def test_the_set_covers_each_kind_of_conversation() -> None:
    rows = load_rows()
    kinds = {row.expect for row in rows}
    assert kinds == {"small_talk", "courtesy", "not_available", "value", *METADATA_TYPES}
    assert len(rows) >= 60
    assert sum(len(row.turns) > 1 for row in rows) >= 10  # follow-ups
    for row in rows:
        for code in row.datasets:
            assert code in DATASETS, code
        if row.expect == "value":
            assert published(row.datasets[0], row.region, row.period) or published(
                row.datasets[-1], row.region, row.period
            ), row


def test_the_judge_refuses_another_regions_value() -> None:
    row = load_rows()[[r.expect for r in load_rows()].index("value")]
    value = published(row.datasets[0], row.region, row.period)
    data = {"type": "indicator_value", "dataset": row.datasets[0], "period": row.period}
    right = Reply(f"{row.region}: {value}", data={**data, "region_name": row.region})
    wrong = Reply(f"Kota Lain: {value}", data={**data, "region_name": "Kota Lain"})
    assert judge(row, right) is None
    assert judge(row, wrong) is not None


def test_the_judge_calls_any_value_for_missing_data_wrong() -> None:
    row = next(r for r in load_rows() if r.expect == "not_available")
    data = {"type": "indicator_value", "dataset": "tpt"}
    assert judge(row, Reply(f"{row.names}: 4,52", data=data)) is not None
