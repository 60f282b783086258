"""Breakdowns: which dimension a column or a header is, the keys of its values, and the
labels that mean "the total" rather than a category.

Keys are what answers match by (a question says "perempuan", a table "P" or "Wanita"); labels
stay as published. The common dimensions have a vocabulary — jenis kelamin, kelompok umur,
jenjang pendidikan, perkotaan/perdesaan — and any other text column is a dimension of its
own, keyed by its normalised header.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from storage.tables.reading import normal_key

SEX, AGE, EDUCATION, AREA = "jenis_kelamin", "kelompok_umur", "jenjang_pendidikan", "daerah"
LABELS = {
    SEX: "Jenis Kelamin",
    AGE: "Kelompok Umur",
    EDUCATION: "Jenjang Pendidikan",
    AREA: "Perkotaan/Perdesaan",
}
HEADERS = {
    **dict.fromkeys(
        ("jenis_kelamin", "jk", "kelamin", "sex", "gender", "jns_kelamin", "j_kelamin"), SEX
    ),
    **dict.fromkeys(
        (
            "kelompok_umur",
            "kel_umur",
            "kelompok_usia",
            "golongan_umur",
            "golongan_usia",
            "umur",
            "usia",
            "age",
            "age_group",
            "kelompok_umur_tahun",
        ),
        AGE,
    ),
    **dict.fromkeys(
        ("jenjang", "jenjang_pendidikan", "tingkat_pendidikan", "jenjang_sekolah", "pendidikan"),
        EDUCATION,
    ),
    **dict.fromkeys(
        ("daerah", "klasifikasi_daerah", "tipe_daerah", "perkotaan_perdesaan", "kota_desa"), AREA
    ),
}
# Value keys by dimension, from normalised labels.
VALUES: dict[str, dict[str, str]] = {
    SEX: {
        **dict.fromkeys(
            ("l", "lk", "laki", "laki_laki", "lakilaki", "pria", "male", "m"), "laki_laki"
        ),
        **dict.fromkeys(("p", "pr", "prp", "perempuan", "wanita", "female", "f"), "perempuan"),
    },
    AREA: {
        **dict.fromkeys(("perkotaan", "kota", "urban"), "perkotaan"),
        **dict.fromkeys(("perdesaan", "pedesaan", "desa", "rural"), "perdesaan"),
    },
    EDUCATION: {
        "sekolah_dasar": "sd",
        "sekolah_menengah_pertama": "smp",
        "sekolah_menengah_atas": "sma",
        "sekolah_menengah_kejuruan": "smk",
        "taman_kanak_kanak": "tk",
        "sekolah_luar_biasa": "slb",
        "madrasah_ibtidaiyah": "mi",
        "madrasah_tsanawiyah": "mts",
        "madrasah_aliyah": "ma",
    },
}
# Labels of a total whatever the dimension; a dimension's own totals follow.
TOTALS = frozenset(
    {
        "jumlah",
        "total",
        "jml",
        "jumlah_total",
        "total_jumlah",
        "jumlah_keseluruhan",
        "total_keseluruhan",
        "keseluruhan",
        "seluruhnya",
        "semua",
        "grand_total",
        "all",
    }
)
DIMENSION_TOTALS = {
    SEX: frozenset({"l_p", "lp", "l_dan_p", "laki_laki_perempuan", "laki_laki_dan_perempuan"}),
    AREA: frozenset({"perkotaan_perdesaan", "perkotaan_dan_perdesaan", "kota_desa"}),
    AGE: frozenset({"semua_umur", "semua_kelompok_umur"}),
    EDUCATION: frozenset({"semua_jenjang"}),
}
# Wide columns by the category that ends their name: (tokens, dimension, value key; None for
# the dimension's total). Single letters other than L/P, and "kota"/"desa" (a `jumlah_desa`
# column counts desa), are too common in other names to be read as categories there.
COLUMN_VALUES: list[tuple[tuple[str, ...], str, str | None]] = sorted(  # longest first
    [
        *((tuple(k.split("_")), SEX, v) for k, v in VALUES[SEX].items() if k not in ("m", "f")),
        *((tuple(k.split("_")), SEX, None) for k in DIMENSION_TOTALS[SEX]),
        *(((k,), AREA, k) for k in ("perkotaan", "perdesaan")),
        *((tuple(k.split("_")), AREA, None) for k in DIMENSION_TOTALS[AREA]),
        *(
            ((k,), EDUCATION, k)
            for k in ("paud", "tk", "ra", "sd", "mi", "smp", "mts", "sma", "ma", "smk", "slb")
        ),
    ],
    key=lambda ending: -len(ending[0]),
)
TOTAL_ENDINGS = (("jumlah", "total"), ("jumlah",), ("total",), ("jml",))
AGE_RANGE = re.compile(
    r"(?:(?:kelompok\s+)?(?:umur|usia)\s*)?(\d{1,3})\s*(?:-|–|—|s\.?\s*d\.?|sampai|to)\s*"
    r"(\d{1,3})(?:\s*(?:tahun|thn|th))?"
)
AGE_UPWARDS = re.compile(
    r"(?:(?:kelompok\s+)?(?:umur|usia)\s*)?(?:(?:>=|≥|=>)\s*(\d{1,3})|(\d{1,3})\s*(?:tahun|thn|th)?"
    r"\s*(?:\+|ke\s*atas|keatas|lebih|dan\s+lebih|atau\s+lebih|plus))(?:\s*(?:tahun|thn|th))?"
)
AGE_ABOVE = re.compile(r"(?:>|lebih\s+dari|di\s*atas)\s*(\d{1,3})(?:\s*(?:tahun|thn|th))?")
AGE_START = re.compile(r"[<>≥]|\d")  # where an age group starts in "Usia 0-4"
WORDS = re.compile(r"[^\W_]+")
AGE_BELOW = re.compile(r"(?:<|kurang\s+dari|di\s*bawah)\s*(\d{1,3})(?:\s*(?:tahun|thn|th))?")


def dimension(header: str, values: list[str] | None = None) -> str:
    """The dimension key of a category column: the vocabulary's name for the common ones
    (`JK` → `jenis_kelamin`), recognised by its header or, under any header, by its values
    (a column of L/P is jenis kelamin); the normalised header otherwise."""
    key = normal_key(header)
    if key in HEADERS:
        return HEADERS[key]
    if values:
        for vocabulary in (SEX, AREA):
            found = {value_key(vocabulary, v) for v in values}
            if found <= set(VALUES[vocabulary].values()) | {None} and len(found - {None}) > 1:
                return vocabulary
        ages = [v for v in values if not is_total(v)]
        if ages and all(age_key(v) is not None for v in ages):
            return AGE
    return key or "kategori"


def value_key(dimension_key: str, label: str) -> str | None:
    """The key of a category label, or None when the label is the dimension's total."""
    key = normal_key(label)
    if is_total(label, dimension_key):
        return None
    if dimension_key == AGE:
        return age_key(label) or key
    return VALUES.get(dimension_key, {}).get(key, key)


def is_total(label: str, dimension_key: str | None = None) -> bool:
    """ "Jumlah", "Total", "Jumlah Total", "L+P": the label of a total, not of a category."""
    key = normal_key(label)
    return key in TOTALS or key in DIMENSION_TOTALS.get(dimension_key or "", ())


def age_key(label: str) -> str | None:
    """`0-4`, `0 - 4 tahun` → `0_4`; `65+`, `75 ke atas`, `>= 75` → `65_plus`, `75_plus`;
    `< 1` → `kurang_dari_1`. None when the label is not an age group."""
    text = " ".join(label.casefold().split())
    if match := AGE_RANGE.fullmatch(text):
        low, high = int(match.group(1)), int(match.group(2))
        return f"{low}_{high}" if low < high else None
    if match := AGE_UPWARDS.fullmatch(text):
        return f"{match.group(1) or match.group(2)}_plus"
    if match := AGE_ABOVE.fullmatch(text):
        return f"{int(match.group(1)) + 1}_plus"
    if match := AGE_BELOW.fullmatch(text):
        return f"kurang_dari_{match.group(1)}"
    return None


class ColumnCategory(NamedTuple):
    dimension: str | None  # None: a total of whichever dimension the other columns break down
    value: str | None  # None: the total
    rest: list[str]  # the name without the category: the indicator's words
    label: str  # the category as the header writes it ("Laki-laki" of "Jenis Kelamin Laki-laki")


def column_category(header: str, tokens: list[str]) -> ColumnCategory | None:
    """The category a wide column's name (`tokens`, normalised) ends with: `laki_laki` →
    jenis_kelamin laki_laki; `penduduk_perempuan` → jenis_kelamin perempuan of `penduduk`;
    "0-4", "65+" → kelompok umur; `jumlah`, `l_p` → a total. None when the name ends with no
    category."""
    for words, dimension_key, value in COLUMN_VALUES:
        size = len(words)
        if len(tokens) >= size and tuple(tokens[-size:]) == words:
            return ColumnCategory(dimension_key, value, tokens[:-size], _published(header, size))
    whole = age_key(header)
    if whole is not None:
        start = AGE_START.search(header)
        return ColumnCategory(AGE, whole, [], header[start.start() :] if start else header)
    for size in (4, 3, 2):
        ending = tokens[-size:]
        if len(tokens) < size:
            continue
        digits = size == 2 and all(word.isdigit() for word in ending)
        found = age_key("-".join(ending) if digits else " ".join(ending))
        if found is not None:
            rest = [t for t in tokens[:-size] if t not in ("kelompok", "umur", "usia")]
            return ColumnCategory(AGE, found, rest, _published(header, size))
    for words in TOTAL_ENDINGS:
        if tuple(tokens[-len(words) :]) == words:
            return ColumnCategory(None, None, tokens[: -len(words)], _published(header, len(words)))
    return None


def _published(header: str, words: int) -> str:
    """The last `words` words of a header as it writes them: `Laki-laki`, `L+P`."""
    runs = list(WORDS.finditer(header))
    if len(runs) < words:
        return header.strip()
    return header[runs[-words].start() : runs[-1].end()] + (
        "+" if header.rstrip().endswith("+") else ""
    )
