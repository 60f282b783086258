"""The buttons of a data request: the recipients' answers and the walidata's follow-up.

The broadcast, the request reminders and the walidata's `/permintaan` all put them on
messages, and `handlers.data_requests` answers them, so the payload lives here, below both.
Answer buttons wait in an agency's chat for weeks: the wire format is the one sent before
payloads were typed, so those keep working:

    d:a:<request>:<rcv|prm|snt|no>   a recipient's answer ("prm" asks for the promise dates)
    d:pd:<request>:<YYYYMMDD>        the date a recipient promises the data for
    d:<v|r|x|c|k>:<request>          the walidata views, reminds, exports, closes or cancels
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.callbacks import CallbackData
from domain.terms import RequestAnswer

DAY_FORMAT = "%Y%m%d"


class RequestAction(StrEnum):
    ANSWER = "a"  # a recipient answers (value: an `AnswerChoice`)
    PROMISE = "pd"  # a recipient promises a date (value: the day, YYYYMMDD)
    VIEW = "v"  # the walidata sees the answers per OPD
    REMIND = "r"  # the walidata reminds those who have not answered
    EXPORT = "x"  # the walidata downloads the answers as XLSX
    CLOSE = "c"  # the walidata closes the request: done
    CANCEL = "k"  # the walidata withdraws the request


# The recipients' actions; all the others are the walidata's.
RECIPIENT_ACTIONS = frozenset({RequestAction.ANSWER, RequestAction.PROMISE})


class AnswerChoice(StrEnum):
    """The answer buttons under a request, as short on the wire as they were before."""

    RECEIVED = "rcv"
    PROMISE = "prm"  # not an answer yet: the dates to promise are offered
    SENT = "snt"
    NOT_OURS = "no"


CHOICES = frozenset(AnswerChoice)
# The answer each choice records at once.
RECORDED = {
    AnswerChoice.RECEIVED: RequestAnswer.RECEIVED,
    AnswerChoice.SENT: RequestAnswer.SENT,
    AnswerChoice.NOT_OURS: RequestAnswer.NOT_OURS,
}


@dataclass(frozen=True)
class RequestButton(CallbackData, prefix="d"):
    """An action on one data request; `value` is there exactly for the recipients' actions
    (left off the wire otherwise). Build one with `answer`, `promise` or `follow_up`; a press
    of any other shape is no such button."""

    action: RequestAction
    request_id: int
    value: str | None = None

    @classmethod
    def answer(cls, request_id: int, choice: AnswerChoice) -> RequestButton:
        return cls(RequestAction.ANSWER, request_id, choice)

    @classmethod
    def promise(cls, request_id: int, day: date) -> RequestButton:
        return cls(RequestAction.PROMISE, request_id, day.strftime(DAY_FORMAT))

    @classmethod
    def follow_up(cls, action: RequestAction, request_id: int) -> RequestButton:
        assert action not in RECIPIENT_ACTIONS, action
        return cls(action, request_id)

    @property
    def choice(self) -> AnswerChoice | None:
        if self.action is not RequestAction.ANSWER or self.value is None:
            return None
        return AnswerChoice(self.value)

    @property
    def promised(self) -> date | None:
        if self.action is not RequestAction.PROMISE or self.value is None:
            return None
        return _day(self.value)

    def valid(self) -> bool:
        """A value that fits the action: an answer, a day, or nothing for the walidata's."""
        if self.action is RequestAction.ANSWER:
            return self.value in CHOICES
        if self.action is RequestAction.PROMISE:
            return self.value is not None and _day(self.value) is not None
        return self.value is None


def _day(value: str) -> date | None:
    if len(value) != len("YYYYMMDD") or not value.isascii() or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None
