"""Working days in Indonesia: no weekends, public holidays or collective leave (cuti bersama)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property

import holidays


class WorkCalendar:
    """Indonesian working days, from the `holidays` package's public and government lists.

    The government category carries cuti bersama, the collective leave days on which
    agencies are closed as well.
    """

    def __init__(self, extra_days_off: frozenset[date] = frozenset()) -> None:
        self._extra = extra_days_off
        self._working: dict[date, bool] = {}  # look-ups repeat for every dataset in a tick

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        # By country code: the package's `Indonesia` is a lazy loader mypy cannot see through.
        return holidays.country_holidays("ID", categories=("government", "public"), language="id")

    def is_working_day(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = day.weekday() < 5 and day not in self._holidays and day not in self._extra
            self._working[day] = known
        return known

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day)

    def on_or_before(self, day: date) -> date:
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day
