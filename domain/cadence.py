"""Which reminder or escalation step is due, and when: pure functions of the calendar.

A cadence is a list of steps relative to the due date (H-14 … H+14), each with the roles it
goes to. After the last step a weekly overdue reminder follows until the data arrives.
Steps are sent on working days, inside a daily window; a step that falls on a day off moves to
the nearest working day that keeps its meaning: steps up to the due date move earlier (never
after the due date), later steps move later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.calendar import WorkCalendar
from domain.terms import LIAISON as LIAISON  # re-exported: reminders/requests.py reads it here
from domain.terms import Role

_STEP = re.compile(r"^H(?:([+-])(\d+))?(?::([a-z_+]+))?$")


@dataclass(frozen=True)
class Step:
    name: str  # "H-14", "H", "H+3", "weekly"
    offset: int  # days from the due date
    audience: tuple[Role, ...]  # roles that receive it


@dataclass(frozen=True)
class Cadence:
    steps: tuple[Step, ...]
    weekly_audience: tuple[Role, ...] = (LIAISON,)

    @classmethod
    def parse(cls, text: str) -> Cadence:
        """`H-14,H-7,H-3,H-1,H,H+1,H+3:kepala_opd+produsen,H+7:walidata,H+14:pimpinan`.

        A step without roles goes to the dataset's liaison (produsen).
        """
        steps = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            match = _STEP.match(part)
            if not match:
                raise ValueError(f"bad cadence step {part!r}: write H-7, H, H+3:kepala_opd")
            sign, days, roles = match.groups()
            offset = (-1 if sign == "-" else 1) * int(days or 0)
            name = part.split(":")[0]
            names = roles.split("+") if roles else [LIAISON]
            unknown = [role for role in names if role not in frozenset(Role)]
            if unknown:
                raise ValueError(
                    f"bad cadence step {part!r}: unknown role {unknown[0]!r}; roles are "
                    f"{', '.join(sorted(Role))}"
                )
            steps.append(Step(name, offset, tuple(Role(role) for role in names)))
        if not steps:
            raise ValueError("a cadence needs at least one step")
        return cls(tuple(sorted(steps, key=lambda s: s.offset)))


DEFAULT_CADENCE = Cadence.parse(
    "H-14,H-7,H-3,H-1,H,H+1,H+3:kepala_opd+produsen,H+7:walidata,H+14:pimpinan"
)


@dataclass(frozen=True)
class Window:
    """The daily hours in which reminders are sent, in the deployment's local time."""

    start: time = time(8, 0)
    end: time = time(15, 0)

    @classmethod
    def parse(cls, text: str) -> Window:
        """`08:00-15:00`."""
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"bad window {text!r}: write 08:00-15:00") from None
        if start >= end:
            raise ValueError(f"bad window {text!r}: the start must come before the end")
        return cls(start, end)


DEFAULT_WINDOW = Window()


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    key: str  # unique within one dataset period: "H-7", "weekly-2"
    day: date  # the working day it is sent on

    @property
    def label(self) -> str:
        return step_label(self.key)


def step_label(key: str) -> str:
    """How a step is written in plans and messages: H-7, H+3, weekly (keys carry more)."""
    return "weekly" if key.startswith("weekly") else key.split("@")[0]


def plan(
    due: date, cadence: Cadence, calendar: WorkCalendar, until: date, key_suffix: str = ""
) -> list[PlannedStep]:
    """Every step for a period due on `due`, with weekly reminders up to `until`.

    `key_suffix` tells apart the steps of a re-planned chase (after an extension), so they
    are sent again relative to the new date.
    """
    planned = []
    for step in cadence.steps:
        nominal = due + timedelta(days=step.offset)
        day = calendar.on_or_before(nominal) if step.offset <= 0 else calendar.on_or_after(nominal)
        planned.append(PlannedStep(step, step.name + key_suffix, day))
    last = cadence.steps[-1].offset
    weekly = Step("weekly", last, cadence.weekly_audience)
    number = 1
    while (nominal := due + timedelta(days=last + 7 * number)) <= until:
        day = calendar.on_or_after(nominal)
        planned.append(PlannedStep(weekly, f"weekly-{number}{key_suffix}", day))
        number += 1
    # On a shared day the later step wins, and a named escalation wins over a weekly reminder.
    return sorted(planned, key=lambda p: (p.day, p.step.name != "weekly", p.step.offset))


def current(planned: list[PlannedStep], today: date) -> PlannedStep | None:
    """The newest step whose day has come; earlier ones are stale once a later one is due."""
    reached = [p for p in planned if p.day <= today]
    return reached[-1] if reached else None


def audience_now(
    planned: list[PlannedStep], due_now: PlannedStep, sent: set[str]
) -> tuple[Role, ...]:
    """Who the step due now goes to: its own roles, and before them the roles of the earlier
    steps passed since the last one sent (a step sent reached the roles of every step before
    it). A dataset that appears already late, or a period missed while the bot was down,
    starts at the current step, yet its liaison hears together with the escalation above
    them."""
    position = planned.index(due_now)
    last_sent = max((i for i, p in enumerate(planned[:position]) if p.key in sent), default=-1)
    missed: list[Role] = []
    for earlier in planned[last_sent + 1 : position]:
        missed.extend(role for role in earlier.step.audience if role not in missed)
    own = due_now.step.audience
    return (*(role for role in missed if role not in own), *own)


def sending_allowed(now_local: datetime, window: Window, calendar: WorkCalendar) -> bool:
    return calendar.is_working_day(now_local.date()) and (
        window.start <= now_local.time() < window.end
    )


def next_opening(now_local: datetime, window: Window, calendar: WorkCalendar) -> datetime:
    """The first moment at or after `now_local` inside the sending window."""
    today = now_local.date()
    if calendar.is_working_day(today) and now_local.time() < window.end:
        return max(now_local, datetime.combine(today, window.start, now_local.tzinfo))
    day = calendar.on_or_after(today + timedelta(days=1))
    return datetime.combine(day, window.start, now_local.tzinfo)


def next_action(
    planned: list[PlannedStep],
    sent: set[str],
    now_local: datetime,
    window: Window,
    calendar: WorkCalendar,
) -> datetime | None:
    """When a tick should look at this period again (local time), or None when nothing is left.

    An unsent current step is due at the next opening of the window; otherwise the next
    step's day, at the window's start.
    """
    today = now_local.date()
    step = current(planned, today)
    if step is not None and step.key not in sent:
        return next_opening(now_local, window, calendar)
    upcoming = [p for p in planned if p.day > today]
    if not upcoming:
        return None
    return datetime.combine(upcoming[0].day, window.start, now_local.tzinfo)
