"""Meeting-free day (Friday by default) for deep work, admin and the weekly review.

One protected all-day marker shown Busy; the engine also drops every meeting-like
block (call windows, QBRs, internal meetings) from that day, and the planner
reports every meeting booked on it as a conflict (title and local time). When
the day is a holiday, ``fallback`` says where it goes: ``previous_working_day``
(the last working day before it in the same week), ``next_working_day`` (the
first one after it, which may be next week's Monday) or ``none`` (the default:
no meeting-free day that week).
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any, Literal

from blocker.core.models import BlockRequest, ConflictPolicy
from rules.context import KindDefaults, KindInfo, WeekContext, day_minutes, request
from rules.kinds._periods import working_dates
from rules.spec import Day, Rules, RuleSpec
from rules.timeparse import WEEKDAYS

Fallback = Literal["next_working_day", "previous_working_day", "none"]


class MeetingFreeDay(RuleSpec):
    day: Day = "fri"
    fallback: Fallback = "none"
    """Where the day goes when it is a holiday or a day off."""
    conflict_policy: ConflictPolicy = "keep"


def free_dates(rule: MeetingFreeDay, rules: Rules, dates: tuple[date, ...]) -> dict[date, str]:
    """The meeting-free dates among ``dates`` (one ISO week), each with a note when
    it stands in for a holiday ("" when it is the named day itself)."""
    monday = dates[0]
    out: dict[date, str] = {}
    # this week's named day, and last week's: its next_working_day may be this Monday
    for offset in (0, -7):
        named = monday + timedelta(days=offset + WEEKDAYS.index(rule.day))
        work = working_dates(rules, named - timedelta(days=7), named + timedelta(days=7))
        day: date | None = named if named in work else None
        if day is None and rule.fallback == "previous_working_day":
            week_start = monday + timedelta(days=offset)
            day = max((d for d in work if week_start <= d < named), default=None)
        elif day is None and rule.fallback == "next_working_day":
            day = min((d for d in work if d > named), default=None)
        if day is not None and day in dates:
            out[day] = "" if day == named else f"instead of {named:%a %d %b} (not a working day)"
    return out


def _expand(rule: MeetingFreeDay, ctx: WeekContext) -> list[BlockRequest]:
    out: list[BlockRequest] = []
    for day, note in sorted(free_dates(rule, ctx.rules, ctx.dates).items()):
        if day not in ctx.workdays:
            continue
        start = ctx.at(day, time(0))
        end = ctx.at(day + timedelta(days=1), time(0))
        extra: dict[str, Any] = (
            {"reason": f"your weekly template: meeting-free day {note}"} if note else {}
        )
        out.append(
            request(
                KIND,
                rule,
                ctx,
                day=day,
                ordinal=0,
                minutes=day_minutes(ctx, day),
                earliest=start,
                latest=end,
                fixed=True,
                all_day=True,
                protected=True,
                conflict_policy=rule.conflict_policy,
                **extra,
            )
        )
    return out


def meeting_free_weekdays(rules: list[RuleSpec]) -> set[str]:
    """Weekdays some meeting_free_day rule protects (the engine filters on these)."""
    return {rule.day for rule in rules if isinstance(rule, MeetingFreeDay)}


KIND = KindInfo(
    name="meeting_free_day",
    model=MeetingFreeDay,
    defaults=KindDefaults(
        title="Meeting-free day", quadrant=2, category="proactive", color="#3F51B5", priority=90
    ),
    expand=_expand,
)
