"""Hand-built WeekSpecs for planner tests (no dependency on the rules engine)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from blocker.core.models import Block, BlockRequest, Busy, Interval, Plan, WeekSpec
from blocker.core.weeks import week_dates


def at(tz: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz))


def working(
    week: str, tz: str, hours: Iterable[tuple[int, int]] = ((9, 17),), days: int = 5
) -> tuple[Interval, ...]:
    """Working intervals for the first ``days`` days of ``week`` in local time."""
    out = []
    for day in week_dates(week)[:days]:
        for start, end in hours:
            out.append(Interval(at(tz, day, start), at(tz, day, end)))
    return tuple(out)


def request(
    key: str, minutes: int, earliest: datetime, latest: datetime, **kw: Any
) -> BlockRequest:
    kw.setdefault("rule", key.split(":")[0])
    kw.setdefault("kind", kw["rule"])
    kw.setdefault("title", key)
    return BlockRequest(key=key, minutes=minutes, earliest=earliest, latest=latest, **kw)


def fixed(key: str, start: datetime, minutes: int, **kw: Any) -> BlockRequest:
    return request(key, minutes, start, start + timedelta(minutes=minutes), fixed=True, **kw)


def spec(week: str, tz: str, requests: Iterable[BlockRequest], **kw: Any) -> WeekSpec:
    kw.setdefault("working", working(week, tz))
    return WeekSpec(week=week, timezone=tz, requests=tuple(requests), **kw)


def meeting(start: datetime, minutes: int, title: str = "Meeting", **kw: Any) -> Busy:
    return Busy(start=start, end=start + timedelta(minutes=minutes), title=title, **kw)


def by_key(plan: Plan) -> dict[str, Block]:
    return {b.key: b for b in plan.blocks}


def family(plan: Plan, key: str) -> list[Block]:
    """The blocks of one request: ``key`` and its chunks ``key#i``."""
    return [b for b in plan.blocks if b.key == key or b.key.startswith(key + "#")]
