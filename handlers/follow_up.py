"""Reading a message in the light of the chat's last question.

A follow-up says only what changes: "kalau tahun 2020?" the period, "bagaimana dengan Kota
Malang?" the region, "dan TPT-nya?" the indicator; the rest is the previous question's. A
typed answer to a clarifying question ("2", "Kota", "Kota Pasuruan") is the press of the
button it names.
"""

from __future__ import annotations

from dataclasses import replace

from handlers.catalog import LEVEL_WORDS, Catalog, RegionEntry, RegionMention, Scored
from handlers.indicators import AnswerButton, Ask
from handlers.text import tokens
from handlers.understanding import Question, vocabulary


def previous_ask(catalog: Catalog, ask: str | None, categories: str) -> Ask | None:
    """The remembered question, with the catalog's entries; None when it lacks one."""
    button = AnswerButton.unpack(ask) if ask else None
    previous = button.ask(catalog) if button is not None else None
    if previous is None:
        return None
    pairs = tuple(
        (dimension, key)
        for dimension, _, key in (part.partition("=") for part in categories.split(";") if part)
    )
    return replace(previous, categories=pairs)


def carry(question: Question, previous: Ask) -> Question:
    """The question with what it leaves out taken from `previous`; unchanged when it is a
    question of its own (it names an indicator and does not open as a follow-up)."""
    named_unfound = question.topic and not question.datasets  # "jumlah sekolah dasar"
    if question.intent in ("list", "late"):
        return question  # of the registry as a whole, not of the last dataset
    if question.outside or named_unfound or any(not w.isdigit() for w in question.unknown):
        return question  # it names something: answered (or refused) as said
    if question.datasets:
        if not question.follow_up or question.regions:
            return question
        return _shaped(_with_regions(question, previous), previous)
    says_something = (
        question.regions
        or question.period_said
        or question.categories
        or question.level
        or question.shaped
        or question.follow_up
    )
    if not says_something:
        return question
    carried = replace(
        _with_regions(question, previous),
        datasets=[Scored(previous.dataset, 1.0, 0.0)],
        carried_categories=() if question.categories else previous.categories,
    )
    return _shaped(carried, previous)


def _with_regions(question: Question, previous: Ask) -> Question:
    """The question's regions, or the previous ones (a ranking needs none)."""
    ranking = question.shaped and question.intent == "rank"
    if question.regions or ranking or not previous.regions:
        return question
    return in_regions(question, previous.regions)


def in_regions(question: Question, regions: tuple[RegionEntry, ...]) -> Question:
    """The question asked of regions the conversation has settled on."""
    mentions = [RegionMention(0, 0, (region,)) for region in regions]
    return replace(question, regions=mentions, regions_carried=True)


def _shaped(question: Question, previous: Ask) -> Question:
    """Intent and period: the question's where it says them, else the previous ones."""
    period = question.period if question.period_said else previous.period
    if question.shaped:
        return replace(question, period=period)
    intent = previous.intent
    if not question.regions_carried and question.regions and intent not in ("value", "trend"):
        intent = "value"  # "kalau Kota Batu?" after a ranking: Kota Batu's value
    if len(question.regions) > 1:
        intent = "compare"
    elif question.period_said and intent in ("value", "trend"):
        intent = "trend" if period.kind in ("range", "last_n") else "value"
    if intent != previous.intent:
        return replace(question, intent=intent, period=period)
    return replace(
        question,
        intent=intent,
        period=period,
        direction=previous.direction,
        limit=previous.limit,
        level=question.level or previous.level,
    )


def picked(text: str, choices: tuple[tuple[str, str], ...]) -> str | None:
    """The button data of the choice `text` names: by its number, its full name, or words
    only its name has ("Kota" of "Kabupaten Pasuruan" / "Kota Pasuruan"); None otherwise."""
    labels = [set(_words(label)) for label, _ in choices]
    said = _words(text)
    named = {word for word in said if any(word in label for label in labels)}
    numbers = {n for word in said if word not in named and (n := _number(word)) is not None}
    vocab = vocabulary()
    other = [
        word
        for word in said
        if word not in named and _number(word) is None and word not in vocab.choice_filler
    ]
    if not said or other:
        return None  # another question, not a choice
    if named:
        matching = [i for i, label in enumerate(labels) if named <= label]
        return choices[matching[0]][1] if len(matching) == 1 else None
    if len(numbers) == 1 and 1 <= (number := numbers.pop()) <= len(choices):
        return choices[number - 1][1]
    return None


def _number(word: str) -> int | None:
    """ "2", "dua", "kedua", "second": the n-th choice."""
    return int(word) if word.isdigit() else vocabulary().ordinals.get(word)


def _words(text: str) -> list[str]:
    """Level words read as one ("kab" is "kabupaten")."""
    return [LEVEL_WORDS.get(word, word) for word in tokens(text)]
