"""What a rule kind sees of one week, and the shared way it builds a request.

Each kind module only decides *which* days and windows it wants; keys, titles,
colours, quadrants and the ``Busy ·`` prefix are made here, once, so every kind
follows the same conventions (stable keys ``rule/date/ordinal``).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from blocker.core.models import BlockRequest, Category, Interval, Quadrant, ShowAs
from rules.spec import Account, Rules, RuleSpec, WorkingHours
from rules.timeparse import WEEKDAYS, TimeRange, Weekday

R = TypeVar("R", bound=RuleSpec)

TITLE_PREFIX = "Busy · "


@dataclass(frozen=True, slots=True)
class KindDefaults:
    """A kind's defaults; every one can be overridden on the rule."""

    title: str
    quadrant: Quadrant
    category: Category
    color: str
    priority: int = 50
    show_as: ShowAs = "busy"


@dataclass(frozen=True, slots=True)
class Slot:
    """A fixed weekly slot a rule will occupy, for the load-time overlap check."""

    day: Weekday
    window: TimeRange


@dataclass(frozen=True, slots=True)
class KindInfo(Generic[R]):
    """One rule kind: its parameter model and how it expands a week."""

    name: str
    model: type[R]
    defaults: KindDefaults
    expand: Callable[[R, WeekContext], list[BlockRequest]]
    fixed_slots: Callable[[R, WorkingHours], list[Slot]] | None = None
    meeting_like: bool = False
    """Dropped on a meeting-free day (call windows, QBRs, internal meetings)."""
    late: bool = False
    """Expanded after every other kind, with ``WeekContext.tier_minutes`` filled in."""


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_title(template: str, values: Mapping[str, Any]) -> str:
    """``str.format`` that leaves unknown ``{placeholders}`` alone instead of failing."""
    return string.Formatter().vformat(template, (), _Blank(values))


@dataclass(frozen=True)
class WeekContext:
    """The week being expanded, in the rules' zone, with holidays already removed."""

    rules: Rules
    week: str
    dates: tuple[date, ...]
    workdays: Mapping[date, TimeRange]
    today: date
    contacts: Mapping[str, date] = field(default_factory=dict)
    meeting_free: frozenset[date] = frozenset()
    tier_minutes: Mapping[str, int] = field(default_factory=dict)
    """Minutes per tier asked for by the earlier kinds (triggers); a ``late`` kind
    (account time) sees them so it can budget the rest of each tier's share."""
    touched: frozenset[str] = frozenset()
    """Accounts that already have a block from an earlier kind this week."""
    meeting_minutes: Mapping[str, int] = field(default_factory=dict)
    """Minutes per tier of the meetings already on the calendar this week with the
    tier's accounts: account time budgets the rest of each tier's share."""

    @property
    def tz(self) -> ZoneInfo:
        return self.rules.tz

    @property
    def monday(self) -> date:
        return self.dates[0]

    @property
    def reference_day(self) -> date:
        """The day triggers are judged on: always the week's Monday.

        A week's triggers are fixed when it is generated (DESIGN principle 13): judged
        on "today", the set changed every morning (Thursday's go-live prep vanished on
        Friday, a silent account's "N days" title changed daily) and every run rewrote
        the calendar with no cause. They change only when the accounts, the rules or
        the calendar's contacts do.
        """
        return self.dates[0]

    def at(self, day: date, when: time) -> datetime:
        """Local wall time -> aware datetime (zoneinfo picks the right offset, DST too)."""
        return datetime.combine(day, when, tzinfo=self.tz)

    def span(self, day: date, window: TimeRange) -> Interval:
        return Interval(self.at(day, window.start), self.at(day, window.end))

    def days(self, weekdays: tuple[Weekday, ...] | None = None) -> list[date]:
        """Working days of the week (optionally only these weekdays), in order."""
        chosen = set(weekdays) if weekdays is not None else set(WEEKDAYS)
        return [d for d in self.dates if d in self.workdays and WEEKDAYS[d.weekday()] in chosen]

    def pro_rata(self, weekdays: tuple[Weekday, ...] | None = None) -> float:
        """Working days this week / working days of a normal week (0..1), so a
        weekly amount shrinks in a holiday week instead of over-asking."""
        chosen = set(weekdays) if weekdays is not None else set(WEEKDAYS)
        hours = self.rules.working_hours
        normal = sum(1 for d in WEEKDAYS if d in chosen and hours.for_day(d) is not None)
        if normal == 0:
            return 0.0
        return min(1.0, len(self.days(weekdays)) / normal)

    def week_bounds(self) -> tuple[datetime, datetime] | None:
        """First working minute to last working minute of the week, or None (no work)."""
        days = self.days()
        if not days:
            return None
        return self.at(days[0], self.workdays[days[0]].start), self.at(
            days[-1], self.workdays[days[-1]].end
        )

    def working_spans(
        self, days: list[date], window: TimeRange | None = None
    ) -> tuple[Interval, ...]:
        """``window`` (or the working hours) on each of ``days``, clipped to working hours."""
        spans: list[Interval] = []
        for day in days:
            hours = self.workdays.get(day)
            if hours is None:
                continue
            start = hours.start if window is None else max(hours.start, window.start)
            end = hours.end if window is None else min(hours.end, window.end)
            if start < end:
                spans.append(Interval(self.at(day, start), self.at(day, end)))
        return tuple(spans)

    def last_contact(self, account: Account) -> date | None:
        """Latest known touchpoint: the accounts file or the calendar, whichever is later."""
        known = [d for d in (account.last_contact, self.contacts.get(account.name)) if d]
        return max(known) if known else None

    def accounts(self, tier: str | None = None) -> list[Account]:
        return [a for a in self.rules.accounts if tier is None or a.tier == tier]


def request(
    info: KindInfo[R],
    rule: R,
    ctx: WeekContext,
    *,
    day: date,
    ordinal: int | str,
    minutes: int,
    earliest: datetime,
    latest: datetime,
    fixed: bool,
    values: Mapping[str, Any] | None = None,
    **extra: Any,
) -> BlockRequest:
    """Build one request with the rule's overrides over the kind's defaults."""
    defaults = info.defaults
    # a kind may compute a default per request (the tier's colour, a Q1 renewal);
    # what the user wrote on the rule still wins
    show_as: ShowAs = rule.show_as or extra.pop("show_as", None) or defaults.show_as
    color: str = rule.color or extra.pop("color", None) or defaults.color
    quadrant: Quadrant = rule.quadrant or extra.pop("quadrant", None) or defaults.quadrant
    category: Category = rule.category or extra.pop("category", None) or defaults.category
    priority: int = extra.pop("priority", defaults.priority)
    if rule.priority is not None:
        priority = rule.priority
    for name in ("show_as", "color", "quadrant", "category"):
        extra.pop(name, None)
    body = format_title(rule.title or defaults.title, values or {})
    title = body if show_as == "free" else TITLE_PREFIX + body
    # Every block says why it exists (DESIGN.md principle 8); triggers pass their own.
    extra.setdefault("reason", f"your weekly template: {body} (rule '{rule.rule_id}')")
    extra.setdefault("reserved", rule.reserve)
    return BlockRequest(
        key=f"{rule.rule_id}/{day.isoformat()}/{ordinal}",
        rule=rule.rule_id,
        kind=info.name,
        title=title,
        minutes=minutes,
        earliest=earliest,
        latest=latest,
        fixed=fixed,
        priority=priority,
        quadrant=quadrant,
        category=category,
        color=color,
        show_as=show_as,
        **extra,
    )


def day_minutes(ctx: WeekContext, day: date) -> int:
    """Length of a local calendar day in minutes (1380 or 1500 on DST change days)."""
    start = datetime.combine(day, time(0), tzinfo=ctx.tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ctx.tz).astimezone(UTC)
    return int((end - start).total_seconds() // 60)
