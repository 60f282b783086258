"""The spreadsheet a liaison fills in to send a dataset's values for one period.

It is laid out as the table reader reads a returned file (`storage.tables`): instruction
rows above the table (read as its title), then one header row — region code and name, the
period, a column per category dimension, a column per indicator — and a row for every region
and category the dataset's last accepted table has. Everything but the value cells is filled
in and locked, so the file comes back in the shape it left. The workbook's keywords name the
dataset and the period (`storage.submission_check.template_of`), for the bot to know what a
file sent back without a caption is.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

from domain.periods import Period
from texts.i18n import Texts

DATA_SHEET = "Data"
VALUE_COLOUR = "FFF2CC"  # the cells to fill in


@dataclass(frozen=True)
class TemplateSpec:
    code: str
    title: str
    producer: str
    period: Period
    region_header: str  # "Kecamatan", "Desa/Kelurahan", "Kabupaten/Kota"
    regions: tuple[tuple[str, str], ...]  # (code, name), in the order they are listed
    # (dimension label, its category labels), the table's finest cells are their product
    dimensions: tuple[tuple[str, tuple[str, ...]], ...]
    values: tuple[tuple[str, str], ...]  # (indicator label, unit) of each value column


def filename(spec: TemplateSpec) -> str:
    return f"templat-{spec.code}-{spec.period.code}.xlsx"


def workbook(spec: TemplateSpec, t: Texts) -> bytes:
    # openpyxl costs a start-up 0.15 s of imports; most commands never write a template.
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    value_fill = PatternFill("solid", fgColor=VALUE_COLOUR)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its first sheet
    sheet.title = DATA_SHEET
    period_header, period_cell = _period_column(spec.period)
    units = ", ".join(f"{label}: {unit}" for label, unit in spec.values if unit)
    for line in (
        t.t("template_heading", title=spec.title, period=spec.period.code),
        t.t("template_fill", producer=spec.producer),
        t.t("template_units", units=units) if units else t.t("template_no_units"),
        t.t("template_send_back"),
    ):
        sheet.append([line])
    sheet.append([])
    header = [
        t.t("template_region_code"),
        spec.region_header,
        period_header,
        *(label for label, _ in spec.dimensions),
        *(f"{label} ({unit})" if unit else label for label, unit in spec.values),
    ]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    first_value = len(header) - len(spec.values) + 1
    cells = list(itertools.product(*(labels for _, labels in spec.dimensions)))
    for code, name in spec.regions:
        for categories in cells:
            sheet.append([code, name, period_cell, *categories])
            for column in range(first_value, len(header) + 1):
                value = sheet.cell(sheet.max_row, column)
                value.fill = value_fill
                value.protection = Protection(locked=False)
    for column, title in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(12, min(40, len(title) + 2))
    sheet.freeze_panes = sheet.cell(header_row + 1, first_value)
    sheet.protection.sheet = True  # region, period and category cells stay as written
    book.properties.title = spec.title
    book.properties.keywords = f"satudata:{spec.code}:{spec.period.code}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _period_column(period: Period) -> tuple[str, int | str]:
    """A year as a number under "Tahun"; any other period by its code under "Periode"
    ("2025-03", "2025-Q1"), both as the table reader reads them."""
    if period.kind == "tahunan":
        return "Tahun", period.start.year
    return "Periode", period.code
