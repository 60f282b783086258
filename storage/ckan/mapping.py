"""The per-portal mapping: which package fields, `extras` and DataStore columns mean what.

Read from a TOML file (the packaged `default_mapping.toml`, or the file CKAN_MAPPING names),
checked once at start-up so a typo stops the bot with one line instead of a silent mis-sync.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from domain.terms import Classification, Periodicity

DEFAULT_MAPPING = Path(__file__).with_name("default_mapping.toml")
# What a package says when the mapping finds no word for it: no schedule to chase, and open
# (a private package is made restricted by the sync whatever its words say).
DEFAULTS = {"periodicity": Periodicity.SEWAKTU_WAKTU, "classification": Classification.TERBUKA}
FIELDS = ("periodicity", "classification", "unit", "latest_period", "opd")
COLUMNS = ("region", "period", "subperiod", "value")

Word = TypeVar("Word", bound=StrEnum)  # one of the vocabularies of domain.terms


class MappingError(ValueError):
    """The mapping file is unreadable or says something impossible; the message says what."""


def key(name: str) -> str:
    """`Periode Update Data`, `periode-update-data` → `periode_update_data`."""
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


@dataclass(frozen=True)
class Columns:
    """DataStore column names to try, in order, for each meaning."""

    region: tuple[str, ...]
    period: tuple[str, ...]
    subperiod: tuple[str, ...]
    value: tuple[str, ...]

    def pick(self, fields: list[str]) -> dict[str, str | None]:
        """meaning → the table's actual column (None when the table has none of the names)."""
        present = {key(f): f for f in fields}
        return {
            meaning: next((present[n] for n in getattr(self, meaning) if n in present), None)
            for meaning in COLUMNS
        }


@dataclass(frozen=True)
class PortalMapping:
    name: str
    page_size: int
    datastore_page_size: int
    concurrency: int
    fields: dict[str, tuple[str, ...]]
    default_periodicity: Periodicity
    default_classification: Classification
    periodicity_words: dict[str, Periodicity]
    classification_words: dict[str, Classification]
    columns: Columns
    table_columns: dict[str, Columns]
    create_regions: bool
    digest: str = field(default="")

    @classmethod
    def load(cls, path: Path | None = None) -> PortalMapping:
        """The default mapping, with what the file at `path` says laid over it: a portal's
        file names only what differs (its tables merge, its lists replace)."""
        data = _read(DEFAULT_MAPPING)
        digest = hashlib.sha256(DEFAULT_MAPPING.read_bytes())
        if path is not None:
            _merge(data, _read(path))
            digest.update(path.read_bytes())
        try:
            return cls._from(data, digest.hexdigest())
        except MappingError as error:
            raise MappingError(f"{path or DEFAULT_MAPPING}: {error}") from None

    @classmethod
    def _from(cls, data: dict[str, Any], digest: str) -> PortalMapping:
        portal = _table(data, "portal")
        fields = _table(data, "fields")
        defaults = _table(data, "defaults")
        values = _table(data, "values")
        datastore = _table(data, "datastore")
        columns = _columns(datastore, "datastore", None)
        tables = {
            name: _columns(spec, f"datastore.tables.{name}", columns)
            for name, spec in _table(datastore, "tables").items()
        }
        periodicity_words = _words(values, "periodicity", Periodicity)
        classification_words = _words(values, "classification", Classification)
        return cls(
            name=_text(portal, "name", ""),
            page_size=_int(portal, "page_size", 1000, 1, 1000),
            datastore_page_size=_int(portal, "datastore_page_size", 10000, 1, 32000),
            concurrency=_int(portal, "concurrency", 4, 1, 16),
            fields={name: _names(fields, name, "fields") for name in FIELDS},
            default_periodicity=_choice(defaults, "periodicity", Periodicity),
            default_classification=_choice(defaults, "classification", Classification),
            periodicity_words=periodicity_words,
            classification_words=classification_words,
            columns=columns,
            table_columns=tables,
            create_regions=bool(datastore.get("create_regions", True)),
            digest=digest,
        )

    def columns_for(self, package_name: str) -> Columns:
        return self.table_columns.get(package_name, self.columns)

    def value(self, package: dict[str, Any], meaning: str) -> str | None:
        """The first non-empty package field or `extras` value named for `meaning`."""
        names = self.fields[meaning]
        if not names:
            return None
        found: dict[str, str] = {}
        extras = package.get("extras")
        for extra in extras if isinstance(extras, list) else []:
            if isinstance(extra, dict) and isinstance(extra.get("key"), str):
                found.setdefault(key(extra["key"]), _plain(extra.get("value")))
        for name, value in package.items():
            if isinstance(name, str) and name != "extras":
                found.setdefault(key(name), _plain(value))
        return next((found[n] for n in names if found.get(n)), None)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MappingError(f"cannot read {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MappingError(f"{path} is not valid TOML: {error}") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> None:
    for name, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            _merge(base[name], value)
        else:
            base[name] = value


def _plain(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise MappingError(f"[{name}] must be a table")
    return value


def _names(data: dict[str, Any], name: str, section: str) -> tuple[str, ...]:
    value = data.get(name, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{section}.{name} must be a list of names")
    return tuple(key(v) for v in value)


def _columns(data: dict[str, Any], section: str, inherit: Columns | None) -> Columns:
    if not isinstance(data, dict):
        raise MappingError(f"[{section}] must be a table")
    names = {
        meaning: _names(data, meaning, section)
        if meaning in data or inherit is None
        else getattr(inherit, meaning)
        for meaning in COLUMNS
    }
    if not names["period"] or not names["value"]:
        raise MappingError(f"{section} needs at least one period and one value column")
    return Columns(**names)


def _words(values: dict[str, Any], name: str, vocabulary: type[Word]) -> dict[str, Word]:
    words = _table(values, name)
    for word, meaning in words.items():
        if meaning not in tuple(vocabulary):
            raise MappingError(
                f"values.{name}: {word!r} = {meaning!r}, but it must be one of "
                f"{', '.join(vocabulary)}"
            )
    return {word.strip().lower(): vocabulary(meaning) for word, meaning in words.items()}


def _choice(data: dict[str, Any], name: str, vocabulary: type[Word]) -> Word:
    value = data.get(name, DEFAULTS[name])
    if value not in tuple(vocabulary):
        raise MappingError(
            f"defaults.{name} must be one of {', '.join(vocabulary)} (got {value!r})"
        )
    return vocabulary(value)


def _text(data: dict[str, Any], name: str, default: str) -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise MappingError(f"portal.{name} must be text")
    return value.strip()


def _int(data: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise MappingError(f"portal.{name} must be a whole number from {low} to {high}")
    return value
