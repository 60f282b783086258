"""Agency names as portals and registries write them: the same OPD is recognised under its
full name, with or without its region, and under its abbreviations; different OPDs are not
confused, and names that fit several OPDs are reported, not guessed between."""

from __future__ import annotations

import pytest

from storage.models import Opd
from storage.portal.opd_names import (
    OpdName,
    abbreviates,
    is_agency_name,
    name_words,
    same_name,
    spells,
    without_region,
)
from storage.portal.opds import Ambiguous, OpdMatcher
from storage.portal.source import OrganizationRecord

KARANGANYAR = "Kabupaten Karanganyar"


def same_or_abbreviated(portal: OpdName, registry: OpdName) -> bool:
    """As the matcher takes names: the same full name, or an abbreviation that fits."""
    return same_name(portal, registry) or abbreviates(portal, registry)


@pytest.mark.parametrize(
    "written",
    [
        "Dinas Kesehatan Kabupaten Karanganyar",
        "DINAS KESEHATAN KAB. KARANGANYAR",
        "Dinas Kesehatan Kota Surakarta",
        "Dinas Kesehatan Provinsi Jawa Tengah",
        "Dinas Kesehatan Karanganyar",  # the deployment's own region, without its level
        "Dinas Kesehatan Pemerintah Kabupaten Karanganyar",
    ],
)
def test_the_region_that_ends_a_name_is_left_out(written: str) -> None:
    assert same_name(OpdName.of(written, region=KARANGANYAR), OpdName.of("Dinas Kesehatan"))


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("Kecamatan Tasikmadu", ("kecamatan", "tasikmadu")),  # a kecamatan is an OPD itself
        ("Dinas Tata Kota", ("dinas", "tata", "kota")),
        ("Dinas Pertanian, Pangan & Perikanan", ("dinas", "pertanian", "pangan", "perikanan")),
        ("Dinas Kominfo", ("dinas", "komunikasi", "informatika")),
        ("Bappeda", ("badan", "perencanaan", "pembangunan", "daerah")),
    ],
)
def test_names_keep_what_identifies_the_agency(written: str, kept: tuple[str, ...]) -> None:
    assert name_words(written, KARANGANYAR)[0] == kept


def test_the_name_as_written_loses_only_its_region() -> None:
    described = "Dinas Pertanian, Pangan dan Perikanan Kabupaten Karanganyar"

    assert without_region(described) == "Dinas Pertanian, Pangan dan Perikanan"
    assert without_region("Dinas Sosial Karanganyar", KARANGANYAR) == "Dinas Sosial"
    assert without_region("Dinas Sosial") == "Dinas Sosial"


@pytest.mark.parametrize(
    ("abbreviation", "name"),
    [
        ("Dinkes", "Dinas Kesehatan"),
        ("DISPERTAN", "Dinas Pertanian"),
        ("dispertanpp", "Dinas Pertanian, Pangan dan Perikanan"),
        ("Bappeda", "Badan Perencanaan Pembangunan Daerah"),
        ("Diskominfo", "Dinas Komunikasi dan Informatika"),
        ("Disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil"),
        ("Dispendukcapil", "Dinas Kependudukan dan Pencatatan Sipil"),
        ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah"),
        ("Bapenda", "Badan Pendapatan Daerah"),
        ("Dindik", "Dinas Pendidikan"),
        ("Disdikbud", "Dinas Pendidikan dan Kebudayaan"),
        ("Disnakertrans", "Dinas Tenaga Kerja dan Transmigrasi"),
        ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
        ("Satpol PP", "Satuan Polisi Pamong Praja"),
        ("BPBD", "Badan Penanggulangan Bencana Daerah"),
        ("Setda", "Sekretariat Daerah"),
        ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ],
)
def test_common_abbreviations_are_recognised(abbreviation: str, name: str) -> None:
    short, full = OpdName.of(abbreviation), OpdName.of(name)

    assert same_or_abbreviated(short, full) and same_or_abbreviated(full, short)


@pytest.mark.parametrize(
    ("abbreviation", "name"),
    [
        ("DISPERTAN", "Dinas Pertanian, Pangan dan Perikanan"),  # a different, wider agency
        ("DISPERTANPP", "Dinas Pertanian"),
        ("Dinkes", "Dinas Pendidikan"),
        ("Dindik", "Dinas Kesehatan"),
        ("DK", "Dinas Kesehatan"),  # two letters could be a dozen agencies
        ("Bappeda", "Badan Pendapatan Daerah"),
    ],
)
def test_other_agencies_are_not_taken_for_each_other(abbreviation: str, name: str) -> None:
    short, full = OpdName.of(abbreviation), OpdName.of(name)

    assert not same_or_abbreviated(short, full) and not same_or_abbreviated(full, short)


def test_a_portal_that_names_the_agency_in_full_is_not_matched_by_its_old_slug() -> None:
    # The organization was reorganised: its slug still says "dispertan".
    portal = OpdName.of("Dinas Pertanian, Pangan dan Perikanan", "dispertan")

    assert not abbreviates(portal, OpdName.of("Dinas Pertanian"))
    assert spells("dispertan", ("dinas", "pertanian"))  # the slug alone would fit


@pytest.mark.parametrize(
    ("name", "agency"),
    [
        ("Badan Pengelolaan Keuangan dan Aset Daerah", True),
        ("Dinas Pertanian, Pangan dan Perikanan Kabupaten Karanganyar", True),
        ("Bappeda", True),
        ("Bidang SD", False),  # a unit inside an agency, as `author` often says
        ("Organisasi Perangkat Daerah (OPD) urusan kesehatan.", False),
        ("", False),
    ],
)
def test_what_reads_as_an_agencys_name(name: str, agency: bool) -> None:
    assert is_agency_name(name) is agency


# --- matching the registry's OPDs ----------------------------------------------------------------


def opd(code: str, name: str, short: str, external_id: str | None = None) -> Opd:
    return Opd(code=code, name=name, short_name=short, external_id=external_id)


REGISTRY = [
    opd("dinkes", "Dinas Kesehatan", "Dinkes"),
    opd("distan", "Dinas Pertanian, Pangan dan Perikanan", "Distan"),
    opd("dkp", "Dinas Kelautan dan Perikanan", "DKP"),
    opd("dinas-ketahanan-pangan", "Dinas Ketahanan Pangan", "Dinas KP"),
    opd("bpkad", "BPKAD", "BPKAD"),
]


def organization(name: str, title: str, description: str = "") -> OrganizationRecord:
    return OrganizationRecord(f"id-{name}", name, title, description)


def test_karanganyars_abbreviated_organization_is_its_described_opd() -> None:
    matcher = OpdMatcher(REGISTRY, KARANGANYAR)
    org = organization(
        "dispertanpp", "DISPERTANPP", "Dinas Pertanian, Pangan dan Perikanan Kabupaten Karanganyar"
    )

    assert matcher.organization(org) is REGISTRY[1]
    assert matcher.display_name(org) == "Dinas Pertanian, Pangan dan Perikanan"


def test_an_abbreviation_that_fits_two_opds_is_ambiguous_unless_a_code_says_which() -> None:
    matcher = OpdMatcher(REGISTRY, KARANGANYAR)

    found = matcher.organization(organization("dkp-kab", "DKP"))
    by_code = matcher.organization(organization("dkp", "DKP"))

    assert isinstance(found, Ambiguous)
    assert found.names == ["Dinas Kelautan dan Perikanan", "Dinas Ketahanan Pangan"]
    assert by_code is REGISTRY[2]


def test_an_opd_linked_to_another_organization_is_not_taken_again() -> None:
    registry = [opd("dinkes", "Dinas Kesehatan", "Dinkes", external_id="another")]
    matcher = OpdMatcher(registry, KARANGANYAR)

    assert matcher.organization(organization("dinkes", "Dinas Kesehatan")) is None
    assert matcher.producer("Dinas Kesehatan") is registry[0]  # a producer may name it


def test_blitars_nama_skpd_is_its_opd_under_the_abbreviation() -> None:
    matcher = OpdMatcher(REGISTRY, "Kabupaten Blitar")

    assert matcher.producer("Badan Pengelolaan Keuangan dan Aset Daerah") is REGISTRY[4]
    assert matcher.producer("Dinas Perhubungan") is None  # new to the registry


def test_an_abbreviated_title_does_not_replace_a_full_name() -> None:
    matcher = OpdMatcher(REGISTRY, KARANGANYAR)

    assert not matcher.better_name(REGISTRY[0], "DINKES")
    assert matcher.better_name(REGISTRY[0], "Dinas Kesehatan Kabupaten Karanganyar")
    assert matcher.better_name(REGISTRY[4], "Badan Pengelolaan Keuangan dan Aset Daerah")
