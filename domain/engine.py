"""One dataset's chase at one moment: the owed period, its due date, the step to send now.

Pure: the caller passes what the registry holds, what was already sent, and `now`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from domain import cadence as steps
from domain.cadence import DEFAULT_CADENCE, DEFAULT_WINDOW, Cadence, PlannedStep, Window
from domain.calendar import WorkCalendar
from domain.schedule import Deadline, dataset_deadline
from domain.terms import Role

WEEKLY_HORIZON = timedelta(days=8)  # plan weekly reminders a little past today


@dataclass(frozen=True)
class ReminderSettings:
    timezone: ZoneInfo
    cadence: Cadence = DEFAULT_CADENCE
    window: Window = DEFAULT_WINDOW
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    max_extensions: int = 2


class ChaseFields(Protocol):
    """What a registry row offers about a dataset's schedule (storage's ChaseRow), read-only."""

    @property
    def id(self) -> int: ...
    @property
    def periodicity(self) -> str: ...
    @property
    def latest_period(self) -> str | None: ...
    @property
    def confirmed_period(self) -> str | None: ...
    @property
    def due_months(self) -> int | None: ...
    @property
    def due_day(self) -> int | None: ...


@dataclass(frozen=True)
class ChaseState:
    """What the registry says about one dataset."""

    dataset_id: int
    periodicity: str
    latest_period: str | None
    confirmed_period: str | None = None
    due_months: int | None = None
    due_day: int | None = None

    @classmethod
    def of(cls, row: ChaseFields) -> ChaseState:
        return cls(
            row.id,
            row.periodicity,
            row.latest_period,
            row.confirmed_period,
            row.due_months,
            row.due_day,
        )

    @property
    def delivered_period(self) -> str | None:
        """The newest period present in the registry or confirmed by a walidata."""
        known = [p for p in (self.latest_period, self.confirmed_period) if p]
        return max(known) if known else None


@dataclass(frozen=True)
class Evaluation:
    deadline: Deadline | None
    planned: list[PlannedStep]
    due_now: PlannedStep | None  # the step to send at this moment, if any
    next_action_at: datetime | None  # UTC; None when the chase has nothing left
    audience: tuple[Role, ...] = ()  # who `due_now` goes to, earlier unreached roles included


def owed_deadline(
    state: ChaseState, today: date, extended_dues: Mapping[str, date] | None = None
) -> Deadline | None:
    """The period owed next and its due date, an approved extension applied."""
    deadline = dataset_deadline(
        state.periodicity, state.delivered_period, today, state.due_months, state.due_day
    )
    extended = (extended_dues or {}).get(deadline.expected.code) if deadline else None
    if extended is None:
        return deadline
    return dataset_deadline(
        state.periodicity,
        state.delivered_period,
        today,
        state.due_months,
        state.due_day,
        due_override=extended,
    )


def evaluate(
    state: ChaseState,
    sent: Mapping[str, set[str]],
    now: datetime,
    settings: ReminderSettings,
    extended_dues: Mapping[str, date] | None = None,
) -> Evaluation:
    """`sent`: period → keys of the steps already sent for it; `extended_dues`: period →
    approved extended due date."""
    local = now.astimezone(settings.timezone)
    today = local.date()
    deadline = owed_deadline(state, today, extended_dues)
    if deadline is None:
        return Evaluation(None, [], None, None)
    done = sent.get(deadline.expected.code, set())
    extended = (extended_dues or {}).get(deadline.expected.code)
    suffix = f"@{extended.isoformat()}" if extended else ""
    planned = steps.plan(
        deadline.due, settings.cadence, settings.calendar, today + WEEKLY_HORIZON, suffix
    )
    step = steps.current(planned, today)
    allowed = steps.sending_allowed(local, settings.window, settings.calendar)
    due_now = step if step is not None and step.key not in done and allowed else None
    done_after = done | {due_now.key} if due_now else done
    following = steps.next_action(planned, done_after, local, settings.window, settings.calendar)
    if following is None:
        # Nothing left for this period: look again when the next period could be owed.
        following = datetime.combine(
            deadline.expected.end + timedelta(days=1), settings.window.start, local.tzinfo
        )
    audience = steps.audience_now(planned, due_now, done) if due_now else ()
    return Evaluation(deadline, planned, due_now, following.astimezone(now.tzinfo), audience)
