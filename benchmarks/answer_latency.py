"""Answer latency on a large registry: 20,000 datasets and 4.4 million observations on SQLite,
2.0 million of them (46 %) kecamatan and desa values broken down by category.

Run by hand: `.venv/bin/python benchmarks/answer_latency.py`. The registry is built once
(in a child process, so its memory does not count) under `var/bench/` and reused. Besides the
demo data it holds kabupaten/kota datasets of all Jawa Timur, and for six kabupaten their
real kecamatan and desa (the Kemendagri list in `storage/wilayah/`) with datasets by
kecamatan or desa: population by sex and by age group × sex, schools by jenjang, harvested
area / production / yield of food crops (three indicators each), and many more by sex,
jenjang, condition or type. It prints p50/p95/p99 answer latency without charts, overall and
per kind of question, how many questions of each kind got an answer with data, chart
rendering time, and the peak RSS of the process that answers. `--scale 0.1` builds a tenth
of the datasets (in a file of its own), to try changes quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.wiring import build_runtime  # noqa: E402
from handlers.messages import Incoming  # noqa: E402
from storage.tables.apply import registry_name  # noqa: E402
from storage.tables.gazetteer import Gazetteer  # noqa: E402
from storage.tables.reading import Place, normal_key  # noqa: E402

# The registry built here; a change to it takes a new number, so a cached file of an older
# one is never measured as if it were this one.
VERSION = 2
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
DATASETS = 20_000  # kabupaten/kota datasets and kecamatan/desa datasets together
REGIONS_PER_DATASET = 25
YEARS = (2021, 2022, 2023, 2024)  # of a kabupaten/kota dataset: 25 regions x 4 years
PROVINCE = "35"  # Jawa Timur
# Kabupaten with their kecamatan and desa in the registry: Malang, Jember, Banyuwangi,
# Pasuruan, Sidoarjo, Lamongan (158 kecamatan, 2,040 desa and kelurahan).
DETAILED = ("35.07", "35.09", "35.10", "35.14", "35.15", "35.24")
KECAMATAN_YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
DESA_YEARS = (2022, 2023, 2024)
POPULATION_YEARS = (2021, 2022, 2023, 2024)
SMALL_LEVELS = ("kecamatan", "desa", "kelurahan")
QUESTIONS_PER_KIND = 100

MEASURES = [
    "Jumlah",
    "Persentase",
    "Rasio",
    "Rata-rata",
    "Indeks",
    "Angka",
    "Tingkat",
    "Luas",
    "Produksi",
    "Kapasitas",
]
SUBJECTS = [
    "sekolah dasar",
    "sekolah menengah pertama",
    "guru honorer",
    "murid putus sekolah",
    "puskesmas",
    "posyandu",
    "bidan desa",
    "balita gizi buruk",
    "imunisasi dasar lengkap",
    "jalan kabupaten mantap",
    "jembatan rusak",
    "jaringan irigasi",
    "sawah irigasi teknis",
    "padi sawah",
    "jagung",
    "kedelai",
    "cabai rawit",
    "bawang merah",
    "tebu rakyat",
    "ternak sapi potong",
    "ayam ras petelur",
    "ikan tangkap laut",
    "budidaya udang",
    "usaha mikro",
    "koperasi aktif",
    "pasar tradisional",
    "toko modern",
    "wisatawan nusantara",
    "wisatawan mancanegara",
    "hotel berbintang",
    "kamar hotel",
    "rumah tidak layak huni",
    "rumah tangga berlistrik",
    "sambungan air minum",
    "sanitasi layak",
    "sampah terangkut",
    "ruang terbuka hijau",
    "kendaraan bermotor",
    "angkutan umum",
    "kecelakaan lalu lintas",
    "kasus demam berdarah",
    "kasus tuberkulosis",
    "penderita hipertensi",
    "kematian ibu",
    "kematian bayi",
    "pernikahan usia anak",
    "perceraian",
    "akta kelahiran",
    "kartu identitas anak",
    "penerima bantuan sosial",
    "keluarga penerima manfaat",
    "penyandang disabilitas",
    "lansia terlantar",
    "anak jalanan",
    "pekerja migran",
    "pencari kerja terdaftar",
    "lowongan kerja",
    "pelatihan kerja",
    "investasi dalam negeri",
    "investasi asing",
    "ekspor nonmigas",
    "impor barang modal",
    "pendapatan asli daerah",
    "belanja modal",
    "dana desa",
    "desa mandiri",
    "desa tertinggal",
    "bumdes aktif",
    "menara telekomunikasi",
    "desa terlayani internet",
    "perpustakaan desa",
    "pengunjung perpustakaan",
    "cagar budaya",
    "sanggar seni",
    "atlet berprestasi",
    "lapangan olahraga",
    "tempat ibadah",
    "kerukunan umat",
    "aduan masyarakat",
    "pelayanan perizinan",
    "aparatur sipil negara",
    "pegawai tenaga kontrak",
    "kebakaran permukiman",
    "bencana banjir",
    "tanah longsor",
    "hutan rakyat",
    "lahan kritis",
    "emisi gas rumah kaca",
    "kualitas udara",
    "kualitas air sungai",
    "limbah industri",
    "bank sampah",
    "energi terbarukan",
    "penerangan jalan umum",
    "rumah sakit",
    "tempat tidur rumah sakit",
    "dokter spesialis",
    "apotek",
    "laboratorium kesehatan",
    "ambulans desa",
    "klinik pratama",
]
QUALIFIERS = [
    "",
    "menurut kabupaten/kota",
    "menurut jenis kelamin",
    "perkotaan",
    "perdesaan",
    "menurut kelompok umur",
    "menurut status",
    "menurut sumber dana",
    "menurut jenis",
    "menurut kondisi",
    "per 1000 penduduk",
    "per kapita",
    "triwulanan daerah",
    "tahunan daerah",
    "menurut sektor",
    "menurut skala usaha",
    "menurut pendidikan",
    "menurut lapangan usaha",
    "menurut wilayah",
    "menurut tingkat",
]


class Dimension(NamedTuple):
    """A breakdown as tables publish it: key and label, its categories (key, label) in
    published order without the total, and their usual shares."""

    key: str
    label: str
    values: tuple[tuple[str, str], ...]
    weights: tuple[float, ...] | None = None


def named(
    key: str, label: str, *labels: str, weights: tuple[float, ...] | None = None
) -> Dimension:
    return Dimension(key, label, tuple((normal_key(v), v) for v in labels), weights)


SEX = Dimension(
    "jenis_kelamin", "Jenis Kelamin", (("laki_laki", "Laki-laki"), ("perempuan", "Perempuan"))
)
AGE = Dimension(
    "kelompok_umur",
    "Kelompok Umur",
    (*((f"{a}_{a + 4}", f"{a}-{a + 4}") for a in range(0, 75, 5)), ("75_plus", "75+")),
    (8.0, 8.2, 8.3, 8.0, 7.6, 7.5, 7.6, 7.5, 7.2, 6.8, 6.2, 5.4, 4.4, 3.3, 2.3, 3.7),
)
JENJANG = Dimension(
    "jenjang_pendidikan",
    "Jenjang Pendidikan",
    (("sd", "SD"), ("smp", "SMP"), ("sma", "SMA")),
    (6.0, 2.2, 1.0),
)
SCHOOLING = Dimension(
    "jenjang_pendidikan",
    "Pendidikan Tertinggi",
    (("sd", "SD"), ("smp", "SMP"), ("sma", "SMA/SMK"), ("diploma", "Diploma"), ("s1", "S1")),
    (1.0, 1.5, 3.0, 0.6, 1.2),
)
STATUS = named("status", "Status", "Negeri", "Swasta", weights=(2.0, 1.0))
CONDITION = named(
    "kondisi", "Kondisi", "Baik", "Sedang", "Rusak Ringan", "Rusak Berat", weights=(5, 3, 2, 1)
)
HEALTH_STAFF = named(
    "jenis_tenaga",
    "Jenis Tenaga",
    "Dokter Umum",
    "Dokter Gigi",
    "Perawat",
    "Bidan",
    "Tenaga Gizi",
    "Sanitarian",
    weights=(2, 1, 8, 6, 1, 1),
)
POSYANDU = named("strata", "Strata", "Pratama", "Madya", "Purnama", "Mandiri", weights=(1, 3, 5, 2))
CONTRACEPTION = named(
    "metode_kontrasepsi",
    "Metode Kontrasepsi",
    "IUD",
    "MOW",
    "MOP",
    "Implan",
    "Suntik",
    "Pil",
    "Kondom",
    weights=(3, 1, 0.2, 3, 10, 4, 0.5),
)
DISABILITY = named(
    "jenis_disabilitas", "Jenis Disabilitas", "Fisik", "Intelektual", "Mental", "Sensorik"
)
WORSHIP = named(
    "jenis_tempat_ibadah",
    "Jenis Tempat Ibadah",
    "Masjid",
    "Musala",
    "Gereja Kristen",
    "Gereja Katolik",
    "Pura",
    "Vihara",
    "Klenteng",
    weights=(6, 20, 1, 0.3, 0.2, 0.1, 0.05),
)
LIVESTOCK = named(
    "jenis_ternak",
    "Jenis Ternak",
    "Sapi Potong",
    "Sapi Perah",
    "Kambing",
    "Domba",
    "Ayam Kampung",
    "Itik",
    weights=(3, 0.5, 4, 1.5, 30, 4),
)
FACILITY = named(
    "jenis_sarana",
    "Jenis Sarana",
    "Puskesmas",
    "Puskesmas Pembantu",
    "Poskesdes",
    "Polindes",
    "Klinik Pratama",
    weights=(1, 3, 6, 2, 2),
)
MARKET = named(
    "jenis_pasar", "Jenis Pasar", "Pasar Kabupaten", "Pasar Desa", "Pasar Hewan", weights=(1, 4, 1)
)
ACTIVITY = named("status_keaktifan", "Status Keaktifan", "Aktif", "Tidak Aktif", weights=(3, 1))
SURFACE = named(
    "jenis_permukaan",
    "Jenis Permukaan",
    "Aspal",
    "Beton",
    "Paving",
    "Makadam",
    "Tanah",
    weights=(4, 3, 2, 1.5, 1),
)


class Subject(NamedTuple):
    """What a kecamatan or desa table counts, the breakdowns it comes with, and the usual
    total of one kecamatan (a desa holds about a twelfth)."""

    name: str
    unit: str
    opd: str
    dims: tuple[Dimension, ...]
    low: float
    high: float
    decimals: int = 0
    per_desa: bool = True


SMALL_SUBJECTS = [
    Subject("Kepala Keluarga", "KK", "dispendukcapil", (SEX,), 9_000, 35_000),
    Subject("Penduduk Wajib KTP", "jiwa", "dispendukcapil", (SEX,), 25_000, 90_000),
    Subject(
        "Kartu Identitas Anak yang Diterbitkan", "keping", "dispendukcapil", (SEX,), 300, 2_500
    ),
    Subject("Akta Kelahiran yang Diterbitkan", "lembar", "dispendukcapil", (SEX,), 400, 1_800),
    Subject("Kelahiran", "jiwa", "dispendukcapil", (SEX,), 400, 1_600),
    Subject("Kematian", "jiwa", "dispendukcapil", (SEX,), 150, 700),
    Subject("Penduduk Pindah", "jiwa", "dispendukcapil", (SEX,), 100, 900),
    Subject("Penduduk Datang", "jiwa", "dispendukcapil", (SEX,), 100, 1_100),
    Subject("Pemilih Tetap", "orang", "diskominfo", (SEX,), 25_000, 80_000),
    Subject("Guru", "orang", "dindik", (SEX, JENJANG), 300, 1_100),
    Subject("Murid", "orang", "dindik", (SEX, JENJANG), 5_000, 16_000),
    Subject("Sekolah", "unit", "dindik", (JENJANG, STATUS), 30, 110),
    Subject("Rombongan Belajar", "rombel", "dindik", (JENJANG,), 200, 600),
    Subject("Ruang Kelas", "ruang", "dindik", (JENJANG, CONDITION), 200, 650),
    Subject("Murid Putus Sekolah", "orang", "dindik", (SEX, JENJANG), 10, 120),
    Subject("Lulusan", "orang", "dindik", (SEX, JENJANG), 1_200, 4_000),
    Subject("Tenaga Kesehatan", "orang", "dinkes", (HEALTH_STAFF,), 30, 160, per_desa=False),
    Subject("Sarana Kesehatan", "unit", "dinkes", (FACILITY,), 8, 40),
    Subject("Posyandu", "unit", "dinkes", (POSYANDU,), 40, 140),
    Subject("Kader Posyandu", "orang", "dinkes", (SEX,), 200, 700),
    Subject("Balita Ditimbang", "jiwa", "dinkes", (SEX,), 2_000, 6_000),
    Subject("Balita Gizi Buruk", "jiwa", "dinkes", (SEX,), 2, 40),
    Subject("Balita Stunting", "jiwa", "dinkes", (SEX,), 80, 600),
    Subject("Bayi Imunisasi Dasar Lengkap", "jiwa", "dinkes", (SEX,), 400, 1_500),
    Subject("Kasus Demam Berdarah Dengue", "kasus", "dinkes", (SEX,), 5, 90),
    Subject("Kasus Tuberkulosis", "kasus", "dinkes", (SEX,), 20, 160),
    Subject("Penderita Hipertensi", "orang", "dinkes", (SEX,), 1_500, 9_000),
    Subject("Penderita Diabetes Melitus", "orang", "dinkes", (SEX,), 400, 2_500),
    Subject("Peserta KB Aktif", "orang", "dinkes", (CONTRACEPTION,), 5_000, 15_000),
    Subject("Penyandang Disabilitas", "orang", "dinsos", (SEX, DISABILITY), 100, 600),
    Subject("Lansia Terlantar", "jiwa", "dinsos", (SEX,), 20, 200),
    Subject("Anak Yatim Piatu", "jiwa", "dinsos", (SEX,), 30, 300),
    Subject("Penerima Bantuan Pangan Non Tunai", "KK", "dinsos", (SEX,), 2_000, 7_000),
    Subject("Keluarga Penerima Manfaat PKH", "KK", "dinsos", (SEX,), 1_200, 4_500),
    Subject("Pencari Kerja Terdaftar", "orang", "disnakertrans", (SEX, SCHOOLING), 150, 900),
    Subject("Pekerja Migran", "orang", "disnakertrans", (SEX,), 50, 800),
    Subject("Peserta Pelatihan Kerja", "orang", "disnakertrans", (SEX,), 20, 250, per_desa=False),
    Subject("Tempat Ibadah", "unit", "bappeda", (WORSHIP,), 150, 600),
    Subject("Jalan Desa", "km", "bappeda", (CONDITION, SURFACE), 60, 220, decimals=2),
    Subject("Jembatan", "unit", "bappeda", (CONDITION,), 10, 60),
    Subject("Rumah Tidak Layak Huni", "unit", "bappeda", (STATUS,), 100, 900),
    Subject("Ternak", "ekor", "biro-perekonomian", (LIVESTOCK,), 8_000, 60_000),
    Subject("Usaha Mikro", "unit", "biro-perekonomian", (SEX,), 1_500, 7_000),
    Subject("Koperasi", "unit", "biro-perekonomian", (ACTIVITY,), 10, 60, per_desa=False),
    Subject("Pasar", "unit", "biro-perekonomian", (MARKET,), 2, 10, per_desa=False),
]
# Food crops: harvested area of a kecamatan (ha) and yield (ku/ha).
CROPS = {
    "Padi": ((900, 4_800), (52, 66)),
    "Jagung": ((300, 3_600), (45, 72)),
    "Kedelai": ((20, 650), (13, 19)),
    "Kacang Tanah": ((30, 520), (10, 16)),
    "Kacang Hijau": ((10, 300), (9, 13)),
    "Ubi Kayu": ((50, 900), (180, 280)),
    "Ubi Jalar": ((10, 220), (150, 250)),
}


class Column(NamedTuple):
    """An indicator of a table: code, name as published, unit, decimals, the usual total of
    one kecamatan."""

    code: str
    name: str
    unit: str
    decimals: int
    low: float
    high: float


class Table(NamedTuple):
    """A kecamatan or desa dataset of one kabupaten, and how its values are made: "people"
    (desa populations, summed for a kecamatan), "ages" (a kecamatan's population by age group
    and sex), "crop" (area, production, yield) or "counts"."""

    code: str
    title: str
    keywords: str
    opd: str
    level: str  # kecamatan or desa (desa and kelurahan)
    scope: str  # the kabupaten's Kemendagri code
    columns: tuple[Column, ...]
    dims: tuple[Dimension, ...]
    years: tuple[int, ...]
    model: str
    computed: bool = False  # totals summed from the categories, not published
    rate: tuple[float, float] = (0.0, 0.0)  # yield of a crop, ku/ha


def keywords(*words: str) -> str:
    return "; ".join(dict.fromkeys(w.lower() for w in words if w))


def small_area_tables(gazetteer: Gazetteer, scale: float) -> list[Table]:
    """Every kabupaten of `DETAILED` gets the same tables, with its name in their titles."""
    rng = random.Random(5)
    tables: list[Table] = []
    for scope in DETAILED:
        place = gazetteer.place(scope)
        assert place is not None, scope
        tables += kabupaten_tables(place, rng, scale)
    return tables


def kabupaten_tables(place: Place, rng: random.Random, scale: float) -> list[Table]:
    scope, kab, short = place.code, place.name, place.name.removeprefix("Kabupaten ")
    numbers = itertools.count(1)
    tables: list[Table] = []

    def code() -> str:
        return f"wil_{scope.replace('.', '')}_{next(numbers):03d}"

    sex = ("penduduk", "jumlah penduduk", "jenis kelamin", "laki-laki", "perempuan")
    c = code()
    tables.append(
        Table(
            c,
            f"Jumlah Penduduk per Kecamatan {kab}",
            keywords(*sex, "kecamatan", kab, short),
            "dispendukcapil",
            "kecamatan",
            scope,
            (Column(c, "Jumlah Penduduk", "jiwa", 0, 0, 0),),
            (SEX,),
            POPULATION_YEARS,
            "people",
        )
    )
    c = code()
    tables.append(
        Table(
            c,
            f"Jumlah Penduduk per Desa/Kelurahan menurut Jenis Kelamin {kab}",
            keywords(*sex, "desa", "kelurahan", kab, short),
            "dispendukcapil",
            "desa",
            scope,
            (Column(c, "Jumlah Penduduk", "jiwa", 0, 0, 0),),
            (SEX,),
            POPULATION_YEARS,
            "people",
        )
    )
    c = code()
    tables.append(
        Table(
            c,
            f"Jumlah Penduduk menurut Kecamatan, Kelompok Umur dan Jenis Kelamin {kab}",
            keywords(*sex, "kelompok umur", "umur", "usia", "piramida penduduk", kab, short),
            "dispendukcapil",
            "kecamatan",
            scope,
            (Column(c, "Jumlah Penduduk", "jiwa", 0, 0, 0),),
            (AGE, SEX),
            POPULATION_YEARS,
            "ages",
        )
    )
    c = code()
    school = ("sekolah", "jenjang pendidikan", "sd", "smp", "sma", "kecamatan", kab, short)
    tables.append(
        Table(
            c,
            f"Jumlah Sekolah menurut Kecamatan dan Jenjang Pendidikan {kab}",
            keywords(*school),
            "dindik",
            "kecamatan",
            scope,
            (Column(c, "Jumlah Sekolah", "unit", 0, 40, 130),),
            (JENJANG,),
            KECAMATAN_YEARS,
            "counts",
        )
    )
    tables.append(
        Table(
            code(),
            f"Jumlah Sekolah, Guru dan Murid menurut Kecamatan dan Jenjang Pendidikan {kab}",
            keywords(*school, "guru", "murid", "siswa"),
            "dindik",
            "kecamatan",
            scope,
            (
                Column("sekolah", "Sekolah", "unit", 0, 40, 130),
                Column("guru", "Guru", "orang", 0, 300, 1_100),
                Column("murid", "Murid", "orang", 0, 5_000, 16_000),
            ),
            (JENJANG,),
            KECAMATAN_YEARS,
            "counts",
        )
    )
    for crop, (area, rate) in CROPS.items():
        tables.append(
            Table(
                code(),
                f"Luas Panen, Produksi dan Produktivitas {crop} menurut Kecamatan di {kab}",
                keywords(
                    crop,
                    f"luas panen {crop}",
                    f"produksi {crop}",
                    f"produktivitas {crop}",
                    "tanaman pangan",
                    "pertanian",
                    "kecamatan",
                    kab,
                    short,
                ),
                "biro-perekonomian",
                "kecamatan",
                scope,
                (
                    Column("luas_panen", "Luas Panen (Ha)", "ha", 1, *area),
                    Column("produksi", "Produksi (Ton)", "ton", 2, 0, 0),
                    Column("produktivitas", "Produktivitas (Ku/Ha)", "ku/ha", 2, 0, 0),
                ),
                (),
                KECAMATAN_YEARS,
                "crop",
                rate=rate,
            )
        )
    generic: list[Table] = []
    for subject in SMALL_SUBJECTS:
        options = [(d,) for d in subject.dims]
        if len(subject.dims) == 2:
            options.append(subject.dims)
        for dims in options:
            if subject.name == "Sekolah" and dims == (JENJANG,):
                continue  # the school table above
            for level in ("kecamatan", "desa") if subject.per_desa else ("kecamatan",):
                area = "Kecamatan" if level == "kecamatan" else "Desa/Kelurahan"
                by = " dan ".join(d.label for d in dims)
                measure = rng.choice(("Jumlah", "Jumlah", "Banyaknya"))
                title = rng.choice(
                    (
                        f"{measure} {subject.name} menurut {area} dan {by} di {kab}",
                        f"{measure} {subject.name} per {area} menurut {by} {kab}",
                    )
                )
                c = code()
                labels = [label for d in dims for _, label in d.values]
                generic.append(
                    Table(
                        c,
                        title,
                        keywords(
                            subject.name,
                            *(d.label for d in dims),
                            *labels,
                            area.replace("/", "; "),
                            kab,
                            short,
                        ),
                        subject.opd,
                        level,
                        scope,
                        (
                            Column(
                                c,
                                f"{measure} {subject.name}",
                                subject.unit,
                                subject.decimals,
                                subject.low,
                                subject.high,
                            ),
                        ),
                        dims,
                        KECAMATAN_YEARS if level == "kecamatan" else DESA_YEARS,
                        "counts",
                        computed=level == "desa",
                    )
                )
    tables += generic[: max(1, round(len(generic) * scale))]
    return tables


def synthetic_titles(count: int) -> list[str]:
    combos = itertools.product(MEASURES, SUBJECTS, QUALIFIERS)
    return [" ".join(part for part in combo if part).strip() for combo in combos][:count]


def plan(scale: float) -> tuple[list[str], list[Table]]:
    """The kabupaten/kota titles and the kecamatan/desa tables: `DATASETS` in all at scale 1."""
    gazetteer = Gazetteer.default()
    tables = small_area_tables(gazetteer, scale)
    full = len(small_area_tables(gazetteer, 1.0))
    return synthetic_titles(round((DATASETS - full) * scale)), tables


def detailed_places(gazetteer: Gazetteer) -> dict[str, list[Place]]:
    """The kecamatan of each kabupaten of `DETAILED` and the desa/kelurahan of each
    kecamatan, by the parent's code, in the list's order."""
    children: dict[str, list[Place]] = defaultdict(list)
    for code in gazetteer.codes(max_depth=4):
        if code[:5] in DETAILED and code.count(".") >= 2:
            place = gazetteer.place(code)
            if place is not None and place.parent is not None:
                children[place.parent].append(place)
    return children


class Layout:
    """The observations of one area and period of a table broken down by `dims`: every
    combination of categories, and every total over some of the dimensions."""

    def __init__(self, dims: tuple[Dimension, ...]) -> None:
        self.cells = list(itertools.product(*([(d.key, k) for k, _ in d.values] for d in dims)))
        weights = [d.weights or (1.0,) * len(d.values) for d in dims]
        self.weights = [
            math.prod(w[i] for w, i in zip(weights, index, strict=True))
            for index in itertools.product(*(range(len(d.values)) for d in dims))
        ]
        self.keys: list[str] = []
        self.targets: list[list[int]] = []
        found: dict[str, int] = {}
        for cell in self.cells:
            targets = []
            for keep in itertools.product((True, False), repeat=len(dims)):
                part = sorted(c for c, kept in zip(cell, keep, strict=True) if kept)
                key = ";".join(f"{d}={v}" for d, v in part)
                if key not in found:
                    found[key] = len(self.keys)
                    self.keys.append(key)
                targets.append(found[key])
            self.targets.append(targets)
        self.totals = [key.count("=") < len(dims) for key in self.keys]

    def sums(self, values: list[float], decimals: int) -> list[float]:
        sums = [0.0] * len(self.keys)
        for value, targets in zip(values, self.targets, strict=True):
            for target in targets:
                sums[target] += value
        return [round(s, decimals) if decimals else int(s) for s in sums]


def populations(
    children: dict[str, list[Place]], rng: random.Random
) -> dict[str, dict[int, tuple[int, int]]]:
    """Laki-laki and perempuan of every desa/kelurahan, by year; a kecamatan's are the sums."""
    people: dict[str, dict[int, tuple[int, int]]] = {}
    for scope in DETAILED:
        for kecamatan in children[scope]:
            totals = dict.fromkeys(POPULATION_YEARS, (0, 0))
            for desa in children[kecamatan.code]:
                if desa.level == "kelurahan":
                    base = rng.uniform(5_000, 24_000)
                else:
                    base = rng.uniform(1_500, 11_000)
                growth, men = rng.uniform(0.002, 0.015), rng.uniform(0.488, 0.508)
                people[desa.code] = {}
                for step, year in enumerate(POPULATION_YEARS):
                    total = round(base * (1 + growth) ** step)
                    male = round(total * men)
                    people[desa.code][year] = (male, total - male)
                    held = totals[year]
                    totals[year] = (held[0] + male, held[1] + total - male)
            people[kecamatan.code] = totals
    return people


Row = tuple[int, int, str, str, float, int, int]


def observations(
    table: Table,
    areas: list[Place],
    indicators: list[int],
    ids: dict[str, int],
    people: dict[str, dict[int, tuple[int, int]]],
    rng: random.Random,
) -> list[Row]:
    """(indicator, region, period, categories, value, decimals, computed) of a table."""
    rows: list[Row] = []
    layout = Layout(table.dims)
    computed = [int(table.computed and total) for total in layout.totals]
    for area in areas:
        region = ids[area.code]
        if table.model == "crop":
            first = table.columns[0]
            area_ha, rate = rng.uniform(first.low, first.high), rng.uniform(*table.rate)
            luas, produksi, produktivitas = indicators
            for year in table.years:
                harvested = round(area_ha * rng.uniform(0.85, 1.15), 1)
                per_ha = round(rate * rng.uniform(0.94, 1.06), 2)
                period = str(year)
                rows += [
                    (luas, region, period, "", harvested, 1, 0),
                    (produksi, region, period, "", round(harvested * per_ha / 10, 2), 2, 0),
                    (produktivitas, region, period, "", per_ha, 2, 0),
                ]
            continue
        if table.model in ("people", "ages"):
            indicator = indicators[0]
            shares = [w * rng.uniform(0.9, 1.1) for w in layout.weights[::2]]
            whole = sum(shares)
            for year in table.years:
                male, female = people[area.code][year]
                if table.model == "people":
                    values: list[float] = [male, female]
                else:
                    values = []
                    for share in shares:
                        values += [round(male * share / whole), round(female * share / whole)]
                    values[-2] += male - sum(values[0::2])  # the rounding, in the oldest group
                    values[-1] += female - sum(values[1::2])
                for key, value, made in zip(
                    layout.keys, layout.sums(values, 0), computed, strict=True
                ):
                    rows.append((indicator, region, str(year), key, value, 0, made))
            continue
        for indicator, column in zip(indicators, table.columns, strict=True):
            size = rng.uniform(column.low, column.high)
            if table.level == "desa":
                size *= rng.uniform(0.5, 1.6) / 12
            weights = [w * rng.uniform(0.7, 1.3) for w in layout.weights]
            whole = sum(weights)
            trend = rng.uniform(-0.02, 0.05)
            for step, year in enumerate(table.years):
                amount = size * (1 + trend) ** step * rng.uniform(0.95, 1.05) / whole
                values = [round(amount * w, column.decimals) for w in weights]
                for key, value, made in zip(
                    layout.keys, layout.sums(values, column.decimals), computed, strict=True
                ):
                    rows.append((indicator, region, str(year), key, value, column.decimals, made))
    return rows


def build(path: Path, scale: float) -> None:
    """Migrate, load the real demo data, then add the synthetic registry with raw inserts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    settings = Settings.from_env(environ={"DATABASE_URL": f"sqlite:///{path}"}, env_file=None)

    async def prepare() -> None:
        runtime = await build_runtime(settings, NOW)
        await runtime.close()

    asyncio.run(prepare())
    started = time.perf_counter()
    db = sqlite3.connect(path)
    opds = dict(db.execute("SELECT code, id FROM opds").fetchall())
    opd_ids = sorted(opds.values())
    region_ids = [
        row[0]
        for row in db.execute(
            "SELECT id FROM regions WHERE code LIKE ? ORDER BY code", (f"{PROVINCE}__",)
        )
    ]
    ids: dict[str, int] = dict(
        db.execute("SELECT kemendagri_code, id FROM regions WHERE kemendagri_code IS NOT NULL")
    )
    gazetteer = Gazetteer.default()
    children = detailed_places(gazetteer)
    for scope in DETAILED:
        for kecamatan in children[scope]:
            for place in (kecamatan, *children[kecamatan.code]):
                cursor = db.execute(
                    "INSERT INTO regions (code, kemendagri_code, name, level, parent_id, aliases)"
                    " VALUES (NULL, ?, ?, ?, ?, '')",
                    (place.code, registry_name(place), place.level, ids[place.parent or ""]),
                )
                assert cursor.lastrowid is not None
                ids[place.code] = cursor.lastrowid
    titles, tables = plan(scale)
    rng = random.Random(7)
    for number, title in enumerate(titles, start=1):
        code = f"syn_{number:05d}"
        cursor = db.execute(
            "INSERT INTO datasets (code, title, description, opd_id, periodicity, classification,"
            " unit, source, keywords, is_headline, note, latest_period)"
            " VALUES (?, ?, '', ?, 'tahunan', 'terbuka', 'unit', 'Sintetis (benchmark)', '', 1,"
            " '', '2024')",
            (code, title, rng.choice(opd_ids)),
        )
        dataset_id = cursor.lastrowid
        cursor = db.execute(
            "INSERT INTO indicators (dataset_id, code, name, unit) VALUES (?, ?, ?, 'unit')",
            (dataset_id, code, title),
        )
        indicator_id = cursor.lastrowid
        regions = rng.sample(region_ids, REGIONS_PER_DATASET)
        db.executemany(
            "INSERT INTO observations (indicator_id, region_id, period, value, decimals, status)"
            " VALUES (?, ?, ?, ?, 2, 'final')",
            [
                (indicator_id, region, str(year), round(rng.uniform(1, 1000), 2))
                for region in regions
                for year in YEARS
            ],
        )
        if number % 5000 == 0:
            db.commit()
            print(f"  {number:,} kabupaten/kota datasets ({time.perf_counter() - started:.0f} s)")
    people = populations(children, random.Random(3))
    for number, table in enumerate(tables, start=1):
        kecamatan = children[table.scope]
        areas = (
            kecamatan
            if table.level == "kecamatan"
            else [desa for k in kecamatan for desa in children[k.code]]
        )
        years = f"{table.years[0]}–{table.years[-1]}"
        cursor = db.execute(
            "INSERT INTO datasets (code, title, description, opd_id, periodicity, classification,"
            " unit, source, keywords, is_headline, note, latest_period)"
            " VALUES (?, ?, ?, ?, 'tahunan', 'terbuka', ?, 'Sintetis (benchmark)', ?, 1, '', ?)",
            (
                table.code,
                table.title,
                f"{table.title}, tahun {years}.",
                opds.get(table.opd, opd_ids[0]),
                table.columns[0].unit,
                table.keywords,
                str(table.years[-1]),
            ),
        )
        dataset_id = cursor.lastrowid
        indicators = []
        for position, column in enumerate(table.columns):
            cursor = db.execute(
                "INSERT INTO indicators (dataset_id, code, name, unit, position)"
                " VALUES (?, ?, ?, ?, ?)",
                (dataset_id, column.code, column.name, column.unit, position),
            )
            assert cursor.lastrowid is not None
            indicators.append(cursor.lastrowid)
            db.executemany(
                "INSERT INTO indicator_categories"
                " (indicator_id, dimension, dimension_label, key, label, position)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (cursor.lastrowid, d.key, d.label, key, label, position)
                    for position, (d, (key, label)) in enumerate(
                        (d, value) for d in table.dims for value in d.values
                    )
                ],
            )
        db.executemany(
            "INSERT INTO observations (indicator_id, region_id, period, categories, value,"
            " decimals, status, computed) VALUES (?, ?, ?, ?, ?, ?, 'final', ?)",
            observations(table, areas, indicators, ids, people, rng),
        )
        if number % 500 == 0:
            db.commit()
            print(f"  {number:,} kecamatan/desa datasets ({time.perf_counter() - started:.0f} s)")
    db.commit()
    db.execute("ANALYZE")
    db.close()


def composition(path: Path) -> str:
    db = sqlite3.connect(path)
    datasets, observations = (
        db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("datasets", "observations")
    )
    small, broken_down = db.execute(
        "SELECT count(*), coalesce(sum(o.categories <> ''), 0) FROM observations o"
        " JOIN regions r ON r.id = o.region_id WHERE r.level IN (?, ?, ?)",
        SMALL_LEVELS,
    ).fetchone()
    regions = dict(db.execute("SELECT level, count(*) FROM regions GROUP BY level").fetchall())
    db.close()
    return (
        f"registry: {datasets:,} datasets, {observations:,} observations (SQLite); "
        f"{small:,} at kecamatan/desa level, {broken_down:,} of them by category "
        f"({broken_down / observations:.0%} of all); regions {regions}"
    )


FIXED = [
    "IPM Kabupaten Pasuruan 2023",
    "TPT Kota Surabaya",
    "poverty rate Bali province 2020",
    "berapa jumlah penduduk miskin Jember tahun 2021?",
    "pengangguran terbuak Kota Batu",
    "tren IPM Kota Batu 5 tahun terakhir",
    "5 kabupaten dengan kemiskinan tertinggi",
    "bandingkan TPT Kota Batu dan Kota Malang 2023",
    "siapa produsen data TPT",
    "life expectancy Lumajang Regency 2021",
    "provinsi dengan IPM terendah 2024",
]
KABUPATEN_PHRASES = [
    "Kota Batu",
    "Kabupaten Malang",
    "Kota Surabaya",
    "Kab. Jember",
    "Sidoarjo",
    "Kota Kediri",
    "Banyuwangi",
    "Kabupaten Pasuruan",
]


class Kecamatan(NamedTuple):
    name: str  # "Lawang"
    kabupaten: str  # "Kabupaten Malang"
    desa: tuple[str, ...]  # "desa Bedali", "kelurahan Kalirejo"
    shared: bool  # another kecamatan of the registry has the name


def kecamatan_of(path: Path) -> list[Kecamatan]:
    """The kecamatan of the registry with their desa, by the names the registry gives them."""
    db = sqlite3.connect(path)
    desa: dict[int, list[str]] = defaultdict(list)
    for parent, name in db.execute(
        "SELECT parent_id, name FROM regions WHERE level IN ('desa', 'kelurahan') ORDER BY id"
    ):
        level, _, base = name.partition(" ")
        desa[parent].append(f"{level.lower()} {base}")
    rows = db.execute(
        "SELECT k.id, k.name, p.name FROM regions k JOIN regions p ON p.id = k.parent_id"
        " WHERE k.level = 'kecamatan' ORDER BY k.id"
    ).fetchall()
    db.close()
    names = Counter(name for _, name, _ in rows)
    return [
        Kecamatan(name.removeprefix("Kecamatan "), kab, tuple(desa[i]), names[name] > 1)
        for i, name, kab in rows
    ]


def kab_phrase(kab: str, rng: random.Random) -> str:
    short = kab.removeprefix("Kabupaten ")
    return rng.choice([kab, kab.lower(), f"kab. {short}", f"kabupaten {short.lower()}", short])


def kec_phrase(kec: Kecamatan, rng: random.Random, *, with_kab: bool | None = None) -> str:
    name = rng.choice([kec.name, kec.name.lower()])
    text = f"{rng.choice(['kecamatan', 'kecamatan', 'kec.', 'Kecamatan', 'kec'])} {name}"
    if kec.shared or (with_kab if with_kab is not None else rng.random() < 0.25):
        text += f" {rng.choice(['', 'di '])}{kab_phrase(kec.kabupaten, rng)}"
    return text


def year(rng: random.Random) -> str:
    return rng.choice(["2024", "2023", "2022", "tahun 2023", ""])


def small_area_questions(places: list[Kecamatan], rng: random.Random) -> dict[str, list[str]]:
    """Questions about kecamatan and desa, by kind, as people type them."""
    sexes = ["perempuan", "laki-laki", "wanita", "pria", "laki laki"]
    crops = [c.lower() for c in CROPS]
    crops += ["padi"] * 4 + ["jagung"] * 2  # the ones asked most
    by_kab: dict[str, list[Kecamatan]] = defaultdict(list)
    for kec in places:
        by_kab[kec.kabupaten].append(kec)

    def kec_sex() -> str:
        k, s, y = kec_phrase(rng.choice(places), rng), rng.choice(sexes), year(rng)
        return rng.choice(
            [
                f"penduduk {s} {k} {y}",
                f"jumlah penduduk {s} di {k} {y}",
                f"berapa penduduk {s} {k} {y}?",
                f"jumlah penduduk {k} menurut jenis kelamin {y}",
            ]
        )

    def kec_age() -> str:
        k, s, y = kec_phrase(rng.choice(places), rng), rng.choice(sexes), year(rng)
        low = rng.randrange(0, 75, 5)
        return rng.choice(
            [
                f"penduduk {s} umur {low}-{low + 4} {k} {y}",
                f"jumlah penduduk usia {low}-{low + 4} tahun di {k} {y}",
                f"penduduk umur 75 tahun ke atas {k} {y}",
                f"piramida penduduk {k} {y}",
            ]
        )

    def kec_jenjang() -> str:
        k, y, j = kec_phrase(rng.choice(places), rng), year(rng), rng.choice(["SD", "SMP", "SMA"])
        return rng.choice(
            [
                f"jumlah {j} di {k} {y}",
                f"jumlah sekolah {j.lower()} {k} {y}",
                f"berapa guru {j} di {k} {y}?",
                f"jumlah murid {j} {k} {y}",
            ]
        )

    def kec_crop() -> str:
        k, y, c = kec_phrase(rng.choice(places), rng), year(rng), rng.choice(crops)
        return rng.choice(
            [
                f"produktivitas {c} {k} {y}",
                f"luas panen {c} {k} {y}",
                f"berapa produksi {c} di {k}?",
                f"produksi {c} {k} {y}",
            ]
        )

    def kec_ranking() -> str:
        kab, y, c = kab_phrase(rng.choice(list(by_kab)), rng), year(rng), rng.choice(crops)
        n = rng.choice([3, 5, 10])
        return rng.choice(
            [
                f"kecamatan dengan luas panen {c} tertinggi di {kab}",
                f"{n} kecamatan dengan produksi {c} terbesar di {kab} {y}",
                f"kecamatan dengan penduduk terbanyak di {kab} {y}",
                f"{n} kecamatan dengan produktivitas {c} terendah {kab}",
                f"kecamatan dengan jumlah penduduk perempuan paling sedikit di {kab}",
            ]
        )

    def kec_comparison() -> str:
        a, b = rng.sample(by_kab[rng.choice(list(by_kab))], 2)
        pa, pb = kec_phrase(a, rng, with_kab=False), kec_phrase(b, rng, with_kab=False)
        y, c = year(rng), rng.choice(crops)
        return rng.choice(
            [
                f"bandingkan produksi {c} {pa} dan {pb.split(' ', 1)[1]}",
                f"bandingkan penduduk perempuan {pa} dan {pb} {y}",
                f"perbandingan luas panen {c} {pa} dengan {pb} {y}",
                f"bandingkan jumlah SD {pa} dan {pb}",
            ]
        )

    def desa_value() -> str:
        kec = rng.choice(places)
        d, k, y = rng.choice(kec.desa), kec_phrase(kec, rng), year(rng)
        return rng.choice(
            [
                f"jumlah penduduk {d} {k} {y}",
                f"penduduk {rng.choice(sexes)} {d} {k} {y}",
                f"berapa jumlah penduduk {d} di {k}?",
            ]
        )

    def desa_ranking() -> str:
        k, y = kec_phrase(rng.choice(places), rng), year(rng)
        return rng.choice(
            [
                f"10 desa dengan penduduk terbanyak di {k}",
                f"5 desa dengan penduduk perempuan paling banyak di {k} {y}",
                f"desa dengan penduduk paling sedikit di {k}",
                f"desa dengan jumlah posyandu terbanyak di {k} {y}",
            ]
        )

    def by_subject() -> str:
        subject = rng.choice(SMALL_SUBJECTS)
        _, label = rng.choice(rng.choice(subject.dims).values)
        kec = rng.choice(places)
        what = f"{rng.choice(['jumlah ', 'banyaknya ', ''])}{subject.name.lower()} {label.lower()}"
        if subject.per_desa and rng.random() < 0.3:
            where = f"{rng.choice(kec.desa)} {kec_phrase(kec, rng)}"
        else:
            where = kec_phrase(kec, rng)
        return f"{what} {where} {year(rng)}"

    makers = {
        "kec by sex": kec_sex,
        "kec by age group": kec_age,
        "kec by jenjang": kec_jenjang,
        "kec crop (3 indicators)": kec_crop,
        "kec ranking in kab": kec_ranking,
        "kec comparison": kec_comparison,
        "desa value": desa_value,
        "desa ranking in kec": desa_ranking,
        "kec/desa by subject": by_subject,
    }
    return {
        kind: [" ".join(make().split()).replace(" ?", "?") for _ in range(QUESTIONS_PER_KIND)]
        for kind, make in makers.items()
    }


def questions(
    titles: list[str], places: list[Kecamatan], rng: random.Random
) -> tuple[list[tuple[str, str]], list[str]]:
    """(kind, text) in random order: titles of kabupaten/kota datasets with a region, fixed
    questions, and the kecamatan and desa questions; and the kinds in that order."""
    mix = []
    for _ in range(1000):
        title = rng.choice(titles)
        if rng.random() < 0.2:  # a typo in a long word
            words = title.split()
            i = max(range(len(words)), key=lambda k: len(words[k]))
            words[i] = words[i][:-2] + words[i][-1] + words[i][-2]
            title = " ".join(words)
        text = f"{title} {rng.choice(KABUPATEN_PHRASES)} {rng.choice(['', '2023', '2022'])}"
        mix.append(("kab/kota title", text.strip()))
    mix += [("fixed", text) for text in FIXED] * 40
    for kind, texts in small_area_questions(places, rng).items():
        mix += [(kind, text) for text in texts]
    kinds = list(dict.fromkeys(kind for kind, _ in mix))
    rng.shuffle(mix)
    return mix, kinds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def figures(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):7.2f}  p95 {percentile(values, 95):7.2f}  "
        f"p99 {percentile(values, 99):7.2f}  max {max(values):7.2f}"
    )


async def measure(path: Path, scale: float) -> None:
    settings = Settings.from_env(environ={"DATABASE_URL": f"sqlite:///{path}"}, env_file=None)
    titles, _ = plan(scale)
    places = kecamatan_of(path)
    started = time.perf_counter()
    runtime = await build_runtime(settings, NOW)
    print(
        f"start-up (catalog of {len(runtime.dispatcher.app.catalog.datasets):,} datasets): "
        f"{time.perf_counter() - started:.2f} s"
    )
    mix, order = questions(titles, places, random.Random(11))
    for _, text in mix[:50]:  # warm caches and the connection pool
        await runtime.dispatcher.handle(Incoming(1, None, text=text), NOW, render_charts=False)
    latencies: dict[str, list[float]] = defaultdict(list)
    answered: Counter[str] = Counter()
    types: dict[str, Counter[str]] = defaultdict(Counter)
    charts: list[float] = []
    kinds: Counter[str] = Counter()
    for kind, text in mix:
        began = time.perf_counter()
        replies = await runtime.dispatcher.handle(
            Incoming(1, None, text=text), NOW, render_charts=False
        )
        latencies[kind].append((time.perf_counter() - began) * 1000)
        found = [reply.data["type"] for reply in replies if (reply.data or {}).get("type")]
        answered[kind] += bool(found)
        types[kind].update(found[:1])
        for reply in replies:
            kinds[(reply.data or {}).get("type", "other")] += 1
            if reply.chart is not None and len(charts) < 200:
                began = time.perf_counter()
                png = reply.chart.render()
                charts.append((time.perf_counter() - began) * 1000)
                assert png.startswith(b"\x89PNG")
    await runtime.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    overall = [value for values in latencies.values() for value in values]
    print(f"questions: {len(overall):,}  answer kinds: {dict(kinds.most_common())}")
    print(f"answer latency without chart (ms): {figures(overall)}")
    print("by kind of question (ms; answered: replies with answer data):")
    width = max(map(len, order))
    for kind in order:
        values = latencies[kind]
        top = ", ".join(f"{t} {n}" for t, n in types[kind].most_common(3))
        print(
            f"  {kind:<{width}}  n {len(values):4}  {figures(values)}  "
            f"answered {answered[kind]:4}/{len(values)}{f' ({top})' if top else ''}"
        )
    if charts:
        print(
            f"chart rendering (ms, n={len(charts)}): p50 {statistics.median(charts):.1f}  "
            f"p95 {percentile(charts, 95):.1f}  max {max(charts):.1f}"
        )
    else:
        print("chart rendering: no reply carried a chart")
    print(f"peak RSS of the answering process: {rss_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="default: var/bench/registry-v<version>.db")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="share of the datasets to build (0-1]"
    )
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    suffix = "" if args.scale == 1 else f"-scale{args.scale:g}"
    path = args.db or ROOT / f"var/bench/registry-v{VERSION}{suffix}.db"
    if args.build_only:
        build(path, args.scale)
        return
    if args.rebuild or not path.exists():
        print(f"building the registry in {path} ...")
        started = time.perf_counter()
        command = [sys.executable, __file__, "--build-only", "--db", str(path)]
        subprocess.run([*command, "--scale", str(args.scale)], check=True)
        print(f"built in {time.perf_counter() - started:.0f} s")
    print(composition(path))
    asyncio.run(measure(path, args.scale))


if __name__ == "__main__":
    main()
