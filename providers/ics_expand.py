"""Bounded expansion of the VEVENTs of an .ics file into occurrences.

A calendar file is input from anywhere (an export, a shared feed), so one event
must never break or stall the whole calendar (DESIGN principle 15):

* an event whose times cannot be read (no DTSTART, an unreadable DTEND, a
  DURATION that overflows the calendar) is skipped and named;
* a series that recurs every second or minute is skipped and named;
* a series is expanded with a budget of recurrence-rule steps (``steps``; ten
  times that for the whole read), so a rule that never fires again
  (``FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30``) cannot make dateutil walk to the year
  9999, and one with more than ``per_series`` occurrences in the window is
  skipped and named;
* a window with more than ``per_read`` occurrences keeps the first ones (in file
  order) and says how many series were left out.

The step budget is kept by dateutil's own iteration: its per-period helper
(``_iterinfo``) is replaced, once, by a subclass that charges every period it
builds to the budget of the expansion running in this context. Outside such an
expansion (no budget set) it behaves exactly as dateutil's.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import dateutil.rrule  # type: ignore[import-untyped]
import icalendar
import recurring_ical_events

from blocker.core.files import DEFAULT_MAX_FILE_BYTES, clean_text

DEFAULT_MAX_INSTANCES_PER_SERIES = 1_000
DEFAULT_MAX_INSTANCES = 20_000
DEFAULT_MAX_RECURRENCE_STEPS = 100_000

READ_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
"""What icalendar, recurring_ical_events and dateutil raise on a malformed event."""

_TOO_OFTEN = frozenset({"SECONDLY", "MINUTELY"})
MAX_TIMES_PER_DAY = 96
"""A meeting series at most every 15 minutes; more is not a calendar, it is a flood."""


@dataclass(frozen=True, slots=True)
class IcsLimits:
    """How much one read of an .ics file may take (settings ``BLOCKER_MAX_*``)."""

    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    per_series: int = DEFAULT_MAX_INSTANCES_PER_SERIES
    per_read: int = DEFAULT_MAX_INSTANCES
    steps: int = DEFAULT_MAX_RECURRENCE_STEPS


DEFAULT_ICS_LIMITS = IcsLimits()


@dataclass
class Expansion:
    """The occurrences found and the events left out, each named with why."""

    components: list[icalendar.Component] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class _StepsExceeded(Exception):
    """The recurrence rule of one series used up its step budget."""


_BUDGET: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "ics_recurrence_budget", default=None
)


class _BudgetedIterInfo(dateutil.rrule._iterinfo):  # type: ignore[misc]
    """dateutil's per-period helper, charging each period to the current budget."""

    def _charge(self, cost: int) -> None:
        budget = _BUDGET.get()
        if budget is not None:
            budget[0] -= cost
            budget[1] -= cost
            if budget[0] < 0 or budget[1] < 0:
                raise _StepsExceeded

    def _days(self, found: Any) -> Any:
        _, start, end = found
        times = getattr(self.rrule, "_timeset", None) or ()
        self._charge(1 + max(0, end - start) * max(1, len(times)))
        return found

    def ydayset(self, *args: Any) -> Any:
        return self._days(super().ydayset(*args))

    def mdayset(self, *args: Any) -> Any:
        return self._days(super().mdayset(*args))

    def wdayset(self, *args: Any) -> Any:
        return self._days(super().wdayset(*args))

    def ddayset(self, *args: Any) -> Any:
        return self._days(super().ddayset(*args))

    def htimeset(self, *args: Any) -> Any:
        found = super().htimeset(*args)
        self._charge(1 + len(found))
        return found

    def mtimeset(self, *args: Any) -> Any:
        found = super().mtimeset(*args)
        self._charge(1 + len(found))
        return found

    def stimeset(self, *args: Any) -> Any:
        found = super().stimeset(*args)
        self._charge(1 + len(found))
        return found


dateutil.rrule._iterinfo = _BudgetedIterInfo


@contextmanager
def _budget(budget: list[int]) -> Iterator[None]:
    """Charge dateutil's steps to ``budget`` ([this series, this read]) meanwhile."""
    token = _BUDGET.set(budget)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def describe(component: icalendar.Component) -> str:
    """An event as a message names it: its title and UID, cleaned and cut short."""
    summary = clean_text(str(component.get("SUMMARY", "") or ""), limit=60)
    uid = clean_text(str(component.get("UID", "") or ""), limit=80)
    if summary and uid:
        return f"event {summary!r} (UID {uid})"
    if uid:
        return f"event with UID {uid}"
    if summary:
        return f"event {summary!r}"
    return "an event without UID or title"


def static_problem(component: icalendar.Component) -> str | None:
    """Why ``component`` cannot be read at all, or None: its times and its rule."""
    if component.get("DTSTART") is None:
        return "it has no DTSTART"
    try:
        start = component.decoded("DTSTART")
    except READ_ERRORS:
        return "its DTSTART cannot be read"
    if not isinstance(start, date):
        return "its DTSTART is not a date or a date-time"
    for name in ("DTEND", "RECURRENCE-ID"):
        if component.get(name) is not None:
            try:
                value = component.decoded(name)
            except READ_ERRORS:
                return f"its {name} cannot be read"
            if not isinstance(value, date):
                return f"its {name} is not a date or a date-time"
    if component.get("DURATION") is not None:
        try:
            duration = component.decoded("DURATION")
            if not isinstance(duration, timedelta):
                return "its DURATION cannot be read"
            start + duration
            start - duration
        except READ_ERRORS:
            return "its DURATION is out of range"
    return _rule_problem(component)


def _rule_problem(component: icalendar.Component) -> str | None:
    rules = component.get("RRULE")
    if rules is None:
        return None
    for rule in rules if isinstance(rules, list) else [rules]:
        try:
            freq = [str(f).upper() for f in rule.get("FREQ", [])]
        except READ_ERRORS:
            return "its RRULE cannot be read"
        too_often = _TOO_OFTEN.intersection(freq)
        if too_often:
            return f"it repeats every {'second' if 'SECONDLY' in too_often else 'minute'}"
        try:
            per_day = 1
            for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
                per_day *= max(1, len(rule.get(part, [])))
        except READ_ERRORS:
            return "its RRULE cannot be read"
        if per_day > MAX_TIMES_PER_DAY:
            # the same flood spelled FREQ=DAILY;BYHOUR=..;BYMINUTE=..;BYSECOND=..: the
            # step budget bounds its memory, but each day still costs its occurrences
            return f"it repeats {per_day} times a day"
    return None


def expand(
    calendar: icalendar.Calendar, start: datetime, end: datetime, limits: IcsLimits
) -> Expansion:
    """The VEVENT occurrences overlapping [start, end], within ``limits``."""
    out = Expansion()
    groups: dict[str, list[icalendar.Component]] = {}
    for index, component in enumerate(calendar.walk("VEVENT")):
        problem = static_problem(component)
        if problem is not None:
            out.skipped.append(f"{describe(component)} skipped: {problem}")
            continue
        uid = str(component.get("UID", "") or "") or f"\x00anonymous-{index}"
        groups.setdefault(uid, []).append(component)
    left_out = 0
    budget = [limits.steps, limits.steps * 10]
    for members in groups.values():
        if left_out:
            left_out += 1
            continue
        budget[0] = limits.steps
        found, problem = _series(members, start, end, limits, budget)
        if problem is not None:
            out.skipped.append(f"{describe(members[0])} skipped: {problem}")
            continue
        if len(out.components) + len(found) > limits.per_read:
            left_out = 1
            continue
        out.components.extend(found)
    if left_out:
        out.skipped.append(
            f"{left_out} event(s) not read: the window already holds "
            f"{len(out.components)} occurrences (BLOCKER_MAX_INSTANCES is {limits.per_read})"
        )
    return out


def _series(
    members: list[icalendar.Component],
    start: datetime,
    end: datetime,
    limits: IcsLimits,
    budget: list[int],
) -> tuple[list[icalendar.Component], str | None]:
    """One UID's occurrences (its series and moved instances), or why not."""
    mini = icalendar.Calendar()
    for member in members:
        mini.add_component(member)
    found: list[icalendar.Component] = []
    try:
        with _budget(budget):
            query = recurring_ical_events.of(mini)
            for series in query.series:
                for occurrence in series.between(start, end):
                    if len(found) >= limits.per_series:
                        return [], (
                            f"more than {limits.per_series} occurrences in the window "
                            "(BLOCKER_MAX_INSTANCES_PER_SERIES)"
                        )
                    found.append(occurrence.as_component(False))
    except _StepsExceeded:
        if budget[1] < 0:
            return [], "the read's recurrence budget is used up (BLOCKER_MAX_RECURRENCE_STEPS)"
        return [], "its recurrence rule takes too long to expand (BLOCKER_MAX_RECURRENCE_STEPS)"
    except (*READ_ERRORS, icalendar.InvalidCalendar, recurring_ical_events.InvalidCalendar):
        return [], "its recurrence cannot be expanded"
    return found, None


__all__ = [
    "DEFAULT_ICS_LIMITS",
    "DEFAULT_MAX_INSTANCES",
    "DEFAULT_MAX_INSTANCES_PER_SERIES",
    "DEFAULT_MAX_RECURRENCE_STEPS",
    "READ_ERRORS",
    "Expansion",
    "IcsLimits",
    "describe",
    "expand",
    "static_problem",
]
