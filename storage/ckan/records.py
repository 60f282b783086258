"""Reading portal records into registry terms, refusing what cannot be trusted.

Every function either returns clean values or raises `Malformed` with a reason a walidata can
act on; the sync skips that record, reports the reason, and carries on.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from domain.periods import parse_period
from domain.terms import Classification, Periodicity
from storage.ckan.mapping import PortalMapping, Word

YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d|2100)(?!\d)")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "january", "jan"),
            ("februari", "february", "feb", "pebruari"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "agt", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov", "nopember"),
            ("desember", "december", "des", "dec"),
        ),
        start=1,
    )
    for name in names
}
SUB_WORDS = re.compile(r"\b(?:triwulan|tw|kuartal|quarter|q|semester|smt|s|bulan|month|minggu|w)\b")
MAX_TITLE = 300
PLAIN = (str, int, float, type(None))  # cells that can be remembered
MAX_CODE = 64
# Periodicities whose period is a year: a range of years means its last.
YEARLY = (Periodicity.TAHUNAN, Periodicity.SEWAKTU_WAKTU)
# The sub-year periodicities: how many of their periods a year has.
PERIODS_A_YEAR: dict[str, int] = {
    Periodicity.SEMESTERAN: 2,
    Periodicity.TRIWULANAN: 4,
    Periodicity.BULANAN: 12,
    Periodicity.MINGGUAN: 53,
}


class Malformed(ValueError):
    """A record the sync cannot use; the message is the reason shown in the report."""


@dataclass(frozen=True)
class OrganizationRecord:
    id: str
    name: str
    title: str


@dataclass(frozen=True)
class PackageRecord:
    id: str
    name: str
    title: str
    notes: str
    modified: datetime
    private: bool
    organization: OrganizationRecord | None
    producer: str | None  # the OPD named in the metadata, when the mapping says where
    periodicity: Periodicity
    classification: Classification
    unit: str
    latest_period: str | None
    keywords: tuple[str, ...]
    tables: tuple[str, ...]  # resource ids with a DataStore table
    warnings: tuple[str, ...] = field(default=())


def package_head(raw: Any) -> tuple[str, datetime]:
    """(id, metadata_modified): all an unchanged package needs to be recognised."""
    if not isinstance(raw, dict):
        raise Malformed("bukan catatan paket")
    package_id = raw.get("id")
    if not isinstance(package_id, str) or not package_id.strip():
        raise Malformed("paket tanpa id")
    return package_id, portal_time(raw.get("metadata_modified"), "metadata_modified")


def parse_package(raw: dict[str, Any], mapping: PortalMapping) -> PackageRecord:
    package_id, modified = package_head(raw)
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_\-]{2,100}", name):
        raise Malformed(f"nama paket {name!r} tidak sah")
    if len(name) > MAX_CODE:
        raise Malformed(f"nama paket lebih dari {MAX_CODE} karakter")
    title = raw.get("title")
    title = title.strip() if isinstance(title, str) and title.strip() else name
    if len(title) > MAX_TITLE:
        raise Malformed(f"judul lebih dari {MAX_TITLE} karakter")
    warnings: list[str] = []
    private = raw.get("private") is True
    periodicity = _word(
        mapping.value(raw, "periodicity"),
        mapping.periodicity_words,
        mapping.default_periodicity,
        "periodisitas",
        warnings,
    )
    classification = _word(
        mapping.value(raw, "classification"),
        mapping.classification_words,
        mapping.default_classification,
        "klasifikasi",
        warnings,
    )
    if private and classification is Classification.TERBUKA:
        classification = Classification.TERBATAS  # a private package is never shown to the public
    organization = _organization(raw.get("organization"))
    producer = mapping.value(raw, "opd")
    if organization is None and producer is None:
        raise Malformed("tanpa organisasi (OPD produsen)")
    latest_text = mapping.value(raw, "latest_period")
    notes = raw.get("notes")
    return PackageRecord(
        id=package_id,
        name=name,
        title=title,
        notes=notes if isinstance(notes, str) else "",
        modified=modified,
        private=private,
        organization=organization,
        producer=producer[:200] if producer else None,
        periodicity=periodicity,
        classification=classification,
        unit=_unit(mapping.value(raw, "unit") or ""),
        latest_period=latest_in_metadata(latest_text, periodicity) if latest_text else None,
        keywords=_tags(raw.get("tags")),
        tables=_tables(raw.get("resources")),
        warnings=tuple(warnings),
    )


def portal_time(value: Any, what: str) -> datetime:
    """CKAN times are naive ISO strings in UTC."""
    if not isinstance(value, str):
        raise Malformed(f"{what} tidak ada")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Malformed(f"{what} {value!r} bukan tanggal dan jam") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def organization_record(raw: Any) -> OrganizationRecord:
    found = _organization(raw)
    if found is None:
        raise Malformed("organisasi tanpa id atau nama")
    return found


def _organization(raw: Any) -> OrganizationRecord | None:
    if not isinstance(raw, dict):
        return None
    org_id, name = raw.get("id"), raw.get("name")
    if not isinstance(org_id, str) or not isinstance(name, str) or not org_id or not name:
        return None
    title = raw.get("title") or raw.get("display_name") or name
    return OrganizationRecord(org_id, name, str(title).strip()[:200])


def _word(
    text: str | None, words: dict[str, Word], default: Word, what: str, warnings: list[str]
) -> Word:
    if not text:
        return default
    found = words.get(text.strip().lower())
    if found is None:
        warnings.append(f"{what} {text[:60]!r} tidak dikenal; dianggap {default}")
        return default
    return found


def _unit(text: str) -> str:
    """`Persen` → `persen`: one-word units are written in lower case in the registry, which
    is how answers recognise percentages and indices."""
    return text.lower() if re.fullmatch(r"[A-Z][a-z]+", text) else text[:60]


def _tags(raw: Any) -> tuple[str, ...]:
    names = []
    for tag in raw if isinstance(raw, list) else []:
        name = tag.get("display_name") or tag.get("name") if isinstance(tag, dict) else None
        if isinstance(name, str) and name.strip() and ";" not in name:
            names.append(name.strip()[:100])
    return tuple(names)


def _tables(raw: Any) -> tuple[str, ...]:
    return tuple(
        resource["id"]
        for resource in (raw if isinstance(raw, list) else [])
        if isinstance(resource, dict)
        and resource.get("datastore_active") is True
        and isinstance(resource.get("id"), str)
        and resource.get("state", "active") == "active"
    )


# -- periods ------------------------------------------------------------------------------------


def latest_in_metadata(text: str, periodicity: str) -> str | None:
    """`2019-2023` → `2023`; a single period as written in a table cell otherwise."""
    years = [int(y) for y in YEAR.findall(text)]
    if periodicity in YEARLY and years:
        return str(max(years))
    try:
        return row_period(text, None, periodicity)
    except Malformed:
        return None


def row_period(cell: Any, sub_cell: Any, periodicity: str) -> str:
    """The canonical period of a DataStore row: `2023`, `2023-Q1`, `2023-07`, ...

    A table repeats a few period cells over many rows: those are read once."""
    if isinstance(cell, PLAIN) and isinstance(sub_cell, PLAIN):
        return _cached_period(cell, sub_cell, periodicity)
    return _period(cell, sub_cell, periodicity)


@lru_cache(maxsize=4096)
def _cached_period(cell: Any, sub_cell: Any, periodicity: str) -> str:
    return _period(cell, sub_cell, periodicity)


def _period(cell: Any, sub_cell: Any, periodicity: str) -> str:
    main, sub = _cell_text(cell), _cell_text(sub_cell)
    text = f"{main} {sub}".strip()
    if not text:
        raise Malformed("periode kosong")
    code = None
    if not sub and not re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", main):
        with contextlib.suppress(ValueError):
            code = parse_period(main).code
    if code is None:
        code = _loose_period(text, periodicity)
    kind = parse_period(code).kind
    if periodicity != Periodicity.SEWAKTU_WAKTU and kind != periodicity:
        raise Malformed(f"periode {text!r} bukan {periodicity}")
    return code


def _loose_period(text: str, periodicity: str) -> str:
    lowered = text.lower()
    if periodicity == Periodicity.HARIAN or re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T].*)?", lowered):
        try:
            day = date.fromisoformat(lowered[:10])
        except ValueError:
            raise Malformed(f"periode {text!r} tidak dikenali") from None
        if periodicity == Periodicity.BULANAN:
            return f"{day.year}-{day.month:02d}"
        if periodicity == Periodicity.MINGGUAN:
            year, week, _ = day.isocalendar()
            return f"{year}-W{week:02d}"
        return day.isoformat()
    years = YEAR.findall(lowered)
    if len(years) != 1:
        raise Malformed(f"periode {text!r} tidak dikenali")
    year = int(years[0])
    rest = SUB_WORDS.sub(" ", YEAR.sub(" ", lowered)).replace("-", " ").split()
    if periodicity in YEARLY and not rest:
        return str(year)
    number = _sub_number(rest)
    limit = PERIODS_A_YEAR.get(periodicity)
    if limit is None or number is None or not 1 <= number <= limit:
        raise Malformed(f"periode {text!r} tidak dikenali")
    match periodicity:
        case Periodicity.SEMESTERAN:
            return f"{year}-S{number}"
        case Periodicity.TRIWULANAN:
            return f"{year}-Q{number}"
        case Periodicity.BULANAN:
            return f"{year}-{number:02d}"
    return f"{year}-W{number:02d}"


def _sub_number(words: list[str]) -> int | None:
    if len(words) != 1:
        return None
    word = words[0].strip(".")
    if word.isdigit():
        return int(word)
    return ROMAN.get(word) or MONTHS.get(word)


def _cell_text(cell: Any) -> str:
    if cell is None or isinstance(cell, bool):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # 2023.0 from a numeric column is the year 2023
    text = str(cell).strip()
    return text[:-2] if re.fullmatch(r"\d{4}\.0", text) else text


# -- values -------------------------------------------------------------------------------------


def number(cell: Any) -> tuple[float, int]:
    """(value, decimals as published). Accepts JSON numbers and text in either the Indonesian
    (1.234,5) or the international (1234.5) way of writing."""
    if isinstance(cell, bool) or cell is None:
        raise Malformed("nilai kosong")
    if isinstance(cell, int):
        return float(cell), 0
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise Malformed("nilai bukan angka terhingga")
        text = repr(cell)
        return cell, 0 if "e" in text else len(text.partition(".")[2])
    text = str(cell).strip().replace(" ", "")
    if text in ("", "-", "–", "..."):
        raise Malformed("nilai kosong")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text) or re.fullmatch(r"-?\d+,\d+", text):
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise Malformed(f"nilai {str(cell)[:30]!r} bukan angka")
    return float(text), len(text.partition(".")[2])
