"""Finding the table in a sheet laid out for printing, as agencies' spreadsheets are.

Above the table: title rows ("Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin Tahun
2023") and blank rows. The header may take two or three rows, a merged "Jenis Kelamin" over
"Laki-laki" and "Perempuan"; a numbering row "(1) (2) (3)" may follow it. Below the table:
"Sumber: BPS", "Keterangan: ..." and a signature block. Between: empty spacer columns.

The layout is decided on the cells as stored (a merged cell holds its value once, in its
first cell), which is what tells a title merged across the table from a header; merged values
are then repeated across their span for the column names, and text merged down the rows of
the data ("Kecamatan A" over its Laki-laki and Perempuan rows) is repeated on each row. A
number merged across cells of the data is not repeated: which of the cells it belongs to is
not known, and repeating it would count it twice.

Column names of a header of several rows are the rows' texts from top to bottom, joined by
one space, a text repeated by a merge down the header rows taken once:
"Jenis Kelamin" over "Laki-laki" → "Jenis Kelamin Laki-laki"; "Kecamatan" merged over both
rows → "Kecamatan"; a column without any header text → "Kolom C"; the second of two equal
names → "Jumlah_2".
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from storage.tables.limits import TableFileError, count_text
from storage.tables.reading import MAX_PROBLEM_EXAMPLES, Problem, Table
from storage.tables.xlsx import Merge, column_letter

HEADER_SEARCH = 50  # rows from the first filled one in which the header must start
WIDTH_SAMPLE = 200  # rows looked at to learn how many cells a row of the table fills
HEADER_LEVELS = 3
TITLE_LENGTH = 50  # a cell this long in a row of one or two cells is a title, not a header
MERGE_FILL_LIMIT = 5_000_000  # cells filled by repeating merged text into the data
# A value rather than a label: "1.234", "12,5", "45%", "-3".
NUMBERISH = re.compile(r"\s*[-+]?[\d.,\s]*\d[\d.,\s]*%?\s*")
NUMBERING = re.compile(r"\s*\(\s*(\d{1,3})\s*\)\s*")
# "Sumber: BPS", "Sumber Data :", "Ket.", "Catatan:", "*) angka sementara"; not "Sumberasih",
# nor "Sumber Wringin", which are kecamatan.
FOOTER = re.compile(
    r"\s*((sumber|source|keterangan|ket|catatan|note)(\s+data)?\s*[:.]|\*)", re.IGNORECASE
)
YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")


def lay_out(
    grid: list[Any],
    name: str,
    *,
    merges: Sequence[Merge] = (),
    notes: Sequence[tuple[int, int, str]] = (),
    delimiter: str | None = None,
) -> Table | None:
    """The table in `grid` (rows of cells, row `i` is the sheet's row `i + 1`), or None for a
    sheet without any value. `delimiter` is a CSV's: its rows with more cells than the header
    are shifted by an unquoted delimiter and are reported instead of read."""
    first = next((i for i, row in enumerate(grid) if _count(row)), None)
    if first is None:
        return None
    anchors = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in merges}
    header = _header_row(grid, first, anchors)
    top = bottom = header
    while bottom - top < HEADER_LEVELS - 1 and top > first:
        if not _is_upper(grid, top - 1, top, anchors):
            break
        top -= 1
    while bottom - top < HEADER_LEVELS - 1 and bottom + 1 < len(grid):
        if not _is_upper(grid, bottom, bottom + 1, anchors):
            break
        bottom += 1
    start = bottom + 1
    if start < len(grid) and _is_numbering(grid[start]):
        start += 1
    while start < len(grid) and not _count(grid[start]):
        start += 1
    end = max(start, _data_end(grid, start))

    heading = _heading(grid, top, bottom, merges)
    width = max((len(row) for row in heading), default=0)
    problems: list[Problem] = []
    if delimiter is not None:
        # A CSV's cells beyond its header were shifted there by a delimiter: no column.
        problems += _ragged(grid, start, end, width, delimiter)
    else:
        width = max(width, max(map(len, itertools.islice(grid, start, end)), default=0))
    _repeat_merged_text(grid, merges, start, end, width)
    data = grid[start:end]
    kept = _kept_columns(heading, data, width)
    columns = _names(heading, kept)
    problems += _noted(notes, start, end, kept, columns)
    title = _title(grid, first, top)
    return Table(
        columns=columns,
        rows=_cut(data, kept),
        name=f"{name} — {title}" if title else name,
        first_row=start + 1,
        column_letters=tuple(column_letter(c) for c in kept),
        problems=tuple(problems),
    )


# -- where the header is ---------------------------------------------------------------------


def _header_row(
    grid: list[Any], first: int, anchors: dict[tuple[int, int], tuple[int, int]]
) -> int:
    """The first row filling about as many columns as the table's rows do, a merged cell
    counting for the columns it spans. A row of one cell is a title, and so is a row of a
    few cells right above a fuller row of labels that it does not group."""
    sample = [c for row in grid[first : first + WIDTH_SAMPLE] if (c := _count(row)) >= 2]
    typical = Counter(sample).most_common(1)[0][0] if sample else 1
    need = max(2, math.ceil(typical / 2))
    for r in range(first, min(len(grid), first + HEADER_SEARCH)):
        filled = [(c, v) for c, v in enumerate(grid[r]) if v is not None]
        if len(filled) < 2:
            continue
        if len(filled) < typical and len(filled) <= 2 and any(_long_text(v) for _, v in filled):
            continue
        covered = sum(anchors[(r, c)][1] - c + 1 if (r, c) in anchors else 1 for c, _ in filled)
        if covered < need:
            continue
        below = grid[r + 1] if r + 1 < len(grid) else ()
        fuller = _count(below) > len(filled) and all(
            _is_label(v) or _is_year(v) for v in below if v is not None
        )
        if not fuller or _is_upper(grid, r, r + 1, anchors):
            return r
    return first


def _is_upper(
    grid: list[Any], upper: int, lower: int, anchors: dict[tuple[int, int], tuple[int, int]]
) -> bool:
    """Whether row `upper` groups the header cells of row `lower`: every cell of `lower` lies
    under a cell of `upper` spanning several columns (merged, or followed by empty cells) or
    beside the groups, and none under a header cell of a single column, where a row of data
    would have its labels."""
    above, below = grid[upper], grid[lower]
    filled = [c for c, v in enumerate(above) if v is not None]
    if not filled or not _count(below):
        return False
    last = max(len(above), len(below)) - 1
    first_below = next(c for c, v in enumerate(below) if v is not None)
    if len(filled) == 1:  # one cell above: a group only when merged over part of the table
        c = filled[0]
        end = anchors.get((upper, c), (0, c))[1]
        if end == c or c <= first_below or end >= last:
            return False
    cover: dict[int, tuple[int, bool]] = {}
    for i, c in enumerate(filled):
        anchor = anchors.get((upper, c))
        explicit = anchor is not None and anchor[1] > c
        if anchor is not None:
            end = anchor[1]
        else:
            end = filled[i + 1] - 1 if i + 1 < len(filled) else last
        for k in range(c, end + 1):
            cover[k] = (end - c + 1, explicit)
    grouped = False
    for c, value in enumerate(below):
        if value is None:
            continue
        span, explicit = cover.get(c, (0, False))
        if span > 1 and explicit:
            grouped = True
        elif span == 1 or not (_is_label(value) or _is_year(value)):
            return False
        elif span > 1:
            grouped = True
    if not any(explicit for _, explicit in cover.values()):
        # Without merges, a header of two rows leaves the lower row empty under the columns
        # of one level ("Kecamatan", "Jumlah"); a title above a full header does not.
        return grouped and any(c >= len(below) or below[c] is None for c in filled)
    return grouped


def _is_numbering(row: Sequence[Any]) -> bool:
    """A row numbering the columns: "(1) (2) (3)", or 1 2 3 … across at least three."""
    numbers = []
    bracketed = True
    for value in row:
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            numbers.append(value)
            bracketed = False
        elif isinstance(value, str) and (match := NUMBERING.fullmatch(value)):
            numbers.append(int(match.group(1)))
        else:
            return False
    if len(numbers) < (2 if bracketed else 3) or numbers[0] not in (0, 1):
        return False
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _data_end(grid: list[Any], start: int) -> int:
    """Where the data ends: before the footer ("Sumber: …", "Keterangan: …") when no number
    follows it, and before blocks of single notes or signatures set apart by a blank row."""
    last_number = len(grid) - 1
    while last_number > start and not any(_is_number(v) for v in grid[last_number]):
        last_number -= 1
    end = len(grid)
    for r in range(max(start, last_number), len(grid)):
        first = next((v for v in grid[r] if v is not None), None)
        if isinstance(first, str) and FOOTER.match(first) and _count(grid[r]) <= 2:
            end = r
            break
    while True:
        while end > start and not _count(grid[end - 1]):
            end -= 1
        block = end
        while block > start and _count(grid[block - 1]):
            block -= 1
        if block == start or not all(
            _count(grid[r]) <= 1 and not any(_is_number(v) for v in grid[r])
            for r in range(block, end)
        ):
            return end
        end = block


# -- columns ---------------------------------------------------------------------------------


def _heading(grid: list[Any], top: int, bottom: int, merges: Sequence[Merge]) -> list[list[Any]]:
    """The header rows with each merged value repeated over its span, and each group label
    left unmerged repeated over the empty cells after it that have a label below."""
    rows = [list(grid[r]) for r in range(top, bottom + 1)]
    extent = max(map(len, grid))  # a merge may reach far beyond the cells: clip it there
    merged: set[tuple[int, int]] = set()
    for r1, c1, r2, merge_end in merges:
        if r2 < top or r1 > bottom or r1 >= len(grid) or c1 >= len(grid[r1]):
            continue
        c2 = min(merge_end, extent - 1)
        value = grid[r1][c1]
        for r in range(max(r1, top), min(r2, bottom) + 1):
            row = rows[r - top]
            if len(row) <= c2:
                row.extend([None] * (c2 + 1 - len(row)))
            row[c1 : c2 + 1] = [value] * (c2 + 1 - c1)
            merged.update((r - top, c) for c in range(c1, c2 + 1))
    for level, (row, below) in enumerate(itertools.pairwise(rows)):
        group = None
        for c in range(min(len(below), extent)):
            value = row[c] if c < len(row) else None
            if value is not None:
                group = None if (level, c) in merged else value
            elif group is not None and below[c] is not None:
                row.extend([None] * (c + 1 - len(row)))
                row[c] = group
    return rows


def _kept_columns(heading: list[list[Any]], data: list[Any], width: int) -> list[int]:
    """The columns with a header text or a value: empty spacer columns go."""
    missing = {c for c in range(width) if not any(c < len(r) and r[c] is not None for r in heading)}
    for row in data:
        if not missing:
            break
        missing -= {c for c in missing if c < len(row) and row[c] is not None}
    return [c for c in range(width) if c not in missing]


def _names(heading: list[list[Any]], kept: list[int]) -> tuple[str, ...]:
    names: list[str] = []
    seen: Counter[str] = Counter()
    for c in kept:
        parts: list[str] = []
        for row in heading:
            text = _label_text(row[c]) if c < len(row) else ""
            if text and (not parts or parts[-1].casefold() != text.casefold()):
                parts.append(text)
        name = " ".join(parts) or f"Kolom {column_letter(c)}"
        seen[name.casefold()] += 1
        names.append(name if seen[name.casefold()] == 1 else f"{name}_{seen[name.casefold()]}")
    return tuple(names)


def _label_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split())


# -- rows --------------------------------------------------------------------------------------


def _ragged(grid: list[Any], start: int, end: int, width: int, delimiter: str) -> list[Problem]:
    """Rows with cells beyond the table: blanked and reported, since where their cells belong
    cannot be known (most often a value with an unquoted delimiter in it)."""
    shifted = [r for r in range(start, end) if len(grid[r]) > width]
    for r in shifted:
        grid[r] = []
    if not shifted:
        return []
    shown = {",": "koma", ";": "titik koma", "\t": "tab"}.get(delimiter, repr(delimiter))
    reason = (
        f"baris berisi lebih banyak sel daripada judul kolom ({width} kolom), mungkin ada {shown} "
        "di dalam nilai tanpa tanda kutip; baris tidak dibaca: perbaiki lalu kirim lagi"
    )
    examples = tuple((r + 1, column_letter(width)) for r in shifted[:MAX_PROBLEM_EXAMPLES])
    return [Problem(reason, len(shifted), examples)]


def _repeat_merged_text(
    grid: list[Any], merges: Sequence[Merge], start: int, end: int, width: int
) -> None:
    filled = 0
    for r1, c1, r2, c2 in merges:
        if not start <= r1 < end or c1 >= min(width, len(grid[r1])):
            continue
        value, last_column = grid[r1][c1], min(c2, width - 1)
        if not isinstance(value, str):
            continue
        filled += (min(r2, end - 1) - r1 + 1) * (last_column - c1 + 1)
        if filled > MERGE_FILL_LIMIT:
            raise TableFileError(
                f"sel gabungan mencakup lebih dari {count_text(MERGE_FILL_LIMIT)} sel; "
                "pisahkan sel gabungan (Unmerge) di bagian data, lalu kirim lagi"
            )
        for r in range(r1, min(r2, end - 1) + 1):
            row = grid[r] = list(grid[r])
            if len(row) <= last_column:
                row.extend([None] * (last_column + 1 - len(row)))
            row[c1 : last_column + 1] = [value] * (last_column + 1 - c1)


def _cut(data: list[Any], kept: list[int]) -> list[list[Any]]:
    """The rows reduced to the kept columns, each as long as the header."""
    width = len(kept)
    if not kept:
        return [[] for _ in data]
    first = kept[0]
    if kept == list(range(first, first + width)):
        rows = []
        for row in data:
            if first == 0 and len(row) == width and isinstance(row, list):
                rows.append(row)
                continue
            cut = list(row[first : first + width])
            if len(cut) < width:
                cut.extend([None] * (width - len(cut)))
            rows.append(cut)
        return rows
    return [[row[c] if c < len(row) else None for c in kept] for row in data]


def _noted(
    notes: Sequence[tuple[int, int, str]],
    start: int,
    end: int,
    kept: list[int],
    columns: tuple[str, ...],
) -> list[Problem]:
    names = dict(zip(kept, columns, strict=True))
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row, column, reason in notes:
        if start <= row < end and column in names:
            found[reason].append((row + 1, names[column]))
    return [
        Problem(reason, len(at), tuple(at[:MAX_PROBLEM_EXAMPLES])) for reason, at in found.items()
    ]


def _title(grid: list[Any], first: int, top: int) -> str:
    """The first title row above the header that names a year: the reader's period when the
    table has no period column."""
    for row in grid[first:top]:
        text = " ".join(_label_text(v) for v in row if v is not None)
        if YEAR.search(text):
            return text
    return ""


# -- cells -----------------------------------------------------------------------------------


def _count(row: Sequence[Any]) -> int:
    return len(row) - row.count(None) if row else 0


def _is_number(value: Any) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(NUMBERISH.fullmatch(value))


def _is_label(value: Any) -> bool:
    return isinstance(value, str) and not NUMBERISH.fullmatch(value)


def _is_year(value: Any) -> bool:
    """A year heading a column (2023, "2023"), which is a label though it is a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return 1900 <= value <= 2100
    return isinstance(value, str) and bool(YEAR.fullmatch(value.strip()))


def _long_text(value: Any) -> bool:
    return isinstance(value, str) and len(value) > TITLE_LENGTH
