"""A region named alone gets asked which of its data is wanted, with a button for each of
the most asked datasets that hold a value for it; a number, a distinctive word or another
indicator typed back is read for that region."""

from __future__ import annotations

from pathlib import Path

from bot.wiring import Runtime

from .people_helpers import buttons, classify, only, say

PROMPT = "Data apa yang Anda perlukan untuk Kabupaten Pasuruan?"


def value_of(reply: object) -> tuple[str, str]:
    data = getattr(reply, "data", None)
    assert data is not None, getattr(reply, "text", reply)
    return data["indicator"], data["region_name"]


async def test_each_offered_dataset_answers_for_the_region(runtime: Runtime) -> None:
    prompt = only(await say(runtime, "Kabupaten Pasuruan"))
    assert prompt.text.startswith(PROMPT)
    assert prompt.data is None
    offered = buttons(prompt)
    assert 3 <= len(offered) <= 5
    for title, button in offered.items():
        answer = only(await say(runtime, callback_data=button.data))
        assert answer.data is not None, (title, answer.text)
        assert answer.data["region_name"] == "Kabupaten Pasuruan"
        assert title in answer.text


async def test_a_number_typed_back_chooses(runtime: Runtime) -> None:
    prompt = only(await say(runtime, "Kabupaten Pasuruan"))
    second = list(buttons(prompt))[1]
    answer = only(await say(runtime, "2"))
    assert answer.data is not None and answer.data["region_name"] == "Kabupaten Pasuruan"
    assert second in answer.text


async def test_an_indicator_not_offered_is_read_for_the_region(runtime: Runtime) -> None:
    prompt = only(await say(runtime, "Kabupaten Pasuruan"))
    assert "Jumlah Penduduk" not in buttons(prompt)
    assert "Jumlah Penduduk Miskin" in buttons(prompt)
    answer = only(await say(runtime, "jumlah penduduk"))
    assert value_of(answer) == ("jumlah_penduduk", "Kabupaten Pasuruan")
    assert "(Wilayah sama dengan pertanyaan sebelumnya: Kabupaten Pasuruan.)" in answer.text


async def test_the_most_asked_come_first(runtime: Runtime) -> None:
    for user in range(4):
        await say(runtime, "TPAK Kota Surabaya 2023", user=650000 + user)
    prompt = only(await say(runtime, "Kabupaten Pasuruan"))
    assert next(iter(buttons(prompt))) == "Tingkat Partisipasi Angkatan Kerja (TPAK)"


async def test_a_closed_dataset_is_not_offered(runtime: Runtime, demo_db: Path) -> None:
    classify(demo_db, ipm_lfsp2020="tertutup", ipm="tertutup")
    prompt = only(await say(runtime, "Kabupaten Pasuruan"))
    assert not any("Pembangunan Manusia" in title for title in buttons(prompt))


async def test_an_ambiguous_name_alone_asks_which_region(runtime: Runtime) -> None:
    reply = only(await say(runtime, "Pasuruan"))
    assert "Kabupaten Pasuruan atau Kota Pasuruan" in reply.text
    assert reply.data is None


async def test_only_datasets_holding_the_region_are_offered(runtime: Runtime) -> None:
    # Another province: the registry holds only a few indicators for it.
    prompt = only(await say(runtime, "Provinsi Papua Tengah"))
    offered = buttons(prompt)
    assert offered and "Jumlah Penduduk Miskin" not in offered
    for title, button in offered.items():
        answer = only(await say(runtime, callback_data=button.data))
        assert answer.data is not None, (title, answer.text)
        assert answer.data["region_name"] == "Provinsi Papua Tengah"


async def test_in_english(runtime: Runtime) -> None:
    prompt = only(await say(runtime, "Pasuruan Regency"))
    assert prompt.text.startswith("Which data do you need for Kabupaten Pasuruan?")
    answer = only(await say(runtime, "the first one"))
    assert answer.data is not None and answer.data["region_name"] == "Kabupaten Pasuruan"
