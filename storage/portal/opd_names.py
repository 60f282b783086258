"""The names of an agency (OPD), reduced to what identifies it.

A portal and a registry rarely write an agency the same way: "Dinas Kesehatan Kabupaten
Karanganyar", "Dinas Kesehatan", "Dinkes", "DINKES", `dinkes`; "DISPERTANPP" for "Dinas
Pertanian, Pangan dan Perikanan". Names are compared as word sequences with the region
("Kabupaten/Kab./Kota/Provinsi <name>", and the deployment's own region name) and the joining
words left out, and abbreviations are checked against full names with a vocabulary of how
Indonesian agency names are shortened (Dinas = Dis/Din, Kesehatan = Kes, Pertanian = Pertan,
Komunikasi dan Informatika = Kominfo, ...) and the initials of each word (BPKAD). Pure: no
database, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

Words = tuple[str, ...]

JOINING = frozenset({"dan", "serta"})
# Words that start the name of the region an agency belongs to, when other words precede them.
REGION_WORDS = frozenset(
    {"kabupaten", "kab", "kota", "provinsi", "prov", "pemerintah", "pemkab", "pemkot", "pemprov"}
)
# The first word of an agency's name.
AGENCY_WORDS = frozenset(
    {
        "badan",
        "bagian",
        "biro",
        "dinas",
        "inspektorat",
        "kantor",
        "kecamatan",
        "kelurahan",
        "puskesmas",
        "rsud",
        "rumah",
        "satuan",
        "sekretariat",
        "unit",
        "upt",
        "uptd",
    }
)
MIN_ABBREVIATION = 3  # "DK" could be a dozen agencies; shorter forms are never matched

# Words and phrases (joining words left out) and the short forms agencies write them as. Any
# word may also be written as its initial; a phrase also as its words.
SHORT_FORMS: dict[Words, tuple[str, ...]] = {
    ("dinas",): ("dis", "din"),
    ("badan",): ("ba", "bad"),
    ("sekretariat",): ("set", "sekr"),
    ("kantor",): ("kan",),
    ("satuan",): ("sat",),
    ("inspektorat",): ("insp", "it"),
    ("daerah",): ("da",),
    ("kesehatan",): ("kes",),
    ("pertanian",): ("pertan", "tan"),
    ("pangan",): ("pang",),
    ("perikanan",): ("kan", "perik"),
    ("peternakan",): ("nak", "ternak", "pet"),
    ("perkebunan",): ("bun", "perkeb"),
    ("kelautan",): ("kel", "laut"),
    ("ketahanan", "pangan"): ("ketapang",),
    ("pendidikan",): ("dik", "pend", "pendik"),
    ("kebudayaan",): ("bud",),
    ("pemuda", "olahraga"): ("pora",),
    ("pariwisata",): ("par", "pariw"),
    ("kependudukan", "pencatatan", "sipil"): ("dukcapil", "pendukcapil"),
    ("pencatatan", "sipil"): ("capil",),
    ("komunikasi", "informatika"): ("kominfo", "infokom"),
    ("statistik",): ("stat",),
    ("persandian",): ("sandi", "san"),
    ("badan", "perencanaan", "pembangunan", "daerah"): ("bappeda",),
    ("badan", "perencanaan", "pembangunan", "penelitian", "pengembangan", "daerah"): (
        "bapperida",
        "bappelitbangda",
    ),
    ("perencanaan",): ("ren",),
    ("pembangunan",): ("bang",),
    ("badan", "pendapatan", "daerah"): ("bapenda",),
    ("pendapatan",): ("penda", "pen"),
    ("badan", "keuangan", "daerah"): ("bakeuda",),
    ("keuangan",): ("keu",),
    ("kepegawaian",): ("peg", "kepeg"),
    ("sumber", "daya", "manusia"): ("sdm",),
    ("penelitian", "pengembangan"): ("litbang",),
    ("kesatuan", "bangsa", "politik"): ("kesbangpol",),
    ("pekerjaan", "umum"): ("pu",),
    ("penataan", "ruang"): ("pr", "taru"),
    ("perumahan", "kawasan", "permukiman"): ("perkim",),
    ("perumahan", "permukiman"): ("perkim",),
    ("perumahan",): ("rum", "perum"),
    ("permukiman",): ("kim",),
    ("perhubungan",): ("hub", "perhub"),
    ("sosial",): ("sos",),
    ("tenaga", "kerja"): ("naker",),
    ("transmigrasi",): ("trans",),
    ("koperasi",): ("kop",),
    ("usaha", "kecil", "menengah"): ("ukm",),
    ("usaha", "mikro"): ("um",),
    ("perindustrian", "perdagangan"): ("perindag",),
    ("koperasi", "perindustrian", "perdagangan"): ("koperindag",),
    ("perindustrian",): ("perin", "perind"),
    ("perdagangan",): ("dag", "perdag"),
    ("lingkungan", "hidup"): ("lh",),
    ("pemberdayaan", "masyarakat", "desa"): ("pmd",),
    ("pemberdayaan", "perempuan", "perlindungan", "anak"): ("p3a", "pppa"),
    ("pengendalian", "penduduk", "keluarga", "berencana"): ("ppkb", "p2kb", "daldukkb"),
    ("perpustakaan",): ("pus", "perpus"),
    ("kearsipan",): ("arsip", "sip"),
    ("penanaman", "modal", "pelayanan", "terpadu", "satu", "pintu"): ("pmptsp",),
    ("satuan", "polisi", "pamong", "praja"): ("satpolpp",),
    ("pemadam", "kebakaran"): ("damkar",),
    ("rumah", "sakit", "umum", "daerah"): ("rsud",),
    ("rumah", "sakit"): ("rs",),
    ("sekretariat", "daerah"): ("setda",),
    ("sekretariat", "dewan", "perwakilan", "rakyat", "daerah"): ("setwan", "setdprd"),
    ("dewan", "perwakilan", "rakyat", "daerah"): ("dprd",),
    ("inspektorat", "daerah"): ("itda",),
}


def _expansions() -> dict[str, Words]:
    """A word that is the short form of exactly one phrase reads as that phrase inside a
    longer name ("Dinas Kominfo" is "Dinas Komunikasi dan Informatika") or alone ("Bappeda")."""
    found: dict[str, Words | None] = {}
    for phrase, forms in SHORT_FORMS.items():
        for form in forms:
            if len(phrase) > 1 and len(form) >= 4:
                found[form] = None if form in found else phrase
    return {form: phrase for form, phrase in found.items() if phrase}


def _phrases_by_first_word() -> dict[str, list[Words]]:
    starting: dict[str, list[Words]] = {}
    for phrase in SHORT_FORMS:
        if len(phrase) > 1:
            starting.setdefault(phrase[0], []).append(phrase)
    return starting


EXPANSIONS = _expansions()
PHRASES = _phrases_by_first_word()


@dataclass(frozen=True)
class OpdName:
    """What the names of one agency identify it by.

    `full`: its names as words ("dinas", "kesehatan"); `short`: its abbreviations and codes
    as one lower-case word ("dinkes"); `named`: one of the full names reads as an agency's
    ("Dinas ...", not a slug such as `dkp-2`)."""

    full: frozenset[Words]
    short: frozenset[str]
    named: bool = False

    @classmethod
    def of(cls, *names: str, region: str = "") -> OpdName:
        """The names an agency is written as (name, short name, code, slug...); `region` is
        the deployment's region ("Kabupaten Karanganyar"), left out where it ends a name."""
        full: set[Words] = set()
        short: set[str] = set()
        for name in names:
            words, abbreviation = name_words(name, region)
            if abbreviation:
                short.add(abbreviation)
            if len(words) > 1 or (words and words[0] in AGENCY_WORDS):
                full.add(words)
            if words:
                short.add("".join(words))  # "Satpol PP" is one abbreviation
        named = any(words[0] in AGENCY_WORDS for words in full)
        return cls(frozenset(full), frozenset(short), named)


def same_name(portal: OpdName, registry: OpdName) -> bool:
    """Both write the agency's full name the same way."""
    return bool(portal.full & registry.full)


def abbreviates(portal: OpdName, registry: OpdName) -> bool:
    """The same abbreviation, or one side's abbreviation spells the other's full name.

    The portal's abbreviations (a slug, a title such as "DISPERTANPP") are checked against the
    registry's full names only when the portal does not name the agency in full: a full name
    is the better evidence, and an old slug may belong to the agency before it was
    reorganised."""
    if portal.short & registry.short:
        return True
    if any(spells(form, words) for form in registry.short for words in portal.full):
        return True
    return not portal.named and any(
        spells(form, words) for form in portal.short for words in registry.full
    )


def name_words(name: str, region: str = "") -> tuple[Words, str]:
    """(the name's words without region and joining words, its parenthesised abbreviation).

    `Badan Perencanaan Pembangunan Daerah (Bappeda)` → (badan, perencanaan, pembangunan,
    daerah), "bappeda"; `Dinas Kesehatan Kab. Karanganyar` → (dinas, kesehatan), ""."""
    text = _plain(name)
    abbreviation = ""
    match = re.fullmatch(r"(.*?)\(([^()]*)\)\s*", text)
    if match:
        text = match.group(1)
        abbreviation = "".join(_tokens(match.group(2)))
    words = [w for w in _tokens(text) if w not in JOINING]
    words = _without_region(words, _region_words(region))
    expanded: list[str] = []
    for word in words:
        expanded.extend(EXPANSIONS.get(word, (word,)))
    if len(abbreviation) < 2:
        abbreviation = ""
    return tuple(expanded), abbreviation


def without_region(name: str, region: str = "") -> str:
    """The name as written, without the region that ends it ("Dinas Pertanian, Pangan dan
    Perikanan Kabupaten Karanganyar" → "Dinas Pertanian, Pangan dan Perikanan")."""
    written = name.split()
    words = [_plain(w).strip(" .,-") for w in written]
    kept = _without_region(words, _region_words(region))
    return " ".join(written[: len(kept)]).rstrip(" ,-") if kept else name.strip()


def is_agency_name(name: str) -> bool:
    """Reads as the name of an agency ("Dinas ...", "Badan ...", "Bappeda"), not of a unit
    inside one ("Bidang SD") or a sentence ("OPD urusan kesehatan")."""
    words, _ = name_words(name)
    return bool(words) and words[0] in AGENCY_WORDS


def spells(form: str, words: Words) -> bool:
    """`form` is `words` abbreviated: each word (or phrase of the vocabulary) in order, as
    itself, one of its short forms or its initial ("dispertanpp" spells dinas pertanian
    pangan perikanan)."""
    if len(form) < MIN_ABBREVIATION or not words:
        return False
    return _spells(form, words)


@lru_cache(maxsize=65536)
def _spells(form: str, words: Words) -> bool:
    reached: list[set[int]] = [set() for _ in range(len(words) + 1)]  # positions in `form`
    reached[0].add(0)
    for index in range(len(words)):
        for position in reached[index]:
            for width, pieces in _choices(words, index):
                for piece in pieces:
                    if form.startswith(piece, position):
                        reached[index + width].add(position + len(piece))
    return len(form) in reached[len(words)]


def _choices(words: Words, index: int) -> list[tuple[int, tuple[str, ...]]]:
    """(words consumed, the ways to write them) at `index`."""
    word = words[index]
    options: list[tuple[int, tuple[str, ...]]] = [
        (1, (word, word[0], *SHORT_FORMS.get((word,), ())))
    ]
    for phrase in PHRASES.get(word, ()):
        if words[index : index + len(phrase)] == phrase:
            options.append((len(phrase), (*SHORT_FORMS[phrase], "".join(phrase))))
    return options


def _plain(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ascii_text.casefold().replace("&", " dan ")


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text)


def _region_words(region: str) -> Words:
    """The words of the deployment's region without its level: ("karanganyar",)."""
    words = [w for w in _tokens(_plain(region)) if w not in JOINING]
    while words and words[0] in REGION_WORDS:
        words = words[1:]
    return tuple(words)


def _without_region(words: list[str], own: Words) -> list[str]:
    for i in range(1, len(words)):
        if words[i] in REGION_WORDS and words[i - 1] != "tata":  # "Dinas Tata Kota" stays
            return words[:i]
    if own and len(words) > len(own) and tuple(words[-len(own) :]) == own:
        return words[: -len(own)]
    return words
