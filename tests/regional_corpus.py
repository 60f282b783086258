"""Regional tables in the shapes Indonesian Satu Data portals publish, each with its answer.

Every case starts from one ground truth: the cells a reader must find (indicator, unit,
Kemendagri place code, period, categories, value, decimals, whether the total was computed).
The published table is rendered from that truth in the shape an OPD's spreadsheet has
(long, wide by year, month or category, text numbers, codes instead of names, a title row
above a merged header…), and each table is offered in the three forms the registry meets
it in: a CKAN DataStore table (`fields` and `records` as `datastore_search` returns them),
a CSV file and an XLSX file. A reader is right when what it reads from any form is exactly
the truth: every published cell once, nothing invented.

Places are real ones of Kepmendagri 300.2.2-2138/2025, chosen for the traps they hold:
Kabupaten Pasuruan's kecamatan Purwodadi with its desa Purwodadi, desa names found in two of
its kecamatan (Tambaksari, Pucangsari), a kelurahan named like its kecamatan (Purwosari),
Kabupaten Lumajang's kecamatan Lumajang, and Kabupaten and Kota Pasuruan side by side.

Conventions the truth encodes (a reader could reasonably choose otherwise; they are chosen
here as a user would read the tables):

- a `Jumlah` row in a region column is the total of the region above the rows (the
  kabupaten), published, not computed;
- the school year "2023/2024" is the period 2023, the year it starts (the Dapodik data of
  that year's first semester);
- a table with one value column is the dataset's single indicator, keyed by the dataset's
  code; a table with several names each by its column without the unit suffix
  (`produksi_ton` → `produksi`, unit `ton`);
- a total the table does not publish is computed where the unit counts something (jiwa,
  kegiatan) and every category is there, never for a percentage;
- category keys are the normalised labels, "75+" being `75_plus`;
- decimals are the digits after the decimal separator as published, so the truth's values
  never end in a zero decimal (an XLSX number cannot show one).
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from openpyxl import Workbook

from storage.tables.reading import Categories, Category, Table, TableContext, normal_key

HOME = "35.14"  # Kabupaten Pasuruan, Jawa Timur

# Kabupaten Pasuruan's kecamatan (all 24), by Kemendagri code.
PASURUAN = {
    "35.14.01": "Purwodadi",
    "35.14.02": "Tutur",
    "35.14.03": "Puspo",
    "35.14.04": "Lumbang",
    "35.14.05": "Pasrepan",
    "35.14.06": "Kejayan",
    "35.14.07": "Wonorejo",
    "35.14.08": "Purwosari",
    "35.14.09": "Sukorejo",
    "35.14.10": "Prigen",
    "35.14.11": "Pandaan",
    "35.14.12": "Gempol",
    "35.14.13": "Beji",
    "35.14.14": "Bangil",
    "35.14.15": "Rembang",
    "35.14.16": "Kraton",
    "35.14.17": "Pohjentrek",
    "35.14.18": "Gondangwetan",
    "35.14.19": "Winongan",
    "35.14.20": "Grati",
    "35.14.21": "Nguling",
    "35.14.22": "Lekok",
    "35.14.23": "Rejoso",
    "35.14.24": "Tosari",
}
FIVE = ("35.14.01", "35.14.02", "35.14.03", "35.14.11", "35.14.14")
# Desa and kelurahan: those of kecamatan Purwodadi, and namesakes elsewhere in the kabupaten.
DESA = {
    "35.14.01.2001": "Gerbo",
    "35.14.01.2002": "Dawuhansengon",
    "35.14.01.2003": "Lebakrejo",
    "35.14.01.2004": "Cowek",
    "35.14.01.2005": "Purwodadi",
    "35.14.01.2006": "Parerejo",
    "35.14.01.2007": "Gajahrejo",
    "35.14.01.2008": "Sentul",
    "35.14.01.2009": "Jatisari",
    "35.14.01.2010": "Tambaksari",
    "35.14.01.2011": "Pucangsari",
    "35.14.01.2012": "Semut",
    "35.14.01.2013": "Capang",
    "35.14.16.2010": "Tambaksari",  # in Kraton, like the one in Purwodadi
    "35.14.16.2022": "Kraton",  # a desa named like its kecamatan
    "35.14.08.2012": "Pucangsari",  # in Purwosari, like the one in Purwodadi
    "35.14.08.1006": "Purwosari",  # a kelurahan named like its kecamatan
}
KELURAHAN = {"35.14.08.1006"}
LUMAJANG = {  # Kabupaten Lumajang (35.08), whose kecamatan 35.08.10 is called Lumajang
    "35.08.10": "Lumajang",
    "35.08.15": "Sukodono",
    "35.08.05": "Tempeh",
    "35.08.04": "Pasirian",
    "35.08.12": "Senduro",
}
# Kabupaten and kota of Jawa Timur with the names a provincial BPS table gives them.
JAWA_TIMUR = {
    "35.14": "Kab. Pasuruan",
    "35.75": "Kota Pasuruan",
    "35.07": "Kab. Malang",
    "35.73": "Kota Malang",
    "35.13": "Kab. Probolinggo",
    "35.74": "Kota Probolinggo",
}
# Official names of every place the truth names, to check the corpus against the list.
OFFICIAL = {
    **PASURUAN,
    **DESA,
    **LUMAJANG,
    "35": "Jawa Timur",
    "35.14": "Kabupaten Pasuruan",
    "35.75": "Kota Pasuruan",
    "35.07": "Kabupaten Malang",
    "35.73": "Kota Malang",
    "35.13": "Kabupaten Probolinggo",
    "35.74": "Kota Probolinggo",
    "35.08": "Kabupaten Lumajang",
}
# Names that are no region of the Kemendagri list at any level.
UNKNOWN = ("Nusantara Raya", "Sukamakmur Jaya", "Tirtamulya Baru", "Sidomakmur Indah")

MONTHS = (
    "januari",
    "februari",
    "maret",
    "april",
    "mei",
    "juni",
    "juli",
    "agustus",
    "september",
    "oktober",
    "november",
    "desember",
)
MALE: Category = ("jenis_kelamin", "laki_laki")
FEMALE: Category = ("jenis_kelamin", "perempuan")
AGE_GROUPS = (*(f"{age}-{age + 4}" for age in range(0, 75, 5)), "75+")
AGE_KEYS = {group: normal_key(group.replace("+", " plus")) for group in AGE_GROUPS}  # 75_plus


class Cell(NamedTuple):
    """One value a reader must find, as the registry will hold it."""

    indicator: str
    unit: str
    place: str  # Kemendagri code, dotted
    period: str  # canonical: 2023, 2023-S1, 2023-Q2, 2023-07
    categories: Categories  # sorted (dimension key, value key); () is the total
    value: float
    decimals: int
    computed: bool = False


@dataclass(frozen=True)
class Resource:
    """One published table: its column ids and rows as the OPD wrote them.

    `labels` are the headers an XLSX shows instead of the ids (agencies' spreadsheets say
    "Laki-laki" where the DataStore says `laki_laki`); `groups` are headers merged above
    some columns in the XLSX, as (label, first column, last column), 0-based."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    title: str
    labels: dict[str, Any] = field(default_factory=dict)
    groups: tuple[tuple[str, int, int], ...] = ()

    def header(self, form: str) -> tuple[str, ...]:
        """The column names a reader sees in `form`: ids, or the XLSX's lowest header row."""
        if form != "xlsx":
            return self.columns
        return tuple(str(self.labels.get(column, column)) for column in self.columns)


@dataclass(frozen=True)
class Case:
    """A shape, its truth and its tables. `dimensions` are the breakdowns with their keys
    in published order; `unread` lists what the explanation of a table that cannot be read
    must mention besides its columns; `bad_rows` the cells that must be reported (index into
    the resource's rows, column id) while the rest is read, `bad_names` what they say."""

    name: str
    shape: str
    context: TableContext
    resources: tuple[Resource, ...]
    truth: tuple[Cell, ...]
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unread: tuple[str, ...] = ()
    bad_rows: tuple[tuple[int, str], ...] = ()
    bad_names: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        return not self.unread


# --- the three forms ----------------------------------------------------------------------


def datastore(resource: Resource) -> dict[str, Any]:
    """`fields` and `records` as CKAN's `datastore_search` returns them: a column holding any
    text is of type text (a portal that loaded the sheet as typed text), numbers otherwise."""
    fields: list[dict[str, str]] = [{"id": "_id", "type": "int"}]
    for index, column in enumerate(resource.columns):
        cells = [row[index] for row in resource.rows if row[index] is not None]
        if any(isinstance(cell, str) for cell in cells):
            kind = "text"
        elif all(isinstance(cell, int) for cell in cells):
            kind = "int"
        else:
            kind = "numeric"
        fields.append({"id": column, "type": kind})
    records = [
        {"_id": number, **dict(zip(resource.columns, row, strict=True))}
        for number, row in enumerate(resource.rows, start=1)
    ]
    return {"fields": fields, "records": records, "total": len(records)}


def datastore_table(search: dict[str, Any], name: str) -> Table:
    """A DataStore answer as the portal source makes it a table: its fields without `_id`, in
    the order CKAN gives, rows numbered as their `_id`."""
    columns = tuple(f["id"] for f in search["fields"] if f["id"] != "_id")
    rows = [tuple(record.get(column) for column in columns) for record in search["records"]]
    return Table(columns, rows, name=name, first_row=1)


def first_row(resource: Resource, form: str) -> int:
    """The number the source shows for the first data row: its `_id`, its line in the CSV,
    its row in the sheet."""
    return {"datastore": 1, "csv": 2}.get(form) or xlsx_first_row(resource)


def csv_bytes(resource: Resource) -> bytes:
    """The CSV a portal offers for download: ids as header, numbers with a decimal point."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(resource.columns)
    for row in resource.rows:
        writer.writerow(["" if cell is None else _plain(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def daftar_data(entries: Iterable[tuple[str, TableContext]]) -> bytes:
    """The Daftar Data a walidata imports first: one open dataset of Bappeda per (code,
    context), titled, scheduled and measured as the case's table is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ("kode", "judul", "opd", "periodisitas", "klasifikasi", "periode_terakhir", "satuan")
    )
    for code, context in entries:
        writer.writerow(
            (
                code,
                context.dataset_title,
                "Bappeda",
                context.periodicity,
                "terbuka",
                "",
                context.unit,
            )
        )
    return out.getvalue().encode()


def xlsx_bytes(resource: Resource, sheet: str = "Data") -> bytes:
    """The workbook an OPD uploads: a title row and an empty row above the header, headers as
    labels (year headers typed as numbers), merged group headers, numbers typed as numbers
    and text numbers kept as text."""
    book = Workbook()
    page = book.active
    page.title = sheet
    page.append([resource.title])
    page.append([])
    header = [resource.labels.get(column, column) for column in resource.columns]
    top = 3
    if resource.groups:
        grouped = {i for _, first, last in resource.groups for i in range(first, last + 1)}
        upper: list[Any] = [None if i in grouped else label for i, label in enumerate(header)]
        for label, first, _ in resource.groups:
            upper[first] = label
        page.append(upper)
        page.append([label if i in grouped else None for i, label in enumerate(header)])
        for _, first, last in resource.groups:
            page.merge_cells(
                start_row=top, start_column=first + 1, end_row=top, end_column=last + 1
            )
        for i in range(len(header)):
            if i not in grouped:
                page.merge_cells(
                    start_row=top, start_column=i + 1, end_row=top + 1, end_column=i + 1
                )
    else:
        page.append(header)
    for row in resource.rows:
        page.append([None if cell in (None, "") else cell for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_first_row(resource: Resource) -> int:
    """The sheet row of the first data row: below the title, an empty row and the header."""
    return 3 + (2 if resource.groups else 1)


def file_name(resource: Resource, form: str) -> str:
    """The resource's name as a file name ("Desa/Kelurahan" cannot be one)."""
    return f"{resource.name.replace('/', '-')}.{form}"


def _plain(cell: Any) -> str:
    if isinstance(cell, float):
        return repr(cell)
    return str(cell)


# --- building truths and tables -------------------------------------------------------------


def amount(rng: random.Random, low: float, high: float, decimals: int = 0) -> float:
    """A value with exactly `decimals` digits after the point (the last one not zero)."""
    scale: int = 10**decimals
    units = rng.randint(int(low * scale), int(high * scale))
    if decimals and units % 10 == 0:
        units += 1
    return units / scale


def published(cell: Cell, text: bool = False) -> Any:
    """The cell as the table shows it: a number, or Indonesian text ("1.234", "12,5")."""
    if text:
        return indonesian(cell.value, cell.decimals)
    return int(cell.value) if cell.decimals == 0 else round(cell.value, cell.decimals)


def indonesian(value: float, decimals: int) -> str:
    english = f"{value:,.{decimals}f}"
    return english.translate(str.maketrans(",.", ".,"))


def summed(cells: Sequence[Cell], categories: Categories) -> Cell:
    """The total of `cells`, computed by the reader since the table did not publish it."""
    first = cells[0]
    decimals = max(cell.decimals for cell in cells)
    value = round(sum(cell.value for cell in cells), decimals)
    return first._replace(categories=categories, value=value, decimals=decimals, computed=True)


def total_of(cells: Sequence[Cell], categories: Categories = ()) -> Cell:
    """A total the table publishes (a `Jumlah` row or column)."""
    return summed(cells, categories)._replace(computed=False)


def by(cells: Iterable[Cell], key: Callable[[Cell], Any]) -> dict[Any, list[Cell]]:
    grouped: dict[Any, list[Cell]] = defaultdict(list)
    for cell in cells:
        grouped[key(cell)].append(cell)
    return grouped


def context(code: str, title: str, periodicity: str, unit: str, home: str = HOME) -> TableContext:
    return TableContext(code, title, periodicity, unit, home_code=home, default_place=home)


def sex_labels(male: str, female: str) -> dict[Categories, str]:
    return {(MALE,): male, (FEMALE,): female}


# --- the cases ------------------------------------------------------------------------------


def long_by_sex_with_totals() -> Case:
    ctx = context(
        "jumlah-penduduk-jenis-kelamin",
        "Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin",
        "tahunan",
        "jiwa",
    )
    rng = random.Random(ctx.dataset_code)
    truth: list[Cell] = []
    for code in FIVE:
        for year in ("2022", "2023"):
            parts = [
                Cell(ctx.dataset_code, "jiwa", code, year, (sex,), amount(rng, 20_000, 60_000), 0)
                for sex in (MALE, FEMALE)
            ]
            truth += [*parts, total_of(parts)]
    labels = {**sex_labels("L", "P"), (): "Jumlah"}
    rows = tuple(
        (PASURUAN[c.place], int(c.period), labels[c.categories], published(c)) for c in truth
    )
    table = Resource(
        "Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin",
        ("kecamatan", "tahun", "jenis_kelamin", "jumlah_penduduk"),
        rows,
        "JUMLAH PENDUDUK MENURUT KECAMATAN DAN JENIS KELAMIN KABUPATEN PASURUAN",
        {
            "kecamatan": "Kecamatan",
            "tahun": "Tahun",
            "jenis_kelamin": "Jenis Kelamin",
            "jumlah_penduduk": "Jumlah Penduduk (Jiwa)",
        },
    )
    return Case(
        "long_by_sex_with_totals",
        "long kecamatan × tahun × jenis kelamin (L/P) with a Jumlah row per kecamatan",
        ctx,
        (table,),
        tuple(truth),
        (("jenis_kelamin", ("laki_laki", "perempuan")),),
    )


def wide_by_year_text_numbers() -> Case:
    ctx = context("luas-lahan-sawah", "Luas Lahan Sawah per Kecamatan", "tahunan", "ha")
    rng = random.Random(ctx.dataset_code)
    years = ("2019", "2020", "2021", "2022")
    truth = [
        Cell(ctx.dataset_code, "ha", code, year, (), amount(rng, 250, 3_500, n % 3), n % 3)
        for n, (code, year) in enumerate((c, y) for c in FIVE for y in years)
    ]
    cells = by(truth, lambda c: c.place)
    rows = tuple(
        (f"Kec. {PASURUAN[code]}", *(published(c, text=True) for c in cells[code])) for code in FIVE
    )
    table = Resource(
        "Luas Lahan Sawah per Kecamatan",
        ("kecamatan", *years),
        rows,
        "Luas Lahan Sawah (Ha) Kabupaten Pasuruan 2019-2022",
        {"kecamatan": "Kecamatan", **{year: int(year) for year in years}},
    )
    return Case(
        "wide_by_year_text_numbers",
        'wide by year, numbers as Indonesian text ("1.234", "12,5")',
        ctx,
        (table,),
        tuple(truth),
    )


def wide_by_month() -> Case:
    ctx = context(
        "kunjungan-puskesmas", "Jumlah Kunjungan Pasien Puskesmas", "bulanan", "kunjungan"
    )
    rng = random.Random(ctx.dataset_code)
    # The current year is published up to October: its last two months are still empty.
    months = {"2023": range(1, 13), "2024": range(1, 11)}
    truth = [
        Cell(
            ctx.dataset_code,
            "kunjungan",
            code,
            f"{year}-{month:02d}",
            (),
            amount(rng, 800, 9_000),
            0,
        )
        for code in FIVE[:3]
        for year, span in months.items()
        for month in span
    ]
    cells = by(truth, lambda c: (c.place, c.period[:4]))
    rows = []
    for (code, year), found in cells.items():
        month_of = {int(c.period[5:]): published(c) for c in found}
        rows.append(
            (
                f"KECAMATAN {PASURUAN[code].upper()}",
                int(year),
                *(month_of.get(m) for m in range(1, 13)),
            )
        )
    table = Resource(
        "Kunjungan Pasien Puskesmas per Bulan",
        ("kecamatan", "tahun", *MONTHS),
        tuple(rows),
        "Jumlah Kunjungan Pasien Puskesmas Menurut Kecamatan dan Bulan",
        {"kecamatan": "Kecamatan", "tahun": "Tahun", **{m: m.capitalize() for m in MONTHS}},
    )
    return Case(
        "wide_by_month",
        "wide by month (januari … desember) with a tahun column, the last months empty",
        ctx,
        (table,),
        tuple(truth),
    )


def sex_columns() -> dict[str, str]:
    return {
        "kecamatan": "Kecamatan",
        "tahun": "Tahun",
        "laki_laki": "Laki-laki",
        "perempuan": "Perempuan",
        "jumlah": "Jumlah",
    }


def wide_by_sex_with_total() -> Case:
    ctx = context(
        "penduduk-menurut-jenis-kelamin",
        "Penduduk Menurut Kecamatan dan Jenis Kelamin",
        "tahunan",
        "jiwa",
    )
    rng = random.Random(ctx.dataset_code)
    truth: list[Cell] = []
    rows: list[tuple[Any, ...]] = []
    males: list[Cell] = []
    females: list[Cell] = []
    for code, name in PASURUAN.items():
        male, female = (
            Cell(ctx.dataset_code, "jiwa", code, "2024", (sex,), amount(rng, 25_000, 70_000), 0)
            for sex in (MALE, FEMALE)
        )
        total = total_of([male, female])
        truth += [male, female, total]
        males.append(male)
        females.append(female)
        rows.append((name, 2024, published(male), published(female), published(total)))
    # The last row sums the kecamatan: the kabupaten's own figures.
    kabupaten = [
        total_of(males, (MALE,))._replace(place=HOME),
        total_of(females, (FEMALE,))._replace(place=HOME),
    ]
    kabupaten.append(total_of(kabupaten))
    truth += kabupaten
    rows.append(("Jumlah", 2024, *(published(c) for c in kabupaten)))
    table = Resource(
        "Penduduk Menurut Kecamatan dan Jenis Kelamin 2024",
        ("kecamatan", "tahun", "laki_laki", "perempuan", "jumlah"),
        tuple(rows),
        "Penduduk Menurut Kecamatan dan Jenis Kelamin di Kabupaten Pasuruan, 2024",
        sex_columns(),
        groups=(("Jenis Kelamin", 2, 4),),
    )
    return Case(
        "wide_by_sex_with_total",
        "wide by category (laki_laki, perempuan, jumlah) with a Jumlah row for the kabupaten",
        ctx,
        (table,),
        tuple(truth),
        (("jenis_kelamin", ("laki_laki", "perempuan")),),
    )


def wide_by_sex(code: str, title: str, unit: str, low: float, high: float, decimals: int) -> Case:
    """Laki-laki and perempuan columns without a total: summed where the unit counts
    something, never where it is a ratio."""
    ctx = context(code, title, "tahunan", unit)
    rng = random.Random(code)
    additive = unit == "jiwa"
    truth: list[Cell] = []
    rows = []
    for place in FIVE:
        for year in ("2023", "2024"):
            parts = [
                Cell(code, unit, place, year, (sex,), amount(rng, low, high, decimals), decimals)
                for sex in (MALE, FEMALE)
            ]
            truth += [*parts, summed(parts, ())] if additive else parts
            rows.append((PASURUAN[place], int(year), *(published(c) for c in parts)))
    table = Resource(
        title,
        ("kecamatan", "tahun", "laki_laki", "perempuan"),
        tuple(rows),
        f"{title} Kabupaten Pasuruan",
        sex_columns(),
    )
    name = "wide_by_sex_computed_total" if additive else "wide_by_sex_percent_no_total"
    shape = (
        "wide by category without total, additive unit: the total is computed"
        if additive
        else "wide by category without total, a percentage: no total"
    )
    return Case(
        name, shape, ctx, (table,), tuple(truth), (("jenis_kelamin", ("laki_laki", "perempuan")),)
    )


QUARTER_LABELS = {
    "2023": ("Triwulan I", "Triwulan II", "Triwulan III", "Triwulan IV"),
    "2024": ("TW 1", "TW 2", "TW 3", "TW 4"),
}


def quarters() -> Case:
    ctx = context("jumlah-kelahiran", "Jumlah Kelahiran per Triwulan", "triwulanan", "jiwa")
    rng = random.Random(ctx.dataset_code)
    truth = [
        Cell(ctx.dataset_code, "jiwa", code, f"{year}-Q{q}", (), amount(rng, 40, 400), 0)
        for year in QUARTER_LABELS
        for q in range(1, 5)
        for code in FIVE[:3]
    ]
    rows = tuple(
        (
            c.period[:4],
            QUARTER_LABELS[c.period[:4]][int(c.period[-1]) - 1],
            PASURUAN[c.place],
            published(c),
        )
        for c in truth
    )
    table = Resource(
        "Jumlah Kelahiran per Kecamatan per Triwulan",
        ("tahun", "triwulan", "kecamatan", "jumlah_kelahiran"),
        rows,
        "Jumlah Kelahiran Menurut Kecamatan dan Triwulan",
        {
            "tahun": "Tahun",
            "triwulan": "Triwulan",
            "kecamatan": "Kecamatan",
            "jumlah_kelahiran": "Jumlah Kelahiran",
        },
    )
    return Case(
        "quarters",
        'tahun + triwulan ("Triwulan I", "TW 2")',
        ctx,
        (table,),
        tuple(truth),
    )


def semesters() -> Case:
    ctx = context(
        "pencari-kerja-terdaftar", "Jumlah Pencari Kerja Terdaftar", "semesteran", "orang"
    )
    rng = random.Random(ctx.dataset_code)
    labels = {"2022": ("Semester I", "Semester II"), "2023": ("I", "II"), "2024": ("1", "2")}
    truth = [
        Cell(ctx.dataset_code, "orang", HOME, f"{year}-S{s}", (), amount(rng, 1_500, 9_000), 0)
        for year in labels
        for s in (1, 2)
    ]
    rows = tuple(
        (int(c.period[:4]), labels[c.period[:4]][int(c.period[-1]) - 1], published(c))
        for c in truth
    )
    table = Resource(
        "Pencari Kerja Terdaftar per Semester",
        ("tahun", "semester", "jumlah"),
        rows,
        "Jumlah Pencari Kerja Terdaftar di Kabupaten Pasuruan",
        {"tahun": "Tahun", "semester": "Semester", "jumlah": "Jumlah (Orang)"},
    )
    return Case(
        "semesters",
        'tahun + semester ("Semester I", "II", "2"), no region column',
        ctx,
        (table,),
        tuple(truth),
    )


def months_in_a_column(numbered: bool) -> Case:
    code = "curah-hujan" if numbered else "kasus-demam-berdarah"
    unit = "mm" if numbered else "kasus"
    title = "Curah Hujan Bulanan" if numbered else "Jumlah Kasus Demam Berdarah Dengue"
    ctx = context(code, title, "bulanan", unit)
    rng = random.Random(code)
    places = (HOME,) if numbered else FIVE[:2]
    truth = [
        Cell(
            code,
            unit,
            place,
            f"{year}-{month:02d}",
            (),
            amount(rng, 0.5 if numbered else 0, 450 if numbered else 40, 1 if numbered else 0),
            1 if numbered else 0,
        )
        for year in ("2023", "2024")
        for month in range(1, 13)
        for place in places
    ]
    rows: tuple[tuple[Any, ...], ...]
    if numbered:
        rows = tuple((int(c.period[:4]), int(c.period[5:]), published(c)) for c in truth)
        columns: tuple[str, ...] = ("tahun", "bulan", "nilai")
        labels = {"tahun": "Tahun", "bulan": "Bulan", "nilai": "Curah Hujan (mm)"}
    else:
        rows = tuple(
            (
                int(c.period[:4]),
                MONTHS[int(c.period[5:]) - 1].capitalize(),
                PASURUAN[c.place],
                published(c),
            )
            for c in truth
        )
        columns = ("tahun", "bulan", "kecamatan", "jumlah_kasus")
        labels = {
            "tahun": "Tahun",
            "bulan": "Bulan",
            "kecamatan": "Kecamatan",
            "jumlah_kasus": "Jumlah Kasus",
        }
    table = Resource(title, columns, rows, f"{title} Kabupaten Pasuruan", labels)
    return Case(
        "months_numbered" if numbered else "months_named",
        "tahun + bulan as numbers, no region column" if numbered else "tahun + bulan as names",
        ctx,
        (table,),
        tuple(truth),
    )


def school_years() -> Case:
    ctx = context("jumlah-murid-sd", "Jumlah Murid SD per Kecamatan", "tahunan", "orang")
    rng = random.Random(ctx.dataset_code)
    truth = [
        Cell(ctx.dataset_code, "orang", code, year, (), amount(rng, 1_200, 6_000), 0)
        for year in ("2022", "2023")
        for code in FIVE
    ]
    rows = tuple(
        (PASURUAN[c.place], f"{c.period}/{int(c.period) + 1}", published(c)) for c in truth
    )
    table = Resource(
        "Jumlah Murid SD per Kecamatan",
        ("kecamatan", "tahun_ajaran", "jumlah_murid"),
        rows,
        "Jumlah Murid Sekolah Dasar Menurut Kecamatan",
        {"kecamatan": "Kecamatan", "tahun_ajaran": "Tahun Ajaran", "jumlah_murid": "Jumlah Murid"},
    )
    return Case("school_years", 'school years "2023/2024"', ctx, (table,), tuple(truth))


def one_resource_per_year() -> Case:
    ctx = context("penduduk-kecamatan", "Jumlah Penduduk per Kecamatan", "tahunan", "jiwa")
    rng = random.Random(ctx.dataset_code)
    truth = [
        Cell(ctx.dataset_code, "jiwa", code, year, (), amount(rng, 40_000, 130_000), 0)
        for year in ("2022", "2023")
        for code in FIVE
    ]
    tables = tuple(
        Resource(
            f"Jumlah Penduduk per Kecamatan Tahun {year}",
            ("kecamatan", "jumlah_penduduk"),
            tuple((PASURUAN[c.place], published(c)) for c in cells),
            "Jumlah Penduduk per Kecamatan",
            {"kecamatan": "Kecamatan", "jumlah_penduduk": "Jumlah Penduduk"},
        )
        for year, cells in by(truth, lambda c: c.period).items()
    )
    return Case(
        "one_resource_per_year",
        "one resource per year, the year only in the resource's name",
        ctx,
        tables,
        tuple(truth),
    )


def several_indicators() -> Case:
    ctx = context("produksi-padi", "Luas Panen, Produksi dan Produktivitas Padi", "tahunan", "")
    rng = random.Random(ctx.dataset_code)
    truth: list[Cell] = []
    rows = []
    for code in FIVE:
        for year in ("2023", "2024"):
            area = amount(rng, 800, 4_000, 1)
            output = amount(rng, area * 5, area * 6.5, 2)
            per_ha = round(output * 10 / area, 2)
            per_ha += 0.01 if round(per_ha * 100) % 10 == 0 else 0
            per_ha = round(per_ha, 2)
            found = [
                Cell("luas_panen", "ha", code, year, (), area, 1),
                Cell("produksi", "ton", code, year, (), output, 2),
                Cell("produktivitas", "ku/ha", code, year, (), per_ha, 2),
            ]
            truth += found
            rows.append((PASURUAN[code], int(year), *(published(c) for c in found)))
    table = Resource(
        "Luas Panen, Produksi dan Produktivitas Padi per Kecamatan",
        ("kecamatan", "tahun", "luas_panen_ha", "produksi_ton", "produktivitas_ku_ha"),
        tuple(rows),
        "Luas Panen, Produksi dan Produktivitas Padi Menurut Kecamatan",
        {
            "kecamatan": "Kecamatan",
            "tahun": "Tahun",
            "luas_panen_ha": "Luas Panen (Ha)",
            "produksi_ton": "Produksi (Ton)",
            "produktivitas_ku_ha": "Produktivitas (Ku/Ha)",
        },
    )
    return Case(
        "several_indicators",
        "three indicators (luas panen, produksi, produktivitas) per kecamatan",
        ctx,
        (table,),
        tuple(truth),
    )


def kemendagri_codes(dotted: bool) -> Case:
    code = "jumlah-posyandu" if dotted else "jumlah-puskesmas-pembantu"
    title = "Jumlah Posyandu per Kecamatan" if dotted else "Jumlah Puskesmas Pembantu"
    ctx = context(code, title, "tahunan", "unit")
    rng = random.Random(code)
    truth = [
        Cell(code, "unit", place, year, (), amount(rng, 3, 90), 0)
        for year in ("2023", "2024")
        for place in (*FIVE, "35.14.24")
    ]
    rows: tuple[tuple[Any, ...], ...]
    if dotted:
        rows = tuple((c.place, PASURUAN[c.place], int(c.period), published(c)) for c in truth)
        columns: tuple[str, ...] = ("kode_kecamatan", "nama_kecamatan", "tahun", "jumlah")
        labels = {
            "kode_kecamatan": "Kode Kecamatan",
            "nama_kecamatan": "Nama Kecamatan",
            "tahun": "Tahun",
            "jumlah": "Jumlah",
        }
    else:
        # Codes only, typed as numbers: a portal's loader makes "351401" an integer column.
        rows = tuple((int(c.place.replace(".", "")), int(c.period), published(c)) for c in truth)
        columns = ("kode_wilayah", "tahun", "jumlah")
        labels = {"kode_wilayah": "Kode Wilayah", "tahun": "Tahun", "jumlah": "Jumlah"}
    table = Resource(title, columns, rows, f"{title} Kabupaten Pasuruan", labels)
    return Case(
        "kemendagri_dotted_codes" if dotted else "kemendagri_undotted_codes",
        "Kemendagri codes with dots, beside names" if dotted else "Kemendagri codes without dots",
        ctx,
        (table,),
        tuple(truth),
    )


def bps_kabupaten_codes() -> Case:
    ctx = context(
        "persentase-penduduk-miskin",
        "Persentase Penduduk Miskin Kabupaten/Kota",
        "tahunan",
        "persen",
        home="35",
    )
    rng = random.Random(ctx.dataset_code)
    truth = [
        Cell(ctx.dataset_code, "persen", place, year, (), amount(rng, 3, 21, 2), 2)
        for year in ("2023", "2024")
        for place in JAWA_TIMUR
    ]
    rows = tuple(
        (place_bps(c.place), JAWA_TIMUR[c.place], int(c.period), published(c)) for c in truth
    )
    table = Resource(
        "Persentase Penduduk Miskin Menurut Kabupaten/Kota",
        ("kode_kabupaten_kota", "nama_kabupaten_kota", "tahun", "persentase_penduduk_miskin"),
        rows,
        "Persentase Penduduk Miskin Menurut Kabupaten/Kota di Jawa Timur",
        {
            "kode_kabupaten_kota": "Kode",
            "nama_kabupaten_kota": "Kabupaten/Kota",
            "tahun": "Tahun",
            "persentase_penduduk_miskin": "Persentase Penduduk Miskin (%)",
        },
    )
    return Case(
        "bps_kabupaten_codes",
        "BPS 4-digit kabupaten/kota codes in a provincial table (Kab. and Kota Pasuruan)",
        ctx,
        (table,),
        tuple(truth),
    )


def place_bps(code: str) -> str:
    return code.replace(".", "")


def kecamatan_named_like_its_kabupaten() -> Case:
    home = "35.08"
    ctx = context(
        "penduduk-lumajang", "Jumlah Penduduk per Kecamatan", "tahunan", "jiwa", home=home
    )
    rng = random.Random(ctx.dataset_code)
    parts = [
        Cell(ctx.dataset_code, "jiwa", code, "2024", (), amount(rng, 30_000, 110_000), 0)
        for code in LUMAJANG
    ]
    kabupaten = total_of(parts)._replace(place=home)
    truth = (*parts, kabupaten)
    rows = (
        *((LUMAJANG[c.place], 2024, published(c)) for c in parts),
        ("Kabupaten Lumajang", 2024, published(kabupaten)),
    )
    table = Resource(
        "Jumlah Penduduk per Kecamatan 2024",
        ("kecamatan", "tahun", "jumlah_penduduk"),
        rows,
        "Jumlah Penduduk Kabupaten Lumajang per Kecamatan",
        {"kecamatan": "Kecamatan", "tahun": "Tahun", "jumlah_penduduk": "Jumlah Penduduk"},
    )
    return Case(
        "kecamatan_named_like_its_kabupaten",
        "kecamatan Lumajang beside a Kabupaten Lumajang row: two places, not one",
        ctx,
        (table,),
        truth,
    )


def desa_with_kecamatan() -> Case:
    ctx = context("penduduk-desa", "Jumlah Penduduk per Desa/Kelurahan", "tahunan", "jiwa")
    rng = random.Random(ctx.dataset_code)
    truth = [
        Cell(ctx.dataset_code, "jiwa", code, "2024", (), amount(rng, 1_500, 9_000), 0)
        for code in DESA
    ]
    rows = tuple(
        (
            PASURUAN[c.place[:8]],
            f"Kel. {DESA[c.place]}" if c.place in KELURAHAN else DESA[c.place],
            2024,
            published(c),
        )
        for c in truth
    )
    table = Resource(
        "Jumlah Penduduk per Desa/Kelurahan 2024",
        ("kecamatan", "desa_kelurahan", "tahun", "jumlah_penduduk"),
        rows,
        "Jumlah Penduduk Menurut Desa/Kelurahan",
        {
            "kecamatan": "Kecamatan",
            "desa_kelurahan": "Desa/Kelurahan",
            "tahun": "Tahun",
            "jumlah_penduduk": "Jumlah Penduduk",
        },
    )
    return Case(
        "desa_with_kecamatan",
        "desa with a kecamatan column: desa Purwodadi, Tambaksari and Pucangsari in two kecamatan",
        ctx,
        (table,),
        tuple(truth),
    )


KEGIATAN = (  # the activities of a DPRD's secretariat, as Kota Probolinggo's portal lists them
    "Sidang Paripurna",
    "Rapat Komisi",
    "Rapat Fraksi",
    "Rapat Kerja",
    "Keputusan DPRD",
    "Keputusan Pimpinan DPRD",
    "Peraturan Daerah",
    "Kunjungan Kerja Komisi",
    "Pengaduan",
)


def no_region_with_activities() -> Case:
    """Counted in an additive unit without a published total: the total per year is summed
    (counts add up; ratios never do)."""
    ctx = context("kegiatan-dprd", "Jumlah Kegiatan Sekretariat DPRD", "tahunan", "kegiatan")
    rng = random.Random(ctx.dataset_code)
    truth: list[Cell] = []
    rows: list[tuple[Any, ...]] = []
    for year in ("2019", "2020"):
        parts = [
            Cell(
                ctx.dataset_code,
                "kegiatan",
                HOME,
                year,
                (("kegiatan", normal_key(name)),),
                amount(rng, 0, 150),
                0,
            )
            for name in KEGIATAN
        ]
        truth += [*parts, summed(parts, ())]
        rows += [
            (year, name, published(c, text=True)) for name, c in zip(KEGIATAN, parts, strict=True)
        ]
    table = Resource(
        "Data Kegiatan Sekretariat DPRD",
        ("tahun", "kegiatan", "jumlah"),
        tuple(rows),
        "Data Kegiatan Sekretariat DPRD",
        {"tahun": "Tahun", "kegiatan": "Kegiatan", "jumlah": "Jumlah"},
    )
    return Case(
        "no_region_with_activities",
        "no region column (the home kabupaten), a kegiatan category, numbers as text",
        ctx,
        (table,),
        tuple(truth),
        (("kegiatan", tuple(normal_key(name) for name in KEGIATAN)),),
    )


def two_dimensions() -> Case:
    ctx = context(
        "penduduk-kelompok-umur",
        "Penduduk Menurut Kelompok Umur dan Jenis Kelamin",
        "tahunan",
        "jiwa",
    )
    rng = random.Random(ctx.dataset_code)
    truth: list[Cell] = []
    rows: list[tuple[Any, ...]] = []
    for code in ("35.14.14", "35.14.11"):
        by_sex: dict[Category, list[Cell]] = {MALE: [], FEMALE: []}
        for group in AGE_GROUPS:
            age = ("kelompok_umur", AGE_KEYS[group])
            pair = [
                Cell(
                    ctx.dataset_code,
                    "jiwa",
                    code,
                    "2024",
                    tuple(sorted((sex, age))),
                    amount(rng, 800, 4_500),
                    0,
                )
                for sex in (MALE, FEMALE)
            ]
            both = total_of(pair, (age,))
            truth += [*pair, both]
            by_sex[MALE].append(pair[0])
            by_sex[FEMALE].append(pair[1])
            rows.append((PASURUAN[code], 2024, group, *(published(c) for c in (*pair, both))))
        sexes = [total_of(by_sex[sex], (sex,)) for sex in (MALE, FEMALE)]
        grand = total_of(sexes)
        truth += [*sexes, grand]
        rows.append((PASURUAN[code], 2024, "Jumlah", *(published(c) for c in (*sexes, grand))))
    table = Resource(
        "Penduduk Menurut Kelompok Umur dan Jenis Kelamin 2024",
        ("kecamatan", "tahun", "kelompok_umur", "laki_laki", "perempuan", "jumlah"),
        tuple(rows),
        "Penduduk Menurut Kecamatan, Kelompok Umur dan Jenis Kelamin",
        {**sex_columns(), "kelompok_umur": "Kelompok Umur"},
    )
    return Case(
        "two_dimensions",
        "jenis kelamin × kelompok umur (0-4 … 75+) with totals per dimension",
        ctx,
        (table,),
        tuple(truth),
        (
            ("jenis_kelamin", ("laki_laki", "perempuan")),
            ("kelompok_umur", tuple(AGE_KEYS.values())),
        ),
    )


MISSING = ("-", "", "n/a", None)


def missing_markers() -> Case:
    ctx = context("kasus-gizi-buruk", "Jumlah Kasus Gizi Buruk pada Balita", "tahunan", "kasus")
    rng = random.Random(ctx.dataset_code)
    rows: list[tuple[Any, ...]] = []
    truth: list[Cell] = []
    markers = dict(zip((1, 4, 6, 9), MISSING, strict=True))
    for n, (code, year) in enumerate((c, y) for c in FIVE for y in ("2023", "2024")):
        if n in markers:
            rows.append((PASURUAN[code], year, markers[n]))
            continue
        # A published zero is a value, unlike a dash.
        cell = Cell(
            ctx.dataset_code, "kasus", code, year, (), 0 if n == 0 else amount(rng, 1, 30), 0
        )
        truth.append(cell)
        rows.append((PASURUAN[code], year, published(cell, text=True)))
    table = Resource(
        "Jumlah Kasus Gizi Buruk per Kecamatan",
        ("kecamatan", "tahun", "jumlah_kasus"),
        tuple(rows),
        "Jumlah Kasus Gizi Buruk pada Balita",
        {"kecamatan": "Kecamatan", "tahun": "Tahun", "jumlah_kasus": "Jumlah Kasus"},
    )
    return Case(
        "missing_markers",
        'missing markers ("-", "", "n/a", empty): no cell, not zero',
        ctx,
        (table,),
        tuple(truth),
    )


def no_value_column() -> Case:
    ctx = context("kondisi-jalan", "Kondisi Jalan Kabupaten per Kecamatan", "tahunan", "")
    conditions = ("Baik", "Sedang", "Rusak Ringan", "Rusak Berat", "Baik")
    rows = tuple(
        (PASURUAN[code], 2024, state, "Jalan poros kecamatan")
        for code, state in zip(FIVE, conditions, strict=True)
    )
    table = Resource(
        "Kondisi Jalan Kabupaten",
        ("kecamatan", "tahun", "kondisi", "keterangan"),
        rows,
        "Kondisi Jalan Kabupaten per Kecamatan",
        {
            "kecamatan": "Kecamatan",
            "tahun": "Tahun",
            "kondisi": "Kondisi",
            "keterangan": "Keterangan",
        },
    )
    return Case("no_value_column", "no value column", ctx, (table,), (), unread=("nilai",))


def no_period() -> Case:
    ctx = context("penduduk-tanpa-tahun", "Jumlah Penduduk per Kecamatan", "tahunan", "jiwa")
    rng = random.Random(ctx.dataset_code)
    rows = tuple((PASURUAN[code], int(amount(rng, 40_000, 130_000))) for code in FIVE)
    table = Resource(
        "Jumlah Penduduk per Kecamatan",
        ("kecamatan", "jumlah_penduduk"),
        rows,
        "Jumlah Penduduk per Kecamatan",
        {"kecamatan": "Kecamatan", "jumlah_penduduk": "Jumlah Penduduk"},
    )
    return Case(
        "no_period", "no period in a column or the name", ctx, (table,), (), unread=("periode",)
    )


def unknown_regions() -> Case:
    ctx = context("penduduk-wilayah-asing", "Jumlah Penduduk per Kecamatan", "tahunan", "jiwa")
    rows = tuple((name, 2024, 10_000 + 1_000 * n) for n, name in enumerate(UNKNOWN))
    table = Resource(
        "Jumlah Penduduk per Kecamatan 2024",
        ("kecamatan", "tahun", "jumlah_penduduk"),
        rows,
        "Jumlah Penduduk per Kecamatan",
        {"kecamatan": "Kecamatan", "tahun": "Tahun", "jumlah_penduduk": "Jumlah Penduduk"},
    )
    return Case(
        "unknown_regions",
        "a region column full of names that are no region",
        ctx,
        (table,),
        (),
        unread=("wilayah",),
    )


def one_unknown_kecamatan() -> Case:
    ctx = context("penduduk-satu-salah", "Jumlah Penduduk per Kecamatan", "tahunan", "jiwa")
    rng = random.Random(ctx.dataset_code)
    truth = [
        Cell(ctx.dataset_code, "jiwa", code, "2024", (), amount(rng, 40_000, 130_000), 0)
        for code in FIVE
    ]
    rows: list[tuple[Any, ...]] = [(PASURUAN[c.place], 2024, published(c)) for c in truth]
    bad = 3
    rows.insert(bad, (UNKNOWN[-1], 2024, 51_234))
    table = Resource(
        "Jumlah Penduduk per Kecamatan 2024",
        ("kecamatan", "tahun", "jumlah_penduduk"),
        tuple(rows),
        "Jumlah Penduduk per Kecamatan",
        {"kecamatan": "Kecamatan", "tahun": "Tahun", "jumlah_penduduk": "Jumlah Penduduk"},
    )
    return Case(
        "one_unknown_kecamatan",
        "one kecamatan name that is no region among good rows",
        ctx,
        (table,),
        tuple(truth),
        bad_rows=((bad, "kecamatan"),),
        bad_names=(UNKNOWN[-1],),
    )


CASES: tuple[Case, ...] = (
    long_by_sex_with_totals(),
    wide_by_year_text_numbers(),
    wide_by_month(),
    wide_by_sex_with_total(),
    wide_by_sex("penduduk-usia-kerja", "Penduduk Usia Kerja", "jiwa", 9_000, 40_000, 0),
    wide_by_sex("angka-melek-huruf", "Angka Melek Huruf", "persen", 88, 99.9, 2),
    quarters(),
    semesters(),
    months_in_a_column(numbered=False),
    months_in_a_column(numbered=True),
    school_years(),
    one_resource_per_year(),
    several_indicators(),
    kemendagri_codes(dotted=True),
    kemendagri_codes(dotted=False),
    bps_kabupaten_codes(),
    kecamatan_named_like_its_kabupaten(),
    desa_with_kecamatan(),
    no_region_with_activities(),
    two_dimensions(),
    missing_markers(),
    no_value_column(),
    no_period(),
    unknown_regions(),
    one_unknown_kecamatan(),
)
BY_NAME = {case.name: case for case in CASES}
