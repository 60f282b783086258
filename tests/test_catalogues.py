"""The Indonesian and English catalogues say the same things: the same message keys, the same
templates, each using the same variables. A sentence missing from one language would fail
only for the people reading that language, and only when it is finally said."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from jinja2 import meta

from texts.i18n import TEMPLATES, texts

INDONESIAN, ENGLISH = TEMPLATES / "id", TEMPLATES / "en"


def messages(folder: Path) -> dict[str, str]:
    return tomllib.loads((folder / "messages.toml").read_text("utf-8"))


def variables(language: str, source: str) -> set[str]:
    """The names a template reads from what it is given."""
    return meta.find_undeclared_variables(texts(language).env.parse(source))


def template_names(folder: Path) -> set[str]:
    return {path.name for path in folder.glob("*.j2")}


def test_both_catalogues_have_the_same_message_keys() -> None:
    indonesian, english = messages(INDONESIAN), messages(ENGLISH)

    assert sorted(set(indonesian) - set(english)) == [], "missing in English"
    assert sorted(set(english) - set(indonesian)) == [], "missing in Indonesian"


def test_each_message_uses_the_same_variables_in_both_languages() -> None:
    indonesian, english = messages(INDONESIAN), messages(ENGLISH)

    differing = {
        key: (variables("id", indonesian[key]), variables("en", english[key]))
        for key in indonesian.keys() & english.keys()
        if variables("id", indonesian[key]) != variables("en", english[key])
    }
    assert differing == {}


def test_both_languages_have_the_same_templates() -> None:
    assert template_names(INDONESIAN) == template_names(ENGLISH)


@pytest.mark.parametrize("name", sorted(template_names(INDONESIAN) & template_names(ENGLISH)))
def test_each_template_uses_the_same_variables_in_both_languages(name: str) -> None:
    indonesian = variables("id", (INDONESIAN / name).read_text("utf-8"))
    english = variables("en", (ENGLISH / name).read_text("utf-8"))

    assert indonesian == english


def test_unit_translations_cover_the_same_units_where_both_exist() -> None:
    """Registry units are Indonesian, so only other languages need a units.toml; where
    both have one, they translate the same units."""
    files = [folder / "units.toml" for folder in (INDONESIAN, ENGLISH)]
    if not all(file.exists() for file in files):
        pytest.skip("units.toml exists in one language only: the registry's own is the other")
    indonesian, english = (tomllib.loads(file.read_text("utf-8")) for file in files)
    assert set(indonesian) == set(english)
