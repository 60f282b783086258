"""Which language to answer in: the person's choice, else what the question is written in."""

from __future__ import annotations

# Function words that only occur in one of the two languages; counting them is enough to
# tell a typed question's language apart.
ENGLISH = frozenset(
    {
        "what",
        "is",
        "the",
        "of",
        "in",
        "how",
        "many",
        "much",
        "which",
        "who",
        "when",
        "where",
        "show",
        "me",
        "please",
        "rate",
        "regency",
        "city",
        "province",
        "latest",
        "trend",
        "highest",
        "lowest",
        "compare",
        "between",
        "and",
        "with",
        "last",
        "years",
        "year",
    }
)
INDONESIAN = frozenset(
    {
        "berapa",
        "apa",
        "yang",
        "di",
        "dan",
        "dari",
        "untuk",
        "tahun",
        "terbaru",
        "tertinggi",
        "terendah",
        "bandingkan",
        "siapa",
        "kapan",
        "mana",
        "tolong",
        "tampilkan",
        "kabupaten",
        "kab",
        "kota",
        "provinsi",
        "prov",
        "angka",
        "jumlah",
        "tingkat",
    }
)


def detect(words: list[str]) -> str | None:
    english = sum(word in ENGLISH for word in words)
    indonesian = sum(word in INDONESIAN for word in words)
    if english > indonesian:
        return "en"
    if indonesian > english:
        return "id"
    return None
