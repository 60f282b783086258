"""Typed button payloads: one class per kind of button, one encoder, one parser.

Telegram gives a button 64 bytes of `callback_data`, and a pressed button comes back as that
string from anyone who can see the message, forwarded or replayed months later. So every
payload is a frozen dataclass that declares its fields once; `pack` writes
`prefix:field:field…` and refuses what does not fit, and `unpack` returns None for anything that
is not exactly such a payload, which the dispatcher answers with "this button has expired".

    @dataclass(frozen=True)
    class ReminderButton(CallbackData, prefix="r"):
        action: ReminderAction
        dataset_id: int
        period: str
        choice: int | None = None

        def valid(self) -> bool:
            return (self.action in WITH_CHOICE) == (self.choice is not None)

Fields may be `int`, `str` (no `:`), a `StrEnum`, or any of these `| None` (packed as empty).
Trailing fields that are None are left off the wire (`r:done:12:2025`), and a payload that
leaves off trailing optional fields reads them as None; a class whose buttons were always sent
with every separator says `fixed_width=True` and keeps writing them (`q:id:v:1::`).
`valid` is the hook for what the field types cannot say (which fields an action carries, the
shape of a string): `unpack` calls it on every payload it reads, and one it returns False for
reads as None. A prefix belongs to one class; defining it twice is an error at import time.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from enum import StrEnum
from typing import Any, ClassVar, Self

from domain.telegram_limits import CALLBACK_DATA_LIMIT

SEPARATOR = ":"
_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,7}")
_INT = re.compile(r"-?[0-9]{1,10}")
# Ids in buttons are database keys: INTEGER on PostgreSQL is 32-bit, so a forged id beyond it
# would reach the database as an error instead of reading as a stale button.
INT_RANGE = range(-(2**31), 2**31)
_PREFIXES: dict[str, type[CallbackData]] = {}


class CallbackDataError(ValueError):
    """A payload that cannot be packed: a value holds the separator, or the whole is too long."""


class CallbackData:
    prefix: ClassVar[str]
    fixed_width: ClassVar[bool]
    _fields: ClassVar[tuple[tuple[str, type, bool], ...]]

    def __init_subclass__(cls, *, prefix: str, fixed_width: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.fullmatch(prefix):
            raise TypeError(f"callback prefix {prefix!r}: lower-case letters and digits, ≤ 8")
        if prefix in _PREFIXES:
            raise TypeError(f"callback prefix {prefix!r} is already {_PREFIXES[prefix].__name__}")
        cls.prefix = prefix
        cls.fixed_width = fixed_width
        _PREFIXES[prefix] = cls

    def valid(self) -> bool:
        """Whether this payload, well typed field by field, is also one the bot writes.

        `unpack` calls it, so a subclass checks here what a forged or stale press could get
        wrong beyond the field types; the default accepts every well-typed payload.
        """
        return True

    def pack(self) -> str:
        values = [getattr(self, name) for name, _, _ in self._field_types()]
        if not self.fixed_width:
            while values and values[-1] is None:
                values.pop()
        parts = [self.prefix]
        for (name, _, _), value in zip(self._field_types(), values, strict=False):
            text = "" if value is None else str(value)  # a StrEnum's str() is its value
            if SEPARATOR in text:
                raise CallbackDataError(f"{type(self).__name__}.{name} contains {SEPARATOR!r}")
            if isinstance(value, int) and value not in INT_RANGE:
                raise CallbackDataError(f"{type(self).__name__}.{name} is beyond a database id")
            parts.append(text)
        packed = SEPARATOR.join(parts)
        if len(packed.encode()) > CALLBACK_DATA_LIMIT:
            raise CallbackDataError(
                f"{type(self).__name__} packs to {len(packed.encode())} bytes,"
                f" over Telegram's {CALLBACK_DATA_LIMIT}"
            )
        return packed

    @classmethod
    def unpack(cls, data: str) -> Self | None:
        """The payload `data` encodes, or None when it is not one of this class (wrong prefix,
        too many fields, a required field left off, a value of the wrong type or outside its
        enum, or one `valid` refuses)."""
        prefix, *texts = data.split(SEPARATOR)
        fields = cls._field_types()
        if prefix != cls.prefix or len(texts) > len(fields):
            return None
        values: dict[str, object] = {}
        for index, (name, kind, optional) in enumerate(fields):
            text = texts[index] if index < len(texts) else ""
            if text == "" and optional:
                values[name] = None
                continue
            value = _parse(kind, text)
            if value is None:
                return None
            values[name] = value
        button = cls(**values)
        return button if button.valid() else None

    @classmethod
    def _field_types(cls) -> tuple[tuple[str, type, bool], ...]:
        """(name, type, optional) of each field, resolved once per class."""
        if "_fields" not in cls.__dict__:
            hints = typing.get_type_hints(cls)
            cls._fields = tuple(
                (f.name, *_kind(hints[f.name]))
                for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            )
        return cls._fields


def parse(data: str) -> CallbackData | None:
    """Whichever payload `data` is, by its prefix; None when no class claims it."""
    kind = _PREFIXES.get(data.split(SEPARATOR, 1)[0])
    return kind.unpack(data) if kind is not None else None


def _kind(hint: Any) -> tuple[type, bool]:
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return inner, True
    return hint, False


def _parse(kind: type, text: str) -> object | None:
    if kind is int:
        return int(text) if _INT.fullmatch(text) and int(text) in INT_RANGE else None
    if kind is str:
        return text if text else None
    if issubclass(kind, StrEnum):
        try:
            return kind(text)
        except ValueError:
            return None
    raise TypeError(f"callback field type {kind!r} is not int, str or a StrEnum")
