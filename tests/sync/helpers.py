"""Hand-made weeks for the sync engine tests (no rules engine involved).

Week 2026-W10 in Europe/Berlin (Mon 2 - Sun 8 March 2026, no DST change):
working hours 09:00-17:00 Monday to Friday. ``NOW`` is the Sunday before, so
the stability horizon (end of today) holds none of the week's blocks.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocker.core.models import BlockRequest, Interval, WeekSpec
from blocker.core.weeks import week_dates

TZ_NAME = "Europe/Berlin"
TZ = ZoneInfo(TZ_NAME)
WEEK = "2026-W10"
CAL = "cal-1"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=TZ)
DAYS: list[date] = week_dates(WEEK)[:5]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Local time on weekday ``day`` (0 = Monday) of the test week."""
    return datetime.combine(DAYS[day], time(hour, minute), tzinfo=TZ)


def working() -> tuple[Interval, ...]:
    return tuple(Interval(at(d, 9), at(d, 17)) for d in range(5))


def flexible(
    name: str,
    minutes: int = 60,
    *,
    day: int | None = None,
    protected: bool = False,
    conflict_policy: str = "keep",
    priority: int = 50,
    reason: str = "",
    color: str = "#4285F4",
) -> BlockRequest:
    """A flexible request: anywhere that day (or anywhere in the week), one chunk."""
    earliest = at(day, 9) if day is not None else at(0, 9)
    latest = at(day, 17) if day is not None else at(4, 17)
    return BlockRequest(
        key=f"{name}:{WEEK}",
        rule=name,
        kind="focus_time" if protected else "block",
        title=name.replace("-", " ").title(),
        minutes=minutes,
        earliest=earliest,
        latest=latest,
        min_chunk=minutes,
        max_chunk=minutes,
        priority=priority,
        protected=protected,
        conflict_policy="keep" if conflict_policy == "keep" else "yield",
        reason=reason,
        color=color,
    )


def fixed(name: str, start: datetime, minutes: int = 30, **kw: object) -> BlockRequest:
    return BlockRequest(
        key=f"{name}:{start.date().isoformat()}",
        rule=name,
        kind="block",
        title=name.replace("-", " ").title(),
        minutes=minutes,
        earliest=start,
        latest=start + timedelta(minutes=minutes),
        fixed=True,
        min_chunk=minutes,
        **kw,  # type: ignore[arg-type]
    )


def spec(*requests: BlockRequest) -> WeekSpec:
    return WeekSpec(week=WEEK, timezone=TZ_NAME, working=working(), requests=tuple(requests))
