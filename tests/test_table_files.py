"""Spreadsheets and CSV files, as agencies make them, read into the tables the reader gets.

Workbooks are written in memory with xlsxwriter, as an agency's Excel would store them, or
built part by part where a case needs cells no writer produces on request (a formula saved
without its value, inline strings, an error value). What is checked is what the walidata
would see in the report: the right columns named as printed, numbers as numbers, every data
row with its spreadsheet row number, and a clear refusal for what cannot be read.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.tables.files import FileLimits, TableFileError, read_path, read_tables
from storage.tables.layout import lay_out
from storage.tables.reading import Table

TITLE = "Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin di Kabupaten Pasuruan Tahun 2023"


def workbook(fill: Any, *, sheets: tuple[str, ...] = ("Sheet1",)) -> bytes:
    """An XLSX written as Excel would store it; `fill(book, sheet)` writes each sheet."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name in sheets:
        fill(book, book.add_worksheet(name))
    book.close()
    return buffer.getvalue()


def package(
    cells: str,
    *,
    strings: tuple[str, ...] = (),
    merges: str = "",
    workbook_extra: str = "",
    prefix: str = "",
) -> bytes:
    """A workbook built part by part: `cells` is the XML inside <sheetData>, `strings` the
    shared strings' <si> contents."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    declare = f'xmlns:{prefix[:-1]}="{main}"' if prefix else f'xmlns="{main}"'
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}">{workbook_extra}'
            '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings"'
            ' Target="sharedStrings.xml"/></Relationships>'
        ),
        "xl/sharedStrings.xml": (
            f'<?xml version="1.0"?><sst xmlns="{main}">'
            + "".join(f"<si>{s}</si>" for s in strings)
            + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><{prefix}worksheet {declare}><{prefix}sheetData>{cells}'
            f"</{prefix}sheetData>{merges}</{prefix}worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def only(content: bytes, name: str = "data.xlsx", **limits: int) -> Table:
    (table,) = read_tables(content, name, limits=FileLimits(**limits))
    return table


def rows(table: Table) -> list[list[Any]]:
    return [list(row) for row in table.rows]


# -- the shapes agencies publish ----------------------------------------------------------------


def agency_sheet(book: Any, sheet: Any) -> None:
    """A BPS-style table: starts in column B, title and a blank row above a two-row header,
    a numbering row, an empty spacer column, a total row, then source, notes and signature."""
    bold = book.add_format({"bold": True})
    sheet.merge_range("B1:G1", TITLE, bold)
    sheet.merge_range("B3:B4", "Kecamatan", bold)
    sheet.merge_range("C3:D3", "Jenis Kelamin", bold)
    sheet.merge_range("F3:F4", "Jumlah", bold)
    sheet.merge_range("G3:G4", "Rasio\nJenis Kelamin", bold)
    sheet.write_row("C4", ["Laki-laki", "Perempuan"], bold)
    sheet.write_row("B5", ["(1)", "(2)", "(3)"])
    sheet.write_row("F5", ["(4)", "(5)"])
    sheet.write_row("B6", ["Purwodadi", 20311, 20514])
    sheet.write_row("F6", [40825, 99.0])
    sheet.write_row("B7", ["Sumberasih", "31.204", "30.981"])  # text numbers, as typed
    sheet.write_row("F7", ["62.185", "100,7"])
    sheet.write_row("B8", ["Tutur", 27010, 26875])
    sheet.write_row("F8", [53885, 100.5])
    sheet.write_row("B9", ["Jumlah", 78525, 78370])
    sheet.write_row("F9", [156895, 100.2])
    sheet.write("B11", "Sumber: BPS Kabupaten Pasuruan")
    sheet.write("B12", "Keterangan: angka proyeksi penduduk")
    sheet.write("E14", "Pasuruan, 31 Januari 2024")
    sheet.write("E15", "Kepala Dinas Kependudukan")


def test_the_agency_layout_is_read_as_its_table() -> None:
    table = only(workbook(agency_sheet), "penduduk.xlsx")
    assert table.name == f"penduduk.xlsx — Sheet1 — {TITLE}"
    assert table.columns == (
        "Kecamatan",
        "Jenis Kelamin Laki-laki",
        "Jenis Kelamin Perempuan",
        "Jumlah",
        "Rasio Jenis Kelamin",
    )
    assert table.column_letters == ("B", "C", "D", "F", "G")
    assert table.first_row == 6
    assert rows(table) == [
        ["Purwodadi", 20311, 20514, 40825, 99],
        ["Sumberasih", "31.204", "30.981", "62.185", "100,7"],
        ["Tutur", 27010, 26875, 53885, 100.5],
        ["Jumlah", 78525, 78370, 156895, 100.2],
    ]
    assert table.problems == ()


def test_kecamatan_named_like_a_footer_stay_data_and_a_dated_signature_does_not() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row("A1", ["Kecamatan", "Jumlah"])
        sheet.write_row("A2", ["Sumberasih", 5])
        sheet.write_row("A3", ["Sumber Wringin", 7])
        sheet.write("A5", "Sumber : Dinas Kesehatan")
        sheet.write("A6", "Bondowoso,")
        sheet.write_datetime("B6", datetime(2024, 1, 31), book.add_format({"num_format": 14}))

    table = only(workbook(fill))
    assert rows(table) == [["Sumberasih", 5], ["Sumber Wringin", 7]]


def test_a_group_label_over_some_columns_with_the_others_in_the_lower_row() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.merge_range("B1:C1", "Jenis Kelamin")
        sheet.write_row("A2", ["Kecamatan", "Laki-laki", "Perempuan", "Jumlah"])
        sheet.write_row("A3", ["Tutur", 27010, 26875, 53885])

    table = only(workbook(fill))
    assert table.columns == (
        "Kecamatan",
        "Jenis Kelamin Laki-laki",
        "Jenis Kelamin Perempuan",
        "Jumlah",
    )
    assert (table.first_row, rows(table)) == (3, [["Tutur", 27010, 26875, 53885]])


def test_years_merged_over_categories_name_each_column_by_both() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.merge_range("A1:A2", "Kecamatan")
        sheet.merge_range("B1:C1", 2022)
        sheet.merge_range("D1:E1", 2023)
        sheet.write_row("B2", ["L", "P", "L", "P"])
        sheet.write_row("A3", ["Tutur", 26800, 26700, 27010, 26875])

    table = only(workbook(fill))
    assert table.columns == ("Kecamatan", "2022 L", "2022 P", "2023 L", "2023 P")
    assert rows(table) == [["Tutur", 26800, 26700, 27010, 26875]]


def test_a_two_row_header_without_merges_is_joined_the_same_way() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row("A1", ["Kecamatan", "Jenis Kelamin", None, "Jumlah"])
        sheet.write_row("B2", ["Laki-laki", "Perempuan"])
        sheet.write_row("A3", ["Tutur", 27010, 26875, 53885])

    table = only(workbook(fill))
    assert table.columns == (
        "Kecamatan",
        "Jenis Kelamin Laki-laki",
        "Jenis Kelamin Perempuan",
        "Jumlah",
    )
    assert table.first_row == 3


def test_an_unmerged_label_over_year_columns_names_each_year() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row("A1", ["Kecamatan", "Jumlah Penduduk"])
        sheet.write_row("B2", [2021, 2022, 2023])
        sheet.write_row("A3", ["Tutur", 53100, 53500, 53885])

    table = only(workbook(fill))
    assert table.columns == (
        "Kecamatan",
        "Jumlah Penduduk 2021",
        "Jumlah Penduduk 2022",
        "Jumlah Penduduk 2023",
    )
    assert rows(table) == [["Tutur", 53100, 53500, 53885]]


def test_a_title_in_two_cells_right_above_the_header_stays_a_title() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write("A1", "Tabel 3.1")
        sheet.write("C1", "Jumlah Penduduk Tahun 2023")
        sheet.write_row("A2", ["Kecamatan", "Laki-laki", "Perempuan", "Jumlah"])
        sheet.write_row("A3", ["Tutur", 27010, 26875, 53885])

    table = only(workbook(fill), "p.xlsx")
    assert table.name == "p.xlsx — Sheet1 — Tabel 3.1 Jumlah Penduduk Tahun 2023"
    assert table.columns == ("Kecamatan", "Laki-laki", "Perempuan", "Jumlah")
    assert (table.first_row, rows(table)) == (3, [["Tutur", 27010, 26875, 53885]])


def test_a_plain_header_is_not_taken_for_the_first_row_of_a_two_row_one() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row("A1", ["kecamatan", "laki_laki", "perempuan"])
        sheet.write_row("A2", ["Tutur", 27010, 26875])
        sheet.write_row("A3", ["Ngoro", 21000, 20950])

    table = only(workbook(fill))
    assert table.columns == ("kecamatan", "laki_laki", "perempuan")
    assert (table.first_row, len(table.rows)) == (2, 2)


def test_text_merged_down_the_data_repeats_on_each_row_but_numbers_do_not() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row("A1", ["Kecamatan", "Jenis Kelamin", "Jumlah", "Keterangan"])
        sheet.merge_range("A2:A3", "Tutur")
        sheet.write_row("B2", ["Laki-laki", 27010])
        sheet.write_row("B3", ["Perempuan", 26875])
        sheet.merge_range("C4:D4", 53885)  # which column it belongs to is not known
        sheet.write("A4", "Ngoro")

    table = only(workbook(fill))
    assert rows(table) == [
        ["Tutur", "Laki-laki", 27010, None],
        ["Tutur", "Perempuan", 26875, None],
        ["Ngoro", None, 53885, None],
    ]


def test_cells_keep_their_kind_numbers_text_dates_and_booleans() -> None:
    def fill(book: Any, sheet: Any) -> None:
        sheet.write_row("A1", ["kecamatan", "tahun", "nilai", "persen", "tanggal", "valid"])
        day = book.add_format({"num_format": "dd mmmm yyyy"})
        built_in = book.add_format({"num_format": 14})
        percent = book.add_format({"num_format": "0.00%"})
        moment = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        sheet.write_row("A2", ["Tutur", 2023, 12.75])
        sheet.write_number("D2", 0.125, percent)
        sheet.write_datetime("E2", datetime(2023, 12, 31), day)
        sheet.write_boolean("F2", True)
        sheet.write_row("A3", ["Ngoro", "2023", "1.234.567"])
        sheet.write_datetime("E3", datetime(2024, 1, 2), built_in)
        sheet.write_boolean("F3", False)
        sheet.write("A4", "Prigen")
        sheet.write_datetime("E4", datetime(2024, 1, 2, 7, 30), moment)

    table = only(workbook(fill))
    assert rows(table) == [
        ["Tutur", 2023, 12.75, 0.125, date(2023, 12, 31), True],
        ["Ngoro", "2023", "1.234.567", None, date(2024, 1, 2), False],
        ["Prigen", None, None, None, datetime(2024, 1, 2, 7, 30), None],
    ]
    assert type(table.rows[0][1]) is int


def test_formulas_give_their_stored_values_and_never_a_guess() -> None:
    """As Excel saves: each formula with its value. One saved by a program that does not
    calculate has none, and one that failed shows an error: both are empty and reported."""
    cells = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>10</v></c>'
        '<c r="C2"><f>B2*2</f><v>20</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3"><v>7</v></c>'
        '<c r="C3"><f>B3*2</f></c></row>'
        '<row r="4"><c r="A4" t="s"><v>5</v></c><c r="B4"><v>0</v></c>'
        '<c r="C4" t="e"><f>B4/B4</f><v>#DIV/0!</v></c></row>'
        '<row r="5"><c r="A5" t="s"><v>6</v></c><c r="B5"><v>3</v></c>'
        '<c r="C5"><f>B5*2</f><v></v></c></row>'
    )
    strings = ("<t>kecamatan</t>", "<t>jumlah</t>", "<t>dua kali</t>")
    strings += ("<t>Tutur</t>", "<t>Ngoro</t>", "<t>Prigen</t>", "<t>Lekok</t>")
    table = only(package(cells, strings=strings))
    assert rows(table) == [
        ["Tutur", 10, 20],
        ["Ngoro", 7, None],
        ["Prigen", 0, None],
        ["Lekok", 3, None],
    ]
    reported = {p.reason: (p.count, p.examples) for p in table.problems}
    uncomputed = next(r for r in reported if r.startswith("rumus"))
    assert reported[uncomputed] == (2, ((3, "dua kali"), (5, "dua kali")))
    assert reported["sel berisi galat #DIV/0!, dibaca kosong"] == (1, ((4, "dua kali"),))
    assert "simpan ulang" in uncomputed


def test_a_workbook_that_asks_to_be_recalculated_has_its_formulas_reported() -> None:
    """Writers that do not calculate store a placeholder (0) and ask Excel to recalculate on
    opening: the placeholder is not the value, so it is not read as one."""
    cells = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><f>SUM(C2:D2)</f><v>0</v></c></row>'
    )
    strings = ("<t>kecamatan</t>", "<t>jumlah</t>", "<t>Tutur</t>")
    calculated = only(package(cells, strings=strings))
    placeholder = only(
        package(cells, strings=strings, workbook_extra='<calcPr fullCalcOnLoad="1"/>')
    )
    assert rows(calculated) == [["Tutur", 0]]
    assert rows(placeholder) == [["Tutur", None]]
    assert [p.count for p in placeholder.problems] == [1]


def test_inline_strings_rich_text_and_escapes_read_as_shown() -> None:
    cells = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>kecamatan</t></is></c>'
        '<c r="B1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><r><t>Tu</t></r><r><t>tur</t></r></is></c>'
        '<c r="B2" t="b"><v>1</v></c><c r="C2" t="s"><v>2</v></c></row>'
    )
    strings = (
        '<r><t>Jenis</t></r><r><t xml:space="preserve"> Kelamin</t></r>'
        '<rPh sb="0" eb="1"><t>phonetic</t></rPh>',
        "<t>Catatan</t>",
        "<t>baris satu_x000D_\nbaris dua &amp; tiga</t>",
    )
    table = only(package(cells, strings=strings))
    assert table.columns == ("kecamatan", "Jenis Kelamin", "Catatan")
    assert rows(table) == [["Tutur", True, "baris satu\r\nbaris dua & tiga"]]


def test_a_sheet_written_with_a_namespace_prefix_reads_the_same() -> None:
    cells = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>tahun</x:t></x:is></x:c>'
        '<x:c r="B1" t="inlineStr"><x:is><x:t>jumlah</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2"><x:v>2023</x:v></x:c><x:c r="C2"><x:v>5</x:v></x:c></x:row>'
    )
    table = only(package(cells, prefix="x:"))
    assert table.columns == ("tahun", "jumlah", "Kolom C")
    assert rows(table) == [[2023, None, 5]]


def test_every_visible_sheet_that_holds_a_table_is_one_and_hidden_ones_are_not() -> None:
    def fill(book: Any, sheet: Any) -> None:
        if sheet.name == "Kosong":
            return
        year = 2022 if sheet.name == "Data 2022" else 2023
        sheet.write_row("A1", ["kecamatan", "jumlah"])
        sheet.write_row("A2", ["Tutur", year])
        if sheet.name == "Daftar":
            sheet.hide()

    tables = read_tables(
        workbook(fill, sheets=("Data 2022", "Daftar", "Kosong", "Data 2023")), "luas.xlsx"
    )
    assert [(t.name, rows(t)) for t in tables] == [
        ("luas.xlsx — Data 2022", [["Tutur", 2022]]),
        ("luas.xlsx — Data 2023", [["Tutur", 2023]]),
    ]


CELLS = st.one_of(
    st.none(),
    st.integers(-5, 3000),
    st.sampled_from(["Tutur", "Jumlah", "L", "P", "(1)", "(2)", "1.234", "Sumber: BPS", "*) a"]),
)


@settings(max_examples=300, database=None, deadline=None)
@given(st.lists(st.lists(CELLS, max_size=6), max_size=14))
def test_whatever_the_layout_a_number_below_the_header_is_in_its_row_and_column(
    grid: list[list[Any]],
) -> None:
    """Skipping titles, headers and footers may drop words, never a number from the data,
    and never moves a cell to another row or column."""
    for row in grid:
        while row and row[-1] is None:
            row.pop()
    table = lay_out([list(row) for row in grid], "x")
    if table is None:
        assert not any(v is not None for row in grid for v in row)
        return
    columns = [ord(letter) - 65 for letter in table.column_letters]
    for i, row in enumerate(table.rows):
        source = grid[table.first_row - 1 + i]
        assert list(row) == [source[c] if c < len(source) else None for c in columns]
    last = table.first_row - 1 + len(table.rows)
    for r in range(table.first_row - 1, len(grid)):
        first = next((v for v in grid[r] if v is not None), None)
        footer = isinstance(first, str) and first.startswith(("Sumber", "*"))
        for c, value in enumerate(grid[r]):
            if isinstance(value, int) and (r >= last or c not in columns):
                assert footer and r >= last, (r, c, value)


# -- what is refused --------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    row = '<row r="1"><c r="A1"><v>1</v></c></row>'
    content = package(row + " " * 3_000_000)
    assert len(content) < 50_000  # three megabytes of XML in a few kilobytes
    with pytest.raises(TableFileError, match="batas isi XML"):
        read_tables(content, "bom.xlsx", limits=FileLimits(max_xml_bytes=1_000_000))


def test_a_zip_declaring_a_huge_sheet_is_refused_by_the_default_limit() -> None:
    """The sizes in the zip's directory are what inflating would cost: 600 MB declared is
    refused at once, whatever the few bytes behind it."""
    content = bytearray(package('<row r="1"><c r="A1"><v>1</v></c></row>'))
    entry = content.index(b"PK\x01\x02", content.index(b"PK\x01\x02"))
    while not content[entry + 46 :].startswith(b"xl/worksheets/sheet1.xml"):
        entry = content.index(b"PK\x01\x02", entry + 4)
    content[entry + 24 : entry + 28] = (600 * 1024 * 1024).to_bytes(4, "little")
    with pytest.raises(TableFileError, match="500 MB"):
        read_tables(bytes(content), "bom.xlsx")


def ole2(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + extra + b"\x00" * 500


def ods() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "says", "advice"),
    [
        (ole2(), "Excel lama (.xls)", "simpan sebagai .xlsx"),
        (ole2("EncryptedPackage".encode("utf-16-le")), "kata sandi", "hapus kata sandinya"),
        (ods(), ".ods", "simpan sebagai .xlsx"),
        (docx(), "bukan buku kerja Excel", "kirim berkas .xlsx atau .csv"),
        (b"PK\x03\x04" + b"\x00" * 100, "rusak", "simpan sebagai .xlsx"),
        (b"<!DOCTYPE html><html><body>Login</body></html>", "halaman web", "simpan sebagai"),
        (b"%PDF-1.7\n...", "PDF", ".xlsx atau .csv"),
        (b"  \n", "kosong", "kirim berkas"),
    ],
    ids=["xls", "password", "ods", "docx", "broken-zip", "html", "pdf", "empty"],
)
def test_what_is_not_a_readable_table_is_refused_saying_what_to_send(
    content: bytes, says: str, advice: str
) -> None:
    with pytest.raises(TableFileError) as refused:
        read_tables(content, "data.xls")
    assert says in str(refused.value)
    assert advice in str(refused.value)


def test_a_truncated_workbook_is_refused_as_broken() -> None:
    content = workbook(agency_sheet)
    with pytest.raises(TableFileError, match="rusak"):
        read_tables(content[: len(content) // 2], "penduduk.xlsx")


def test_each_limit_is_named_when_exceeded() -> None:
    def long(book: Any, sheet: Any) -> None:
        for r in range(12):
            sheet.write_row(r, 0, ["Tutur", r])

    def wide(book: Any, sheet: Any) -> None:
        sheet.write_row("A1", ["kecamatan", "jumlah"])
        sheet.write("H2", 5)

    csv_rows = b"kecamatan,jumlah\n" + b"Tutur,1\n" * 11
    cases = [
        (workbook(long), FileLimits(max_rows=10), "batas baris"),
        (csv_rows, FileLimits(max_rows=10), "batas baris"),
        (workbook(wide), FileLimits(max_columns=5), "batas kolom"),
        (b"kecamatan,a,b,c,d,e,f\n", FileLimits(max_columns=5), "batas kolom"),
        (csv_rows, FileLimits(max_bytes=100), "batas ukuran berkas"),
    ]
    for content, limits, named in cases:
        with pytest.raises(TableFileError, match=named):
            read_tables(content, "data", limits=limits)
    assert len(only(workbook(long), max_rows=12).rows) == 11


# -- CSV --------------------------------------------------------------------------------------


def test_a_semicolon_csv_with_indonesian_numbers_keeps_them_as_text() -> None:
    content = b"kecamatan;luas_panen;produksi\nPurwodadi;1.234,5;6.170,25\nTutur;980;4,9\n"
    table = only(content, "padi.csv")
    assert (table.name, table.columns) == ("padi.csv", ("kecamatan", "luas_panen", "produksi"))
    assert rows(table) == [["Purwodadi", "1.234,5", "6.170,25"], ["Tutur", "980", "4,9"]]


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [
        ("kecamatan,keterangan\nNgoro,‘Kopi’ – unggulan\n".encode("cp1252"), "cp1252"),
        ("kecamatan,keterangan\nNgoro,‘Kopi’ – unggulan\n".encode("utf-8-sig"), "utf-8 BOM"),
        ("kecamatan\tketerangan\nNgoro\t‘Kopi’ – unggulan\n".encode("utf-16"), "utf-16 tab"),
        ("sep=;\nkecamatan;keterangan\nNgoro;‘Kopi’ – unggulan\n".encode(), "sep= line"),
    ],
    ids=["cp1252", "utf-8-bom", "utf-16", "sep-line"],
)
def test_csv_encodings_and_delimiters_as_excel_saves_them(content: bytes, delimiter: str) -> None:
    table = only(content, "kopi.csv")
    assert table.columns == ("kecamatan", "keterangan")
    assert rows(table) == [["Ngoro", "‘Kopi’ – unggulan"]]


def test_quoted_cells_keep_their_delimiters_and_line_breaks() -> None:
    content = b'kecamatan,catatan,jumlah\n"Bangil, Kota","baris satu\nbaris dua",5\nNgoro,,6\n'
    table = only(content, "x.csv")
    assert rows(table) == [["Bangil, Kota", "baris satu\nbaris dua", "5"], ["Ngoro", None, "6"]]
    assert table.first_row == 2


def test_a_row_shifted_by_an_unquoted_delimiter_is_reported_not_read() -> None:
    """ "1,250" without quotes in a comma file makes three cells of two: which is the value
    cannot be known, so the row is empty in the table and named in the report."""
    content = b"kecamatan,jumlah\nTutur,980\nPurwodadi,1,250\nNgoro,3\n"
    table = only(content, "x.csv")
    assert rows(table) == [["Tutur", "980"], [None, None], ["Ngoro", "3"]]
    (problem,) = table.problems
    assert (problem.count, problem.examples) == (1, ((3, "C"),))
    assert "koma" in problem.reason
    # Shifted rows stay rows to fix even where they are most: no column is made up for them.
    mostly = only(b"kecamatan;jumlah\nTutur;1;250\nNgoro;2;100\nLekok;980\n", "x.csv")
    assert mostly.columns == ("kecamatan", "jumlah")
    assert rows(mostly) == [[None, None], [None, None], ["Lekok", "980"]]
    assert [(p.count, p.examples) for p in mostly.problems] == [(2, ((2, "C"), (3, "C")))]


def test_title_rows_above_a_csv_header_are_skipped_and_the_year_kept() -> None:
    content = (
        b"Luas Panen Padi Menurut Kecamatan Tahun 2023;;\n;;\n"
        b"kecamatan;luas_panen;satuan\nTutur;980;ha\n\nSumber: Dinas Pertanian;;\n"
    )
    table = only(content, "padi.csv")
    assert table.name == "padi.csv — Luas Panen Padi Menurut Kecamatan Tahun 2023"
    assert (table.columns, table.first_row) == (("kecamatan", "luas_panen", "satuan"), 4)
    assert rows(table) == [["Tutur", "980", "ha"]]


def test_a_file_on_disk_is_measured_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "penduduk.xlsx"
    path.write_bytes(workbook(agency_sheet))
    (table,) = read_path(path)
    assert table.name.startswith("penduduk.xlsx — Sheet1")
    with pytest.raises(TableFileError, match="batas ukuran berkas"):
        read_path(path, limits=FileLimits(max_bytes=1000))
    with pytest.raises(TableFileError, match="tidak ditemukan"):
        read_path(tmp_path / "hilang.csv")
