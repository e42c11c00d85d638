"""When a calendar's next weekly generation or poll is due, in UTC, from the user's zone.

procrastinate's periodic tasks only know cron in UTC, so "Friday 15:00 where the
user lives" is computed here and stored per calendar (``next_generate_at``); the
dispatcher then only compares UTC instants. DST is handled by building the local
wall-clock time and letting zoneinfo pick the offset of that very day.

The day itself is :func:`rules.engine.generation_day`, the rule the APScheduler
path (:func:`blocker.jobs.generate_if_due`) applies too: the named weekday, or the
last working day before it when that one is a holiday or a day off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rules.engine import generation_day
from rules.spec import Rules


def next_generation_at(after: datetime, zone: str, rules: Rules) -> datetime:
    """The first weekly generation strictly after ``after``, in UTC: the time of
    ``schedule.generate_at`` (wall clock in ``zone``) on the generation day of
    ``after``'s week or of a later one."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    tz = ZoneInfo(zone)
    local = after.astimezone(tz).date()
    monday = local - timedelta(days=local.weekday())
    for weeks in range(3):  # this week's day may be past; next week's never is
        day = generation_day(rules, monday + timedelta(weeks=weeks))
        utc = datetime.combine(day, rules.schedule.generate_at.at, tzinfo=tz).astimezone(UTC)
        if utc > after:
            return utc
    raise AssertionError("unreachable: next week's generation day is after this week")


def next_poll_at(after: datetime, minutes: int) -> datetime | None:
    """The next poll ``minutes`` after ``after`` (None: polling is off)."""
    if minutes <= 0:
        return None
    return (after + timedelta(minutes=minutes)).astimezone(UTC)


__all__ = ["next_generation_at", "next_poll_at"]
