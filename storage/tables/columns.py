"""Which column of a table is what — region, period, breakdown, unit or value — found by its
name and by its content, so that the shapes portals publish read without configuration.

Names decide where they are clear (`kecamatan`, `tahun`, `jenis_kelamin`, `satuan`); content
decides the rest: a column of kecamatan names of the home unit is the region column whatever
it is called, a column of years is the period, any other text column is a breakdown, and
numeric columns are values. A value column's own name may carry a period (`2019`, `januari`),
a category (`laki_laki`, "0-4"), a unit (`produksi_ton`, "Luas (Ha)") and the indicator's
name (`luas_panen`); columns sharing the indicator's name are one indicator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.terms import Periodicity
from storage.tables import categories, units
from storage.tables.cells import NotANumber, is_missing, number
from storage.tables.gazetteer import Gazetteer
from storage.tables.periods import (
    PARTS_A_YEAR,
    PeriodError,
    PeriodPart,
    cell_part,
    cell_text,
    column_part,
    name_part,
)
from storage.tables.reading import IndicatorSpec, Place, Table, TableContext, normal_key
from storage.tables.regions import LEVEL_NAMES, Regions, code_text

SAMPLE = 5000  # rows looked at to tell what a column holds
NUMERIC = 0.8  # share of a column's filled cells that must be numbers for it to be values
REGION = 0.75  # share of a column's names (or codes) the list has for it to be a region
IGNORED = {
    **dict.fromkeys(("id", "no", "nomor", "no_urut", "nomor_urut", "urut", "rank"), "nomor"),
    **dict.fromkeys(("keterangan", "ket", "catatan", "sumber", "sumber_data"), "keterangan"),
    **dict.fromkeys(
        ("full_text", "created_at", "updated_at", "tanggal_update", "tgl_update", "last_update"),
        "catatan teknis",
    ),
    **dict.fromkeys(
        ("latitude", "longitude", "lat", "lon", "lng", "alamat", "geometry", "the_geom"),
        "lokasi",
    ),
}
UNIT_HEADERS = frozenset({"satuan", "satuan_data", "satuan_indikator", "unit"})
YEAR_HEADERS = frozenset(
    {
        *("tahun", "thn", "th", "year", "tahun_data", "tahun_anggaran", "ta"),
        *("tahun_ajaran", "tahun_pelajaran", "thn_ajaran"),
    }
)
SUB_HEADERS = {
    **dict.fromkeys(("bulan", "bln", "month", "nama_bulan"), Periodicity.BULANAN),
    **dict.fromkeys(("triwulan", "tw", "kuartal", "quarter"), Periodicity.TRIWULANAN),
    **dict.fromkeys(("semester", "smt"), Periodicity.SEMESTERAN),
    **dict.fromkeys(("minggu", "minggu_ke", "pekan", "week"), Periodicity.MINGGUAN),
}
PERIOD_HEADERS = frozenset({"periode", "period", "periode_data", "tanggal", "tgl", "date", "waktu"})
REGION_WORDS = {
    **dict.fromkeys(("provinsi", "prov", "propinsi"), 1),
    **dict.fromkeys(("kabupaten", "kab", "kota", "kabkota", "kabupatenkota"), 2),
    **dict.fromkeys(("kecamatan", "kec"), 3),
    **dict.fromkeys(("desa", "kelurahan", "kel", "desakelurahan", "kelurahandesa"), 4),
    **dict.fromkeys(("wilayah", "lokasi", "region"), 0),
}
CODE_WORDS = frozenset({"kode", "kd", "bps", "kemendagri", "code"})
# Words that make a name a measure, not a region column: `jumlah_desa`, `luas_wilayah`.
MEASURE_WORDS = frozenset(
    {
        *("jumlah", "jml", "banyak", "banyaknya", "luas", "total", "persentase", "rasio"),
        *("nilai", "angka", "rata", "kepadatan"),
    }
)
# Value column names that name no indicator: the table's one value.
GENERIC = frozenset({"", "jumlah", "nilai", "value", "total", "jml", "banyaknya", "data", "angka"})
PERIOD_NAMES: dict[str, str] = {
    Periodicity.BULANAN: "bulan",
    Periodicity.TRIWULANAN: "triwulan",
    Periodicity.SEMESTERAN: "semester",
    Periodicity.MINGGUAN: "minggu",
}


@dataclass(frozen=True)
class RegionColumn:
    index: int
    level: int | None  # 1 provinsi … 4 desa/kelurahan; None when neither name nor content tell
    codes: bool
    scope: Place | None  # the unit the outermost column's places are read within


@dataclass(frozen=True)
class CategoryColumn:
    index: int
    dimension: str


@dataclass(frozen=True)
class ValueColumn:
    index: int
    indicator: str  # an IndicatorSpec key
    period: PeriodPart | None  # what the column's name says of the period
    category: tuple[str, str | None] | None  # (dimension, value key; None: its total)
    category_label: str = ""  # the category as the column's name writes it


@dataclass
class Layout:
    """What each column of a table is, and what the table lacks to be read."""

    regions: list[RegionColumn] = field(default_factory=list)  # outer levels first
    year: int | None = None
    sub: tuple[int, str] | None = None  # (column, kind): a bulan/triwulan/semester column
    period: int | None = None  # a column of whole periods ("Maret 2023", "2023-Q1")
    name_period: PeriodPart | None = None  # the table name's, when no column has a year
    categories: list[CategoryColumn] = field(default_factory=list)
    values: list[ValueColumn] = field(default_factory=list)
    indicators: list[IndicatorSpec] = field(default_factory=list)
    dimension_labels: dict[str, str] = field(default_factory=dict)
    place: Place | None = None  # the table's one place, when it has no region column
    roles: dict[str, str] = field(default_factory=dict)
    unread: str | None = None

    @property
    def row_year(self) -> bool:
        return self.year is not None or self.period is not None


@dataclass
class Profile:
    """What a sample of a column's cells look like."""

    filled: int = 0
    numbers: int = 0
    years: int = 0
    texts: list[str] = field(default_factory=list)  # distinct, in order of appearance


@dataclass(frozen=True)
class _Candidate:
    """A numeric column's name taken apart."""

    index: int
    header: str
    name: str  # the name without period and category (`produksi_ton`)
    stem: str  # the name without its unit either (`produksi`), "" when generic
    unit: str
    period: PeriodPart | None
    category: categories.ColumnCategory | None


def detect(table: Table, context: TableContext, gazetteer: Gazetteer) -> Layout:
    layout = Layout()
    regions = Regions(gazetteer, gazetteer.place(context.home_code) if context.home_code else None)
    sample = _sample(table.rows)
    profiles = [_profile(sample, i) for i in range(len(table.columns))]
    found_regions: list[tuple[int, int | None, bool]] = []
    numeric: list[int] = []
    texts: list[int] = []
    unit_column: int | None = None
    for index, header in enumerate(table.columns):
        key = normal_key(header)
        words = set(key.split("_"))
        profile = profiles[index]
        if key in IGNORED:
            layout.roles[header] = f"diabaikan: {IGNORED[key]}"
        elif profile.filled == 0:
            layout.roles[header] = "diabaikan: kolom kosong"
        elif key in UNIT_HEADERS:
            unit_column = index
            layout.roles[header] = "satuan"
        elif key in YEAR_HEADERS and layout.year is None:
            layout.year = index
            layout.roles[header] = "periode: tahun ajaran" if "ajaran" in key else "periode: tahun"
        elif key in SUB_HEADERS and layout.sub is None:
            layout.sub = (index, SUB_HEADERS[key])
            layout.roles[header] = f"periode: {PERIOD_NAMES[SUB_HEADERS[key]]}"
        elif key in PERIOD_HEADERS and layout.period is None:
            layout.period = index
            layout.roles[header] = "periode"
        elif key in categories.HEADERS:
            _category(layout, index, header, profile)
        elif (level := _region_level(key, words)) is not None and (
            words & CODE_WORDS or profile.numbers < profile.filled
        ):
            found_regions.append((index, level or None, bool(words & CODE_WORDS)))
        elif profile.numbers >= NUMERIC * profile.filled or (
            profile.numbers and (words & MEASURE_WORDS or key in GENERIC)
        ):
            numeric.append(index)  # a `jumlah` column with some text in it: values, and problems
        else:
            texts.append(index)
    for index in list(numeric):
        header, profile = table.columns[index], profiles[index]
        key = normal_key(header)
        if (
            layout.year is None
            and layout.period is None
            and profile.years == profile.filled
            and key not in GENERIC
            and not set(key.split("_")) & MEASURE_WORDS
            and column_part(key) is None
        ):
            layout.year = index  # a column of years under another name
            layout.roles[header] = "periode: tahun"
            numeric.remove(index)
    for index in texts:
        _text_column(layout, regions, found_regions, table.columns[index], index, profiles)
    _regions(layout, regions, found_regions, table.columns, profiles)
    if not layout.row_year:
        layout.name_period = name_part(table.name)
    unit = _table_unit(layout, table, unit_column, profiles, context)
    _values(layout, table.columns, context, numeric, unit)
    if not layout.regions and context.default_place:
        layout.place = gazetteer.place(context.default_place) or gazetteer.by_code(
            context.default_place
        )
    layout.unread = _unread(layout, table, context)
    return layout


def _region_level(key: str, words: set[str]) -> int | None:
    """The level a column's name says it holds (0: a region or code of no stated level)."""
    if words & MEASURE_WORDS:
        return None
    levels = [REGION_WORDS[w] for w in words if w in REGION_WORDS]
    if key.replace("_", "") in REGION_WORDS:
        levels.append(REGION_WORDS[key.replace("_", "")])
    if not levels and words & CODE_WORDS:
        levels.append(0)
    return max(levels) if levels else None


def _category(layout: Layout, index: int, header: str, profile: Profile) -> None:
    dimension = categories.dimension(header, profile.texts)
    layout.categories.append(CategoryColumn(index, dimension))
    layout.dimension_labels.setdefault(dimension, header)
    layout.roles[header] = f"kategori: {header}"


def _text_column(
    layout: Layout,
    regions: Regions,
    found_regions: list[tuple[int, int | None, bool]],
    header: str,
    index: int,
    profiles: list[Profile],
) -> None:
    """A text column no name told the meaning of: region names, periods, else a breakdown."""
    texts = profiles[index].texts
    level, share = regions.name_depth(texts, regions.home)
    if level is not None and share >= REGION and len(texts) > 1:
        found_regions.append((index, level, False))
        return
    parts = _periods(texts)
    if parts and layout.period is None and all(p.year is not None for p in parts):
        layout.period = index
        layout.roles[header] = "periode"
    elif parts and layout.sub is None and all(p.year is None and p.kind for p in parts):
        kind = parts[0].kind
        if kind is not None and all(p.kind == kind for p in parts):
            layout.sub = (index, kind)
            layout.roles[header] = f"periode: {PERIOD_NAMES[kind]}"
        else:
            _category(layout, index, header, profiles[index])
    else:
        _category(layout, index, header, profiles[index])


def _periods(texts: list[str]) -> list[PeriodPart]:
    try:
        return [cell_part(t) for t in texts]
    except PeriodError:
        return []


def _regions(
    layout: Layout,
    regions: Regions,
    found: list[tuple[int, int | None, bool]],
    headers: Sequence[str],
    profiles: list[Profile],
) -> None:
    """One column per level, outer levels first; codes where the list has them, names
    otherwise (BPS kecamatan and desa codes are not the list's)."""
    by_level: dict[int | None, list[tuple[int, bool]]] = {}
    for index, named_level, named_codes in found:
        level, codes = named_level, named_codes
        texts = [code_text(t) for t in profiles[index].texts]
        if codes or all(regions.is_code(t) for t in texts):
            level, share = regions.code_depth(texts)
            if share < REGION:
                layout.roles[headers[index]] = "diabaikan: kode wilayah bukan kode Kemendagri"
                continue
            codes = True
        elif level is None:
            level = regions.name_depth(texts, regions.home)[0]
        by_level.setdefault(level, []).append((index, codes))
    for level in sorted(by_level, key=lambda known: known or 5):
        columns = sorted(by_level[level], key=lambda column: not column[1])  # codes first
        index, codes = columns[0]
        scope = None
        if not layout.regions:
            texts = [code_text(t) for t in profiles[index].texts]
            scope = regions.scope(texts, level, codes) if level else regions.home
        layout.regions.append(RegionColumn(index, level, codes, scope))
        what = LEVEL_NAMES.get(level or 0, "tingkat tidak dikenali")
        layout.roles[headers[index]] = f"wilayah: {'kode ' if codes else ''}{what}"
        for other, _ in columns[1:]:
            layout.roles[headers[other]] = f"diabaikan: {what} (kolom lain dipakai)"


def _table_unit(
    layout: Layout,
    table: Table,
    column: int | None,
    profiles: list[Profile],
    context: TableContext,
) -> str:
    """The unit of value columns whose name gives none: the `satuan` column's, when it names
    one unit, else the dataset's."""
    if column is None:
        return context.unit
    written = {t for t in profiles[column].texts if t}
    if len(written) == 1:
        return written.pop()
    if len(written) > 1:
        layout.unread = (
            f"kolom {table.columns[column]!r} memuat beberapa satuan "
            f"({', '.join(sorted(written)[:5])}): satu kolom nilai hanya boleh satu satuan"
        )
    return context.unit


def _values(
    layout: Layout,
    headers: Sequence[str],
    context: TableContext,
    numeric: list[int],
    table_unit: str,
) -> None:
    groups = _groups([_candidate(index, headers[index]) for index in numeric])
    keys = _indicator_keys(groups, context)
    row_dimensions = {c.dimension for c in layout.categories}
    for name, members in groups.items():
        unit = members[0].unit or table_unit
        label = _label(members, context, alone=len(groups) == 1)
        layout.indicators.append(IndicatorSpec(keys[name], label, unit))
        dimension = next(
            (m.category.dimension for m in members if m.category and m.category.dimension), None
        )
        if dimension is not None:
            if dimension in row_dimensions:
                layout.unread = (
                    f"kolom {members[0].header!r} dan sebuah kolom kategori sama-sama memuat "
                    f"{categories.LABELS.get(dimension, dimension)}"
                )
            layout.dimension_labels.setdefault(
                dimension, categories.LABELS.get(dimension, dimension)
            )
        wide = [m.period for m in members if m.period is not None]
        for member in members:
            # A total over the other columns' periods is a year's when they are its months
            # (a value of a yearly dataset), otherwise not a period at all.
            if member.period is None and (
                any(p.year is not None for p in wide)
                or (wide and context.periodicity in PARTS_A_YEAR)
            ):
                layout.roles[member.header] = "diabaikan: jumlah beberapa periode"
                continue
            category = None
            if dimension is not None:
                category = (dimension, member.category.value if member.category else None)
            written = member.category.label if member.category else ""
            layout.values.append(
                ValueColumn(member.index, keys[name], member.period, category, written)
            )
            layout.roles[member.header] = _value_role(label, unit, member, category)


def _groups(candidates: list[_Candidate]) -> dict[str, list[_Candidate]]:
    """Columns of one indicator, by its name. Columns whose names end with categories are a
    breakdown only when they are at least two categories of one dimension; otherwise each
    stays an indicator of its own (`penduduk_perempuan` alone is not a breakdown)."""
    groups: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        groups.setdefault(candidate.name, []).append(candidate)
    for name, members in list(groups.items()):
        breakdown = [m.category for m in members if m.category is not None]
        dimensions = {c.dimension for c in breakdown if c.dimension}
        values = {c.value for c in breakdown if c.value}
        if breakdown and (len(dimensions) != 1 or len(values) < 2):
            del groups[name]
            for member in members:
                whole = _candidate(member.index, member.header, breakdown=False)
                groups.setdefault(whole.name, []).append(whole)
    return groups


def _candidate(index: int, header: str, *, breakdown: bool = True) -> _Candidate:
    unit = ""
    text = header
    inner = units.from_parentheses(header)
    if inner is not None:
        text, unit = inner
    tokens = [t for t in normal_key(text.replace("+", " plus ")).split("_") if t]
    if not unit and (suffix := units.from_suffix(tokens)) is not None:
        unit, tokens = suffix
    period = None
    if (found := column_part("_".join(tokens))) is not None:
        period, rest = found
        tokens = rest.split("_") if rest else []
    category = categories.column_category(text, tokens) if breakdown else None
    if category is not None:
        tokens = category.rest
    if not unit and (suffix := units.from_suffix(tokens)) is not None:
        unit, tokens = suffix
    stem = "_".join(tokens)
    stem = "" if stem in GENERIC else stem
    unit_key = normal_key(unit)
    name = "_".join(t for t in (stem, unit_key) if t)
    return _Candidate(index, header, name, stem, unit, period, category)


def _indicator_keys(groups: dict[str, list[_Candidate]], context: TableContext) -> dict[str, str]:
    """One indicator is the dataset's own; several are keyed by their names (`produksi`),
    with their unit when two names are alike (`jumlah_kk`, `jumlah_jiwa`)."""
    if len(groups) == 1:
        return {name: context.dataset_code for name in groups}
    stems = Counter(members[0].stem for members in groups.values())
    keys = {}
    for name, members in groups.items():
        stem = members[0].stem
        if stem and stems[stem] == 1:
            keys[name] = stem
        else:
            header = normal_key(members[0].header)
            keys[name] = name if stem else (f"jumlah_{name}" if name else header)
    return keys


def _label(members: list[_Candidate], context: TableContext, *, alone: bool) -> str:
    """The indicator's name as published: its column's header, or the words its columns'
    headers begin with ("Produksi 2019", "Produksi 2020" → "Produksi"); for the table's only
    indicator with no such words, the dataset's title."""
    first = members[0]
    if len(members) == 1 and first.period is None and first.category is None:
        return first.header
    shared: list[str] = []
    for words in zip(*(m.header.replace("_", " ").split() for m in members), strict=False):
        if len(set(words)) != 1:
            break
        shared.append(words[0])
    label = " ".join(shared).strip(" -:(")
    if label and normal_key(label) not in GENERIC and column_part(normal_key(label)) is None:
        return label
    if alone or not first.stem:
        return context.dataset_title
    return first.stem.replace("_", " ").capitalize()


def _value_role(
    label: str, unit: str, member: _Candidate, category: tuple[str, str | None] | None
) -> str:
    """ "nilai: Produksi (ton)", "nilai: Jumlah Penduduk (jiwa); Jenis Kelamin Laki-laki"."""
    shown = unit and unit.casefold() not in label.casefold()
    role = f"nilai: {label}" + (f" ({unit})" if shown else "")
    if member.period is not None:
        role += "; periode dari nama kolom"
    if category is not None:
        what = categories.LABELS.get(category[0], category[0])
        written = member.category.label if member.category else member.header
        role += f"; jumlah {what}" if category[1] is None else f"; {what} {written}"
    return role


def _unread(layout: Layout, table: Table, context: TableContext) -> str | None:
    """What the table lacks, said with the columns seen and what each was taken for."""
    missing = [layout.unread] if layout.unread else []
    if not table.rows:
        missing.append("tabel tanpa baris")
    if not layout.values:
        missing.append("tidak ada kolom nilai berupa angka")
    if not layout.regions and layout.place is None:
        missing.append(
            f"kode wilayah dataset {context.default_place!r} tidak ada di daftar Kemendagri"
            if context.default_place
            else "tidak ada kolom wilayah dan wilayah dataset tidak diketahui"
        )
    has_year = layout.row_year or layout.name_period is not None
    if not has_year and any(v.period is None or v.period.year is None for v in layout.values):
        if layout.sub is None and all(v.period is None for v in layout.values):
            missing.append("tidak ada kolom periode dan nama tabel tanpa tahun")
        else:
            missing.append("tidak ada kolom tahun dan nama tabel tanpa tahun")
    return explain(layout, table, missing) if missing else None


def explain(layout: Layout, table: Table, missing: list[str]) -> str:
    """Why a table is not read: the columns it has, what each was found to be, and what is
    missing ("kolom: kegiatan, jumlah; ditemukan: kategori (kegiatan), nilai (jumlah); tidak
    ada kolom periode dan nama tabel tanpa tahun")."""
    found = ", ".join(
        f"{layout.roles[column].split(':')[0]} ({column})"
        for column in table.columns
        if column in layout.roles and not layout.roles[column].startswith("diabaikan")
    )
    columns = ", ".join(table.columns)
    return f"kolom: {columns}; ditemukan: {found or 'tidak ada'}; {'; '.join(missing)}"


def _sample(rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    if len(rows) <= SAMPLE:
        return rows
    step = len(rows) / SAMPLE
    return [rows[int(i * step)] for i in range(SAMPLE)]


def _profile(rows: Sequence[Sequence[Any]], index: int) -> Profile:
    """What a column holds. Columns repeat a few cells many times, so each distinct cell is
    looked at once (keyed with its type: 1, 1.0 and True are equal keys otherwise)."""
    profile = Profile()
    kinds: dict[tuple[type, Any], tuple[bool, bool] | None] = {}
    seen: set[str] = set()
    for row in rows:
        cell = row[index] if index < len(row) else None
        key = (type(cell), cell)
        try:
            kind = kinds[key]
        except KeyError:
            kind = kinds[key] = _kind(cell, profile, seen)
        except TypeError:  # an unhashable cell is looked at every time
            kind = _kind(cell, profile, seen)
        if kind is None:
            continue
        profile.filled += 1
        is_year, is_number = kind
        profile.years += is_year
        profile.numbers += is_number
    return profile


def _kind(cell: Any, profile: Profile, seen: set[str]) -> tuple[bool, bool] | None:
    """(a year, a number) for a cell seen for the first time, None for a missing one; its
    text joins the column's distinct texts."""
    if is_missing(cell):
        return None
    text = cell_text(cell)
    if text not in seen:
        seen.add(text)
        profile.texts.append(text)
    is_year = len(text) == 4 and text.isdigit() and 1900 <= int(text) <= 2100
    try:
        number(cell)
    except NotANumber:
        return is_year, False
    return is_year, True
