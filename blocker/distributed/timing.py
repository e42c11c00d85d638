"""When a calendar's next weekly generation or poll is due, in UTC, from the user's zone.

procrastinate's periodic tasks only know cron in UTC, so "Friday 15:00 where the
user lives" is computed here and stored per calendar (``next_generate_at``); the
dispatcher then only compares UTC instants. DST is handled by building the local
wall-clock time and letting zoneinfo pick the offset of that very day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def next_weekly_at(after: datetime, zone: str, day: str, at: time) -> datetime:
    """The first ``day`` ``at`` (wall clock in ``zone``) strictly after ``after``, in UTC."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    weekday = DAYS.index(day)
    for offset in range(8):
        candidate_day = local.date() + timedelta(days=offset)
        if candidate_day.weekday() != weekday:
            continue
        candidate = datetime.combine(candidate_day, at, tzinfo=tz)
        # A wall-clock time in a DST gap does not exist; normalise it through UTC.
        utc = candidate.astimezone(UTC)
        if utc > after:
            return utc
    raise AssertionError("unreachable: a weekday recurs within 8 days")


def next_poll_at(after: datetime, minutes: int) -> datetime | None:
    """The next poll ``minutes`` after ``after`` (None: polling is off)."""
    if minutes <= 0:
        return None
    return (after + timedelta(minutes=minutes)).astimezone(UTC)


__all__ = ["DAYS", "next_poll_at", "next_weekly_at"]
