"""One reader for every table: the shapes regional Satu Data portals publish, read with no
per-portal configuration. Each published cell lands once, on the right place, period,
categories, indicator and unit; nothing is invented; what cannot be read is said precisely.

Tables are small copies of real shapes: kecamatan and desa of Kabupaten Pasuruan (35.14) and
Kabupaten Blitar (35.05) from the Kemendagri list, Kota Probolinggo's `kegiatan` table with
its numbers stored as text and no region column.
"""

from __future__ import annotations

from typing import Any

import pytest

from storage.tables.categories import age_key, value_key
from storage.tables.cells import NotANumber, number, number_style
from storage.tables.gazetteer import Gazetteer
from storage.tables.periods import PeriodError, cell_period, column_part, name_part
from storage.tables.reader import read_table
from storage.tables.reading import Reading, Table, TableContext

G = Gazetteer.default()
PASURUAN = TableContext(
    "jumlah-penduduk", "Jumlah Penduduk", "tahunan", unit="jiwa", home_code="35.14"
)
SEX = "jenis_kelamin"
L, P = (SEX, "laki_laki"), (SEX, "perempuan")


def read(
    columns: tuple[str, ...],
    rows: list[list[Any]],
    context: TableContext = PASURUAN,
    **table: Any,
) -> Reading:
    return read_table(Table(columns, rows, **table), context, G)


def published(reading: Reading) -> dict[tuple[str, str, str, tuple[Any, ...]], float]:
    """Every value the table itself published, once: a value read twice fails here."""
    found: dict[tuple[str, str, str, tuple[Any, ...]], float] = {}
    for v in reading.values:
        if not v.computed:
            key = (v.indicator, v.place.code, v.period, v.categories)
            assert key not in found, f"{key} read twice"
            found[key] = v.value
    return found


def computed(reading: Reading) -> dict[tuple[str, str, str, tuple[Any, ...]], float]:
    return {
        (v.indicator, v.place.code, v.period, v.categories): v.value
        for v in reading.values
        if v.computed
    }


def reasons(reading: Reading) -> dict[str, tuple[int, tuple[tuple[int, str], ...]]]:
    return {p.reason: (p.count, p.examples) for p in reading.problems}


# --- cells, periods and categories as tables write them ----------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (95.2, (95.2, 1)),
        (97, (97.0, 0)),
        ("97", (97.0, 0)),
        ("1.234.567", (1234567.0, 0)),
        ("12,5", (12.5, 1)),
        ("12,50", (12.5, 2)),
        ("1.234,5", (1234.5, 1)),
        ("1,234.5", (1234.5, 1)),
        ("1.234", (1234.0, 0)),  # a thousand, the Indonesian way
        ("Rp 1.500.000", (1500000.0, 0)),
        ("12,5 %", (12.5, 1)),
        ("-1.234", (-1234.0, 0)),
    ],
)
def test_numbers_are_read_as_published_with_their_decimals(
    cell: object, expected: tuple[float, int]
) -> None:
    assert number(cell) == expected


@pytest.mark.parametrize("cell", [None, "", " ", "-", "–", "n/a", "NA", "...", "x", float("nan")])
def test_missing_markers_are_neither_zero_nor_errors(cell: object) -> None:
    assert number(cell) is None


@pytest.mark.parametrize("cell", ["abc", "1.2.3", True, float("inf")])
def test_cells_that_are_no_number_say_so(cell: object) -> None:
    with pytest.raises(NotANumber):
        number(cell)


def test_a_column_written_the_english_way_reads_its_ambiguous_cells_that_way() -> None:
    assert number_style(["12.5", "1.234"]) == "en"
    assert number("1.234", "en") == (1.234, 3)
    assert number_style(["12,5", "1.234"]) == "id"
    assert number("1.234", "id") == (1234.0, 0)
    assert number_style(["1.234.567", "0.5"]) == "mixed"
    with pytest.raises(NotANumber, match="ribuan atau pecahan"):
        number("1.234", "mixed")


@pytest.mark.parametrize(
    ("cell", "sub", "periodicity", "expected"),
    [
        (2019, None, "tahunan", "2019"),
        (2019.0, None, "tahunan", "2019"),
        ("Tahun 2023", None, "tahunan", "2023"),
        ("2023", "Triwulan III", "triwulanan", "2023-Q3"),
        ("TW 2 2024", None, "triwulanan", "2024-Q2"),
        ("2023", "Q4", "triwulanan", "2023-Q4"),
        ("2023", "II", "semesteran", "2023-S2"),
        ("2023", "S1", "semesteran", "2023-S1"),
        ("Semester 1 2023", None, "semesteran", "2023-S1"),
        ("2023", "Januari", "bulanan", "2023-01"),
        ("2023", "Agt", "bulanan", "2023-08"),
        ("2023", "December", "bulanan", "2023-12"),
        ("Maret 2023", None, "bulanan", "2023-03"),
        ("2023-03-05", None, "bulanan", "2023-03"),
        ("31/12/2023", None, "harian", "2023-12-31"),
        ("2024-W05", None, "mingguan", "2024-W05"),
        ("2024/2025", None, "tahunan", "2024"),  # a school year: the year it starts
        ("Tahun Ajaran 2023/2024", None, "tahunan", "2023"),
        ("2024/2025", "Ganjil", "semesteran", "2024-S2"),  # July–December 2024
        ("2024/2025", "Genap", "semesteran", "2025-S1"),
        ("2023 Q2", None, "sewaktu-waktu", "2023-Q2"),
    ],
)
def test_periods_are_read_in_their_usual_spellings(
    cell: object, sub: object, periodicity: str, expected: str
) -> None:
    assert cell_period(cell, sub, periodicity) == expected


@pytest.mark.parametrize(
    ("cell", "sub", "periodicity", "reason"),
    [
        ("2023", None, "triwulanan", "periode '2023' bukan triwulanan"),
        ("2023", "Maret", "tahunan", "periode '2023 Maret' bukan tahunan"),
        ("abc", None, "tahunan", "periode 'abc' tidak dikenali"),
        ("2019-2023", None, "tahunan", "tidak dikenali"),
        ("2023", "13", "bulanan", "tidak dikenali"),
        ("", None, "tahunan", "periode kosong"),
    ],
)
def test_periods_that_do_not_fit_the_dataset_are_refused(
    cell: str, sub: str | None, periodicity: str, reason: str
) -> None:
    with pytest.raises(PeriodError, match=reason):
        cell_period(cell, sub, periodicity)


@pytest.mark.parametrize(
    ("name", "year", "kind", "number", "rest"),
    [
        ("2019", 2019, None, None, ""),
        ("tahun_2019", 2019, None, None, ""),
        ("th_2020", 2020, None, None, ""),
        ("januari", None, "bulanan", 1, ""),
        ("produksi_2023", 2023, None, None, "produksi"),
        ("laki_laki_2019", 2019, None, None, "laki_laki"),
        ("triwulan_ii", None, "triwulanan", 2, ""),
        ("q1", None, "triwulanan", 1, ""),
        ("semester_1", None, "semesteran", 1, ""),
    ],
)
def test_column_names_carry_periods(
    name: str, year: int | None, kind: str | None, number: int | None, rest: str
) -> None:
    found = column_part(name)

    assert found is not None
    part, left = found
    assert (part.year, part.kind, part.number, left) == (year, kind, number, rest)


@pytest.mark.parametrize("name", ["jumlah", "tahun", "jumlah_guru_s1", "0_4", "kelas_2"])
def test_column_names_without_a_period_have_none(name: str) -> None:
    assert column_part(name) is None


def test_a_table_name_gives_a_period_only_when_it_names_one_year() -> None:
    found = name_part("Jumlah Penduduk 2023.xlsx")
    assert found is not None and found.year == 2023
    assert name_part("Data 2019-2023") is None
    assert name_part("Rekap Penduduk") is None


@pytest.mark.parametrize(
    ("dimension", "label", "key"),
    [
        (SEX, "L", "laki_laki"),
        (SEX, "Laki-laki", "laki_laki"),
        (SEX, "Pria", "laki_laki"),
        (SEX, "male", "laki_laki"),
        (SEX, "P", "perempuan"),
        (SEX, "Wanita", "perempuan"),
        (SEX, "Female", "perempuan"),
        (SEX, "L+P", None),
        (SEX, "Jumlah", None),
        ("kelompok_umur", "0-4", "0_4"),
        ("kelompok_umur", "0 - 4", "0_4"),
        ("kelompok_umur", "5-9 tahun", "5_9"),
        ("kelompok_umur", "65+", "65_plus"),
        ("kelompok_umur", "75 ke atas", "75_plus"),
        ("kelompok_umur", "Total", None),
        ("jenjang_pendidikan", "Sekolah Dasar", "sd"),
        ("daerah", "Pedesaan", "perdesaan"),
        ("kegiatan", "Sidang Paripurna", "sidang_paripurna"),
    ],
)
def test_category_labels_have_one_key_whatever_the_spelling(
    dimension: str, label: str, key: str | None
) -> None:
    assert value_key(dimension, label) == key


def test_age_groups_are_recognised_only_as_age_groups() -> None:
    assert age_key("Usia 0-4") == "0_4"
    assert age_key("Sidang Paripurna") is None
    assert age_key("2019-2020") is None


# --- regions ---------------------------------------------------------------------------------


def test_a_long_kecamatan_table_lands_each_cell_on_its_kecamatan_and_year() -> None:
    reading = read(
        ("kecamatan", "tahun", "jumlah"),
        [
            ["Purwodadi", 2022, 41_020],
            ["Purwodadi", 2023, 41_388],
            ["Kec. Tutur", "2023", "51.250"],
            ["PUSPO", 2023, 28_111],
        ],
    )

    assert reading.ok and not reading.problems
    assert published(reading) == {
        ("jumlah-penduduk", "35.14.01", "2022", ()): 41_020,
        ("jumlah-penduduk", "35.14.01", "2023", ()): 41_388,
        ("jumlah-penduduk", "35.14.02", "2023", ()): 51_250,
        ("jumlah-penduduk", "35.14.03", "2023", ()): 28_111,
    }
    assert [(i.key, i.unit) for i in reading.indicators] == [("jumlah-penduduk", "jiwa")]
    assert reading.roles == {
        "kecamatan": "wilayah: kecamatan",
        "tahun": "periode: tahun",
        "jumlah": "nilai: jumlah (jiwa)",
    }


@pytest.mark.parametrize("total", ["Kabupaten Pasuruan", "Kab. Pasuruan", "Jumlah", "TOTAL"])
def test_the_row_naming_the_kabupaten_is_its_total_not_a_kecamatan(total: str) -> None:
    reading = read(
        ("kecamatan", "tahun", "jumlah"),
        [["Purwodadi", 2023, 10], ["Tutur", 2023, 20], [total, 2023, 30]],
    )

    assert published(reading) == {
        ("jumlah-penduduk", "35.14.01", "2023", ()): 10,
        ("jumlah-penduduk", "35.14.02", "2023", ()): 20,
        ("jumlah-penduduk", "35.14", "2023", ()): 30,
    }


def test_a_kecamatan_named_like_its_kabupaten_stays_the_kecamatan() -> None:
    sidoarjo = TableContext("penduduk", "Penduduk", "tahunan", unit="jiwa", home_code="35.15")
    reading = read(
        ("Kecamatan", "Tahun", "Jumlah Penduduk"),
        [["Sidoarjo", 2023, 215_000], ["Buduran", 2023, 100_000], ["Kabupaten Sidoarjo", 2023, 1]],
        sidoarjo,
    )

    places = {(v.place.code, v.place.level) for v in reading.values}
    assert places == {("35.15.08", "kecamatan"), ("35.15.15", "kecamatan"), ("35.15", "kabupaten")}


def test_a_desa_named_like_its_kecamatan_is_read_within_the_rows_kecamatan() -> None:
    blitar = TableContext("penduduk", "Penduduk", "tahunan", unit="jiwa", home_code="35.05")
    reading = read(
        ("kecamatan", "desa_kelurahan", "jumlah"),
        [
            ["Srengat", "Srengat", 1],  # the kelurahan of its kecamatan's name
            ["", "Togogan", 2],  # a merged kecamatan cell: the group above goes on
            ["Srengat", "Jumlah", 3],  # the kecamatan's own row
            ["Wonodadi", "Kel. Wonodadi", 4],
            ["Wonodadi", "Togogan", 5],  # Togogan is not in Wonodadi
        ],
        blitar,
        name="Penduduk per Desa 2024.csv",
    )

    assert published(reading) == {
        ("penduduk", "35.05.03.1007", "2024", ()): 1,
        ("penduduk", "35.05.03.1004", "2024", ()): 2,
        ("penduduk", "35.05.03", "2024", ()): 3,
        ("penduduk", "35.05.01.2005", "2024", ()): 4,
    }
    assert reasons(reading) == {
        "desa/kelurahan 'Togogan' tidak ditemukan di Wonodadi": (1, ((6, "desa_kelurahan"),))
    }


def test_names_that_match_nothing_or_several_places_are_problems_of_their_row() -> None:
    reading = read(
        ("desa", "tahun", "jumlah"),
        [["Gerbo", 2023, 1], ["Sukomakmur Indah", 2023, 2], ["Wonorejo", 2023, 3]],
        first_row=5,  # a title and a two-row header above the table
    )

    assert published(reading) == {("jumlah-penduduk", "35.14.01.2001", "2023", ()): 1}
    found = reasons(reading)
    assert found["desa/kelurahan 'Sukomakmur Indah' tidak ditemukan di Kabupaten Pasuruan"] == (
        1,
        ((6, "desa"),),
    )
    ambiguous = next(r for r in found if r.startswith("wilayah 'Wonorejo' bisa berarti"))
    assert "35.14.04.2001" in ambiguous and "35.14.07.2005" in ambiguous
    assert found[ambiguous] == (1, ((7, "desa"),))
    assert {v.place.code for v in reading.values} <= {"35.14.01.2001"}


def test_a_region_column_of_no_known_names_leaves_the_table_unread_with_one_of_them() -> None:
    reading = read(("kecamatan", "tahun", "jumlah"), [["Atlantis", 2023, 1], ["Lemuria", 2023, 2]])

    assert not reading.ok and len(reading.values) == 0
    assert "kolom: kecamatan, tahun, jumlah" in (reading.unread or "")
    assert "'Atlantis' tidak ditemukan" in (reading.unread or "")


def test_kemendagri_codes_with_or_without_dots_and_bps_kabupaten_codes() -> None:
    jatim = TableContext("penduduk", "Penduduk", "tahunan", unit="jiwa", home_code="35")
    reading = read(
        ("kode_wilayah", "nama_wilayah", "tahun", "jumlah"),
        [
            ["3514", "Pasuruan", 2023, 1],  # BPS = Kemendagri without dots at kabupaten level
            ["35.05", "Blitar", 2023, 2],
            [3575, "Kota Pasuruan", 2023, 3],
            ["35.72", "Kota Blitar", 2023, 4],
        ],
        jatim,
    )

    assert {k[1]: v for k, v in published(reading).items()} == {
        "35.14": 1,
        "35.05": 2,
        "35.75": 3,
        "35.72": 4,
    }
    assert reading.roles["kode_wilayah"] == "wilayah: kode kabupaten/kota"
    assert reading.roles["nama_wilayah"].startswith("diabaikan")


def test_kecamatan_codes_with_or_without_dots_at_every_level() -> None:
    reading = read(
        ("kemendagri_kode_kecamatan", "tahun", "jumlah"),
        [["35.14.01", 2023, 1], ["351402", 2023, 2], ["35.14", 2023, 3]],
    )

    assert {k[1]: v for k, v in published(reading).items()} == {
        "35.14.01": 1,
        "35.14.02": 2,
        "35.14": 3,
    }


def test_bps_kecamatan_codes_are_never_mapped_the_names_beside_them_are_used() -> None:
    reading = read(
        ("bps_kode_kecamatan", "kecamatan", "tahun", "jumlah"),
        [[3514010, "Purwodadi", 2023, 1], [3514020, "Tutur", 2023, 2], [3514030, "Puspo", 2023, 3]],
    )

    assert reading.roles["bps_kode_kecamatan"] == "diabaikan: kode wilayah bukan kode Kemendagri"
    assert {k[1]: v for k, v in published(reading).items()} == {
        "35.14.01": 1,
        "35.14.02": 2,
        "35.14.03": 3,
    }


def test_a_bps_desa_code_in_a_code_column_is_reported_not_converted() -> None:
    reading = read(
        ("kode_desa", "tahun", "jumlah"),
        [
            ["35.14.01.2001", 2023, 1],
            ["3514012002", 2023, 2],
            ["35.14.01.2003", 2023, 3],
            ["3514010004", 2023, 4],
        ],
    )

    assert {k[1] for k in published(reading)} == {"35.14.01.2001", "35.14.01.2002", "35.14.01.2003"}
    (problem,) = reading.problems
    assert problem.reason.startswith("kode '3514010004' bukan kode Kemendagri")
    assert problem.examples == ((5, "kode_desa"),)


def test_a_column_of_kecamatan_names_is_the_region_column_whatever_it_is_called() -> None:
    reading = read(
        ("uraian", "2022", "2023"),
        [["Bangil", 1, 2], ["Beji", 3, 4], ["Gempol", 5, 6], ["Jumlah", 9, 12]],
    )

    assert reading.roles["uraian"] == "wilayah: kecamatan"
    assert published(reading) == {
        ("jumlah-penduduk", "35.14.14", "2022", ()): 1,
        ("jumlah-penduduk", "35.14.14", "2023", ()): 2,
        ("jumlah-penduduk", "35.14.13", "2022", ()): 3,
        ("jumlah-penduduk", "35.14.13", "2023", ()): 4,
        ("jumlah-penduduk", "35.14.12", "2022", ()): 5,
        ("jumlah-penduduk", "35.14.12", "2023", ()): 6,
        ("jumlah-penduduk", "35.14", "2022", ()): 9,
        ("jumlah-penduduk", "35.14", "2023", ()): 12,
    }


def test_a_table_without_a_region_column_is_about_the_datasets_region() -> None:
    """Kota Probolinggo's DPRD activities: numbers as text, `_id`, a `kegiatan` breakdown."""
    probolinggo = TableContext(
        "kegiatan-dprd", "Kegiatan DPRD", "tahunan", unit="kegiatan", default_place="35.74"
    )
    reading = read(
        ("_id", "tahun", "kegiatan", "jumlah"),
        [
            ["1", "2019", "Sidang Paripurna", "97"],
            ["2", "2019", "Rapat Komisi", "146"],
            ["3", "2019", "Rapat Kerja", "0"],
            ["4", "2019", "Keputusan DPRD", "39"],
        ],
        probolinggo,
    )

    assert reading.roles == {
        "_id": "diabaikan: nomor",
        "tahun": "periode: tahun",
        "kegiatan": "kategori: kegiatan",
        "jumlah": "nilai: jumlah (kegiatan)",
    }
    kegiatan = [("kegiatan", k) for k in ("sidang_paripurna", "rapat_komisi", "rapat_kerja")]
    assert published(reading) == {
        ("kegiatan-dprd", "35.74", "2019", (kegiatan[0],)): 97,
        ("kegiatan-dprd", "35.74", "2019", (kegiatan[1],)): 146,
        ("kegiatan-dprd", "35.74", "2019", (kegiatan[2],)): 0,
        ("kegiatan-dprd", "35.74", "2019", (("kegiatan", "keputusan_dprd"),)): 39,
    }
    assert computed(reading) == {("kegiatan-dprd", "35.74", "2019", ()): 282}
    (dimension,) = reading.dimensions
    assert dimension.label == "kegiatan"
    assert [v.label for v in dimension.values] == [
        "Sidang Paripurna",
        "Rapat Komisi",
        "Rapat Kerja",
        "Keputusan DPRD",
    ]


# --- shapes ----------------------------------------------------------------------------------


def test_wide_by_year_columns_are_periods() -> None:
    reading = read(
        ("Kecamatan", "2019", "tahun_2020", "th_2021"),
        [["Bangil", "1.000", "1.010", "1.020"], ["Rembang", 900, 910, "-"]],
    )

    assert published(reading) == {
        ("jumlah-penduduk", "35.14.14", "2019", ()): 1000,
        ("jumlah-penduduk", "35.14.14", "2020", ()): 1010,
        ("jumlah-penduduk", "35.14.14", "2021", ()): 1020,
        ("jumlah-penduduk", "35.14.15", "2019", ()): 900,
        ("jumlah-penduduk", "35.14.15", "2020", ()): 910,
    }
    assert reading.missing == 1 and not reading.problems


def test_wide_by_month_with_a_year_column_and_the_years_total_left_aside() -> None:
    months = [
        "januari",
        "februari",
        "maret",
        "april",
        "mei",
        "juni",
        "juli",
        "agustus",
        "september",
        "oktober",
        "november",
        "desember",
    ]
    context = TableContext("kunjungan", "Kunjungan", "bulanan", unit="orang", home_code="35.14")
    reading = read(
        ("kecamatan", "tahun", *months, "jumlah"),
        [["Tosari", 2023, *range(1, 13), 78]],
        context,
    )

    assert published(reading) == {
        ("kunjungan", "35.14.24", f"2023-{m:02d}", ()): m for m in range(1, 13)
    }
    assert reading.roles["jumlah"] == "diabaikan: jumlah beberapa periode"


def test_month_columns_of_a_yearly_dataset_are_problems_and_its_total_the_value() -> None:
    reading = read(
        ("kecamatan", "tahun", "januari", "februari", "jumlah"), [["Tosari", 2023, 1, 2, 3]]
    )

    assert published(reading) == {("jumlah-penduduk", "35.14.24", "2023", ()): 3}
    assert {p.reason: p.count for p in reading.problems} == {
        "periode '2023 januari' bukan tahunan": 1,
        "periode '2023 februari' bukan tahunan": 1,
    }


def test_wide_by_sex_with_the_tables_own_total() -> None:
    reading = read(
        ("Kecamatan", "Tahun", "Laki-laki", "Perempuan", "Jumlah"),
        [["Pandaan", 2023, "57.310", "57.104", "114.414"]],
    )

    assert published(reading) == {
        ("jumlah-penduduk", "35.14.11", "2023", (L,)): 57_310,
        ("jumlah-penduduk", "35.14.11", "2023", (P,)): 57_104,
        ("jumlah-penduduk", "35.14.11", "2023", ()): 114_414,
    }
    assert computed(reading) == {}  # the table gives its total
    (dimension,) = reading.dimensions
    assert (dimension.key, dimension.label) == (SEX, "Jenis Kelamin")
    assert [(v.key, v.label) for v in dimension.values] == [
        ("laki_laki", "Laki-laki"),
        ("perempuan", "Perempuan"),
    ]


def test_wide_by_sex_without_a_total_has_one_computed_for_a_count() -> None:
    reading = read(("kecamatan", "tahun", "L", "P"), [["Pandaan", 2023, 5, 7]])

    assert computed(reading) == {("jumlah-penduduk", "35.14.11", "2023", ()): 12}


@pytest.mark.parametrize(
    ("periodicity", "header", "cells", "codes"),
    [
        (
            "bulanan",
            "bulan",
            ["Januari", "Feb", "3", "Des"],
            ["2023-01", "2023-02", "2023-03", "2023-12"],
        ),
        (
            "bulanan",
            "bulan",
            ["January", "March", "12", "Agustus"],
            ["2023-01", "2023-03", "2023-12", "2023-08"],
        ),
        (
            "triwulanan",
            "triwulan",
            ["Triwulan I", "TW 2", "Q3", "4"],
            ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"],
        ),
        (
            "semesteran",
            "semester",
            ["Semester 1", "S2", "I", "II"],
            ["2023-S1", "2023-S2", "2023-S1", "2023-S2"],
        ),
    ],
)
def test_a_year_column_and_a_part_of_the_year_column(
    periodicity: str, header: str, cells: list[str], codes: list[str]
) -> None:
    context = TableContext("pad", "PAD", periodicity, unit="rupiah", default_place="35.14")
    rows = [[2023, cell, i] for i, cell in enumerate(cells[:2], start=1)]
    rows += [[2024 if i > 2 else 2023, cell, i] for i, cell in enumerate(cells[2:], start=3)]
    reading = read(("tahun", header, "nilai"), rows, context)

    expected = [c if i < 2 else c.replace("2023", "2024") for i, c in enumerate(codes)]
    assert sorted(published(reading).items(), key=lambda item: item[1]) == [
        (("pad", "35.14", code, ()), i) for i, code in enumerate(expected, start=1)
    ]


def test_a_years_total_row_in_a_month_column_is_not_a_month() -> None:
    context = TableContext("kunjungan", "Kunjungan", "bulanan", unit="orang", default_place="35.14")
    reading = read(
        ("tahun", "bulan", "jumlah"),
        [[2023, "Januari", 5], [2023, "Februari", 6], [2023, "Jumlah", 11]],
        context,
    )

    assert set(published(reading).values()) == {5, 6}
    assert not reading.problems


def test_school_years_are_the_registry_year_they_start_in() -> None:
    context = TableContext("siswa-sd", "Siswa SD", "tahunan", unit="siswa", home_code="35.14")
    reading = read(
        ("tahun_ajaran", "kecamatan", "jumlah_siswa"),
        [["2023/2024", "Lekok", 5_120], ["2024/2025", "Lekok", 5_201]],
        context,
    )

    assert published(reading) == {
        ("siswa-sd", "35.14.22", "2023", ()): 5_120,
        ("siswa-sd", "35.14.22", "2024", ()): 5_201,
    }


def test_one_resource_per_year_has_its_year_only_in_its_name() -> None:
    reading = read(
        ("kecamatan", "jumlah_penduduk"),
        [["Grati", "83.112"], ["Nguling", "58.014"]],
        name="Jumlah Penduduk per Kecamatan 2023.xlsx",
    )

    assert published(reading) == {
        ("jumlah-penduduk", "35.14.20", "2023", ()): 83_112,
        ("jumlah-penduduk", "35.14.21", "2023", ()): 58_014,
    }


def test_several_indicators_in_one_table_each_with_its_own_unit() -> None:
    context = TableContext("padi", "Produksi Padi", "tahunan", unit="ton", home_code="35.14")
    reading = read(
        ("kecamatan", "tahun", "luas_panen_ha", "Produksi (Ton)", "produktivitas_ku_ha"),
        [["Winongan", 2023, "2.712", "16.437,5", "60,61"], ["Grati", 2023, 3_001, 18_210, 60.68]],
        context,
    )

    assert [(i.key, i.label, i.unit) for i in reading.indicators] == [
        ("luas_panen", "luas_panen_ha", "ha"),
        ("produksi", "Produksi (Ton)", "ton"),
        ("produktivitas", "produktivitas_ku_ha", "ku/ha"),
    ]
    assert published(reading) == {
        ("luas_panen", "35.14.19", "2023", ()): 2_712,
        ("produksi", "35.14.19", "2023", ()): 16_437.5,
        ("produktivitas", "35.14.19", "2023", ()): 60.61,
        ("luas_panen", "35.14.20", "2023", ()): 3_001,
        ("produksi", "35.14.20", "2023", ()): 18_210,
        ("produktivitas", "35.14.20", "2023", ()): 60.68,
    }
    decimals = {(v.indicator, v.place.code): v.decimals for v in reading.values}
    assert decimals[("produksi", "35.14.19")] == 1 and decimals[("produktivitas", "35.14.20")] == 2


def test_a_unit_column_gives_the_unit_of_the_tables_one_value() -> None:
    context = TableContext("ternak", "Populasi Sapi", "tahunan", home_code="35.14")
    reading = read(
        ("kecamatan", "tahun", "satuan", "jumlah"),
        [["Tutur", 2023, "Ekor", 9_000], ["Puspo", 2023, "Ekor", 4_100]],
        context,
    )

    assert [(i.key, i.unit) for i in reading.indicators] == [("ternak", "Ekor")]
    assert reading.roles["satuan"] == "satuan"


def test_a_unit_column_naming_several_units_is_not_read_as_one_indicator() -> None:
    reading = read(
        ("kecamatan", "tahun", "satuan", "jumlah"),
        [["Tutur", 2023, "Ekor", 9_000], ["Tutur", 2023, "Ton", 41]],
    )

    assert not reading.ok and len(reading.values) == 0
    assert "beberapa satuan (Ekor, Ton)" in (reading.unread or "")


# --- breakdowns and totals -------------------------------------------------------------------


def long_by_sex_and_age(*extra: list[Any]) -> list[list[Any]]:
    rows = []
    for sex in ("L", "P"):
        for number_, age in enumerate(("0-4", "5-9", "65+"), start=1):
            rows.append(["Beji", 2023, sex, age, number_ * (10 if sex == "L" else 100)])
    return rows + list(extra)


def test_a_total_over_one_dimension_keeps_the_others() -> None:
    reading = read(("kecamatan", "tahun", "jk", "kelompok_umur", "jumlah"), long_by_sex_and_age())

    age = "kelompok_umur"
    assert len(published(reading)) == 6
    assert computed(reading) == {
        ("jumlah-penduduk", "35.14.13", "2023", ((age, "0_4"),)): 110,
        ("jumlah-penduduk", "35.14.13", "2023", ((age, "5_9"),)): 220,
        ("jumlah-penduduk", "35.14.13", "2023", ((age, "65_plus"),)): 330,
        ("jumlah-penduduk", "35.14.13", "2023", (L,)): 60,
        ("jumlah-penduduk", "35.14.13", "2023", (P,)): 600,
        ("jumlah-penduduk", "35.14.13", "2023", ()): 660,
    }
    assert [d.key for d in reading.dimensions] == [SEX, age]
    assert [v.label for v in reading.dimensions[1].values] == ["0-4", "5-9", "65+"]


def test_published_totals_are_kept_and_only_the_missing_ones_computed() -> None:
    rows = long_by_sex_and_age(
        ["Beji", 2023, "L", "Jumlah", 61], ["Beji", 2023, "P", "Jumlah", 600]
    )
    reading = read(("kecamatan", "tahun", "jk", "kelompok_umur", "jumlah"), rows)

    assert published(reading)[("jumlah-penduduk", "35.14.13", "2023", (L,))] == 61  # as published
    assert (("jumlah-penduduk", "35.14.13", "2023", (L,))) not in computed(reading)
    assert computed(reading)[("jumlah-penduduk", "35.14.13", "2023", ())] == 660


def test_a_missing_category_cell_leaves_the_totals_over_it_out() -> None:
    rows = long_by_sex_and_age()
    rows[0][4] = "-"  # L 0-4 not available
    reading = read(("kecamatan", "tahun", "jk", "kelompok_umur", "jumlah"), rows)

    age = "kelompok_umur"
    assert reading.missing == 1
    assert computed(reading) == {
        ("jumlah-penduduk", "35.14.13", "2023", ((age, "5_9"),)): 220,
        ("jumlah-penduduk", "35.14.13", "2023", ((age, "65_plus"),)): 330,
        ("jumlah-penduduk", "35.14.13", "2023", (P,)): 600,
    }


@pytest.mark.parametrize(
    ("unit", "title"),
    [
        ("persen", "Persentase Penduduk Miskin"),
        ("%", "Tingkat Pengangguran Terbuka"),
        ("per 1.000 penduduk", "Angka Kelahiran Kasar"),
        ("ku/ha", "Produktivitas Padi"),
        ("jiwa/km²", "Kepadatan Penduduk"),
        ("tahun", "Rata-rata Lama Sekolah"),
        ("rupiah", "Rata-rata Upah Buruh"),
        ("", "Jumlah Penduduk"),  # an unknown unit is not summed either
        ("orang", "Rasio Guru dan Murid"),
    ],
)
def test_ratios_percentages_averages_and_unknown_units_are_never_summed(
    unit: str, title: str
) -> None:
    context = TableContext("x", title, "tahunan", unit=unit, home_code="35.14")
    reading = read(
        ("kecamatan", "tahun", "Laki-laki", "Perempuan"), [["Beji", 2023, 1, 2]], context
    )

    assert len(published(reading)) == 2 and computed(reading) == {}


def test_the_same_cell_twice_is_a_problem_and_neither_value_is_kept() -> None:
    reading = read(
        ("kecamatan", "tahun", "jumlah"),
        [["Kraton", 2023, 1], ["Rembang", 2023, 2], ["Kec. Kraton", 2023, 3]],
    )

    assert published(reading) == {("jumlah-penduduk", "35.14.15", "2023", ()): 2}
    (problem,) = reading.problems
    assert problem.reason.startswith("nilai ganda")
    assert (problem.count, problem.examples) == (2, ((2, "jumlah"), (4, "jumlah")))


def test_text_that_is_no_number_is_a_problem_of_its_cell_and_missing_is_counted() -> None:
    reading = read(
        ("kecamatan", "tahun", "jumlah"),
        [
            ["Lekok", 2023, "abc"],
            ["Nguling", 2023, "n/a"],
            ["Rejoso", 2023, ""],
            ["Grati", 2023, 7],
        ],
    )

    assert published(reading) == {("jumlah-penduduk", "35.14.20", "2023", ()): 7}
    assert reasons(reading) == {"nilai 'abc' bukan angka": (1, ((2, "jumlah"),))}
    assert reading.missing == 2 and reading.rows_skipped == 1


def test_a_column_mixing_both_ways_of_writing_leaves_its_ambiguous_cells_unread() -> None:
    reading = read(
        ("kecamatan", "tahun", "jumlah"),
        [["Lekok", 2023, "1.234.567"], ["Nguling", 2023, "0.5"], ["Grati", 2023, "1.234"]],
    )

    assert set(published(reading).values()) == {1_234_567, 0.5}
    assert reasons(reading) == {
        "nilai '1.234' dapat berarti ribuan atau pecahan": (1, ((4, "jumlah"),))
    }


def test_a_period_that_contradicts_the_datasets_periodicity_is_a_problem() -> None:
    context = TableContext("pad", "PAD", "triwulanan", unit="rupiah", default_place="35.14")
    reading = read(("tahun", "nilai"), [[2022, 1], [2023, 2]], context)

    assert len(reading.values) == 0
    assert reasons(reading)["periode '2022' bukan triwulanan"] == (1, ((2, "tahun"),))


# --- tables that cannot be read --------------------------------------------------------------


def test_a_table_without_a_period_says_which_columns_it_has_and_found() -> None:
    context = TableContext("kegiatan-dprd", "Kegiatan DPRD", "tahunan", default_place="35.74")
    reading = read(("kegiatan", "jumlah"), [["Sidang Paripurna", "97"]], context, name="Kegiatan")

    assert not reading.ok and len(reading.values) == 0
    assert reading.unread == (
        "kolom: kegiatan, jumlah; ditemukan: kategori (kegiatan), nilai (jumlah); "
        "tidak ada kolom periode dan nama tabel tanpa tahun"
    )


def test_a_table_without_numbers_or_a_region_says_so() -> None:
    nowhere = TableContext("daftar", "Daftar Sekolah", "tahunan")
    reading = read(
        ("nama_sekolah", "alamat", "tahun"), [["SDN Gerbo 1", "Jl. Raya", 2023]], nowhere
    )

    assert not reading.ok
    assert "tidak ada kolom nilai berupa angka" in (reading.unread or "")
    assert "tidak ada kolom wilayah dan wilayah dataset tidak diketahui" in (reading.unread or "")
    assert set(reading.roles) == {"nama_sekolah", "alamat", "tahun"}


def test_month_columns_without_any_year_say_that_the_year_is_missing() -> None:
    reading = read(("kecamatan", "januari", "februari"), [["Tosari", 1, 2]])

    assert "tidak ada kolom tahun dan nama tabel tanpa tahun" in (reading.unread or "")


# --- the work a table costs ------------------------------------------------------------------


class CountingGazetteer:
    """The packaged list, counting how often a name is looked up."""

    def __init__(self) -> None:
        self.names = 0

    def place(self, code: str) -> Any:
        return G.place(code)

    def by_code(self, text: str) -> Any:
        return G.by_code(text)

    def by_name(self, text: str, **options: Any) -> Any:
        self.names += 1
        return G.by_name(text, **options)


def test_each_distinct_region_name_is_looked_up_once_however_many_rows_repeat_it() -> None:
    kecamatan = ["Purwodadi", "Tutur", "Puspo", "Lumbang", "Pasrepan", "Kejayan"]
    rows = [
        [name, sex, age, 2023, i]
        for i, (name, sex, age) in enumerate(
            (n, s, a) for n in kecamatan for s in ("L", "P") for a in ("0-4", "5-9", "10-14")
        )
    ]
    small, large = CountingGazetteer(), CountingGazetteer()
    columns = ("wilayah", "jk", "kelompok_umur", "tahun", "jumlah")

    read_table(Table(columns, rows), PASURUAN, small)  # type: ignore[arg-type]
    reading = read_table(Table(columns, rows * 50), PASURUAN, large)  # type: ignore[arg-type]

    assert large.names == small.names  # the work grows with distinct names, not with rows
    assert len(reading.problems) == 1 and reading.problems[0].reason.startswith("nilai ganda")
