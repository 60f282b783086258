"""Conversations with the bot through the dispatcher (the transport-independent model)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.wiring import Runtime, build_runtime
from domain.callbacks import INT_RANGE, parse
from domain.telegram_limits import CALLBACK_DATA_LIMIT
from handlers.indicators import MAX_COMPARE, AnswerButton
from handlers.messages import Button, Incoming, Reply

from .conftest import CHAT_ID, NOW, Send, settings_for

BIGGEST_ID = INT_RANGE.stop - 1  # the largest database id (PostgreSQL INTEGER)


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


def buttons_of(reply: Reply) -> dict[str, Button]:
    return {button.text: button for row in reply.buttons for button in row}


async def person_id(runtime: Runtime, name: str) -> int:
    async with runtime.uow() as uow:
        return next(p.id for p in await uow.people.all() if p.name == name)


# --- commands -------------------------------------------------------------------------


async def test_start_greets_and_names_the_region_served(send: Send) -> None:
    reply = only(await send("/start"))

    assert reply.text.startswith("Selamat datang!")
    assert "asisten Satu Data Provinsi Jawa Timur" in reply.text
    assert "/bantuan" in reply.text


async def test_start_greets_a_known_person_by_name(send: Send, runtime: Runtime) -> None:
    andi = await person_id(runtime, "Andi Prasetyo")

    reply = only(await send("/start", person_id=andi))

    assert reply.text.startswith("Selamat datang, Andi Prasetyo!")


async def test_commands_addressed_to_the_bot_by_name_work(send: Send) -> None:
    reply = only(await send("/START@SatuDataJatimBot"))

    assert reply.text.startswith("Selamat datang")


async def test_bantuan_lists_the_commands_in_indonesian(send: Send) -> None:
    text = only(await send("/bantuan")).text

    assert text.startswith("Panduan singkat")
    assert "Perintah:" in text
    for line in ("/start — mulai percakapan", "/bantuan — panduan penggunaan", "/data — "):
        assert line in text
    assert "saya memakai Provinsi Jawa Timur" in text


async def test_help_lists_the_commands_in_english(send: Send) -> None:
    text = only(await send("/help")).text

    assert text.startswith("Quick guide")
    assert "Commands:" in text
    for line in ("/start — start the conversation", "/help — how to use the bot", "/data — "):
        assert line in text
    assert "Perintah" not in text


async def test_unknown_command_points_to_bantuan(send: Send) -> None:
    text = only(await send("/laporan bulan ini")).text

    assert "/laporan" in text
    assert "tidak dikenal" in text
    assert "/bantuan" in text


async def test_data_command_answers_the_question_after_it(send: Send) -> None:
    reply = only(await send("/data IPM Kota Batu 2023"))

    assert "Kota Batu (3579), 2023: 79,07" in reply.text
    assert reply.data is not None and reply.data["region_code"] == "3579"


async def test_data_command_without_a_question_shows_how_to_use_it(send: Send) -> None:
    text = only(await send("/data")).text

    assert "setelah /data" in text
    assert "misalnya" in text


async def test_empty_message_asks_for_a_question(send: Send) -> None:
    text = only(await send("   ")).text

    assert text.startswith("Silakan ketik pertanyaan")


# --- answering questions ----------------------------------------------------------------


async def test_ipm_of_a_kabupaten_gives_the_latest_headline_value_with_source(send: Send) -> None:
    reply = only(await send("IPM Kabupaten Pasuruan"))

    assert "Indeks Pembangunan Manusia (UHH hasil Long Form SP2020)" in reply.text
    assert "Kabupaten Pasuruan (3514), 2025: 73,02" in reply.text
    assert "Naik 0,66 poin dibanding 2024 (72,36)." in reply.text
    assert (
        "Sumber: BPS Jatim: Indeks Pembangunan Manusia (UHH hasil Long Form SP2020)"
        " · Produsen data: Badan Perencanaan Pembangunan Daerah"
    ) in reply.text
    assert reply.buttons == []


async def test_answer_carries_structured_data_behind_the_text(send: Send) -> None:
    data = only(await send("IPM Kabupaten Pasuruan")).data

    assert data is not None
    assert data["type"] == "indicator_value"
    assert data["dataset"] == "ipm_lfsp2020"
    assert (data["region_code"], data["region_name"]) == ("3514", "Kabupaten Pasuruan")
    assert (data["period"], data["value"], data["decimals"]) == ("2025", 73.02, 2)
    assert data["status"] == "final"
    assert data["producer"] == "Badan Perencanaan Pembangunan Daerah"
    assert data["source"].startswith("BPS Jatim: Indeks Pembangunan Manusia")


async def test_a_year_with_both_ipm_series_mentions_the_other_series(send: Send) -> None:
    reply = only(await send("IPM Kabupaten Pasuruan 2023"))

    assert "Kabupaten Pasuruan (3514), 2023: 71,91" in reply.text
    assert "Menurut Indeks Pembangunan Manusia (UHH basis SP2010, seri lama): 70,29." in reply.text
    assert reply.data is not None
    assert reply.data["other_series"] == {"dataset": "ipm", "value": 70.29}


async def test_a_year_only_in_the_old_ipm_series_is_answered_from_it(send: Send) -> None:
    reply = only(await send("ipm kota malang 2015"))

    assert "Kota Malang (3573), 2015: 80,05" in reply.text
    assert reply.data is not None and reply.data["dataset"] == "ipm"


async def test_ambiguous_region_offers_both_pasuruans(send: Send) -> None:
    reply = only(await send("IPM Pasuruan"))

    assert "lebih dari satu" in reply.text
    assert set(buttons_of(reply)) == {"Kabupaten Pasuruan", "Kota Pasuruan"}
    assert reply.data is None
    for button in buttons_of(reply).values():
        assert button.data is not None and len(button.data.encode()) <= 64  # Telegram limit


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("Kota Pasuruan", "Kota Pasuruan (3575), 2025: 79,52"),
        ("Kabupaten Pasuruan", "Kabupaten Pasuruan (3514), 2025: 73,02"),
    ],
)
async def test_pressing_a_region_button_answers_for_that_region(
    send: Send, choice: str, expected: str
) -> None:
    button = buttons_of(only(await send("IPM Pasuruan")))[choice]

    reply = only(await send(callback_data=button.data))

    assert expected in reply.text
    assert reply.data is not None and reply.data["region_name"] == choice


async def test_region_button_keeps_the_year_asked_for(send: Send) -> None:
    button = buttons_of(only(await send("IPM Pasuruan 2023")))["Kota Pasuruan"]

    reply = only(await send(callback_data=button.data))

    assert "Kota Pasuruan (3575), 2023: 78,30" in reply.text


async def test_english_question_is_answered_in_english_with_bps_number_format(
    send: Send,
) -> None:
    reply = only(await send("HDI Pasuruan Regency 2023"))

    # Numbers are written as in the BPS tables officials compare them with, in every language.
    assert "Kabupaten Pasuruan (3514), 2023: 71,91" in reply.text
    assert "Up 0,62 points from 2022 (71,29)." in reply.text
    assert "Source: " in reply.text and "Data producer: " in reply.text
    assert "Sumber" not in reply.text and "Naik" not in reply.text


async def test_english_buttons_answer_in_english(send: Send) -> None:
    choice = only(await send("HDI of Pasuruan"))
    assert "More than one region" in choice.text

    reply = only(await send(callback_data=buttons_of(choice)["Kota Pasuruan"].data))

    assert "Kota Pasuruan (3575), 2025: 79,52" in reply.text
    assert "Source: " in reply.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Jumlah Penduduk Kota Surabaya 2017", "Kota Surabaya (3578), 2017: 2.874.699 jiwa"),
        ("population Kediri City 2021", "Kota Kediri (3571), 2021: 287.962 "),
    ],
)
async def test_large_numbers_are_grouped_with_dots(
    send: Send, question: str, expected: str
) -> None:
    assert expected in only(await send(question)).text


async def test_a_typo_in_the_indicator_still_finds_it(send: Send) -> None:
    reply = only(await send("pengangguran terbuak Kota Surabaya 2023"))

    assert "Tingkat Pengangguran Terbuka (TPT)" in reply.text
    assert "Kota Surabaya (3578), 2023: 6,76 persen" in reply.text


async def test_a_typo_in_the_region_still_finds_it(send: Send) -> None:
    reply = only(await send("TPT Kota Surabayya 2023"))

    assert reply.data is not None and reply.data["region_code"] == "3578"


async def test_a_year_without_data_says_which_year_is_latest(send: Send) -> None:
    reply = only(await send("IPM Kota Batu 2030"))

    assert reply.text.startswith("Data 2030 belum tersedia; terbaru 2025:")
    assert "Kota Batu (3579), 2025: 80,35" in reply.text
    assert reply.data is not None and reply.data["period"] == "2025"


async def test_a_year_before_the_series_starts_says_which_year_is_latest(send: Send) -> None:
    reply = only(await send("TPT Kota Surabaya 2010"))

    assert reply.text.startswith("Data 2010 belum tersedia; terbaru 2025:")


async def test_question_without_region_uses_the_deployment_region_and_says_so(
    send: Send,
) -> None:
    reply = only(await send("IPM 2023"))

    assert "Provinsi Jawa Timur (35), 2023: 74,65" in reply.text
    assert "(Wilayah tidak disebut, jadi saya memakai Provinsi Jawa Timur.)" in reply.text


async def test_region_aliases_are_understood(send: Send) -> None:
    reply = only(await send("kemiskinan ntb 2020"))

    assert "Provinsi Nusa Tenggara Barat" in reply.text
    assert "13,97" in reply.text


async def test_preliminary_figures_are_labelled(send: Send) -> None:
    reply = only(await send("PDRB per kapita Kab. Pacitan 2024"))

    assert "Kabupaten Pacitan (3501), 2024: 35.096 ribu rupiah (angka sementara)" in reply.text
    assert reply.data is not None and reply.data["status"] == "sementara"


async def test_region_with_no_data_for_the_indicator_says_so(send: Send) -> None:
    text = only(await send("jumlah penduduk Provinsi Papua Tengah")).text

    assert text.startswith("Data “Jumlah Penduduk” belum tersedia untuk Provinsi Papua Tengah.")
    assert "Papua Tengah" not in text.split("Coba:")[1]  # the example is of a region it holds


async def test_two_equally_good_indicators_are_offered_as_buttons(send: Send) -> None:
    reply = only(await send("hls rls Kota Batu 2022"))

    assert "beberapa data" in reply.text
    assert set(buttons_of(reply)) == {"Harapan Lama Sekolah (HLS)", "Rata-rata Lama Sekolah (RLS)"}

    answer = only(await send(callback_data=buttons_of(reply)["Harapan Lama Sekolah (HLS)"].data))

    assert "Kota Batu (3579), 2022: 14,40 tahun" in answer.text


# --- things that must not go wrong ------------------------------------------------------


@pytest.mark.usefixtures("no_logged_errors")
@pytest.mark.parametrize(
    "text", ["asdf qwerty zxcv", "?!", "1234", "🙂🙂🙂", "SELECT * FROM people;"]
)
async def test_nonsense_gets_a_polite_no_match_not_an_error(send: Send, text: str) -> None:
    reply = only(await send(text))

    assert reply.text.startswith("Maaf, saya belum menemukan data")
    assert reply.data is None
    example = reply.text.split("misalnya: ")[1]  # a question that works
    assert only(await send(example)).data is not None, example


@pytest.mark.usefixtures("no_logged_errors")
async def test_an_unknown_topic_suggests_close_dataset_titles(send: Send) -> None:
    text = only(await send("pembangunan jalan desa")).text

    assert "Data terdekat yang ada:" in text
    assert "Indeks Pembangunan Manusia (UHH hasil Long Form SP2020)" in text


async def test_suggestions_are_listed_one_per_line(send: Send) -> None:
    text = only(await send("pembangunan jalan desa")).text

    assert "\n• Indeks Pembangunan Manusia (UHH hasil Long Form SP2020)\n" in text
    assert "memberi angkanya.\n" in text


async def test_poor_people_question_is_not_answered_with_total_population(send: Send) -> None:
    reply = only(await send("penduduk miskin Kota Malang 2021"))

    # Both poverty datasets fit "penduduk miskin": the official is asked which one.
    choices = [button.text for row in reply.buttons for button in row]
    assert choices == ["Persentase Penduduk Miskin (P0)", "Jumlah Penduduk Miskin"]


async def test_message_over_the_limit_is_refused_with_the_limit(send: Send) -> None:
    text = only(await send("IPM Kota Batu " + "x" * 1990)).text

    assert "terlalu panjang" in text
    assert "2.004 karakter" in text
    assert "maksimal 2.000 karakter" in text


async def test_message_at_the_limit_is_still_answered(send: Send) -> None:
    question = "IPM Kota Batu 2023"
    reply = only(await send(question + " " * (2000 - len(question))))

    assert "Kota Batu (3579), 2023: 79,07" in reply.text


STALE = "Tombol ini sudah tidak berlaku. Silakan ketik pertanyaan Anda lagi."
# Button data today: `q:<language>:<intent>:<dataset id>:<region ids>:<period>`.
BUTTON_FIELDS = ("prefix", "language", "intent", "dataset", "regions", "period")


async def real_button_data(send: Send) -> str:
    """The data of a genuine button: 'Kota Pasuruan' offered for "IPM Pasuruan 2023"."""
    data = buttons_of(only(await send("IPM Pasuruan 2023")))["Kota Pasuruan"].data
    assert data is not None and len(data.split(":")) == len(BUTTON_FIELDS), data
    return data


def tampered(data: str, field: str, value: str) -> str:
    parts = data.split(":")
    parts[BUTTON_FIELDS.index(field)] = value
    return ":".join(parts)


@pytest.mark.usefixtures("no_logged_errors")
@pytest.mark.parametrize(
    "callback_data", ["ans:xx:yy", "zzz", "ans:id:999999:1:0", "", "ans", "q", "q:id"]
)
async def test_forged_buttons_get_the_stale_button_answer(send: Send, callback_data: str) -> None:
    assert only(await send(callback_data=callback_data)).text == STALE


@pytest.mark.usefixtures("no_logged_errors")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dataset", "999999"),
        ("dataset", "x"),
        ("regions", "999999"),
        ("regions", "-1"),
        ("language", "fr"),
        ("intent", "?"),
        ("period", "2023~abc"),
    ],
)
async def test_tampered_buttons_get_the_stale_button_answer(
    send: Send, field: str, value: str
) -> None:
    data = tampered(await real_button_data(send), field, value)

    assert only(await send(callback_data=data)).text == STALE


@pytest.mark.usefixtures("no_logged_errors")
async def test_button_with_an_extra_field_gets_the_stale_button_answer(send: Send) -> None:
    data = await real_button_data(send) + ":9"

    assert only(await send(callback_data=data)).text == STALE


@pytest.mark.usefixtures("no_logged_errors")
async def test_button_with_a_garbage_period_gets_the_stale_button_answer(send: Send) -> None:
    data = tampered(await real_button_data(send), "period", "abc")

    assert only(await send(callback_data=data)).text == STALE


@pytest.mark.usefixtures("no_logged_errors")
@pytest.mark.parametrize("regions", ["1.2.3.4.5.6.7", "1..2", ".", "1.x", "1.-2"])
async def test_buttons_with_unreadable_region_ids_get_the_stale_button_answer(
    send: Send, regions: str
) -> None:
    data = tampered(await real_button_data(send), "regions", regions)

    assert only(await send(callback_data=data)).text == STALE


LONGEST_PERIOD = "2026-12-31"  # a daily period: the longest code a period has


@pytest.mark.parametrize(
    "button",
    [
        # The largest database ids; region ids below 10 000 (Indonesia has ~550 BPS regions).
        AnswerButton("en", "Rk40", BIGGEST_ID, ".".join(["9999"] * MAX_COMPARE), LONGEST_PERIOD),
        AnswerButton("id", "ck", BIGGEST_ID, ".".join(["9999"] * MAX_COMPARE), "1950~2099"),
        AnswerButton("id", "t", BIGGEST_ID, "9999", "L40"),
        AnswerButton("en", "v", 1),
    ],
    ids=lambda b: b.pack(),
)
def test_every_answer_button_fits_telegram_and_reads_back(button: AnswerButton) -> None:
    data = button.pack()

    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert AnswerButton.unpack(data) == button
    assert parse(data) == button


def test_answer_buttons_read_every_field_empty_ones_included() -> None:
    assert AnswerButton.unpack("a:id:v:1:1:") == AnswerButton("id", "v", 1, "1")
    assert AnswerButton.unpack("a:en:rk3:12:4.5:2020~2023") == AnswerButton(
        "en", "rk3", 12, "4.5", "2020~2023"
    )
    assert AnswerButton.unpack("a:id:R:12::") == AnswerButton("id", "R", 12)


@pytest.mark.usefixtures("no_logged_errors")
async def test_a_button_naming_a_dataset_rather_than_an_indicator_is_stale(send: Send) -> None:
    """Buttons sent before tables of several indicators were answered named a dataset id;
    read as an indicator id it could be another table's column."""
    assert only(await send(callback_data="q:id:v:1:1:")).text == STALE


async def test_a_pressed_button_still_answers_after_other_messages(send: Send) -> None:
    data = await real_button_data(send)
    await send("TPT Kota Surabaya")

    reply = only(await send(callback_data=data))

    assert "Kota Pasuruan (3575), 2023: 78,30" in reply.text


async def test_choosing_among_buttons_keeps_the_region_the_user_named(send: Send) -> None:
    """Two indicators and an ambiguous region: every step must stay with Pasuruan."""
    replies = await send("hls rls Pasuruan 2022")
    for _ in range(3):
        reply = only(replies)
        if not reply.buttons:
            break
        options = buttons_of(reply)
        pick = options.get("Kabupaten Pasuruan") or options["Harapan Lama Sekolah (HLS)"]
        replies = await send(callback_data=pick.data)

    data = only(replies).data
    assert data is not None
    assert (data["region_code"], data["period"]) == ("3514", "2022")
    assert data["dataset"] in ("harapan_lama_sekolah", "rata_rata_lama_sekolah")


async def test_a_button_press_is_not_mistaken_for_its_message_text(runtime: Runtime) -> None:
    """Telegram may send the original message text along with a press: the press wins."""
    choice = only(await runtime.dispatcher.handle(Incoming(CHAT_ID, 1, text="IPM Pasuruan"), NOW))
    data = buttons_of(choice)["Kota Pasuruan"].data
    incoming = Incoming(CHAT_ID, 1, text="/start", callback_data=data)

    reply = only(await runtime.dispatcher.handle(incoming, NOW))

    assert "Kota Pasuruan (3575)" in reply.text


# --- who may see what -------------------------------------------------------------------


@pytest.fixture
async def restricted_runtime(demo_db: Path) -> AsyncIterator[Runtime]:
    """The demo registry with TPT classified `terbatas` and TPAK `tertutup`."""
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE datasets SET classification = 'terbatas' WHERE code = 'tpt'")
        conn.execute("UPDATE datasets SET classification = 'tertutup' WHERE code = 'tpak'")
    conn.close()
    runtime = await build_runtime(settings_for(demo_db), NOW)
    yield runtime
    await runtime.close()


async def ask_as(runtime: Runtime, name: str | None, text: str) -> Reply:
    who = await person_id(runtime, name) if name else None
    return only(
        await runtime.dispatcher.handle(Incoming(CHAT_ID, 1, text=text, person_id=who), NOW)
    )


@pytest.mark.parametrize(
    ("name", "may_see"),
    [
        (None, False),  # public
        ("Andi Prasetyo", True),  # walidata
        ("Sri Wahyuni", True),  # pimpinan
        ("Nur Aini", True),  # produsen of the producing OPD (Disnakertrans)
        ("Siti Rahmawati", False),  # produsen of another OPD (Dinkes)
    ],
)
async def test_restricted_values_are_shown_only_to_those_allowed(
    restricted_runtime: Runtime, name: str | None, may_see: bool
) -> None:
    reply = await ask_as(restricted_runtime, name, "TPT Kota Surabaya 2023")

    if may_see:
        assert "Kota Surabaya (3578), 2023: 6,76 persen" in reply.text
    else:
        assert "berklasifikasi terbatas" in reply.text
        assert "6,76" not in reply.text
        assert reply.data is None


async def test_closed_values_are_never_shown_even_to_the_walidata(
    restricted_runtime: Runtime,
) -> None:
    reply = await ask_as(restricted_runtime, "Andi Prasetyo", "TPAK Kabupaten Nganjuk 2019")

    assert "66,78" not in reply.text
    assert reply.data is None
