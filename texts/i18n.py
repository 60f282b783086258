"""Every sentence the bot says comes from Jinja2 templates, per language.

Short lines live in `templates/<lang>/messages.toml` (one Jinja2 string each); longer replies
are `templates/<lang>/<name>.j2` files. Indonesian is the default; English is offered.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from texts.formatting import long_date, number, period_label

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("id", "en")


class Texts:
    def __init__(self, language: str) -> None:
        self.language = language
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES / language),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
        )
        # Numbers are written the Indonesian way in every language (design principle 7):
        # officials compare them with BPS tables, which use that format.
        self.env.filters["number"] = lambda v, d=2: number(v, d)
        self.env.filters["long_date"] = lambda v: long_date(v, language)
        self.env.filters["period"] = lambda code: period_label(code, language)
        catalogue = tomllib.loads((TEMPLATES / language / "messages.toml").read_text("utf-8"))
        # Registry units are Indonesian; other languages translate the ones they know.
        units_file = TEMPLATES / language / "units.toml"
        units = tomllib.loads(units_file.read_text("utf-8")) if units_file.exists() else {}
        self.env.filters["unit"] = lambda unit: units.get(unit, unit)
        terms_file = TEMPLATES / language / "terms.toml"
        terms = tomllib.loads(terms_file.read_text("utf-8")) if terms_file.exists() else {}
        self.env.filters["term"] = lambda term: terms.get(str(term), term)
        # One-line messages keep their line breaks exactly as written around {% %} tags.
        inline = self.env.overlay(trim_blocks=False, lstrip_blocks=False)
        self._messages: dict[str, Template] = {
            key: inline.from_string(value) for key, value in catalogue.items()
        }

    def t(self, key: str, /, **context: Any) -> str:
        """A short message by key."""
        return self._messages[key].render(**context).strip()

    def render(self, template: str, /, **context: Any) -> str:
        """A longer reply from `<template>.j2`."""
        return self.env.get_template(f"{template}.j2").render(**context).strip()


@cache
def texts(language: str) -> Texts:
    return Texts(language if language in LANGUAGES else LANGUAGES[0])
