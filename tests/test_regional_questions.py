"""The regional question set (tests/data/questions-regional.csv), asked of a kabupaten's registry.

The development set (`test_eval.py`) asks about provinces and kabupaten/kota; officials of one
kabupaten ask about its kecamatan and desa, about women or an age group, about one of several
indicators in a table, about a month or a quarter, and they ask for what the registry does
not hold. This set asks that, over the portal-shaped tables of `tests/regional_corpus.py`,
each loaded as its own dataset beside the demo registry, the deployment being Kabupaten
Pasuruan (the corpus's home region).

The CSV names what a right answer claims (dataset, indicator, places, period, categories,
ranking scope); the values are looked up in the corpus's truth (and, for the demo's own
datasets, in the demo's files), so the question set cannot drift from the fixtures.

Scoring rule (tests/data/README.md): an answer is judged from the structured data behind the
reply (the first reply whose `data` is an answer), never from its wording:

- `right`: the kind asked for, from an acceptable dataset, about the expected indicator,
  place(s), period (blank: the newest the dataset holds there) and categories, every number
  equal to the truth at the cell's published precision; a ranking lists the truth's top or
  bottom `limit` and counts every region with a value.
- `clarify`: no number, buttons to choose from; `not_available`: no number, no buttons, or
  for a period the table lacks, the answer saying so (`requested_period`) with the latest.
- `wrong`: any number that is not the truth for what it claims, or a claim of another
  dataset, indicator, place, period or categories than the question's. The set must have none.
- `other`: true numbers that do not answer as asked (another kind of answer, a ranking of
  the other direction or length, a field the answer contract requires left out).

A clarifying question is right where it is expected, and wherever several datasets are
acceptable; a trap (`not_available`) is right only without a number.
"""

from __future__ import annotations

import csv
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from bot.console import CONSOLE_CHAT_ID
from bot.wiring import Runtime, build_runtime
from domain.periods import parse_period
from handlers.messages import Button, Incoming, Reply
from storage import db
from storage.demo import DEMO_DATA, read_long_csv
from storage.importing import import_datasets
from storage.region_codes import kemendagri_from_bps
from storage.tables.reading import Categories
from storage.uow import UnitOfWorkFactory
from storage.value_import import import_values
from tests.regional_corpus import (
    CASES,
    OFFICIAL,
    Case,
    Cell,
    Resource,
    csv_bytes,
    daftar_data,
    file_name,
)
from tests.regional_registry import categories as parse_categories
from tests.regional_registry import difference, expected, held, registry_name

from .conftest import NOW, copy_database, run_in_thread, settings_for

QUESTIONS = Path(__file__).parent / "data" / "questions-regional.csv"
COLUMNS = (
    "question",
    "expect",
    "datasets",
    "indicator",
    "places",
    "level",
    "period",
    "categories",
    "direction",
    "limit",
    "note",
)
REQUIRED_ACCURACY = 0.95
MIN_QUESTIONS = 150
MIN_DATASETS = 20
DEFAULT_LIMIT = 5  # what a ranking lists when the question names no number
HOME = {"SATUDATA_REGION_CODE": "3514", "SATUDATA_REGION_NAME": "Kabupaten Pasuruan"}
READABLE = tuple(case for case in CASES if case.readable)

VALUE, RANK, COMPARE, TREND = "value", "rank", "compare", "trend"
CLARIFY, NOT_AVAILABLE = "clarify", "not_available"
EXPECTS = (VALUE, RANK, COMPARE, TREND, CLARIFY, NOT_AVAILABLE)
ANSWER_TYPE = {  # what `data["type"]` a right answer has; a clarify row is a single value
    VALUE: "indicator_value",
    RANK: "indicator_ranking",
    COMPARE: "indicator_comparison",
    TREND: "indicator_trend",
    CLARIFY: "indicator_value",
}
ANSWER_TYPES = frozenset(ANSWER_TYPE.values())
LEVELS = ("kecamatan", "desa", "kabupaten", "kota", "kabkota")
DIRECTIONS = ("high", "low")
RIGHT, WRONG, OTHER = "right", "wrong", "other"

Answer = Mapping[str, Any]
Key = tuple[str, str, str, str, Categories]  # dataset, indicator, place, period, categories


# --- the truth ----------------------------------------------------------------------------


def at_level(place: str, parent: str, level: str) -> bool:
    """Whether `place` is a region of `level` inside `parent`, told by its Kemendagri code:
    kecamatan have three segments, desa and kelurahan four, and a kota's second segment is
    71 or more (35.75 Kota Pasuruan beside 35.14 Kabupaten Pasuruan)."""
    if not place.startswith(parent + "."):
        return False
    segments = place.split(".")
    if level == "kecamatan":
        return len(segments) == 3
    if level == "desa":
        return len(segments) == 4
    if len(segments) != 2:
        return False
    kota = int(segments[1]) >= 71
    return level == "kabkota" or (level == "kota") == kota


def demo_truth() -> tuple[list[tuple[str, Cell]], set[tuple[str, str]]]:
    """The demo registry's values as cells of its datasets, with its regions' (name, code):
    the demo holds some of what the corpus does (poverty rates of Jawa Timur's kabupaten and
    kota), so an answer from it is checked like any other. Regions whose Kemendagri code
    cannot be told for certain (Indonesia, Papua) are left out."""
    spec = tomllib.loads((DEMO_DATA / "registry.toml").read_text(encoding="utf-8"))
    cells, names = [], set()
    for dataset in spec["dataset"]:
        code = dataset["code"]
        for row in read_long_csv(DEMO_DATA / dataset["file"]):
            place = kemendagri_from_bps(row.region_code)
            if place is not None:
                cells.append(
                    (code, Cell(code, row.unit, place, row.period, (), row.value, row.decimals))
                )
                names.add((row.region_name, place))
    return cells, names


class Truth:
    """Every cell the registry holds, by dataset, indicator, place, period and categories."""

    def __init__(self, cells: Iterable[tuple[str, Cell]], names: Iterable[tuple[str, str]]):
        self.cells: dict[Key, Cell] = {}
        self._series: dict[tuple[str, str, Categories], dict[str, dict[str, Cell]]] = {}
        self.indicators: dict[str, set[str]] = {}
        for dataset, cell in cells:
            self.cells[(dataset, cell.indicator, cell.place, cell.period, cell.categories)] = cell
            series = self._series.setdefault((dataset, cell.indicator, cell.categories), {})
            series.setdefault(cell.place, {})[cell.period] = cell
            self.indicators.setdefault(dataset, set()).add(cell.indicator)
        bearers: dict[str, set[str]] = defaultdict(set)
        for name, code in names:
            bearers[name].add(code)
        # A name two regions bear (Desa Tambaksari) cannot place an answer.
        self.names = {name: next(iter(codes)) for name, codes in bearers.items() if len(codes) == 1}
        self.places = {place for (_, _, place, _, _) in self.cells} | set(self.names.values())

    @classmethod
    def build(cls, cases: Iterable[Case] = READABLE, demo: bool = True) -> Truth:
        """The corpus's cells under their datasets' codes (a single indicator is named by its
        dataset), with the demo's if `demo`."""
        cells = [
            (case.context.dataset_code, cell)
            for case in cases
            for cell in expected(case, case.context.dataset_code)
        ]
        names = [(registry_name(code), code) for code in OFFICIAL]
        if demo:
            demo_cells, demo_names = demo_truth()
            cells += demo_cells
            names += demo_names
        return cls(cells, names)

    @property
    def datasets(self) -> set[str]:
        return set(self.indicators)

    def cell(
        self, dataset: str, indicator: str, place: str, period: str, categories: Categories
    ) -> Cell | None:
        return self.cells.get((dataset, indicator, place, period, categories))

    def periods(
        self, dataset: str, indicator: str, place: str, categories: Categories
    ) -> list[str]:
        """The periods held for one place, oldest first (canonical codes sort in time)."""
        return sorted(self._series.get((dataset, indicator, categories), {}).get(place, {}))

    def newest(
        self, dataset: str, indicator: str, places: Sequence[str], categories: Categories
    ) -> str | None:
        """The newest period every one of `places` has a value for."""
        held_by = [set(self.periods(dataset, indicator, p, categories)) for p in places]
        common = set.intersection(*held_by) if held_by else set()
        return max(common, default=None)

    def children(
        self,
        dataset: str,
        indicator: str,
        parent: str,
        level: str,
        period: str,
        categories: Categories,
    ) -> dict[str, Cell]:
        """The regions of `level` inside `parent` with a value for `period`: what a ranking
        of them ranks."""
        series = self._series.get((dataset, indicator, categories), {})
        return {
            place: periods[period]
            for place, periods in series.items()
            if period in periods and at_level(place, parent, level)
        }

    def newest_ranked(
        self, dataset: str, indicator: str, parent: str, level: str, categories: Categories
    ) -> str | None:
        series = self._series.get((dataset, indicator, categories), {})
        periods = {
            period
            for place, by_period in series.items()
            if at_level(place, parent, level)
            for period in by_period
        }
        return max(periods, default=None)

    def place_of(self, fields: Answer) -> str | None:
        """Where an answer (or a region in it) says it is: its Kemendagri code; for a region
        stored without one, the code told from its BPS code, or from its name where only one
        region bears it."""
        code = fields.get("region_kemendagri_code")
        if isinstance(code, str) and code:
            return code
        bps = fields.get("region_code")
        if isinstance(bps, str) and (converted := kemendagri_from_bps(bps)) is not None:
            return converted
        name = fields.get("region_name")
        return self.names.get(name) if isinstance(name, str) else None


# --- the questions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One row of the CSV, parsed: what a right answer claims."""

    line: int
    question: str
    expect: str
    datasets: tuple[str, ...]
    indicators: tuple[str, ...]
    places: tuple[str, ...]
    level: str
    period: str
    categories: Categories
    raw_categories: str
    direction: str
    limit: int
    note: str

    @classmethod
    def from_row(cls, line: int, row: Mapping[str, str]) -> Question:
        def split(column: str) -> tuple[str, ...]:
            return tuple(part.strip() for part in row[column].split("|") if part.strip())

        expect, limit = row["expect"].strip(), row["limit"].strip()
        if not limit:
            limit = str(DEFAULT_LIMIT) if expect == RANK else "0"
        return cls(
            line=line,
            question=row["question"].strip(),
            expect=expect,
            datasets=split("datasets"),
            indicators=split("indicator"),
            places=split("places"),
            level=row["level"].strip(),
            period=row["period"].strip(),
            categories=parse_categories(row["categories"].strip()),
            raw_categories=row["categories"].strip(),
            direction=row["direction"].strip(),
            limit=int(limit),
            note=row["note"].strip(),
        )


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS, reader.fieldnames
        return [Question.from_row(line, row) for line, row in enumerate(reader, start=2)]


def shown(categories: Categories) -> str:
    return ";".join(f"{dimension}={key}" for dimension, key in categories) or "total"


def holds(
    truth: Truth, dataset: str, indicators: Sequence[str], place: str, period: str, q: Question
) -> bool:
    """Whether the dataset has a value for the place (at `period`, or at any when blank)."""
    return any(
        truth.cell(dataset, indicator, place, period, q.categories) is not None
        if period
        else bool(truth.periods(dataset, indicator, place, q.categories))
        for indicator in indicators
    )


def problems_of(q: Question, truth: Truth) -> list[str]:
    """What is wrong with a row itself: unknown names, a shape its kind does not have, or
    a cell the fixtures do not hold (a trap whose cell they do hold is no trap)."""
    where = f"line {q.line} {q.question!r}"
    found: list[str] = []
    if q.expect not in EXPECTS:
        return [f"{where}: expect {q.expect!r} is none of {', '.join(EXPECTS)}"]
    if not q.question:
        found.append(f"{where}: no question")
    found += [f"{where}: no dataset {d!r}" for d in q.datasets if d not in truth.datasets]
    found += [f"{where}: no region {p!r}" for p in q.places if p not in truth.places]
    if q.period:
        try:
            canonical = parse_period(q.period).code
        except ValueError as error:
            found.append(f"{where}: period {q.period!r}: {error}")
        else:
            if canonical != q.period:
                found.append(f"{where}: period {q.period!r} is written {canonical!r}")
    if q.raw_categories != (shown(q.categories) if q.categories else ""):
        found.append(f"{where}: categories {q.raw_categories!r} are not sorted pairs")
    if q.expect == RANK:
        if q.level not in LEVELS or q.direction not in DIRECTIONS or q.limit < 1:
            found.append(f"{where}: a ranking needs a level, a direction and a limit")
    elif q.level or q.direction or q.limit:
        found.append(f"{where}: level, direction and limit belong to rankings")
    if found:
        return found
    if q.expect == NOT_AVAILABLE:
        for dataset in q.datasets:
            indicators = q.indicators or tuple(truth.indicators.get(dataset, ()))
            found += [
                f"{where}: {dataset} holds {place} {q.period or '(any period)'}: no trap"
                for place in q.places
                if holds(truth, dataset, indicators, place, q.period, q)
            ]
        return found
    if not q.datasets or not q.indicators or not q.places:
        return [f"{where}: an answerable question needs datasets, indicator and places"]
    for dataset in q.datasets:
        own = [i for i in q.indicators if i in truth.indicators.get(dataset, ())]
        if not own:
            found.append(f"{where}: {dataset} has none of {', '.join(q.indicators)}")
            continue
        found += shape_problems(q, truth, dataset, own, where)
    return found


def shape_problems(
    q: Question, truth: Truth, dataset: str, indicators: Sequence[str], where: str
) -> list[str]:
    """Whether `dataset` holds what a right answer of the row's kind would show."""
    cats = shown(q.categories)
    if q.expect in (VALUE, TREND, RANK) and len(q.places) != 1:
        return [f"{where}: a {q.expect} is about one place"]
    if q.expect == VALUE and not holds(truth, dataset, indicators, q.places[0], q.period, q):
        return [f"{where}: {dataset} has no {q.places[0]} {q.period or ''} {cats}"]
    if q.expect == CLARIFY and not any(
        holds(truth, dataset, indicators, place, q.period, q) for place in q.places
    ):
        return [f"{where}: {dataset} holds none of {', '.join(q.places)}"]
    if q.expect == COMPARE:
        if len(q.places) < 2:
            return [f"{where}: a comparison needs two places"]
        if q.period and not all(
            holds(truth, dataset, indicators, p, q.period, q) for p in q.places
        ):
            return [f"{where}: {dataset} lacks one of the places in {q.period}"]
        if not any(truth.newest(dataset, i, q.places, q.categories) for i in indicators):
            return [f"{where}: {dataset} has no period common to the places"]
    if q.expect == TREND:
        if q.period:
            return [f"{where}: a trend names no period"]
        if all(len(truth.periods(dataset, i, q.places[0], q.categories)) < 2 for i in indicators):
            return [f"{where}: {dataset} has fewer than two periods for {q.places[0]}"]
    if q.expect == RANK:
        for indicator in indicators:
            period = q.period or truth.newest_ranked(
                dataset, indicator, q.places[0], q.level, q.categories
            )
            ranked = truth.children(
                dataset, indicator, q.places[0], q.level, period or "", q.categories
            )
            if len(ranked) >= 2:
                return []
        return [f"{where}: {dataset} has fewer than two {q.level} of {q.places[0]} to rank"]
    return []


# --- judging ------------------------------------------------------------------------------


class Claim(NamedTuple):
    """One number an answer gives, with where and when it says it is from."""

    place: str | None
    period: str | None
    value: object


@dataclass(frozen=True)
class Verdict:
    kind: str  # right, wrong, other, clarify, not_available
    reason: str = ""


def categories_of(data: Answer) -> Categories:
    raw = data.get("categories") or {}
    if not isinstance(raw, Mapping):
        return (("?", repr(raw)),)
    return tuple(sorted((str(dimension), str(key)) for dimension, key in raw.items()))


def indicator_of(data: Answer) -> str:
    return str(data.get("indicator") or data.get("dataset"))


def same(value: object, cell: Cell) -> bool:
    """The number as the table publishes it: equal once both are rounded to its decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return round(float(value), cell.decimals) == round(cell.value, cell.decimals)


def claims(data: Answer, truth: Truth) -> list[Claim]:
    """Every number in an answer, by its kind's shape in the answer contract."""
    kind, period = data.get("type"), data.get("period")
    if kind == "indicator_value":
        return [Claim(truth.place_of(data), period, data.get("value"))]
    if kind == "indicator_trend":
        place = truth.place_of(data)
        pairs = zip(data.get("periods") or [], data.get("values") or [], strict=False)
        return [Claim(place, p, v) for p, v in pairs]
    rows = data.get("regions") if kind == "indicator_comparison" else data.get("ranking")
    found = []
    for row in rows or []:
        place = truth.place_of(row)
        if "values" in row:  # a comparison over time: each region's series
            pairs = zip(row.get("periods") or [], row.get("values") or [], strict=False)
            found += [Claim(place, p, v) for p, v in pairs]
        else:
            found.append(Claim(place, period, row.get("value")))
    return found


def describe(data: Answer) -> str:
    return (
        f"{data.get('type')} {data.get('dataset')}/{indicator_of(data)} "
        f"{data.get('region_name') or ''} {data.get('period') or ''} "
        f"{shown(categories_of(data))}"
    ).replace("  ", " ")


def falsehood(data: Answer, truth: Truth) -> str | None:
    """A number that is not the truth for what it claims (or a cell the registry does not
    hold); numbers that claim no place or period are left to `shortfall`."""
    dataset, indicator, cats = str(data.get("dataset")), indicator_of(data), categories_of(data)
    for claim in claims(data, truth):
        if claim.place is None or claim.period is None:
            continue
        cell = truth.cell(dataset, indicator, claim.place, claim.period, cats)
        if cell is None:
            return (
                f"{dataset}/{indicator} has no {claim.place} {claim.period} {shown(cats)},"
                f" yet the answer gives {claim.value}"
            )
        if not same(claim.value, cell):
            return f"{claim.place} {claim.period}: {claim.value}, the table says {cell.value}"
    if data.get("type") == "indicator_ranking":
        parent, level = parent_of(data), data.get("level")
        if parent and isinstance(level, str) and level:
            return rank_problem(data, truth, parent, level)
    return None


def parent_of(data: Answer) -> str | None:
    parent = data.get("parent")
    if isinstance(parent, Mapping):
        code = parent.get("region_kemendagri_code")
        return code if isinstance(code, str) and code else None
    return None


def rank_problem(data: Answer, truth: Truth, parent: str, level: str) -> str | None:
    """A ranking that is not the truth's within `parent`'s regions of `level`: a region
    outside them, another order, or a count of ranked regions that is not theirs."""
    dataset, indicator, cats = str(data.get("dataset")), indicator_of(data), categories_of(data)
    period = data.get("period")
    if not isinstance(period, str):
        return None  # no period: a shortfall
    ranked = truth.children(dataset, indicator, parent, level, period, cats)
    places = [claim.place for claim in claims(data, truth)]
    if None in places:
        return None  # not placed: a shortfall
    outside = [p for p in places if p not in ranked]
    if outside:
        return f"ranks {', '.join(map(str, outside))}, no {level} of {parent} with {period} data"
    if data.get("total") != len(ranked):
        return f"total {data.get('total')}, but {len(ranked)} {level} of {parent} have data"
    direction = data.get("direction")
    if direction in DIRECTIONS:
        order = sorted((c.value for c in ranked.values()), reverse=direction == "high")
        listed = [ranked[str(p)].value for p in places]
        if listed != order[: len(listed)]:
            return f"not the {direction} order of the table: {places}"
    return None


def other_claim(q: Question, data: Answer, truth: Truth) -> str | None:
    """A claim of something other than the question asked: dataset, indicator, categories,
    and for an answer of the kind asked, place(s), period and ranking scope."""
    dataset, indicator, cats = str(data.get("dataset")), indicator_of(data), categories_of(data)
    if dataset not in q.datasets:
        return f"answers from {dataset}, not {' or '.join(q.datasets)}"
    if indicator not in q.indicators:
        return f"answers {indicator}, not {' or '.join(q.indicators)}"
    if cats != q.categories:
        return f"answers {shown(cats)}, not {shown(q.categories)}"
    kind, period = data.get("type"), data.get("period")
    if kind != ANSWER_TYPE[q.expect]:
        return None
    if kind in ("indicator_value", "indicator_trend"):
        place = truth.place_of(data)
        if place is not None and place not in q.places:
            return f"answers for {place} {data.get('region_name')}, not {' or '.join(q.places)}"
        if kind == "indicator_value" and place is not None and period is not None:
            wanted = q.period or truth.newest(dataset, indicator, [place], cats)
            if period != wanted:
                return f"answers {period}, not {wanted}"
    if kind == "indicator_comparison":
        places = [truth.place_of(row) for row in data.get("regions") or []]
        if None not in places and sorted(set(map(str, places))) != sorted(q.places):
            return f"compares {', '.join(map(str, places))}, not {', '.join(q.places)}"
        wanted = q.period or truth.newest(dataset, indicator, q.places, cats)
        if period is not None and period != wanted:
            return f"compares {period}, not {wanted}"
    if kind == "indicator_ranking":
        return rank_claim(q, data, truth)
    return None


def rank_claim(q: Question, data: Answer, truth: Truth) -> str | None:
    parent, level, period = parent_of(data), data.get("level"), data.get("period")
    if parent is not None and parent != q.places[0]:
        return f"ranks within {parent}, not {q.places[0]}"
    if level and level != q.level:
        return f"ranks {level}, not {q.level}"
    wanted = q.period or truth.newest_ranked(
        str(data.get("dataset")), indicator_of(data), q.places[0], q.level, q.categories
    )
    if period != wanted:
        return f"ranks {period}, not {wanted}"
    if parent is None or not level:
        # Offered as the answer to the question: measured against the scope it asked for.
        return rank_problem(data, truth, q.places[0], q.level)
    return None


def shortfall(q: Question, data: Answer, truth: Truth) -> str | None:
    """True numbers that still do not answer as asked."""
    kind = data.get("type")
    if kind != ANSWER_TYPE[q.expect]:
        return f"answered as {kind}: {describe(data)}"
    found = claims(data, truth)
    if not found:
        return "an answer without a number"
    if any(claim.place is None for claim in found):
        return "a number without a place (no region_kemendagri_code)"
    if any(claim.period is None for claim in found):
        return "a number without a period"
    dataset, indicator, cats = str(data.get("dataset")), indicator_of(data), categories_of(data)
    if kind == "indicator_trend":
        periods = [str(claim.period) for claim in found]
        newest = truth.newest(dataset, indicator, q.places, cats)
        if len(periods) < 2:
            return f"a trend of {len(periods)} period"
        if newest not in periods:
            return f"a trend that stops at {max(periods)}, the newest is {newest}"
    if kind == "indicator_comparison" and data.get("period") is None:
        wanted = q.period or truth.newest(dataset, indicator, q.places, cats)
        if any(wanted not in (row.get("periods") or []) for row in data.get("regions") or []):
            return f"a comparison over time without {wanted}"
    if kind == "indicator_ranking":
        return rank_shortfall(q, data, truth, found)
    return None


def rank_shortfall(q: Question, data: Answer, truth: Truth, found: list[Claim]) -> str | None:
    if parent_of(data) is None or not data.get("level"):
        return "a ranking that names no parent or level"
    if data.get("direction") != q.direction:
        return f"ranks {data.get('direction')}, asked {q.direction}"
    ranked = truth.children(
        str(data.get("dataset")),
        indicator_of(data),
        q.places[0],
        q.level,
        str(data.get("period")),
        categories_of(data),
    )
    wanted = min(q.limit, len(ranked))
    if len(found) != wanted:
        return f"lists {len(found)}, asked {wanted}"
    # Ties share the better place (1, 2, 2, 4), as rankings are numbered.
    rows = data.get("ranking") or []
    numbers = [row.get("rank") for row in rows]
    values = [row.get("value") for row in rows]
    higher = q.direction == "high"
    places = [1 + sum((w > v) if higher else (w < v) for w in values) for v in values]
    if numbers != places:
        return f"ranks numbered {numbers}"
    return None


def says_period_missing(q: Question, data: Answer, truth: Truth) -> bool:
    """An answer that says the period asked is not there and gives, as such, the latest the
    dataset has for the place and category asked: what the bot has, not a wrong number."""
    asked = data.get("requested_period")
    return (
        bool(q.period)
        and asked == q.period
        and data.get("period") != asked
        and str(data.get("dataset")) in q.datasets
        and categories_of(data) == q.categories
        and (not q.places or truth.place_of(data) in q.places)
    )


def offers_choices(replies: Sequence[Reply]) -> bool:
    """Buttons that answer back (a link to elsewhere is no clarifying question)."""
    return any(button.data for reply in replies for row in reply.buttons for button in row)


def judge(q: Question, truth: Truth, replies: Sequence[Reply]) -> Verdict:
    answers = [r.data for r in replies if r.data and r.data.get("type") in ANSWER_TYPES]
    if not answers:
        kind = CLARIFY if offers_choices(replies) else NOT_AVAILABLE
        if q.expect in (CLARIFY, NOT_AVAILABLE) or (kind == CLARIFY and len(q.datasets) > 1):
            return Verdict(RIGHT, kind)
        text = " / ".join(r.text for r in replies).replace("\n", " / ")
        return Verdict(kind, text[:140])
    for data in answers:
        if (reason := falsehood(data, truth)) is not None:
            return Verdict(WRONG, reason)
    if q.expect == NOT_AVAILABLE:
        if all(says_period_missing(q, data, truth) for data in answers):
            return Verdict(RIGHT, NOT_AVAILABLE)
        return Verdict(WRONG, f"a number where none exists: {describe(answers[0])}")
    first = answers[0]
    if (reason := other_claim(q, first, truth)) is not None:
        return Verdict(WRONG, reason)
    if (reason := shortfall(q, first, truth)) is not None:
        return Verdict(OTHER, reason)
    return Verdict(RIGHT)


# --- the registry and the bot -------------------------------------------------------------


def as_fixed(case: Case, resource: Resource) -> Resource:
    """The table with the rows a reader must report left out, as the OPD would send it once
    told: an import is all or nothing, and the truth holds only the good rows."""
    bad = {row for row, _ in case.bad_rows}
    rows = tuple(row for index, row in enumerate(resource.rows) if index not in bad)
    return Resource(
        resource.name, resource.columns, rows, resource.title, resource.labels, resource.groups
    )


async def load_corpus(database: Path, folder: Path) -> None:
    """Registers and fills every readable case in-process, then checks the registry holds
    exactly its truth, so a miss below is the bot's and not the harness's."""
    engine = db.create_engine(f"sqlite:///{database}")
    try:
        uow = UnitOfWorkFactory(engine)
        register = folder / "daftar-data.csv"
        register.write_bytes(daftar_data((c.context.dataset_code, c.context) for c in READABLE))
        registered = await import_datasets(uow, register, NOW)
        assert registered.ok and registered.created == len(READABLE), registered
        for case in READABLE:
            code = case.context.dataset_code
            own = folder / case.name
            own.mkdir()
            for resource in case.resources:
                path = own / file_name(resource, "csv")
                path.write_bytes(csv_bytes(as_fixed(case, resource)))
                filled = await import_values(uow, path, code, NOW, home_code=case.context.home_code)
                assert filled.ok, f"{case.name}: {filled.errors}"
            truth, got = expected(case, code), await held(engine, code)
            assert got == truth, f"{case.name}\n{difference(truth, got)}"
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def regional_registry(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo registry plus every readable corpus case, built once for the module."""
    folder = tmp_path_factory.mktemp("regional")
    database = copy_database(demo_template, folder / "regional.db")
    run_in_thread(lambda: load_corpus(database, folder))
    return database


@pytest.fixture(scope="module")
def truth() -> Truth:
    return Truth.build()


async def ask(runtime: Runtime, question: str) -> list[Reply]:
    """As `test_eval.ask` (and `satudata ask`): from the console chat. Charts are left as
    descriptions: the judge reads the data, and drawing 200 of them would be most of the
    module's time."""
    incoming = Incoming(CONSOLE_CHAT_ID, None, text=question)
    return await runtime.dispatcher.handle(incoming, NOW, render_charts=False)


def report(results: Sequence[tuple[Question, Verdict]]) -> str:
    kinds = Counter(verdict.kind for _, verdict in results)
    right = kinds[RIGHT]
    lines = [
        f"questions-regional accuracy: {right / len(results):.1%} ({right}/{len(results)});"
        f" {', '.join(f'{kind} {n}' for kind, n in kinds.most_common())}"
    ]
    for expect in EXPECTS:
        rows = [verdict for q, verdict in results if q.expect == expect]
        hits = sum(verdict.kind == RIGHT for verdict in rows)
        lines.append(f"  {expect:<14} {hits:>3}/{len(rows)}")
    lines += [
        f"  [{verdict.kind}] {q.question!r} ({q.expect}): {verdict.reason}"
        for q, verdict in sorted(results, key=lambda item: item[1].kind != WRONG)
        if verdict.kind != RIGHT
    ]
    return "\n".join(lines)


async def test_regional_questions_are_answered(
    regional_registry: Path, truth: Truth, tmp_path: Path
) -> None:
    questions = load_questions()
    database = copy_database(regional_registry, tmp_path / "satudata.db")
    runtime = await build_runtime(settings_for(database, **HOME), NOW)
    try:
        results = [(q, judge(q, truth, await ask(runtime, q.question))) for q in questions]
    finally:
        await runtime.close()

    summary = report(results)
    print("\n" + summary)
    wrong = [q.question for q, verdict in results if verdict.kind == WRONG]
    accuracy = sum(verdict.kind == RIGHT for _, verdict in results) / len(results)
    assert not wrong and accuracy >= REQUIRED_ACCURACY, summary


# --- the question set itself --------------------------------------------------------------


def test_every_question_refers_to_what_the_fixtures_hold(truth: Truth) -> None:
    problems = [problem for q in load_questions() for problem in problems_of(q, truth)]
    assert not problems, "\n".join(problems)


def test_the_question_set_is_large_and_spans_the_corpus(truth: Truth) -> None:
    questions = load_questions()
    corpus = {case.context.dataset_code for case in READABLE}
    covered = {d for q in questions if q.expect != NOT_AVAILABLE for d in q.datasets} & corpus
    assert len(questions) >= MIN_QUESTIONS, len(questions)
    assert len(covered) >= MIN_DATASETS, sorted(covered)
    assert len({q.question.casefold() for q in questions}) == len(questions), "a duplicate"
    kinds = Counter(q.expect for q in questions)
    assert all(kinds[expect] for expect in EXPECTS), kinds


# --- the judge ----------------------------------------------------------------------------

TUTUR, PUSPO, PANDAAN = "35.14.02", "35.14.03", "35.14.11"
PEREMPUAN = (("jenis_kelamin", "perempuan"),)
LAKI_LAKI = (("jenis_kelamin", "laki_laki"),)
BY_SEX = "jumlah-penduduk-jenis-kelamin"


def question(expect: str, **fields: str) -> Question:
    row = dict.fromkeys(COLUMNS, "") | {"question": "?", "expect": expect} | fields
    return Question.from_row(0, row)


WOMEN_OF_TUTUR = question(
    VALUE,
    datasets=BY_SEX,
    indicator=BY_SEX,
    places=TUTUR,
    period="2023",
    categories="jenis_kelamin=perempuan",
)


def value_answer(truth: Truth, place: str, categories: Categories, **changes: Any) -> Reply:
    """An answer of the contract's shape for the truth's cell of `place`."""
    cell = truth.cell(BY_SEX, BY_SEX, place, "2023", categories)
    assert cell is not None
    data = {
        "type": "indicator_value",
        "dataset": BY_SEX,
        "indicator": BY_SEX,
        "unit": "jiwa",
        "categories": dict(categories),
        "region_code": None,
        "region_kemendagri_code": place,
        "region_level": "kecamatan",
        "region_name": registry_name(place),
        "period": "2023",
        "value": cell.value,
        "decimals": cell.decimals,
        "computed": cell.computed,
    }
    return Reply("…", data=data | changes)


def test_the_judge_counts_the_true_value_as_right(truth: Truth) -> None:
    assert judge(WOMEN_OF_TUTUR, truth, [value_answer(truth, TUTUR, PEREMPUAN)]).kind == RIGHT


def test_the_judge_calls_another_kecamatans_value_wrong(truth: Truth) -> None:
    verdict = judge(WOMEN_OF_TUTUR, truth, [value_answer(truth, PUSPO, PEREMPUAN)])
    assert verdict == Verdict(WRONG, f"answers for {PUSPO} Kecamatan Puspo, not {TUTUR}")


def test_the_judge_calls_another_categorys_value_wrong(truth: Truth) -> None:
    verdict = judge(WOMEN_OF_TUTUR, truth, [value_answer(truth, TUTUR, LAKI_LAKI)])
    assert verdict.kind == WRONG, verdict


def test_the_judge_calls_a_number_off_the_table_wrong(truth: Truth) -> None:
    answer = value_answer(truth, TUTUR, PEREMPUAN)
    assert answer.data is not None
    answer.data["value"] += 1
    assert judge(WOMEN_OF_TUTUR, truth, [answer]).kind == WRONG


def test_the_judge_calls_buttons_without_data_a_clarifying_question(truth: Truth) -> None:
    choices = [Reply("Pilih yang Anda maksud:", buttons=[[Button("Kecamatan", "q:1")]])]
    assert judge(WOMEN_OF_TUTUR, truth, choices) == Verdict(CLARIFY, "Pilih yang Anda maksud:")
    assert judge(question(CLARIFY, datasets=BY_SEX), truth, choices).kind == RIGHT
    assert judge(WOMEN_OF_TUTUR, truth, [Reply("Belum ada datanya.")]).kind == NOT_AVAILABLE


def test_the_judge_calls_any_number_for_a_trap_wrong(truth: Truth) -> None:
    trap = question(NOT_AVAILABLE, datasets=BY_SEX, places=TUTUR, period="2025")
    assert judge(trap, truth, [value_answer(truth, TUTUR, PEREMPUAN)]).kind == WRONG
    assert judge(trap, truth, [Reply("Data 2025 belum tersedia.")]).kind == RIGHT


def test_the_judge_takes_the_latest_said_as_such_for_a_missing_period(truth: Truth) -> None:
    """ "Data 2025 belum tersedia; terbaru 2023: …" says what is missing and what there is."""
    trap = question(
        NOT_AVAILABLE,
        datasets=BY_SEX,
        places=TUTUR,
        period="2025",
        categories="jenis_kelamin=perempuan",
    )
    said = value_answer(truth, TUTUR, PEREMPUAN, requested_period="2025")
    assert judge(trap, truth, [said]).kind == RIGHT
    elsewhere = value_answer(truth, PUSPO, PEREMPUAN, requested_period="2025")
    assert judge(trap, truth, [elsewhere]).kind == WRONG
    untrue = value_answer(truth, TUTUR, PEREMPUAN, requested_period="2025")
    assert untrue.data is not None
    untrue.data["value"] += 1
    assert judge(trap, truth, [untrue]).kind == WRONG


def test_the_judge_checks_a_ranking_against_the_tables_order(truth: Truth) -> None:
    """The five kecamatan of 2023 by women, highest first: right as the table orders them,
    wrong once two are swapped or the count of ranked kecamatan is off."""
    ranking = question(
        RANK,
        datasets=BY_SEX,
        indicator=BY_SEX,
        places="35.14",
        level="kecamatan",
        period="2023",
        categories="jenis_kelamin=perempuan",
        direction="high",
        limit="3",
    )
    cells = truth.children(BY_SEX, BY_SEX, "35.14", "kecamatan", "2023", PEREMPUAN)
    top = sorted(cells.values(), key=lambda cell: -cell.value)
    rows = [
        {"rank": n, "region_kemendagri_code": c.place, "region_name": "", "value": c.value}
        for n, c in enumerate(top[:3], start=1)
    ]
    data = {
        "type": "indicator_ranking",
        "dataset": BY_SEX,
        "indicator": BY_SEX,
        "categories": dict(PEREMPUAN),
        "period": "2023",
        "direction": "high",
        "level": "kecamatan",
        "parent": {"region_kemendagri_code": "35.14", "region_name": "Kabupaten Pasuruan"},
        "total": len(cells),
        "ranking": rows,
    }
    assert judge(ranking, truth, [Reply("…", data=data)]) == Verdict(RIGHT)
    swapped = [rows[1] | {"rank": 1}, rows[0] | {"rank": 2}, rows[2]]
    assert judge(ranking, truth, [Reply("…", data=data | {"ranking": swapped})]).kind == WRONG
    assert judge(ranking, truth, [Reply("…", data=data | {"total": 24})]).kind == WRONG
    shorter = data | {"ranking": rows[:2]}
    assert judge(ranking, truth, [Reply("…", data=shorter)]) == Verdict(OTHER, "lists 2, asked 3")
    assert PANDAAN in cells  # the five kecamatan of the table, Pandaan among them
