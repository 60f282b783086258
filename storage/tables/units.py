"""Units as column names write them (`produksi_ton`, "Luas Panen (Ha)"), and which units may
be summed.

A total the table does not publish is summed from its categories only for counts and amounts
(jiwa, unit, rupiah, ha, ton…): a sum of percentages, indices, rates, averages or per-hectare
yields is a wrong number, and so is a sum in a unit nobody recognised.
"""

from __future__ import annotations

import re

from storage.tables.reading import normal_key

# Column-name endings that are units, by their normalised tokens, and how the registry
# writes them.
SUFFIXES: dict[tuple[str, ...], str] = {
    ("ha",): "ha",
    ("hektar",): "ha",
    ("hektare",): "ha",
    ("ton",): "ton",
    ("kg",): "kg",
    ("kuintal",): "kuintal",
    ("ku", "ha"): "ku/ha",
    ("kw", "ha"): "ku/ha",
    ("ton", "ha"): "ton/ha",
    ("persen",): "persen",
    ("pct",): "persen",
    ("prosen",): "persen",
    ("jiwa",): "jiwa",
    ("orang",): "orang",
    ("unit",): "unit",
    ("buah",): "buah",
    ("kk",): "KK",
    ("rp",): "rupiah",
    ("rupiah",): "rupiah",
    ("km",): "km",
    ("km2",): "km²",
    ("m2",): "m²",
    ("m3",): "m³",
    ("liter",): "liter",
    ("ekor",): "ekor",
}
LONGEST = max(len(tokens) for tokens in SUFFIXES)
PARENTHESES = re.compile(r"^(.*?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")
# Counts and amounts: their categories add up to their total.
ADDITIVE = frozenset(
    (  # noqa: SIM905 (one word a line would double the module)
        "jiwa;orang;penduduk;unit;buah;kk;kepala keluarga;keluarga;rumah tangga;ruta;sekolah;"
        "siswa;murid;guru;mahasiswa;peserta;peserta didik;rombel;kelas;kasus;pasien;kunjungan;"
        "bayi;balita;ekor;rupiah;rp;ribu rupiah;juta rupiah;miliar rupiah;rp juta;rp ribu;"
        "rp miliar;ha;hektar;hektare;ton;kg;kuintal;kw;liter;km;km²;km2;m;m²;m2;m³;m3;dokumen;"
        "paket;lembar;kali;kegiatan;pelanggan;perusahaan;usaha;pekerja;tenaga kerja;desa;"
        "kelurahan;kecamatan;fasilitas;lokasi;titik;kendaraan;lembaga;koperasi;pasar;kios;"
        "wisatawan;pengunjung;kamar;tempat tidur;anggota;jenis;bidang;rumah;gedung;ruang"
    ).split(";")
)
# Words in a unit that say its values are not counts: shares, rates, ratios, averages.
NOT_ADDITIVE_UNIT = re.compile(
    r"%|/|\bper\b|persen|rasio|indeks|index|rata|rerata|angka|tingkat|laju|kapita|skor|poin"
)
# Words in an indicator's name that say the same. Fewer than for units: a dataset's title
# often names its breakdown ("… menurut tingkat pendidikan, kelompok umur").
NOT_ADDITIVE_NAME = re.compile(
    r"\b(?:persentase|prosentase|rasio|rata|rerata|indeks|produktivitas|kapita|kepadatan"
    r"|proporsi|prevalensi|laju|harga|upah|inflasi|pertumbuhan|median)"
)


def from_parentheses(header: str) -> tuple[str, str] | None:
    """("Produksi", "ton") from "Produksi (Ton)"; None when the parentheses hold something
    else ("Penduduk (Laki-laki)", "(2019)")."""
    match = PARENTHESES.match(header)
    if match is None:
        return None
    inner = match.group(2)
    if "%" in inner:
        return match.group(1), "persen"
    tokens = tuple(normal_key(inner).split("_"))
    if tokens in SUFFIXES:
        return match.group(1), SUFFIXES[tokens]
    if "/" in inner or normal_key(inner).startswith("rp"):
        return match.group(1), inner if not re.fullmatch(r"[A-Z][a-z]+", inner) else inner.lower()
    return None


def from_suffix(tokens: list[str]) -> tuple[str, list[str]] | None:
    """("ton", ["produksi"]) from ["produksi", "ton"]: a unit ending a column name that has
    something before it."""
    for size in range(min(LONGEST, len(tokens) - 1), 0, -1):
        unit = SUFFIXES.get(tuple(tokens[-size:]))
        if unit is not None:
            return unit, tokens[:-size]
    return None


def additive(unit: str, label: str) -> bool:
    """Whether values in `unit` of the indicator `label` add up over their categories."""
    lowered = " ".join(unit.casefold().split())
    if NOT_ADDITIVE_UNIT.search(lowered) or NOT_ADDITIVE_NAME.search(label.casefold()):
        return False
    return lowered in ADDITIVE
