"""How many messages one Telegram user may send per minute.

A sliding window per user, kept in this process's memory: enough for one bot process. With
several workers each would count separately; sharing the count is part of scaling out.
The caller passes `now`, so tests need no sleeping.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

DEFAULT_PER_MINUTE = 30
WINDOW = timedelta(minutes=1)
PRUNE_EVERY = 10_000  # forget idle users after this many checks, so memory stays bounded


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE = "refuse"  # over the limit: say so, politely, once
    SILENT = "silent"  # still over the limit after being told: answering would flood too


@dataclass
class RateLimiter:
    per_minute: int = DEFAULT_PER_MINUTE
    _seen: dict[int, deque[datetime]] = field(default_factory=dict)
    _told: set[int] = field(default_factory=set)
    _checks: int = 0

    def check(self, user_id: int | None, now: datetime) -> Verdict:
        """Count one message from `user_id` (None: a local, trusted transport — not limited)."""
        if user_id is None:
            return Verdict.ALLOW
        self._checks += 1
        if self._checks % PRUNE_EVERY == 0:
            self._prune(now)
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= WINDOW:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            self._told.discard(user_id)
            return Verdict.ALLOW
        if user_id in self._told:
            return Verdict.SILENT
        self._told.add(user_id)
        return Verdict.REFUSE

    def wait_seconds(self, user_id: int, now: datetime) -> int:
        """Until the oldest counted message leaves the window."""
        times = self._seen.get(user_id)
        if not times:
            return 0
        return max(1, int((times[0] + WINDOW - now).total_seconds()) + 1)

    def _prune(self, now: datetime) -> None:
        idle = [u for u, times in self._seen.items() if not times or now - times[-1] >= WINDOW]
        for user_id in idle:
            del self._seen[user_id]
            self._told.discard(user_id)
