"""What reading one file may cost, and the error for a file that cannot be read at all.

Files come from agencies and from portals that anyone in an agency can upload to: a file
can be huge, a zip that inflates a thousandfold, or a sheet formatted down to the last of a
million rows. Each limit stops such a file with a message naming the limit, before it costs
the machine what the file asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


class TableFileError(Exception):
    """The file cannot be read at all; the message (Indonesian) says what to do instead."""


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int = 50 * MB  # the file as stored or downloaded
    # XML inflated from one workbook, all parts together: the zip-bomb guard.
    max_xml_bytes: int = 500 * MB
    max_rows: int = 2_000_000  # all sheets together
    max_columns: int = 500


def size_text(count: int) -> str:
    """`52428800` → `50 MB`, `1500` → `1.500 byte`: a limit as the walidata reads it."""
    if count >= MB and count % MB == 0:
        return f"{count // MB} MB"
    return f"{count:,} byte".replace(",", ".")


def count_text(count: int) -> str:
    return f"{count:,}".replace(",", ".")
