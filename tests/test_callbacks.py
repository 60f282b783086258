"""The button payload encoder and parser itself (domain/callbacks.py), on payload classes of its
own: what packs, what reads back, and what a forged or stale press reads as (None)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest

from domain.callbacks import INT_RANGE, CallbackData, CallbackDataError, parse
from domain.telegram_limits import CALLBACK_DATA_LIMIT


class Colour(StrEnum):
    RED = "red"
    DARK_BLUE = "dark_blue"


@dataclass(frozen=True)
class Sample(CallbackData, prefix="tsample"):
    colour: Colour
    number: int
    word: str
    extra: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class Even(CallbackData, prefix="teven"):
    """Only even numbers are written: the `valid` hook refuses the rest."""

    number: int
    tag: str | None = None

    def valid(self) -> bool:
        return self.number % 2 == 0


@dataclass(frozen=True)
class Wide(CallbackData, prefix="twide", fixed_width=True):
    number: int
    word: str | None = None
    note: str | None = None


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (Sample(Colour.RED, 7, "abc", 3, "x"), "tsample:red:7:abc:3:x"),
        (Sample(Colour.DARK_BLUE, -12, "é", None, "x"), "tsample:dark_blue:-12:é::x"),
        (Sample(Colour.RED, 7, "abc", 3), "tsample:red:7:abc:3"),
        (Sample(Colour.RED, 0, "abc"), "tsample:red:0:abc"),
        (Wide(5), "twide:5::"),
        (Wide(5, None, "n"), "twide:5::n"),
    ],
)
def test_a_payload_packs_as_written_and_reads_back(button: CallbackData, data: str) -> None:
    assert button.pack() == data
    assert type(button).unpack(data) == button
    assert parse(data) == button


def test_trailing_optional_fields_may_be_left_off_or_written_empty() -> None:
    assert Sample.unpack("tsample:red:7:abc") == Sample(Colour.RED, 7, "abc")
    assert Sample.unpack("tsample:red:7:abc:") == Sample(Colour.RED, 7, "abc")
    assert Sample.unpack("tsample:red:7:abc::") == Sample(Colour.RED, 7, "abc")
    assert Wide.unpack("twide:5") == Wide(5)


def test_enum_fields_read_as_their_enum() -> None:
    button = Sample.unpack("tsample:dark_blue:1:w")

    assert button is not None
    assert button.colour is Colour.DARK_BLUE


@pytest.mark.parametrize(
    "data",
    [
        "",
        "tsample",
        "teven:2:a",  # another class's prefix: Even.unpack reads it, Sample.unpack does not
        "tsamplex:red:7:abc",
        "tsample:green:7:abc",  # outside the enum
        "tsample:RED:7:abc",
        "tsample:red:7",  # a required field left off
        "tsample:red::abc",  # a required field empty
        "tsample:red:7:",
        "tsample:red:seven:abc",  # not an int
        "tsample:red:7.0:abc",
        "tsample:red: 7:abc",
        "tsample:red:7:abc:x",  # not an int, in an optional field
        "tsample:red:7:abc:1:n:more",  # one field too many
        "twide:5:::",
    ],
)
def test_a_payload_that_is_not_exactly_one_reads_as_none(data: str) -> None:
    assert Sample.unpack(data) is None
    assert Wide.unpack(data) is None


def test_parse_finds_the_class_by_its_prefix() -> None:
    assert parse("teven:2:a") == Even(2, "a")
    assert parse("nosuchprefix:1") is None


def test_a_payload_the_valid_hook_refuses_reads_as_none() -> None:
    assert Even.unpack("teven:4") == Even(4)
    assert Even.unpack("teven:3") is None
    assert parse("teven:3:a") is None


def test_a_value_holding_the_separator_is_refused() -> None:
    with pytest.raises(CallbackDataError, match="word"):
        Sample(Colour.RED, 1, "a:b").pack()


def test_a_payload_over_telegrams_limit_is_refused() -> None:
    fits = Sample(Colour.RED, 1, "w" * (CALLBACK_DATA_LIMIT - len("tsample:red:1:")))
    assert len(fits.pack().encode()) == CALLBACK_DATA_LIMIT

    with pytest.raises(CallbackDataError, match="bytes"):
        Sample(Colour.RED, 1, "w" * CALLBACK_DATA_LIMIT).pack()
    with pytest.raises(CallbackDataError, match="bytes"):  # bytes count, not characters
        Sample(Colour.RED, 1, "é" * (CALLBACK_DATA_LIMIT // 2)).pack()


def test_a_prefix_belongs_to_one_class() -> None:
    with pytest.raises(TypeError, match="already Sample"):

        @dataclass(frozen=True)
        class Again(CallbackData, prefix="tsample"):
            number: int

    assert parse("tsample:red:7:abc") == Sample(Colour.RED, 7, "abc")


@pytest.mark.parametrize("prefix", ["", "Upper", "toolongprefix", "a:b", "1x"])
def test_a_prefix_must_be_short_lower_case_letters_and_digits(prefix: str) -> None:
    with pytest.raises(TypeError, match="callback prefix"):

        class Bad(CallbackData, prefix=prefix):
            pass


@pytest.mark.parametrize("value", [INT_RANGE.stop, INT_RANGE.start - 1, 10**12])
def test_an_id_beyond_the_database_reads_as_none_and_cannot_be_packed(value: int) -> None:
    """A forged id too large for PostgreSQL's INTEGER must be a stale button, not a query error."""
    assert Sample.unpack(f"tsample:red:{value}:w") is None
    assert Sample.unpack(f"tsample:red:{INT_RANGE.stop - 1}:w") is not None
    with pytest.raises(CallbackDataError):
        Sample(Colour.RED, value, "w").pack()
