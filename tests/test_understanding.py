"""From free text to a structured question: `understand(catalog, text, today)`.

The catalog is the demo registry's (dataset keywords, region names and aliases), so these
tests show which everyday phrasings of officials are understood, and how.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.wiring import Runtime
from handlers.catalog import Catalog
from handlers.understanding import PeriodAsk, Question, understand

TODAY = date(2026, 11, 22)


@pytest.fixture
def catalog(runtime: Runtime) -> Catalog:
    return runtime.dispatcher.app.catalog


def ask(catalog: Catalog, text: str, today: date = TODAY) -> Question:
    return understand(catalog, text, today)


def region_names(question: Question) -> list[set[str]]:
    """The regions mentioned, in order; each mention as the set of regions it may mean."""
    return [{region.name for region in mention.candidates} for mention in question.regions]


def best_datasets(question: Question) -> set[str]:
    """Codes of the datasets that fit the words best (all those sharing the top score)."""
    assert question.datasets, f"no dataset understood in {question.text!r}"
    top = question.datasets[0].score
    return {s.dataset.code for s in question.datasets if s.score == top}


# --- what is asked ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["IPM Kota Batu 2023", "berapa TPT Kota Surabaya?", "unemployment rate Surabaya City"],
)
def test_a_plain_question_asks_for_one_value(catalog: Catalog, text: str) -> None:
    question = ask(catalog, text)

    assert question.intent == "value"
    assert question.limit is None


@pytest.mark.parametrize(
    "text",
    [
        "tren IPM Kota Batu",
        "perkembangan IPM Kota Batu",
        "grafik TPT Kota Batu",
        "Batu City HDI trend",
        "IPM Kota Batu dari tahun ke tahun",
    ],
)
def test_trend_words_ask_for_a_trend(catalog: Catalog, text: str) -> None:
    assert ask(catalog, text).intent == "trend"


@pytest.mark.parametrize(
    "text",
    ["IPM Kota Batu 2019-2023", "IPM Kota Batu 5 tahun terakhir", "HDI Batu City last 3 years"],
)
def test_a_span_of_years_alone_makes_a_trend(catalog: Catalog, text: str) -> None:
    assert ask(catalog, text).intent == "trend"


@pytest.mark.parametrize(
    "text",
    [
        "bandingkan TPT Kota Batu dan Kota Malang 2023",
        "kemiskinan Kota Batu vs Kota Malang",
        "compare unemployment Batu City and Malang City",
        "TPT Kota Batu dibanding Kota Malang",
    ],
)
def test_comparison_words_ask_to_compare_the_regions_named(catalog: Catalog, text: str) -> None:
    question = ask(catalog, text)

    assert question.intent == "compare"
    assert region_names(question) == [{"Kota Batu"}, {"Kota Malang"}]


def test_two_regions_without_a_comparison_word_still_compare(catalog: Catalog) -> None:
    question = ask(catalog, "IPM Kota Batu Kota Malang 2023")

    assert question.intent == "compare"
    assert len(question.regions) == 2


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("IPM tertinggi di Jawa Timur", "high"),
        ("kabupaten dengan kemiskinan paling tinggi", "high"),
        ("highest HDI in East Java", "high"),
        ("peringkat IPM Kota Batu", "high"),  # a rank among neighbours, highest first
        ("IPM terendah di Jawa Timur", "low"),
        ("kemiskinan paling rendah jatim", "low"),
        ("lowest unemployment rate East Java", "low"),
    ],
)
def test_ranking_words_ask_for_a_ranking_in_a_direction(
    catalog: Catalog, text: str, direction: str
) -> None:
    question = ask(catalog, text)

    assert question.intent == "rank"
    assert question.direction == direction


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("top 3 IPM Jawa Timur", 3),
        ("5 tertinggi IPM jatim", 5),
        ("3 terendah TPT jatim", 3),
        ("IPM paling tinggi 4 jatim", 4),
        ("IPM tertinggi di Jawa Timur", None),
    ],
)
def test_a_number_beside_the_ranking_word_limits_how_many_are_listed(
    catalog: Catalog, text: str, limit: int | None
) -> None:
    question = ask(catalog, text)

    assert question.intent == "rank"
    assert question.limit == limit


def test_a_year_beside_the_ranking_word_is_not_taken_for_a_limit(catalog: Catalog) -> None:
    question = ask(catalog, "IPM tertinggi 2023 jatim")

    assert question.limit is None
    assert question.period == PeriodAsk("exact", code="2023")


def test_a_count_of_years_is_not_a_ranking_limit(catalog: Catalog) -> None:
    question = ask(catalog, "IPM Kota Batu 5 tahun terakhir")

    assert question.intent == "trend"
    assert question.limit is None


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("3 kabupaten dengan IPM tertinggi di Jawa Timur", 3),
        ("10 kota dengan kemiskinan terendah", 10),
    ],
)
def test_a_number_before_the_level_word_limits_the_ranking(
    catalog: Catalog, text: str, limit: int
) -> None:
    assert ask(catalog, text).limit == limit


def test_a_level_word_without_a_region_names_what_is_ranked(catalog: Catalog) -> None:
    question = ask(catalog, "provinsi dengan IPM terendah 2024")

    assert (question.intent, question.direction, question.level) == ("rank", "low", "provinsi")
    assert question.regions == []
    assert question.period == PeriodAsk("exact", code="2024")


def test_kabupaten_ranking_in_a_province_keeps_both_the_level_and_the_province(
    catalog: Catalog,
) -> None:
    question = ask(catalog, "5 kabupaten dengan kemiskinan tertinggi di Jawa Timur")

    assert question.intent == "rank"
    assert question.level == "kabupaten"
    assert region_names(question) == [{"Provinsi Jawa Timur"}]
    assert best_datasets(question) == {"persentase_penduduk_miskin"}


@pytest.mark.parametrize(
    "text",
    [
        "siapa produsen data TPT",
        "siapa yang menghasilkan data pengangguran",
        "who produces the unemployment rate data",
        "TPT dinas mana",
    ],
)
def test_who_produces_a_dataset(catalog: Catalog, text: str) -> None:
    question = ask(catalog, text)

    assert question.intent == "producer"
    assert best_datasets(question) == {"tpt"}


@pytest.mark.parametrize(
    "text",
    [
        "kapan terakhir diperbarui TPT",
        "TPT update terakhir",
        "when was the unemployment rate updated",
    ],
)
def test_when_a_dataset_was_updated(catalog: Catalog, text: str) -> None:
    question = ask(catalog, text)

    assert question.intent == "updated"
    assert best_datasets(question) == {"tpt"}


def test_the_old_ipm_series_can_be_asked_for_by_name(catalog: Catalog) -> None:
    question = ask(catalog, "kapan terakhir diperbarui IPM seri lama")

    assert question.intent == "updated"
    assert best_datasets(question) == {"ipm"}


@pytest.mark.parametrize(
    ("text", "opd"),
    [
        ("data apa saja dari Dinas Kesehatan", "Dinas Kesehatan"),
        ("datasets from Dinkes", "Dinas Kesehatan"),
        ("daftar data Bappeda", "Badan Perencanaan Pembangunan Daerah"),
        ("dataset apa saja Disnakertrans", "Dinas Tenaga Kerja dan Transmigrasi"),
    ],
)
def test_a_dataset_list_names_the_opd_by_full_or_short_name(
    catalog: Catalog, text: str, opd: str
) -> None:
    question = ask(catalog, text)

    assert question.intent == "list"
    assert [o.name for o in question.opds] == [opd]


def test_an_opd_name_is_not_mistaken_for_a_dataset(catalog: Catalog) -> None:
    # "Kesehatan" is part of no dataset title, but "Pembangunan" of Bappeda's name is (IPM).
    question = ask(catalog, "data apa saja dari Badan Perencanaan Pembangunan Daerah")

    assert question.intent == "list"
    assert question.datasets == []


# --- which period -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IPM Kota Batu", PeriodAsk()),
        ("IPM Kota Batu terbaru", PeriodAsk()),
        ("IPM Kota Batu 2023", PeriodAsk("exact", code="2023")),
        ("IPM Kota Batu tahun 2018", PeriodAsk("exact", code="2018")),
        ("IPM Kota Batu 2019-2023", PeriodAsk("range", first=2019, last=2023)),
        ("IPM Kota Batu 2019–2023", PeriodAsk("range", first=2019, last=2023)),
        ("IPM Kota Batu 2019 - 2023", PeriodAsk("range", first=2019, last=2023)),
        ("IPM Kota Batu 2019 sampai 2023", PeriodAsk("range", first=2019, last=2023)),
        ("IPM Kota Batu 2019 sampai dengan 2023", PeriodAsk("range", first=2019, last=2023)),
        ("IPM Kota Batu dari 2015 hingga 2020", PeriodAsk("range", first=2015, last=2020)),
        ("IPM Kota Batu antara 2015 dan 2020", PeriodAsk("range", first=2015, last=2020)),
        ("HDI Batu City from 2015 until 2020", PeriodAsk("range", first=2015, last=2020)),
        ("IPM Kota Batu 5 tahun terakhir", PeriodAsk("last_n", count=5)),
        ("IPM Kota Batu 10 tahun terakhir", PeriodAsk("last_n", count=10)),
        ("HDI Batu City last 3 years", PeriodAsk("last_n", count=3)),
        ("HDI Batu City past 4 years", PeriodAsk("last_n", count=4)),
    ],
)
def test_years_ranges_and_recent_spans(catalog: Catalog, text: str, expected: PeriodAsk) -> None:
    assert ask(catalog, text).period == expected


def test_a_range_written_backwards_is_put_in_order(catalog: Catalog) -> None:
    assert ask(catalog, "IPM Kota Batu 2023 2019").period == PeriodAsk(
        "range", first=2019, last=2023
    )


@pytest.mark.parametrize(
    ("text", "today", "year"),
    [
        ("IPM Kota Batu tahun lalu", date(2026, 11, 22), "2025"),
        ("IPM Kota Batu tahun lalu", date(2025, 1, 1), "2024"),
        ("HDI Batu City last year", date(2026, 11, 22), "2025"),
        ("IPM Kota Batu tahun kemarin", date(2024, 12, 31), "2023"),
        ("IPM Kota Batu tahun ini", date(2026, 11, 22), "2026"),
        ("HDI Batu City this year", date(2025, 1, 1), "2025"),
    ],
)
def test_last_year_and_this_year_count_from_today(
    catalog: Catalog, text: str, today: date, year: str
) -> None:
    assert ask(catalog, text, today).period == PeriodAsk("exact", code=year)


def test_last_year_is_not_read_as_last_n_years(catalog: Catalog) -> None:
    question = ask(catalog, "HDI Batu City last year")

    assert question.intent == "value"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("TPT Jawa Timur triwulan III 2025", "2025-Q3"),
        ("TPT Jawa Timur triwulan 3 2025", "2025-Q3"),
        ("TPT Jawa Timur Q3 2025", "2025-Q3"),
        ("TPT Jawa Timur TW2 2025", "2025-Q2"),
        ("TPT Jawa Timur kuartal IV 2025", "2025-Q4"),
        ("unemployment East Java quarter 1 2025", "2025-Q1"),
        ("TPT Jawa Timur semester 1 2024", "2024-S1"),
        ("TPT Jawa Timur semester II 2024", "2024-S2"),
        ("TPT Jawa Timur S2 2024", "2024-S2"),
        ("TPT Jawa Timur Juli 2025", "2025-07"),
        ("unemployment East Java July 2025", "2025-07"),
        ("TPT Jawa Timur Mei 2025", "2025-05"),
        ("TPT Jawa Timur Desember 2024", "2024-12"),
        ("TPT Jawa Timur agt 2024", "2024-08"),
    ],
)
def test_quarters_semesters_and_months_before_the_year(
    catalog: Catalog, text: str, code: str
) -> None:
    question = ask(catalog, text)

    assert question.period == PeriodAsk("exact", code=code)
    assert best_datasets(question) == {"tpt"}  # the period words are not taken for an indicator


@pytest.mark.parametrize(
    "text", ["TPT Jawa Timur triwulan V 2025", "TPT Jawa Timur semester 3 2025"]
)
def test_an_impossible_quarter_or_semester_falls_back_to_the_year(
    catalog: Catalog, text: str
) -> None:
    assert ask(catalog, text).period == PeriodAsk("exact", code="2025")


def test_a_year_outside_the_plausible_range_is_ignored(catalog: Catalog) -> None:
    assert ask(catalog, "IPM Kota Batu 1949").period == PeriodAsk()


# --- which region -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("IPM Kabupaten Malang", "Kabupaten Malang"),
        ("IPM Kab. Malang", "Kabupaten Malang"),
        ("IPM Kab Malang", "Kabupaten Malang"),
        ("IPM Malang Regency", "Kabupaten Malang"),
        ("IPM Malang kabupaten", "Kabupaten Malang"),
        ("IPM Kota Malang", "Kota Malang"),
        ("HDI Malang City", "Kota Malang"),
        ("IPM Malang kota", "Kota Malang"),
        ("IPM Kotamadya Malang", "Kota Malang"),
        ("IPM Provinsi Jawa Timur", "Provinsi Jawa Timur"),
        ("IPM Prov. Jawa Timur", "Provinsi Jawa Timur"),
        ("HDI Jawa Timur province", "Provinsi Jawa Timur"),
        ("HDI East Java province", "Provinsi Jawa Timur"),
    ],
)
def test_a_level_word_before_or_after_the_name_picks_the_region(
    catalog: Catalog, text: str, region: str
) -> None:
    assert region_names(ask(catalog, text)) == [{region}]


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("IPM Malang", {"Kabupaten Malang", "Kota Malang"}),
        ("IPM Pasuruan", {"Kabupaten Pasuruan", "Kota Pasuruan"}),
        ("TPT Kediri 2023", {"Kabupaten Kediri", "Kota Kediri"}),
        ("kemiskinan Blitar", {"Kabupaten Blitar", "Kota Blitar"}),
    ],
)
def test_a_name_shared_by_a_kabupaten_and_a_kota_keeps_both_candidates(
    catalog: Catalog, text: str, candidates: set[str]
) -> None:
    assert region_names(ask(catalog, text)) == [candidates]


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("IPM jatim", "Provinsi Jawa Timur"),
        ("IPM Jawa Timur", "Provinsi Jawa Timur"),
        ("HDI East Java", "Provinsi Jawa Timur"),
        ("kemiskinan ntb", "Provinsi Nusa Tenggara Barat"),
        ("IPM jogja", "Provinsi DI Yogyakarta"),
        ("IPM nasional", "Indonesia"),
    ],
)
def test_everyday_names_of_regions_are_understood(catalog: Catalog, text: str, region: str) -> None:
    assert region_names(ask(catalog, text)) == [{region}]


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("IPM Pasuran 2023", {"Kabupaten Pasuruan", "Kota Pasuruan"}),
        ("IPM Kabupaten Pasuran 2023", {"Kabupaten Pasuruan"}),
        ("TPT Kota Surabayya", {"Kota Surabaya"}),
        ("IPM Kota Surabaja", {"Kota Surabaya"}),
        ("IPM Kab. Banyuwangii", {"Kabupaten Banyuwangi"}),
    ],
)
def test_a_misspelt_region_name_is_still_found(
    catalog: Catalog, text: str, candidates: set[str]
) -> None:
    assert region_names(ask(catalog, text)) == [candidates]


def test_a_year_is_never_corrected_into_a_region(catalog: Catalog) -> None:
    question = ask(catalog, "IPM Kota Batu 2023")

    assert region_names(question) == [{"Kota Batu"}]
    assert question.period == PeriodAsk("exact", code="2023")


# --- which dataset ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("IPM Kota Surabaya", {"ipm_lfsp2020", "ipm"}),  # both series; the answer picks one
        ("TPT Kota Surabaya", {"tpt"}),
        ("AHH Kota Surabaya", {"angka_harapan_hidup_lfsp2020", "angka_harapan_hidup"}),
        ("RLS Kota Surabaya", {"rata_rata_lama_sekolah"}),
        ("HLS Kota Surabaya", {"harapan_lama_sekolah"}),
        ("TPAK Kota Surabaya", {"tpak"}),
        ("LPE Kota Surabaya", {"laju_pertumbuhan_ekonomi"}),
        ("GK Kota Surabaya", {"garis_kemiskinan"}),
        ("HDI Surabaya City", {"ipm_lfsp2020", "ipm"}),
        ("LFPR Surabaya City", {"tpak"}),
    ],
)
def test_abbreviations_name_their_datasets(catalog: Catalog, text: str, codes: set[str]) -> None:
    assert best_datasets(ask(catalog, text)) == codes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("angka pengangguran Kota Surabaya", "tpt"),
        ("berapa orang nganggur di Kota Surabaya", "tpt"),
        ("orang miskin Kota Surabaya", "jumlah_penduduk_miskin"),
        ("angka kemiskinan Kota Surabaya", "persentase_penduduk_miskin"),
        ("daya beli Kota Surabaya", "pengeluaran_per_kapita"),
        ("pendapatan per kapita Kota Surabaya", "pdrb_per_kapita_adhb"),
        ("pertumbuhan ekonomi Kota Surabaya", "laju_pertumbuhan_ekonomi"),
        ("populasi Kota Surabaya", "jumlah_penduduk"),
    ],
)
def test_informal_words_find_the_official_dataset(catalog: Catalog, text: str, code: str) -> None:
    assert best_datasets(ask(catalog, text)) == {code}


@pytest.mark.parametrize(
    "text",
    [
        "Tingkat Pengangguran Térbuka Kota Surabaya",
        "TINGKAT PENGANGGURAN TERBUKA kota surabaya",
        "tingkat pengangguran terbuka, Kota Surabaya?",
    ],
)
def test_diacritics_case_and_punctuation_do_not_matter(catalog: Catalog, text: str) -> None:
    question = ask(catalog, text)

    assert best_datasets(question) == {"tpt"}
    assert region_names(question) == [{"Kota Surabaya"}]


@pytest.mark.parametrize(
    "text",
    [
        "pengangguran terbuka tingkat Kota Surabaya",
        "Kota Surabaya tingkat pengangguran terbuka",
        "Kota Surabaya 2023 TPT",
    ],
)
def test_word_order_does_not_matter(catalog: Catalog, text: str) -> None:
    question = ask(catalog, text)

    assert best_datasets(question) == {"tpt"}
    assert region_names(question) == [{"Kota Surabaya"}]


def test_a_longer_match_outranks_a_shared_keyword(catalog: Catalog) -> None:
    # "penduduk miskin" fits both poverty datasets; "jumlah penduduk miskin" only one.
    assert best_datasets(ask(catalog, "jumlah penduduk miskin Kota Malang")) == {
        "jumlah_penduduk_miskin"
    }


def test_a_misspelt_indicator_is_still_found(catalog: Catalog) -> None:
    assert best_datasets(ask(catalog, "pengangguran terbuak Kota Surabaya")) == {"tpt"}


def test_nonsense_finds_no_dataset(catalog: Catalog) -> None:
    assert ask(catalog, "asdf qwerty zxcv").datasets == []


# --- the period in button data ------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "encoded"),
    [
        (PeriodAsk(), ""),
        (PeriodAsk("exact", code="2025"), "2025"),
        (PeriodAsk("exact", code="2025-Q3"), "2025-Q3"),
        (PeriodAsk("exact", code="2024-S1"), "2024-S1"),
        (PeriodAsk("exact", code="2025-07"), "2025-07"),
        (PeriodAsk("range", first=2019, last=2023), "2019~2023"),
        (PeriodAsk("last_n", count=5), "L5"),
        (PeriodAsk("last_n", count=40), "L40"),
    ],
)
def test_period_survives_the_round_trip_through_button_data(
    period: PeriodAsk, encoded: str
) -> None:
    assert period.encode() == encoded
    assert PeriodAsk.decode(encoded) == period


def test_every_understood_period_round_trips(catalog: Catalog) -> None:
    texts = [
        "TPT jatim triwulan III 2025",
        "TPT jatim semester 1 2024",
        "TPT jatim Juli 2025",
        "IPM Kota Batu dari 2015 hingga 2020",
        "IPM Kota Batu 5 tahun terakhir",
        "IPM Kota Batu tahun lalu",
        "IPM Kota Batu",
    ]
    for text in texts:
        period = ask(catalog, text).period
        assert PeriodAsk.decode(period.encode()) == period, text


@pytest.mark.parametrize(
    "garbage",
    [
        "L0",
        "L41",
        "L05",
        "Lx",
        "L",
        "2023~2019",  # backwards
        "2023~",
        "~2023",
        "~",
        "1949~2020",
        "2019~2020~2021",
        "abc",
        "2025-Q5",
        "2025-13",
        "2025-S3",
    ],
)
def test_period_decoding_rejects_what_encoding_never_produces(garbage: str) -> None:
    with pytest.raises(ValueError):
        PeriodAsk.decode(garbage)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("number of residents Surabaya City 2023", "jumlah_penduduk"),
        ("jml pddk Kota Surabaya 2023", "jumlah_penduduk"),
        ("open unemployment rate Surabaya City", "tpt"),
    ],
)
def test_short_forms_and_english_terms_read_as_the_titles_words(
    catalog: Catalog, text: str, code: str
) -> None:
    assert best_datasets(ask(catalog, text)) == {code}


def test_a_word_of_another_indicators_title_does_not_name_it(catalog: Catalog) -> None:
    """ "penduduk" is in "Persentase Penduduk Miskin" too, but the question did not say
    "miskin": only "Jumlah Penduduk" is named by it."""
    question = ask(catalog, "jumlah penduduk Kota Surabaya 2023")

    named = {s.dataset.code for s in question.datasets if s.named}
    assert named == {"jumlah_penduduk"}
    assert "persentase_penduduk_miskin" in {s.dataset.code for s in question.datasets}


def test_district_is_a_kabupaten_or_a_kecamatan(catalog: Catalog) -> None:
    assert region_names(ask(catalog, "HDI Malang district 2023")) == [{"Kabupaten Malang"}]


def test_a_name_held_only_at_another_level_is_outside_the_registry(catalog: Catalog) -> None:
    question = ask(catalog, "IPM Sidoarjo city 2023")

    assert question.regions == []
    assert question.outside == ("Kota Sidoarjo",)


def test_courtesy_words_are_not_unknown_words(catalog: Catalog) -> None:
    """An unknown word may be a category the dataset lacks; "dong" and "pak" are not."""
    question = ask(catalog, "tolong info TPT Kota Surabaya 2023 dong pak")

    assert question.unknown == ()
    assert best_datasets(question) == {"tpt"}


def test_a_word_nothing_knows_keeps_out_datasets_the_question_does_not_name(
    catalog: Catalog,
) -> None:
    question = ask(catalog, "pembangunan jalan desa Kota Surabaya")

    assert question.unknown == ("jalan",)
    assert question.datasets == []
