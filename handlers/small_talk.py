"""Greetings, thanks and "who are you": answered as a person would, not as a failed search.

A message is small talk only when all of it is: every word a phrase of `small_talk.toml` or
a filler word around one. Anything more ("selamat pagi, IPM Jember 2023?") is a question,
and its courtesies are read past by the question parser.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path

from handlers.catalog import PhraseIndex
from handlers.context import Request
from handlers.examples import example_questions
from handlers.messages import Reply
from handlers.text import tokens
from storage.uow import UnitOfWork

PHRASES = Path(__file__).with_name("small_talk.toml")
CLOSING = frozenset({"thanks", "farewell"})  # no examples after these: the talk is ending


@cache
def _phrases() -> tuple[PhraseIndex[str], frozenset[str]]:
    spec = tomllib.loads(PHRASES.read_text(encoding="utf-8"))
    index: PhraseIndex[str] = PhraseIndex()
    for kind, phrases in spec["kinds"].items():
        for phrase in phrases:
            index.add(phrase, kind)
    return index, frozenset(w for word in spec["filler"]["words"] for w in tokens(word))


def small_talk(text: str) -> frozenset[str]:
    """The kinds of small talk `text` is (keys of `[kinds]`); none when it says more."""
    index, filler = _phrases()
    words = tokens(text)
    matches = index.find(words)
    covered = {i for match in matches for i in range(match.start, match.end)}
    if not matches or any(i not in covered and w not in filler for i, w in enumerate(words)):
        return frozenset()
    return frozenset(kind for match in matches for kind in match.payloads)


def part_of_day(moment: datetime) -> str:
    """Pagi, siang, sore or malam at a local time, as Indonesians greet: siang from eleven,
    sore from three, malam from six in the evening until four in the morning."""
    hour = moment.hour
    if 4 <= hour < 11:
        return "pagi"
    if 11 <= hour < 15:
        return "siang"
    if 15 <= hour < 18:
        return "sore"
    return "malam"


async def answer(request: Request, uow: UnitOfWork, kinds: frozenset[str]) -> Reply:
    """Brief and warm, then what to ask: a greeting, "who are you" and "what can you do"
    end with example questions this person gets a value for; thanks and goodbyes do not."""
    closing = kinds <= CLOSING
    local = request.now.astimezone(request.app.deployment.timezone)
    text = request.texts.render(
        "small_talk",
        kinds=kinds,
        closing=closing,
        part_of_day=part_of_day(local),
        name=request.viewer.name,
        region=request.app.deployment.region_name,
        examples=[] if closing else await example_questions(request, uow),
    )
    return Reply(text)
