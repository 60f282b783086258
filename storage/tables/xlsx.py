"""XLSX and XLSM workbooks read as the cells they show, streamed, never evaluated.

A general-purpose workbook library builds an object per cell and is several times too slow
for the 200,000-row sheets agencies publish, so the parts are read here directly: the
workbook's sheet list, the shared strings, the number formats (to tell dates from numbers)
and each worksheet, streamed through expat straight into rows of Python values.

Only what the file stores is read: a formula's cached value, never the formula; a formula
saved without a value (a file written by a program that does not calculate) is an empty cell
noted for the report, as is an error value (#DIV/0!). Hidden sheets are not read: agencies
keep lookup lists, drop-down sources and scratch work there, not the published table.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any
from xml.etree import ElementTree
from xml.parsers import expat

from storage.tables.limits import FileLimits, TableFileError, count_text, size_text

MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # Strict Open XML
)
RELATIONSHIP_ID = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)
SAVE_AS_XLSX = "buka di Excel atau LibreOffice, simpan sebagai .xlsx (atau .csv), lalu kirim lagi"
UNCOMPUTED = (
    "rumus tanpa nilai yang sudah dihitung, dibaca kosong (berkas dibuat program yang tidak "
    "menghitung rumus): buka di Excel atau LibreOffice, simpan ulang, lalu kirim lagi"
)
# Built-in number formats that show a date, a date and time, or a time of day.
BUILT_IN_FORMATS = {14: "date", 15: "date", 16: "date", 17: "date", 22: "datetime"} | {
    n: "time" for n in (18, 19, 20, 21)
}
FORMAT_NOISE = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')  # literals, padding, [colours]
ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.IGNORECASE)  # [h]:mm is a duration, not a time
ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML's escape for control characters
EMPTY: tuple[Any, ...] = ()  # every row without values: shared, since sheets skip many

Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based)


@dataclass
class Sheet:
    """One visible worksheet: row `i` of `rows` is the spreadsheet's row `i + 1`, each dense up
    to its last value; `notes` are cells (row, column, reason) showing what was not stored."""

    name: str
    rows: list[Any] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    notes: list[tuple[int, int, str]] = field(default_factory=list)


def read_workbook(content: bytes, limits: FileLimits) -> list[Sheet]:
    """Every visible worksheet, in the workbook's order (empty ones included)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return _Workbook(archive, limits).sheets()
    except RuntimeError as error:  # zipfile's word for an encrypted member
        if "encrypted" in str(error):
            raise TableFileError(
                "berkas dilindungi kata sandi: buka di Excel, hapus kata sandinya, simpan, "
                "lalu kirim lagi"
            ) from None
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,  # a part the workbook names is missing
        NotImplementedError,  # a compression zipfile does not know
        ValueError,
    ) as error:
        raise TableFileError(
            f"berkas XLSX rusak atau tidak lengkap ({error.__class__.__name__}); {SAVE_AS_XLSX}"
        ) from None


class _Workbook:
    def __init__(self, archive: zipfile.ZipFile, limits: FileLimits) -> None:
        self.archive = archive
        self.limits = limits
        self.xml_left = limits.max_xml_bytes
        self.rows_left = limits.max_rows

    def sheets(self) -> list[Sheet]:
        path = self._main_part()
        workbook = self._tree(path)
        relations = self._relations(path)
        date1904 = _flag(workbook, "workbookPr", "date1904")
        # Set by programs that write formulas without calculating them (their cached values
        # are placeholders, often 0): Excel recalculates on opening, this reader cannot.
        uncalculated = _flag(workbook, "calcPr", "fullCalcOnLoad")
        strings_part = self._related(relations, "/sharedStrings")
        styles_part = self._related(relations, "/styles")
        listed: list[tuple[str, str]] = []
        for element in workbook.iter():
            if _local(element.tag) != "sheet" or element.get("state", "visible") != "visible":
                continue
            target = next(
                (relations[key] for a in RELATIONSHIP_ID if (key := element.get(a)) in relations),
                None,
            )
            if target is not None and target[0].endswith("/worksheet"):  # not a chart sheet
                listed.append((element.get("name", ""), target[1]))
        parts = [p for p in (strings_part, styles_part) if p] + [p for _, p in listed]
        self._reserve(parts)
        strings = self._strings(strings_part) if strings_part else []
        kinds = self._styles(styles_part) if styles_part else {}
        cell = _CellReader(strings, kinds, date1904, uncalculated)
        return [self._sheet(name, part, cell) for name, part in listed]

    # -- the package -------------------------------------------------------------------------

    def _main_part(self) -> str:
        names = set(self.archive.namelist())
        if "mimetype" in names:
            with self.archive.open("mimetype") as stream:
                mimetype = stream.read(100)
            if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
                raise TableFileError(
                    "berkas .ods (LibreOffice/OpenOffice) belum dapat dibaca: simpan sebagai "
                    ".xlsx (File › Save As › Excel 2007-365) atau .csv, lalu kirim lagi"
                )
        if "_rels/.rels" in names:
            for kind, target in self._relations("").values():
                if kind.endswith("/officeDocument"):
                    if target.endswith(".bin"):
                        raise TableFileError(f"berkas .xlsb belum dapat dibaca; {SAVE_AS_XLSX}")
                    if target in names:
                        return target
        if "xl/workbook.xml" in names:
            return "xl/workbook.xml"
        raise TableFileError(
            "berkas ZIP ini bukan buku kerja Excel (.xlsx): kirim berkas .xlsx atau .csv"
        )

    def _relations(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, part path) for `part` ("" for the package itself)."""
        folder, base = posixpath.split(part)
        path = posixpath.join(folder, "_rels", f"{base}.rels")
        if path not in self.archive.namelist():
            return {}
        found = {}
        for element in self._tree(path).iter():
            if _local(element.tag) != "Relationship" or element.get("TargetMode") == "External":
                continue
            target = element.get("Target", "")
            resolved = (
                target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            )
            found[element.get("Id", "")] = (element.get("Type", ""), posixpath.normpath(resolved))
        return found

    def _related(self, relations: dict[str, tuple[str, str]], kind: str) -> str | None:
        names = set(self.archive.namelist())
        return next((p for t, p in relations.values() if t.endswith(kind) and p in names), None)

    def _reserve(self, parts: list[str]) -> None:
        """Refuses a workbook whose parts would inflate past the limit, before inflating any:
        the sizes are the zip's own, and zipfile never inflates a part beyond its size."""
        total = sum(self.archive.getinfo(p).file_size for p in parts if p)
        if total > self.xml_left:
            raise TableFileError(
                f"isi berkas terurai lebih dari {size_text(self.limits.max_xml_bytes)} "
                f"(batas isi XML; berkas {size_text(total)} setelah diurai): kemungkinan berkas "
                "rusak atau sengaja dibuat membengkak; kirim hanya lembar yang berisi tabel"
            )

    def _tree(self, part: str) -> ElementTree.Element:
        """A small part (the workbook, relationships, styles), within the XML limit."""
        size = self.archive.getinfo(part).file_size
        if size > self.xml_left:
            self._reserve([part])
        self.xml_left -= size
        try:
            return ElementTree.fromstring(self.archive.read(part))
        except ElementTree.ParseError:
            raise TableFileError(f"bagian {part} dari berkas XLSX rusak; {SAVE_AS_XLSX}") from None

    def _open(self, part: str) -> IO[bytes]:
        self.xml_left -= self.archive.getinfo(part).file_size
        return self.archive.open(part)

    # -- shared strings and styles -----------------------------------------------------------

    def _strings(self, part: str) -> list[str | None]:
        """The shared string table; a blank string is None, as an empty cell is."""
        strings: list[str | None] = []
        parts: list[str] = []
        text = ""
        collecting = False
        phonetic = 0
        si, t, rph = (self._prefix(part) + local for local in ("si", "t", "rPh"))

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal text, collecting, phonetic
            if tag == t and not phonetic:
                text, collecting = "", True
            elif tag == si:
                parts.clear()
            elif tag == rph:
                phonetic += 1

        def end(tag: str) -> None:
            nonlocal collecting, phonetic
            if tag == t and collecting:
                parts.append(text)
                collecting = False
            elif tag == si:
                strings.append(_text("".join(parts)))
            elif tag == rph:
                phonetic -= 1

        def data(chunk: str) -> None:
            nonlocal text
            if collecting:
                text += chunk

        self._parse(part, start, end, data)
        return strings

    def _styles(self, part: str) -> dict[str, str]:
        """Cell style index (as the `s` attribute spells it) → "date", "datetime" or "time"."""
        styles = self._tree(part)
        custom = {
            int(e.get("numFmtId", "-1")): e.get("formatCode", "")
            for e in styles.iter()
            if _local(e.tag) == "numFmt"
        }
        kinds: dict[str, str] = {}
        cell_formats = next((e for e in styles if _local(e.tag) == "cellXfs"), None)
        for index, xf in enumerate(cell_formats if cell_formats is not None else ()):
            number_format = int(xf.get("numFmtId", "0"))
            kind = (
                _format_kind(custom[number_format])
                if number_format in custom
                else BUILT_IN_FORMATS.get(number_format)
            )
            if kind is not None:
                kinds[str(index)] = kind
        return kinds

    # -- worksheets --------------------------------------------------------------------------

    def _sheet(self, name: str, part: str, cell: _CellReader) -> Sheet:
        """The sheet's cells into rows, one expat event at a time: the hot loop of reading a
        workbook, hence plain closures over local variables."""
        sheet = Sheet(name)
        rows, notes, merges = sheet.rows, sheet.notes, sheet.merges
        max_columns, rows_left, max_rows = (
            self.limits.max_columns,
            self.rows_left,
            self.limits.max_rows,
        )
        value_of, strings, date_styles = cell.value, cell.strings, cell.kinds
        uncalculated = cell.uncalculated
        columns: dict[str, int] = {}
        current: list[Any] = []
        inline: list[str] = []
        row_number = column = phonetic = 0
        kind: str | None = None
        style: str | None = None
        raw: str | None = None
        text = ""
        formula = collecting = False
        c, v, f, t, row, rph, merge_cell = (
            self._prefix(part) + local for local in ("c", "v", "f", "t", "row", "rPh", "mergeCell")
        )

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal column, kind, style, raw, formula, text, collecting, row_number, phonetic
            if tag == c:
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    found = columns.get(letters)
                    if found is None:
                        found = columns[letters] = _column_index(letters)
                    column = found
                kind, style, raw, formula = attrs.get("t"), attrs.get("s"), None, False
                if inline:
                    inline.clear()
            elif tag == v or (tag == t and not phonetic):
                text, collecting = "", True
            elif tag == row:
                number = attrs.get("r")
                row_number = int(number) if number else row_number + 1
                column = 0
                current.clear()
            elif tag == f:
                formula = True
            elif tag == rph:
                phonetic += 1
            elif tag == merge_cell:
                merge = _merge(attrs.get("ref", ""))
                if merge is not None:
                    merges.append(merge)

        def end(tag: str) -> None:
            nonlocal raw, collecting, column, phonetic
            if tag == v:
                raw, collecting = text, False
            elif tag == c:
                if formula and (uncalculated or raw is None or (raw == "" and kind != "str")):
                    notes.append((row_number - 1, column, UNCOMPUTED))
                    column += 1
                    return
                # The two kinds nearly every cell is, without a call: whole numbers, strings.
                value: Any
                if kind is None and raw and style not in date_styles:
                    try:
                        value = int(raw)
                    except ValueError:
                        value = value_of(kind, style, raw, inline)
                elif kind == "s":
                    try:
                        value = strings[int(raw or "")]
                    except (TypeError, ValueError, IndexError):
                        value = value_of(kind, style, raw, inline)
                else:
                    value = value_of(kind, style, raw, inline)
                if value is not None:
                    if column >= max_columns:
                        raise TableFileError(_too_wide(max_columns))
                    filled = len(current)
                    if column == filled:
                        current.append(value)
                    elif column > filled:
                        current.extend([None] * (column - filled))
                        current.append(value)
                    else:
                        current[column] = value
                elif kind == "e":
                    notes.append((row_number - 1, column, f"sel berisi galat {raw}, dibaca kosong"))
                column += 1
            elif tag == row:
                if current:
                    if row_number > rows_left:
                        raise TableFileError(_too_long(max_rows))
                    if row_number > len(rows) + 1:
                        rows.extend([EMPTY] * (row_number - 1 - len(rows)))
                    if row_number == len(rows) + 1:
                        rows.append(current.copy())
                    else:  # a row given twice or out of order: the later one is what shows
                        rows[row_number - 1] = current.copy()
            elif tag == t and collecting:
                inline.append(text)
                collecting = False
            elif tag == rph:
                phonetic -= 1

        def data(chunk: str) -> None:
            nonlocal text
            if collecting:
                text += chunk

        try:
            self._parse(part, start, end, data)
        except TableFileError as error:
            raise TableFileError(f"lembar '{name}': {error}") from None
        self.rows_left -= len(rows)
        return sheet

    def _prefix(self, part: str) -> str:
        """The prefix a part gives SpreadsheetML's namespace ("" nearly always, "x:" from some
        generators), read from its root element: matching qualified names is much cheaper
        than having expat resolve namespaces on every element."""
        found: list[str] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            if not found:
                found.append(
                    next(
                        (
                            key.partition(":")[2] + ":" if ":" in key else ""
                            for key, value in attrs.items()
                            if key.startswith("xmlns") and value in MAIN
                        ),
                        "",
                    )
                )

        parser = expat.ParserCreate()
        parser.StartElementHandler = start
        with self.archive.open(part) as stream:
            try:
                while not found and (chunk := stream.read(4096)):
                    parser.Parse(chunk, False)
            except expat.ExpatError:
                pass  # the full parse says what is broken
        return found[0] if found else ""

    def _parse(
        self,
        part: str,
        start: Callable[[str, dict[str, str]], None],
        end: Callable[[str], None],
        data: Callable[[str], None],
    ) -> None:
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.buffer_size = 1 << 16
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        try:
            with self._open(part) as stream:
                parser.ParseFile(stream)
        except expat.ExpatError:
            raise TableFileError(f"bagian {part} dari berkas XLSX rusak; {SAVE_AS_XLSX}") from None


class _CellReader:
    """A cell's stored value as Python: numbers (int when whole), text, booleans, dates."""

    def __init__(
        self, strings: list[str | None], kinds: dict[str, str], date1904: bool, uncalculated: bool
    ) -> None:
        self.strings = strings
        self.kinds = kinds
        self.date1904 = date1904
        self.uncalculated = uncalculated

    def value(self, kind: str | None, style: str | None, raw: str | None, inline: list[str]) -> Any:
        if kind is None or kind == "n":
            if not raw:
                return None
            number = _number(raw)
            if style is not None and style in self.kinds and not isinstance(number, str):
                return _serial(number, self.kinds[style], self.date1904)
            return number
        if kind == "s":
            try:
                index = int(raw or "")
                if index < 0:
                    raise IndexError(index)
                return self.strings[index]
            except (ValueError, IndexError):
                raise TableFileError(
                    f"berkas XLSX rusak (teks bersama {raw!r} tidak ada); {SAVE_AS_XLSX}"
                ) from None
        if kind == "inlineStr":
            return _text("".join(inline))
        if kind == "str":
            return _text(raw) if raw else None
        if kind == "b":
            return None if not raw else raw.strip() in ("1", "true")
        if kind == "d":
            return _iso_date(raw) if raw else None
        return None  # "e": an error value, noted by the caller


def _number(raw: str) -> int | float | str:
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        number = float(raw)
    except ValueError:
        return raw  # not a number although typed as one: the reader reports the text
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _serial(number: int | float, kind: str, date1904: bool) -> Any:
    """An Excel date serial in the workbook's date system, as its format shows it."""
    if kind == "time":
        if not 0 <= number < 1:
            return number
        seconds = round(number * 86400)
        return time(seconds // 3600 % 24, seconds // 60 % 60, seconds % 60)
    if number < 1:
        return number  # no date: Excel shows 0 as "00/01/1900"
    if date1904:
        epoch = datetime(1904, 1, 1)
    else:  # 1900 system: serial 60 is Lotus' 29 February 1900, which never was
        epoch = datetime(1899, 12, 30) if number >= 61 else datetime(1899, 12, 31)
    try:
        moment = epoch + timedelta(seconds=round(number * 86400))
    except OverflowError:
        return number
    if kind == "datetime" and (moment.hour or moment.minute or moment.second):
        return moment
    return moment.date()


def _iso_date(raw: str) -> date | datetime | str:
    try:
        moment = datetime.fromisoformat(raw.rstrip("Z"))
    except ValueError:
        return raw
    return moment if moment.time() != time() else moment.date()


def _format_kind(code: str) -> str | None:
    """Whether a custom number format shows a date ("dd/mm/yyyy", "mmm-yy"), a date and time,
    or a time of day; None for numbers, text and durations."""
    if ELAPSED.search(code):
        return None
    shown = FORMAT_NOISE.sub("", code.split(";")[0]).lower()
    day_or_year = "d" in shown or "y" in shown
    clock = "h" in shown or "s" in shown
    if day_or_year or ("m" in shown and not clock):
        return "datetime" if clock else "date"
    return "time" if clock else None


def _text(value: str) -> str | None:
    if "_x" in value:
        value = ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value if value.strip() else None


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        if not "A" <= letter <= "Z":
            raise TableFileError(f"berkas XLSX rusak (alamat sel {letters!r}); {SAVE_AS_XLSX}")
        index = index * 26 + ord(letter) - 64
    return index - 1


def column_letter(index: int) -> str:
    """0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _merge(ref: str) -> Merge | None:
    match = re.fullmatch(r"\$?([A-Za-z]+)\$?(\d+)(?::\$?([A-Za-z]+)\$?(\d+))?", ref)
    if match is None:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    top, left = int(first_row) - 1, _column_index(first_col)
    if last_col is None:
        return (top, left, top, left)
    return (top, left, int(last_row) - 1, _column_index(last_col))


def _flag(root: ElementTree.Element, element: str, attribute: str) -> bool:
    return any(
        _local(e.tag) == element and e.get(attribute, "").lower() in ("1", "true")
        for e in root.iter()
    )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _too_wide(limit: int) -> str:
    return (
        f"ada isi di luar kolom ke-{count_text(limit)} (batas kolom); hapus isi di kanan tabel "
        "atau pecah tabel menjadi beberapa lembar"
    )


def _too_long(limit: int) -> str:
    return (
        f"lebih dari {count_text(limit)} baris (batas baris); pecah data menjadi beberapa "
        "berkas, misalnya satu berkas per tahun"
    )
