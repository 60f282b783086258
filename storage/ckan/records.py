"""Reading CKAN records into registry terms, refusing what cannot be trusted.

Every function either returns clean values or raises `Malformed` with a reason a walidata can
act on; the sync skips that record, reports the reason, and carries on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from domain.terms import Classification, Periodicity
from storage.ckan.mapping import PortalMapping, Word
from storage.portal.digest import listing_digest
from storage.portal.opd_names import is_agency_name, name_words
from storage.portal.source import OrganizationRecord, PackageRecord, Resource
from storage.tables.periods import YEAR, PeriodError, cell_period

MAX_TITLE = 300
MAX_CODE = 64
# The resource fields that change when a file or table is replaced or its rows reloaded.
DIGESTED = ("id", "state", "datastore_active", "last_modified", "size", "hash", "url", "format")

# The resource field marking the table this registry published after a walidata's review
# (CKAN keeps a resource's unknown fields); its value is the dataset code.
VERIFIED = "satudata_table"

# Periodicities whose period is a year: a range of years in the metadata means its last.
YEARLY = (Periodicity.TAHUNAN, Periodicity.SEWAKTU_WAKTU)


class Malformed(ValueError):
    """A record the sync cannot use; the message is the reason shown in the report."""


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
    producer = _producer(mapping.values(raw, "opd"), warnings)
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
        tables=datastore_tables(raw.get("resources")),
        warnings=tuple(warnings),
        resources=_resources(raw.get("resources")),
        digest=resources_digest(raw),
    )


def resources_digest(raw: dict[str, Any]) -> str:
    """What the listing shows of a package's resources (storage.portal.digest)."""
    resources = raw.get("resources")
    return listing_digest(
        [resource.get(key) for key in DIGESTED]
        for resource in (resources if isinstance(resources, list) else [])
        if isinstance(resource, dict)
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
    description = raw.get("description")
    description = description.strip()[:300] if isinstance(description, str) else ""
    return OrganizationRecord(org_id, name, str(title).strip()[:200], description)


def _producer(names: list[str], warnings: list[str]) -> str | None:
    """The first name that reads as an agency's ("Badan Pengelolaan Keuangan dan Aset
    Daerah", "Dinkes"), not a unit inside one ("Bidang SD", a common `author`)."""
    for name in names:
        words, _ = name_words(name)
        if is_agency_name(name) or len(words) == 1:
            return name[:200]
        warnings.append(f"produsen {name[:60]!r} bukan nama OPD; tidak dipakai")
    return None


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


def datastore_tables(raw: Any) -> tuple[str, ...]:
    """The ids of the active resources whose rows are in the DataStore."""
    return tuple(
        resource["id"]
        for resource in (raw if isinstance(raw, list) else [])
        if isinstance(resource, dict)
        and resource.get("datastore_active") is True
        and isinstance(resource.get("id"), str)
        and resource.get("state", "active") == "active"
    )


def _resources(raw: Any) -> tuple[Resource, ...]:
    found = []
    for resource in raw if isinstance(raw, list) else []:
        if not isinstance(resource, dict) or resource.get("state", "active") != "active":
            continue
        resource_id, url = resource.get("id"), resource.get("url")
        if not isinstance(resource_id, str) or not resource_id:
            continue
        name = resource.get("name")
        found.append(
            Resource(
                id=resource_id,
                name=name.strip()[:200] if isinstance(name, str) and name.strip() else resource_id,
                url=url.strip() if isinstance(url, str) else "",
                format=str(resource.get("format") or "").strip(),
                datastore=resource.get("datastore_active") is True,
                verified=_text(resource.get(VERIFIED)),
            )
        )
    return tuple(found)


def _text(value: Any) -> str:
    return value.strip()[:64] if isinstance(value, str) else ""


def latest_in_metadata(text: str, periodicity: str) -> str | None:
    """`2019-2023` → `2023`; a single period as written in a table cell otherwise."""
    years = [int(y) for y in YEAR.findall(text)]
    if periodicity in YEARLY and years:
        return str(max(years))
    try:
        return cell_period(text, None, periodicity)
    except PeriodError:
        return None
