"""The buttons of a reminder, of the walidata's questions about it, and of the report of who
could not be reached.

The tick puts them on reminders and the handlers answer them, so the payload lives here, below
both. Reminders wait in a liaison's chat for weeks: the wire format is the one sent before
payloads were typed, `r:<action>:<dataset id>:<period>[:<choice>]`, so those keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.callbacks import CallbackData
from domain.periods import parse_period


class ReminderAction(StrEnum):
    DONE = "done"  # the liaison says the data is updated
    EXTEND = "ext"  # the liaison asks which extension dates there are
    EXTEND_TO = "extd"  # the liaison asks for one of them (choice: days)
    NOT_OURS = "notours"  # the liaison says another OPD produces the dataset
    DETAIL = "detail"  # the dataset's deadline and the reminders sent so far
    CONFIRM = "confirm"  # the walidata confirms the liaison's claim
    DENY = "deny"  # the walidata says the data did not arrive
    APPROVE = "extok"  # the walidata approves an extension (choice: the extension's id)
    REFUSE = "extno"  # the walidata refuses it (choice: the extension's id)
    MOVE = "move"  # the walidata gives the dataset to another OPD (choice: the OPD's id)


# The actions whose button carries a `choice`.
WITH_CHOICE = frozenset(
    {ReminderAction.EXTEND_TO, ReminderAction.APPROVE, ReminderAction.REFUSE, ReminderAction.MOVE}
)


@dataclass(frozen=True)
class ReminderButton(CallbackData, prefix="r"):
    """An action on one dataset period; `choice` is there exactly for the actions `WITH_CHOICE`
    (left off the wire otherwise), and `period` is a canonical period code ("2025", "2025-Q3")."""

    action: ReminderAction
    dataset_id: int
    period: str
    choice: int | None = None

    def valid(self) -> bool:
        """A choice where one belongs and none elsewhere, and a period that is a period."""
        return (self.action in WITH_CHOICE) == (self.choice is not None) and _is_period(self.period)


@dataclass(frozen=True)
class TemplateButton(CallbackData, prefix="k"):
    """`k:<dataset id>`: the spreadsheet to send the dataset's data in, of the period it owes
    when pressed (a reminder's, or one of /kirim's choices)."""

    dataset_id: int


@dataclass(frozen=True)
class LinkButton(CallbackData, prefix="l"):
    """`l:<person id>`: the walidata asks for an invitation link that binds a Telegram account
    to this person, already in the registry without one. The unreachable report offers it for
    the people it could not reach; /peran and /undang offer it too."""

    person_id: int


def _is_period(code: str) -> bool:
    try:
        return parse_period(code).code == code
    except ValueError:
        return False
