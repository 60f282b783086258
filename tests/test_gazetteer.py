"""The Kemendagri list as shipped: every unit down to desa, found by its codes and by its names
the way tables write them, and never a place by guessing."""

from __future__ import annotations

import pytest

from storage.tables.gazetteer import Gazetteer

G = Gazetteer.default()


def codes(places: list[object]) -> list[str]:
    return [p.code for p in places]  # type: ignore[attr-defined]


def test_the_whole_list_ships_with_the_package_and_is_read_once() -> None:
    assert len(G) == 91_599  # 38 provinsi, 514 kabupaten/kota, 7,285 kecamatan, 83,762 desa/kel.
    assert Gazetteer.default() is G
    assert G.place("11") is not None and G.place("96") is not None  # Aceh … the newest provinces


@pytest.mark.parametrize(
    ("code", "name", "level", "parent", "bps"),
    [
        ("35", "Jawa Timur", "provinsi", None, "35"),
        ("35.14", "Kabupaten Pasuruan", "kabupaten", "35", "3514"),
        ("35.75", "Kota Pasuruan", "kota", "35", "3575"),
        ("35.14.01", "Purwodadi", "kecamatan", "35.14", None),
        ("35.14.01.2005", "Purwodadi", "desa", "35.14.01", None),
        ("35.05.03.1007", "Srengat", "kelurahan", "35.05.03", None),
        ("14.02.09.2010", "Lambang Sari I, II, III", "desa", "14.02.09", None),
    ],
)
def test_a_place_has_its_official_name_level_parent_and_bps_code_where_bps_agrees(
    code: str, name: str, level: str, parent: str | None, bps: str | None
) -> None:
    place = G.place(code)

    assert place is not None
    assert (place.name, place.level, place.parent, place.bps_code) == (name, level, parent, bps)


def test_parents_are_listed_nearest_first() -> None:
    desa = G.place("35.14.01.2005")
    assert desa is not None

    assert [p.name for p in G.parents(desa)] == ["Purwodadi", "Kabupaten Pasuruan", "Jawa Timur"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("35.14.01.2001", "35.14.01.2001"),
        ("3514012001", "35.14.01.2001"),
        ("35.14.01", "35.14.01"),
        ("351401", "35.14.01"),
        ("3514", "35.14"),  # BPS and Kemendagri agree on kabupaten/kota
        (" 35.14 ", "35.14"),
        ("35", "35"),
        ("3505", "35.05"),
    ],
)
def test_codes_are_found_with_or_without_dots(text: str, code: str) -> None:
    place = G.by_code(text)

    assert place is not None and place.code == code


@pytest.mark.parametrize(
    "text",
    [
        "3514010",  # a BPS kecamatan code: numbered differently from Kemendagri's
        "3514010001",  # a BPS desa code, not in the Kemendagri list
        "35.14.99",
        "99",
        "35.1",
        "Pasuruan",
        "",
    ],
)
def test_codes_that_are_not_kemendagri_codes_find_nothing(text: str) -> None:
    assert G.by_code(text) is None


def test_a_kecamatan_and_its_seat_desa_of_one_name_are_both_candidates_until_the_level_says() -> (
    None
):
    assert codes(G.by_name("Purwodadi", within="35.14")) == ["35.14.01", "35.14.01.2005"]
    assert codes(G.by_name("Purwodadi", within="35.14", level="kecamatan")) == ["35.14.01"]
    assert codes(G.by_name("Purwodadi", within="35.14.01")) == ["35.14.01.2005"]
    assert codes(G.by_name("Purwodadi", within="35.14", depth=4)) == ["35.14.01.2005"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kec. Purwodadi", ["35.14.01"]),
        ("KECAMATAN PURWODADI", ["35.14.01"]),
        ("kecamatan purwodadi", ["35.14.01"]),
        ("Desa Purwodadi", ["35.14.01.2005"]),
        ("Desa Gerbo", ["35.14.01.2001"]),
        ("Kel. Ledug", ["35.14.10.1007"]),
        ("Desa Ledug", ["35.14.10.1007"]),  # desa and kelurahan are written loosely
        ("  tutur ", ["35.14.02", "35.14.02.2008"]),
    ],
)
def test_names_are_found_in_any_case_with_or_without_their_prefix(
    text: str, expected: list[str]
) -> None:
    assert codes(G.by_name(text, within="35.14")) == expected


def test_spaces_and_punctuation_do_not_make_another_name() -> None:
    assert codes(G.by_name("Bugulkidul", within="35.75")) == codes(
        G.by_name("Bugul Kidul", within="35.75")
    )
    assert codes(G.by_name("Kepanjen Kidul", within="35.72", level="kecamatan")) == ["35.72.01"]
    assert codes(G.by_name("lambang sari i ii iii")) == ["14.02.09.2010"]


def test_kabupaten_and_kota_of_one_name_are_told_apart_by_their_prefix_only() -> None:
    assert codes(G.by_name("Kabupaten Pasuruan")) == ["35.14"]
    assert codes(G.by_name("Kab. Pasuruan")) == ["35.14"]
    assert codes(G.by_name("KOTA PASURUAN")) == ["35.75"]
    assert codes(G.by_name("Pasuruan", depth=2)) == ["35.14", "35.75"]  # ambiguous: both


def test_provinces_are_listed_without_a_prefix_and_found_with_or_without_one() -> None:
    assert codes(G.by_name("Jawa Timur")) == ["35"]
    assert codes(G.by_name("Provinsi Jawa Timur")) == ["35"]
    assert codes(G.by_name("Prov. Jawa Timur")) == ["35"]


def test_a_kecamatan_named_like_its_kabupaten_is_not_the_kabupaten() -> None:
    assert codes(G.by_name("Sidoarjo", within="35.15")) == ["35.15.08"]
    assert codes(G.by_name("Kabupaten Sidoarjo")) == ["35.15"]
    assert codes(G.by_name("Sidoarjo", depth=2)) == ["35.15"]


def test_a_name_repeated_across_the_country_is_unique_only_within_its_kabupaten() -> None:
    everywhere = G.by_name("Sukorejo", level="kecamatan")

    assert len(everywhere) > 1
    assert codes(G.by_name("Sukorejo", within="35.14", level="kecamatan")) == ["35.14.09"]
    assert codes(G.by_name("Sukorejo", within="35.72", level="kecamatan")) == ["35.72.02"]


def test_a_place_named_like_a_prefix_is_still_that_place() -> None:
    """Kota Kediri has a kecamatan named "Kota"."""
    assert codes(G.by_name("Kota", within="35.71")) == ["35.71.02"]
    assert codes(G.by_name("Kecamatan Kota", within="35.71")) == ["35.71.02"]


def test_names_that_are_no_place_find_nothing() -> None:
    assert G.by_name("Sukomakmur Indah", within="35.14") == []
    assert G.by_name("") == []
    assert G.by_name("Kecamatan") == []
    assert G.by_name("Purwodadi", within="99") == []


@pytest.mark.parametrize("code", ["94", "9401", "91", "9171"])
def test_papuan_codes_without_dots_are_not_taken_for_either_list(code: str) -> None:
    # BPS 94 is Papua, Kemendagri 94 Papua Tengah: reading one as the other would put one
    # province's numbers on another.
    assert G.by_code(code) is None
    assert G.by_code("94") is None and G.place("94") is not None
