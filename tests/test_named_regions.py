"""A region the question names is the region answered, or the answer says it is not there.

Officials quote what the bot says: "IPM Kabupaten Bandung" in a Jawa Timur registry must
never come back with Jawa Timur's figure and "wilayah tidak disebut". Short forms
("sby", "jatim") are the places they stand for, a province outside the registry's own is
not "corrected" into a kabupaten of it, and "kabupaten/kota" ranks both kinds.
"""

from __future__ import annotations

from .conftest import Send
from .test_answers import demo_values, id_number, only


async def test_a_kabupaten_outside_the_registry_gets_no_figure(send: Send) -> None:
    reply = only(await send("IPM Kabupaten Bandung 2023"))
    assert reply.data is None
    assert "Kabupaten Bandung tidak ada di registri ini" in reply.text
    assert "Provinsi Jawa Timur" in reply.text  # what the registry does hold
    province = demo_values("ipm")[("Provinsi Jawa Timur", 2023)]
    assert id_number(province) not in reply.text


async def test_a_kecamatan_the_registry_lacks_is_said_to_be_missing(send: Send) -> None:
    for question, name in (
        ("jumlah penduduk kecamatan bangil 2023", "Kecamatan Bangil"),
        ("penduduk kec. sukamakmur jaya 2024", "Kecamatan Sukamakmur Jaya"),
        ("tpt desa sentul 2023", "Desa Sentul"),
    ):
        reply = only(await send(question))
        assert reply.data is None, question
        assert f"{name} tidak ada di registri ini" in reply.text, reply.text


async def test_english_question_about_a_missing_region_is_answered_in_english(send: Send) -> None:
    reply = only(await send("human development index Bandung Regency 2023"))
    assert reply.data is None
    assert "is not in this registry" in reply.text


async def test_short_forms_are_the_places_they_stand_for(send: Send) -> None:
    hls = demo_values("harapan_lama_sekolah")
    reply = only(await send("HLS kota sby 2020"))
    assert reply.data is not None and reply.data["region_name"] == "Kota Surabaya"
    assert id_number(hls[("Kota Surabaya", 2020)]) in reply.text
    reply = only(await send("hls jatim 2021"))
    assert reply.data is not None and reply.data["region_name"] == "Provinsi Jawa Timur"
    assert id_number(hls[("Provinsi Jawa Timur", 2021)]) in reply.text


async def test_a_province_name_is_not_corrected_into_a_kabupaten(send: Send) -> None:
    # "Lampung" is one letter away from "Lamongan", a kabupaten of the registry.
    reply = only(await send("TPT Lampung 2022"))
    assert reply.data is None or reply.data.get("region_name") != "Kabupaten Lamongan"


async def test_a_level_word_before_a_question_word_names_no_place(send: Send) -> None:
    reply = only(await send("kota dengan ipm tertinggi 2023"))
    assert "tidak ada di registri" not in reply.text
    assert reply.data is not None and reply.data["type"] == "indicator_ranking"


async def test_kabupaten_kota_ranks_both_kinds_and_kabupaten_only_kabupaten(send: Send) -> None:
    totals = {}
    for question in (
        "5 kabupaten/kota dengan ipm tertinggi 2023",
        "5 kab/kota dengan ipm tertinggi 2023",
        "5 kabupaten dengan ipm tertinggi 2023",
        "5 kota dengan ipm tertinggi 2023",
    ):
        reply = only(await send(question))
        assert reply.data is not None, question
        totals[question.split()[1]] = reply.data["total"]
    assert totals == {"kabupaten/kota": 38, "kab/kota": 38, "kabupaten": 29, "kota": 9}
