"""Parsers for the small time notations of the rules file.

Kept apart from the pydantic models so kinds and checks can share them and so the
error messages ("expected HH:MM") are written once. Every parser raises ValueError,
which pydantic turns into a located problem.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Literal, NamedTuple

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


class TimeRange(NamedTuple):
    """A local time-of-day window ``[start, end)`` on one day."""

    start: time
    end: time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class WeeklyTime(NamedTuple):
    """A weekday and a local time, e.g. ``fri 15:00`` for the weekly generation job."""

    day: Weekday
    at: time

    def __str__(self) -> str:
        return f"{self.day} {self.at:%H:%M}"


def parse_hhmm(value: object) -> time:
    """``"9:00"`` / ``"09:00"`` -> ``time(9, 0)``; ``"24:00"`` is not a time of day."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a time like '09:00', got {value!r}")
    match = _HHMM.match(value)
    if not match:
        raise ValueError(f"expected a time like '09:00', got {value!r}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day (00:00-23:59)")
    return time(hour, minute)


def parse_range(value: object) -> TimeRange:
    """``"08:30-17:30"`` -> ``TimeRange``; the end must come after the start."""
    if isinstance(value, TimeRange):
        return value
    if isinstance(value, dict) and set(value) == {"start", "end"}:
        start, end = parse_hhmm(value["start"]), parse_hhmm(value["end"])
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        start, end = parse_hhmm(value[0]), parse_hhmm(value[1])
    elif isinstance(value, str) and value.count("-") == 1:
        left, right = value.split("-")
        start, end = parse_hhmm(left), parse_hhmm(right)
    else:
        raise ValueError(
            f"expected a window like '08:30-17:30' or {{start: '08:30', end: '17:30'}}, "
            f"got {value!r}"
        )
    if end <= start:
        raise ValueError(f"window {value!r} ends before it starts")
    return TimeRange(start, end)


MAX_WINDOWS = 8
"""Preferred windows one rule may list (a preference order, not a timetable)."""


def _is_hhmm(value: object) -> bool:
    return isinstance(value, time) or (isinstance(value, str) and bool(_HHMM.match(value)))


def parse_windows(value: object) -> tuple[TimeRange, ...]:
    """One window or a list of them, first = most preferred.

    ``"09:00-11:00"``, ``{start: "09:00", end: "11:00"}`` and the old two-item
    ``["09:00", "11:00"]`` are one window; ``["09:00-11:00", {start: "14:00",
    end: "16:00"}]`` is two. Windows may not overlap: the order would mean nothing.
    """
    if value is None:
        return ()
    if isinstance(value, (list, tuple)) and not isinstance(value, TimeRange):
        if len(value) == 2 and all(_is_hhmm(v) for v in value):
            return (parse_range(value),)
        if not value:
            raise ValueError("expected at least one window, e.g. ['09:00-11:00', '14:00-16:00']")
        if len(value) > MAX_WINDOWS:
            raise ValueError(f"at most {MAX_WINDOWS} preferred windows, got {len(value)}")
        out: list[TimeRange] = []
        for number, item in enumerate(value, start=1):
            try:
                window = parse_range(item)
            except ValueError as exc:
                raise ValueError(f"window #{number}: {exc}") from None
            for other in out:
                if window.start < other.end and other.start < window.end:
                    raise ValueError(
                        f"window #{number} {window} overlaps {other}: "
                        "list windows that do not overlap, most preferred first"
                    )
            out.append(window)
        return tuple(out)
    return (parse_range(value),)


_DAY_ALIASES = {name: name for name in WEEKDAYS} | {
    "monday": "mon",
    "tuesday": "tue",
    "tues": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "thur": "thu",
    "thurs": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}


def parse_weekday(value: object) -> Weekday:
    """``"Friday"`` / ``"fri"`` -> ``"fri"``."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _DAY_ALIASES:
            day = _DAY_ALIASES[key]
            for known in WEEKDAYS:
                if known == day:
                    return known
    raise ValueError(f"expected a weekday (mon..sun), got {value!r}")


def parse_weekly_time(value: object) -> WeeklyTime:
    """``"fri 15:00"`` -> ``WeeklyTime("fri", time(15, 0))``."""
    if isinstance(value, WeeklyTime):
        return value
    if not isinstance(value, str) or len(value.split()) != 2:
        raise ValueError(f"expected a weekday and a time like 'fri 15:00', got {value!r}")
    day, at = value.split()
    return WeeklyTime(parse_weekday(day), parse_hhmm(at))


def weekday_index(day: Weekday) -> int:
    """Monday is 0, as ``date.weekday()`` counts."""
    return WEEKDAYS.index(day)


def add_minutes(at: time, minutes: int) -> time:
    """Time-of-day arithmetic that refuses to wrap past midnight."""
    total = at.hour * 60 + at.minute + minutes
    if not 0 <= total < 24 * 60:
        raise ValueError(f"{at:%H:%M} + {minutes} min leaves the day")
    return time(total // 60, total % 60)


def minute_of_day(at: time) -> int:
    return at.hour * 60 + at.minute
