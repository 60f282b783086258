"""Which OPD of the registry a portal's organization, or a producer its metadata names, is.

Evidence is taken in order of strength, and the first kind that finds anything decides: the
OPD's code is the organization's short name; the full names are the same; an abbreviation
fits (see `storage.portal.opd_names`). One OPD found is the answer; two or more is reported,
never guessed between; none means the agency is new to the registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from storage.models import Opd
from storage.portal.opd_names import (
    OpdName,
    abbreviates,
    is_agency_name,
    same_name,
    without_region,
)
from storage.portal.source import OrganizationRecord

MAX_NAME = 200


@dataclass(frozen=True)
class Ambiguous:
    """Names that fit several OPDs of the registry."""

    opds: tuple[Opd, ...]

    @property
    def names(self) -> list[str]:
        return [opd.name for opd in self.opds]


Found = Opd | Ambiguous | None


class OpdMatcher:
    def __init__(self, opds: Sequence[Opd], region: str) -> None:
        self.region = region
        self.opds: list[Opd] = []
        self._names: dict[int, OpdName] = {}
        for opd in opds:
            self.add(opd)

    def add(self, opd: Opd) -> None:
        """An OPD created by the sync: later organizations and producers may be it."""
        self.opds.append(opd)
        self._names[id(opd)] = OpdName.of(opd.name, opd.short_name, opd.code, region=self.region)

    def organization(self, org: OrganizationRecord) -> Found:
        """The unlinked OPD that is this organization (its people stay attached)."""
        unlinked = [opd for opd in self.opds if opd.external_id is None]
        return self._best(self.portal_name(org), unlinked, org.name)

    def producer(self, name: str) -> Found:
        """The OPD a producer named in the metadata ("Badan Pengelolaan Keuangan dan Aset
        Daerah", "Dinkes") is, linked to an organization or not."""
        return self._best(OpdName.of(name, region=self.region), self.opds, name)

    def portal_name(self, org: OrganizationRecord) -> OpdName:
        names = [org.title, org.name]
        if is_agency_name(org.description):
            names.append(org.description)
        return OpdName.of(*names, region=self.region)

    def display_name(self, org: OrganizationRecord) -> str:
        """What to call the OPD: the title, unless it is only an abbreviation and the
        description names the agency in full ("DISPERTANPP": "Dinas Pertanian, Pangan dan
        Perikanan Kabupaten Karanganyar")."""
        if not OpdName.of(org.title).full and is_agency_name(org.description):
            full = without_region(org.description, self.region)
            if len(full) <= MAX_NAME:
                return full
        return org.title

    def better_name(self, opd: Opd, name: str) -> bool:
        """Whether `name` should replace the OPD's: not when it is only an abbreviation and
        the registry writes the agency in full ("DINKES" for "Dinas Kesehatan")."""
        if opd.name == name:
            return False
        return bool(OpdName.of(name).full) or not OpdName.of(opd.name).full

    def _best(self, name: OpdName, candidates: list[Opd], code: str) -> Found:
        wanted = _compact(code)
        tests: list[Callable[[Opd], bool]] = [
            lambda opd: bool(wanted) and _compact(opd.code) == wanted,
            lambda opd: same_name(name, self._names[id(opd)]),
            lambda opd: abbreviates(name, self._names[id(opd)]),
        ]
        for test in tests:
            found = [opd for opd in candidates if test(opd)]
            if len(found) == 1:
                return found[0]
            if found:
                return Ambiguous(tuple(sorted(found, key=lambda opd: opd.name)))
        return None


def _compact(code: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", code.casefold())
