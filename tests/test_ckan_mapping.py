"""The per-portal mapping, reading records into registry terms, the client's error handling,
and the portal settings: on recorded answers and excerpts of real regional portals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import ConfigError, Settings
from storage.ckan.client import ActionError, ActionUnavailable, CkanClient, PortalUnavailable
from storage.ckan.mapping import MappingError, PortalMapping
from storage.ckan.records import Malformed, parse_package

from .fake_ckan import FIXTURES, recorded

DEFAULT = PortalMapping.load()


def package(**fields: Any) -> dict[str, Any]:
    """The recorded package_show answer with some fields replaced."""
    return {**recorded("package_show.json")["result"], **fields}


def excerpt(name: str) -> dict[str, Any]:
    """A regional portal's excerpt completed with what every package has."""
    base = package()
    return {**base, **json.loads((FIXTURES / name).read_text(encoding="utf-8"))}


# --- how regional portals name their fields ----------------------------------------------------


def test_the_recorded_package_reads_as_an_annual_open_dataset_of_its_organization() -> None:
    record = parse_package(package(), DEFAULT)

    assert (record.name, record.title) == (
        "angka-partisipasi-murni-sd",
        "Angka Partisipasi Murni (APM) SD",
    )
    assert (record.periodicity, record.classification, record.unit) == (
        "tahunan",
        "terbuka",
        "persen",
    )
    assert record.organization is not None and record.organization.name == "dinas-pendidikan"
    assert record.latest_period == "2023"  # extras: tahun_data = "2019-2023"
    assert record.tables == ("eef282c2-b088-4e85-8427-750e67975faf",)
    assert record.modified == datetime(2026, 11, 22, 9, 29, 7, 113945, tzinfo=UTC)
    assert "sekolah dasar" in record.keywords


def test_label_style_extras_of_hulu_sungai_selatan_are_found() -> None:
    record = parse_package(excerpt("hulusungaiselatankab_package_extras_excerpt.json"), DEFAULT)

    assert record.periodicity == "tahunan"  # "Periode Update Data": "Tahunan"
    assert record.warnings == ()


def test_blitars_klasifikasi_is_not_a_classification_and_says_so() -> None:
    record = parse_package(excerpt("blitarkab_package_extras_excerpt.json"), DEFAULT)

    assert record.periodicity == "tahunan"  # "periode_data": "Tahun"
    assert record.classification == "terbuka"
    assert record.warnings == (
        "klasifikasi 'Belanja Pegawai Masuk Dalam Belanja Operasi' tidak dikenal; dianggap terbuka",
    )


def test_a_portal_without_extras_gives_datasets_that_are_kept_but_not_chased() -> None:
    record = parse_package(excerpt("karanganyarkab_package_dict_excerpt.json"), DEFAULT)

    assert record.periodicity == "sewaktu-waktu"
    assert record.organization is not None and record.organization.title == "DISPERTANPP"


def test_a_portal_file_names_only_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_text(
        '[portal]\nname = "Satu Data Kota Contoh"\n[fields]\nopd = ["produsen_data"]\n',
        encoding="utf-8",
    )

    mapping = PortalMapping.load(path)

    assert mapping.name == "Satu Data Kota Contoh"
    assert mapping.fields["periodicity"] == DEFAULT.fields["periodicity"]
    assert parse_package(package(), mapping).producer == "Dinas Pendidikan"
    assert mapping.digest != DEFAULT.digest


def test_a_private_package_is_never_open_to_the_public() -> None:
    assert parse_package(package(private=True), DEFAULT).classification == "terbatas"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"metadata_modified": None}, "metadata_modified tidak ada"),
        ({"name": "Nama Dengan Spasi"}, "nama paket 'Nama Dengan Spasi' tidak sah"),
        ({"organization": None}, "tanpa organisasi (OPD produsen)"),
        ({"title": "x" * 301}, "judul lebih dari 300 karakter"),
    ],
)
def test_unusable_packages_say_why(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(Malformed, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_package(package(**fields), DEFAULT)


# --- the client's reading of CKAN's answers -----------------------------------------------------


def client(handler: Any, **options: Any) -> tuple[CkanClient, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return CkanClient("http://portal", http=http, sleep=sleep, **options), waits


async def test_an_unknown_action_as_real_ckan_answers_it_is_unavailable() -> None:
    body = (FIXTURES / "error_unknown_action.json").read_text(encoding="utf-8")
    ckan, _ = client(lambda request: httpx.Response(400, text=body))

    with pytest.raises(ActionUnavailable):
        await ckan.action("no_such_action")


async def test_a_refusal_keeps_ckans_error_type_and_the_token_is_sent() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(403, json=recorded("error_private_package_anonymous.json"))

    ckan, _ = client(handler, token="abc")

    with pytest.raises(ActionError) as refused:
        await ckan.package("d89ea669-8f57-49a8-83a4-dd93b85b33a0")
    assert refused.value.kind == "Authorization Error"
    assert seen == ["abc"]


async def test_retry_after_as_a_date_is_waited_and_a_very_long_one_gives_up() -> None:
    answers = [
        httpx.Response(
            429, headers={"Retry-After": format_datetime(datetime.now(UTC) + timedelta(seconds=30))}
        ),
        httpx.Response(200, json={"success": True, "result": []}),
    ]
    ckan, waits = client(lambda request: answers.pop(0))
    assert await ckan.action("organization_list") == []
    assert 25 < waits[0] <= 30

    ckan, waits = client(lambda request: httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(PortalUnavailable, match="3600"):
        await ckan.action("package_search")
    assert waits == []


async def test_a_portal_that_keeps_failing_is_unavailable_after_the_attempts() -> None:
    ckan, waits = client(lambda request: httpx.Response(502), attempts=3, backoff=2)

    with pytest.raises(PortalUnavailable, match="HTTP 502, 3 kali dicoba"):
        await ckan.action("package_search")
    assert len(waits) == 2
    assert 1 <= waits[0] <= 2 and 2 <= waits[1] <= 4  # exponential, with jitter


# --- settings -------------------------------------------------------------------------------------


def settings(**environ: str) -> Settings:
    return Settings.from_env(environ=environ, env_file=None)


def test_the_portal_is_off_by_default_and_synced_hourly_when_set() -> None:
    assert settings().ckan_url is None
    s = settings(CKAN_URL="https://data.contoh.go.id/", CKAN_API_TOKEN="t0ken")
    assert (s.ckan_url, s.ckan_api_token, s.ckan_sync_minutes) == (
        "https://data.contoh.go.id",
        "t0ken",
        60,
    )


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"CKAN_URL": "data.contoh.go.id"}, ("CKAN_URL", "http(s)")),
        ({"CKAN_SYNC_MINUTES": "0"}, ("CKAN_SYNC_MINUTES", "5 to 10080")),
        ({"CKAN_MAPPING": "/nowhere/portal.toml"}, ("CKAN_MAPPING", "cannot read")),
    ],
)
def test_invalid_portal_settings_are_one_clear_line(
    environ: dict[str, str], words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as error:
        settings(**environ)
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[portal\n", ("not valid TOML",)),
        ('[defaults]\nperiodicity = "kadang"\n', ("defaults.periodicity", "tahunan")),
        ('[values.periodicity]\n"tiap panen" = "musiman"\n', ("tiap panen", "musiman")),
        ("[portal]\npage_size = 5000\n", ("portal.page_size", "1 to 1000")),
        ("[datastore]\nvalue = []\n", ("datastore.value", "by what they hold")),
    ],
)
def test_a_mapping_file_with_a_mistake_stops_start_up(
    tmp_path: Path, text: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / "portal.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        settings(CKAN_MAPPING=str(path))
    assert str(error.value).startswith("CKAN_MAPPING: ")
    for word in words:
        assert word in str(error.value)
    with pytest.raises(MappingError):
        PortalMapping.load(path)


async def test_the_recorded_package_list_reads_like_search_results() -> None:
    body = (FIXTURES / "current_package_list_with_resources_limit1.json").read_text("utf-8")
    ckan, _ = client(lambda request: httpx.Response(200, text=body))

    (listed,) = await ckan.package_list_page(0, 1)

    assert parse_package(listed, DEFAULT) == parse_package(package(), DEFAULT)
