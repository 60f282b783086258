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
MB = 1024 * 1024
# What a package says when the mapping finds no word for it: no schedule to chase, and open
# (a private package is made restricted by the sync whatever its words say).
DEFAULTS = {"periodicity": Periodicity.SEWAKTU_WAKTU, "classification": Classification.TERBUKA}
FIELDS = ("periodicity", "classification", "unit", "latest_period", "opd")

Word = TypeVar("Word", bound=StrEnum)  # one of the vocabularies of domain.terms


class MappingError(ValueError):
    """The mapping file is unreadable or says something impossible; the message says what."""


def key(name: str) -> str:
    """`Periode Update Data`, `periode-update-data` → `periode_update_data`."""
    return re.sub(r"[\s\-.]+", "_", name.strip().lower())


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
    digest: str = field(default="")
    count_rows: bool = True  # on the full sync, ask each DataStore table its row count
    read_files: bool = True
    file_formats: tuple[str, ...] = ("csv", "xlsx")
    max_file_bytes: int = 20 * MB
    file_timeout: float = 60.0

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
        for name in set(datastore) - {"count_rows"}:
            raise MappingError(
                f"datastore.{name} is no longer used: table columns are recognised by what they "
                "hold (regions, periods, categories, values); remove it"
            )
        files = _table(data, "files")
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
            digest=digest,
            count_rows=_flag(datastore, "count_rows", "datastore"),
            read_files=_flag(files, "read", "files"),
            file_formats=tuple(f.strip(".") for f in _names(files, "formats", "files")),
            max_file_bytes=_int(files, "max_megabytes", 20, 1, 500, "files") * MB,
            file_timeout=float(_int(files, "timeout_seconds", 60, 1, 600, "files")),
        )

    def value(self, package: dict[str, Any], meaning: str) -> str | None:
        """The first non-empty package field or `extras` value named for `meaning`."""
        return next(iter(self.values(package, meaning)), None)

    def values(self, package: dict[str, Any], meaning: str) -> list[str]:
        """Every non-empty package field or `extras` value named for `meaning`, in order."""
        names = self.fields[meaning]
        if not names:
            return []
        found: dict[str, str] = {}
        extras = package.get("extras")
        for extra in extras if isinstance(extras, list) else []:
            if isinstance(extra, dict) and isinstance(extra.get("key"), str):
                found.setdefault(key(extra["key"]), _plain(extra.get("value")))
        for name, value in package.items():
            if isinstance(name, str) and name != "extras":
                found.setdefault(key(name), _plain(value))
        return [found[n] for n in names if found.get(n)]


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


def _int(
    data: dict[str, Any], name: str, default: int, low: int, high: int, section: str = "portal"
) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise MappingError(f"{section}.{name} must be a whole number from {low} to {high}")
    return value


def _flag(data: dict[str, Any], name: str, section: str) -> bool:
    value = data.get(name, True)
    if not isinstance(value, bool):
        raise MappingError(f"{section}.{name} must be true or false")
    return value
