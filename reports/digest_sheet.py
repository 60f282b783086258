"""The walidata's spreadsheet: one row per scheduled dataset, ready to filter and sort."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from domain.terms import DeadlineStatus, ExtensionStatus
from reminders.status import DatasetStatus
from reports.xlsx import Cell, write_sheet
from storage.models import Extension
from texts.i18n import Texts

WIDTHS = (34, 16, 50, 12, 12, 14, 14, 12, 18, 12, 28, 12, 18)  # characters, per column
PROMISES = (ExtensionStatus.PENDING, ExtensionStatus.APPROVED)  # what an extension can promise


def dataset_sheet(
    t: Texts,
    statuses: Sequence[DatasetStatus],
    opd_names: Mapping[int, str],
    liaisons: Mapping[int, list[str]],
    promises: Mapping[int, Mapping[str, Extension]],
) -> bytes:
    status_label = {s: t.t(f"status_{s}") for s in DeadlineStatus}
    promise_label: dict[str, str] = {p: t.t(f"promise_{p}") for p in PROMISES}
    liaison_names = {opd_id: ", ".join(names) for opd_id, names in liaisons.items()}

    def rows() -> Iterator[tuple[Cell, ...]]:
        for status in sorted(statuses, key=lambda s: (opd_names[s.row.opd_id], s.row.code)):
            row, deadline = status.row, status.deadline
            promise = promises.get(row.id, {}).get(deadline.expected.code)
            yield (
                opd_names[row.opd_id],
                row.code,
                row.title,
                row.periodicity,
                row.classification,
                row.latest_period,
                deadline.expected.code,
                deadline.due,
                status_label[deadline.status],
                deadline.days_late,
                liaison_names.get(row.opd_id),
                promise.new_due if promise else None,
                promise_label[promise.status] if promise else None,
            )

    header = t.t("digest_xlsx_columns").split("|")
    return write_sheet(t.t("digest_xlsx_sheet"), header, rows(), WIDTHS)
