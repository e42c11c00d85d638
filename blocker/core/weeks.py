"""ISO-week arithmetic in a given time zone (``2026-W49`` strings everywhere)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocker.core.models import Interval

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> tuple[int, int]:
    """``"2026-W49"`` -> ``(2026, 49)``; ValueError with the expected form otherwise."""
    match = _WEEK.match(week)
    if not match:
        raise ValueError(f"invalid week {week!r}: expected YYYY-Www, e.g. 2026-W49")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"invalid week {week!r}: {year} has no week {number}") from exc
    return year, number


def week_of(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def week_dates(week: str) -> list[date]:
    """The seven dates Monday..Sunday of ``week``."""
    year, number = parse_week(week)
    monday = date.fromisocalendar(year, number, 1)
    return [monday + timedelta(days=i) for i in range(7)]


def next_week(today: date) -> str:
    return week_of(today + timedelta(days=7))


def shift_week(week: str, weeks: int) -> str:
    return week_of(week_dates(week)[0] + timedelta(weeks=weeks))


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def week_window(week: str, timezone: str) -> Interval:
    """Monday 00:00 to next Monday 00:00 local time (167, 168 or 169 hours)."""
    tz = ZoneInfo(timezone)
    days = week_dates(week)
    return Interval(local_midnight(days[0], tz), local_midnight(days[0] + timedelta(days=7), tz))
