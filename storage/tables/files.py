"""A spreadsheet or CSV file, as bytes, turned into the `Table`s the reader understands.

One entry for every source of files: a CKAN resource without a DataStore table, a file given
to `satudata import data`, a spreadsheet sent in chat. What the file is comes from its
content, not its name: portals label files loosely, and an "Export to Excel" of a web
application is often an HTML page named .xls. A workbook gives one table per visible sheet
that holds anything, named "<file> — <sheet>"; a CSV gives one, named after the file.
Anything that cannot be read at all raises `TableFileError`, saying what to send instead.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

from storage.tables.layout import lay_out
from storage.tables.limits import FileLimits, TableFileError, count_text, size_text
from storage.tables.reading import Table
from storage.tables.xlsx import read_workbook

__all__ = ["FileLimits", "TableFileError", "read_path", "read_tables"]

DEFAULT_LIMITS = FileLimits()
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .xls and of encrypted .xlsx
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
DELIMITERS = (",", ";", "\t")  # in order of preference when the content cannot tell
SNIFF_CHARACTERS = 64 * 1024
SNIFF_LINES = 50
SAVE_AS = "buka di Excel atau LibreOffice, simpan sebagai .xlsx atau .csv, lalu kirim lagi"


def read_tables(content: bytes, name: str, *, limits: FileLimits = DEFAULT_LIMITS) -> list[Table]:
    """The tables in a file's content; `name` is the file's name, which names the tables."""
    if len(content) > limits.max_bytes:
        raise TableFileError(_too_big(len(content), limits))
    if not content[:4096].strip() and not content.strip():
        raise TableFileError("berkas kosong: kirim berkas yang berisi tabel")
    _refuse_what_is_not_a_table(content)
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        tables = []
        for sheet in read_workbook(content, limits):
            table = lay_out(
                sheet.rows, f"{name} — {sheet.name}", merges=sheet.merges, notes=sheet.notes
            )
            if table is not None:
                tables.append(table)
        if not tables:
            raise TableFileError(
                "semua lembar kerja yang tampil kosong (lembar tersembunyi tidak dibaca): "
                "tampilkan lembar yang berisi tabel (Unhide), simpan, lalu kirim lagi"
            )
        return tables
    return [_csv_table(content, name, limits)]


def read_path(path: Path, *, limits: FileLimits = DEFAULT_LIMITS) -> list[Table]:
    """The tables in a file on disk; its size is checked before it is read."""
    try:
        size = path.stat().st_size
    except OSError:
        raise TableFileError(f"berkas {path} tidak ditemukan") from None
    if not path.is_file():
        raise TableFileError(f"{path} bukan berkas: sebutkan berkas .xlsx atau .csv")
    if size > limits.max_bytes:
        raise TableFileError(_too_big(size, limits))
    return read_tables(path.read_bytes(), path.name, limits=limits)


def _refuse_what_is_not_a_table(content: bytes) -> None:
    if content.startswith(OLE2):
        if ENCRYPTED in content:
            raise TableFileError(
                "berkas dilindungi kata sandi: buka di Excel, hapus kata sandinya "
                "(File › Info › Protect Workbook), simpan, lalu kirim lagi"
            )
        raise TableFileError(f"berkas Excel lama (.xls) belum dapat dibaca: {SAVE_AS}")
    if content.startswith(b"%PDF"):
        raise TableFileError(
            "berkas PDF tidak dapat dibaca sebagai tabel: kirim tabelnya sebagai .xlsx atau .csv"
        )
    start = content[:1024].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body")):
        raise TableFileError(
            "berkas ini halaman web (HTML), bukan tabel (biasa terjadi pada 'Export ke Excel' "
            f"dari aplikasi web, atau tautan unduhan yang meminta login): {SAVE_AS}"
        )
    if start.startswith(b"<?xml"):
        raise TableFileError(f"berkas XML belum dapat dibaca sebagai tabel: {SAVE_AS}")
    if not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and (
        b"\x00" in content[:4096] and not content.startswith(b"PK")
    ):
        raise TableFileError(
            f"berkas ini bukan tabel yang dikenali (bukan .xlsx atau .csv): {SAVE_AS}"
        )


# -- CSV -------------------------------------------------------------------------------------


def _csv_table(content: bytes, name: str, limits: FileLimits) -> Table:
    text = decode_text(content)
    first_line, _, rest = text.partition("\n")
    hint = first_line.rstrip("\r")
    if hint.lower().startswith("sep=") and len(hint) == 5:
        delimiter, text = hint[4], rest  # Excel's own hint for its CSV files
    else:
        delimiter = _delimiter(text)
    grid: list[Any] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            row: list[Any] = [cell if cell.strip() else None for cell in record]
            while row and row[-1] is None:
                row.pop()
            if len(row) > limits.max_columns:
                raise TableFileError(
                    f"baris {len(grid) + 1} berisi lebih dari {count_text(limits.max_columns)} "
                    "kolom (batas kolom): pecah tabel menjadi beberapa berkas"
                )
            grid.append(row)
            if len(grid) > limits.max_rows:
                raise TableFileError(
                    f"lebih dari {count_text(limits.max_rows)} baris (batas baris): pecah data "
                    "menjadi beberapa berkas, misalnya satu berkas per tahun"
                )
    except csv.Error as error:
        raise TableFileError(
            f"berkas CSV tidak terbaca di baris {len(grid) + 1} ({error}): {SAVE_AS}"
        ) from None
    table = lay_out(grid, name, delimiter=delimiter)
    if table is None:
        raise TableFileError("berkas tidak berisi satu nilai pun: kirim berkas yang berisi tabel")
    return table


def decode_text(content: bytes) -> str:
    """UTF-16 when it says so (Excel's "Unicode text"), UTF-8 with or without BOM, then the
    Windows code page that older Excel versions in Indonesia save CSV in."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise TableFileError(f"berkas teks UTF-16 rusak: {SAVE_AS}") from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def _delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of cells most often:
    "12,5" in a semicolon file splits a line by commas, but not every line alike."""
    lines = text[:SNIFF_CHARACTERS].splitlines()
    if len(text) > SNIFF_CHARACTERS:
        lines = lines[:-1]  # cut in the middle
    lines = [line for line in lines if line.strip()][:SNIFF_LINES]
    best, best_score = DELIMITERS[0], (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter) if len(r) > 1]
        except csv.Error:
            continue
        if not counts:
            continue
        cells, lines_alike = Counter(counts).most_common(1)[0]
        if (lines_alike, cells) > best_score:
            best, best_score = delimiter, (lines_alike, cells)
    return best


def _too_big(size: int, limits: FileLimits) -> str:
    return (
        f"berkas {size_text(size)}, lebih besar dari {size_text(limits.max_bytes)} (batas "
        "ukuran berkas): pecah data menjadi beberapa berkas, misalnya satu berkas per tahun"
    )
