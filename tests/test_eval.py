"""The development question set (tests/data/questions-dev.csv), asked like `satudata ask --json`.

Scoring rule (tests/data/README.md): a question counts as answered when the answer names the
right region (its BPS code; provinces, which have a blank code there, by name) and the reply
contains the expected value, or the alternative series' value, at the published precision in
Indonesian ("1.243.906", "63,93") or plain ("1243906", "63.93") number format.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from bot.console import CONSOLE_CHAT_ID
from bot.wiring import Runtime
from handlers.messages import Incoming
from texts.formatting import number

from .conftest import NOW

QUESTIONS = Path(__file__).parent / "data" / "questions-dev.csv"
REQUIRED_ACCURACY = 0.95


@dataclass(frozen=True)
class Case:
    question: str
    indicator: str
    region_code: str
    region_name: str
    period: str
    values: tuple[str, ...]


def load_cases() -> list[Case]:
    with QUESTIONS.open(newline="", encoding="utf-8") as handle:
        return [
            Case(
                question=row["question"],
                indicator=row["indicator"],
                region_code=row["expected_region_code"].strip(),
                region_name=row["expected_region_name"].strip(),
                period=row["expected_period"].strip(),
                values=tuple(
                    v.strip() for v in (row["expected_value"], row["alt_value"]) if v.strip()
                ),
            )
            for row in csv.DictReader(handle)
        ]


def accepted_forms(published: str) -> set[str]:
    """The value as published ("8413.29") and in Indonesian format ("8.413,29")."""
    decimals = len(published.partition(".")[2])
    return {published, number(float(published), decimals)}


def contains_number(text: str, form: str) -> bool:
    """`form` appears as a whole number: "5,02" is not found inside "15,02" or "5,021"."""
    return re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", text) is not None


async def ask(runtime: Runtime, question: str) -> tuple[str, dict | None]:
    """What `satudata ask --json` reports: every reply's text, and the first answer's data."""
    replies = await runtime.dispatcher.handle(Incoming(CONSOLE_CHAT_ID, None, text=question), NOW)
    answer = next((r.data for r in replies if r.data and r.data.get("type")), None)
    return "\n".join(r.text for r in replies), answer


def judge(case: Case, text: str, answer: dict | None) -> str | None:
    """None when the question counts as answered, else why not."""
    if answer is None:
        return "no answer (" + text.replace("\n", " / ")[:120] + ")"
    if case.region_code:
        if answer.get("region_code") != case.region_code:
            return f"region {answer.get('region_code')} {answer.get('region_name')}"
    elif answer.get("region_name") != case.region_name:
        return f"region {answer.get('region_name')}"
    if not any(contains_number(text, form) for v in case.values for form in accepted_forms(v)):
        said = next((line for line in text.splitlines() if answer["period"] + ":" in line), text)
        return f"value {' or '.join(case.values)} not in reply ({answer['dataset']}: {said})"
    return None


def test_contains_number_matches_whole_numbers_only() -> None:
    assert contains_number("Kota Madiun (3577), 2013: 5,02 persen", "5,02")
    assert not contains_number("Kota Madiun (3577), 2013: 15,02 persen", "5,02")
    assert not contains_number("Kota Madiun (3577), 2013: 5,021 persen", "5,02")
    assert contains_number("2017: 1.243.906 jiwa", "1.243.906")
    assert not contains_number("2017: 1.243.9060 jiwa", "1.243.906")


async def test_development_questions_are_answered(runtime: Runtime) -> None:
    cases = load_cases()
    assert len(cases) >= 70, "the question set went missing"
    failures = []
    for case in cases:
        text, answer = await ask(runtime, case.question)
        problem = judge(case, text, answer)
        if problem:
            failures.append(f"  {case.question!r}: {problem}")

    accuracy = 1 - len(failures) / len(cases)
    print(f"\nquestions-dev accuracy: {accuracy:.1%} ({len(cases) - len(failures)}/{len(cases)})")
    print("\n".join(failures))
    assert accuracy >= REQUIRED_ACCURACY, "\n".join(
        [f"accuracy {accuracy:.1%} < {REQUIRED_ACCURACY:.0%}; failing questions:", *failures]
    )
