"""Which language a message is in: the words of a typed question, or the sender's Telegram app.

The dispatcher weighs these against the command's name and the person's own language.
"""

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
        "hello",
        "hi",
        "hey",
        "thanks",
        "thank",
        "you",
        "good",
        "morning",
        "afternoon",
        "evening",
        "bye",
        "goodbye",
        "are",
        "can",
        "do",
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
        "terima",
        "kasih",
        "makasih",
        "selamat",
        "pagi",
        "siang",
        "malam",
        "kabar",
        "bisa",
        "kamu",
        "anda",
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


def from_language_code(code: str | None) -> str | None:
    """English for an app set to any English (`en`, `en-US`); None for anything else, which
    leaves the deployment's default: an app in Indonesian, or in a language the bot lacks."""
    if code is None:
        return None
    primary = code.replace("_", "-").split("-", 1)[0].lower()
    return "en" if primary == "en" else None
