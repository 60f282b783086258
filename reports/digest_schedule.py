"""When the weekly digest goes out: a weekday and a local time, moved past days off.

The digest belongs to the ISO week of its nominal day (a Monday digest moved to Tuesday by a
holiday is still that week's). After downtime it is caught up within `CATCH_UP`; later than
that its figures are stale, so only the snapshot is kept and nothing is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar

CATCH_UP = timedelta(days=3)
DAYS = {
    "senin": 0, "monday": 0, "mon": 0,
    "selasa": 1, "tuesday": 1, "tue": 1,
    "rabu": 2, "wednesday": 2, "wed": 2,
    "kamis": 3, "thursday": 3, "thu": 3,
    "jumat": 4, "friday": 4, "fri": 4,
}  # fmt: skip


@dataclass(frozen=True)
class DigestSchedule:
    weekday: int = 0  # Monday
    at: time = time(7, 30)

    @classmethod
    def parse(cls, text: str) -> DigestSchedule:
        """ "senin 07:30", "friday 16:00": a working weekday and a 24-hour local time."""
        match = re.fullmatch(r"\s*([a-z']+)\s+(\d{1,2})[:.](\d{2})\s*", text.lower())
        day = DAYS.get(match.group(1).replace("'", "")) if match else None
        if match is None or day is None:
            raise ValueError(
                f"expected a weekday (senin–jumat) and a time, e.g. 'senin 07:30' (got {text!r})"
            )
        hour, minute = int(match.group(2)), int(match.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"{hour:02d}:{minute:02d} is not a time of day (e.g. 'senin 07:30')")
        return cls(day, time(hour, minute))

    def moment(self, week: date, zone: ZoneInfo, calendar: WorkCalendar) -> datetime:
        """When the digest of the week starting Monday `week` goes out."""
        day = calendar.on_or_after(week + timedelta(days=self.weekday))
        return datetime.combine(day, self.at, tzinfo=zone)

    def latest(
        self, now: datetime, zone: ZoneInfo, calendar: WorkCalendar
    ) -> tuple[date, datetime]:
        """The most recent week whose digest moment has come, and that moment."""
        today = now.astimezone(zone).date()
        week = today - timedelta(days=today.weekday())
        while (moment := self.moment(week, zone, calendar)) > now:
            week -= timedelta(weeks=1)
        return week, moment


DEFAULT_DIGEST = DigestSchedule()  # Monday 07:30 local time
