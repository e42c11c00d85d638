"""Human wording of the planner's and the diff's reasons (shortfall lists, op lines).

Every time shown to the user is in the rules' time zone (``tz``), whatever zone a
meeting was written in; an all-day entry says "all day", never 00:00-00:00; and
nothing here ever prints a block key: blocks and meetings are named by title.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from blocker.planning.timeline import Span

DISMISSED = "dismissed by you"
PAST = "already past"
OUTSIDE = "outside working hours"
SHORTENED = "you moved it to a shorter slot"

_BUMPED = "its time went to '"
_BUMPED_END = "' (higher priority)"


def at(seconds: int, tz: ZoneInfo) -> datetime:
    """Epoch seconds -> aware datetime in the plan's zone (DST-correct)."""
    return datetime.fromtimestamp(seconds, tz)


def when(seconds: int, tz: ZoneInfo) -> str:
    return f"{at(seconds, tz):%a %H:%M}"


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """``moment`` on the user's wall clock (a meeting written in another zone too)."""
    return moment.astimezone(tz)


def _all_day_bound(moment: datetime, tz: ZoneInfo) -> datetime:
    """An all-day bound as its date's midnight: in the zone it was written in when it
    is a midnight there (its dates as written, never shifted), else in ``tz`` (a
    provider that read it back as UTC instants)."""
    if moment.time() == datetime.min.time():
        return moment
    return moment.astimezone(tz)


def all_day_dates(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """First and last day of an all-day entry (its end is the next day's midnight)."""
    first = _all_day_bound(start, tz).date()
    last = max(first, (_all_day_bound(end, tz) - timedelta(microseconds=1)).date())
    return first, last


def day_time(start: datetime, tz: ZoneInfo, *, all_day: bool = False) -> str:
    """A meeting's start as the user reads it: "Tue 14:00", or "Tue, all day"."""
    if all_day:
        return f"{_all_day_bound(start, tz):%a}, all day"
    return f"{local(start, tz):%a %H:%M}"


def span(start: datetime, end: datetime, tz: ZoneInfo, *, all_day: bool = False) -> str:
    """A block's or an event's time: "Tue 01 Dec 09:30-10:00", "Fri 04 Dec, all day",
    "Mon 07 Dec-Tue 08 Dec, all day"; ends on another day show that day too."""
    if all_day:
        first, last = all_day_dates(start, end, tz)
        if first == last:
            return f"{first:%a %d %b}, all day"
        return f"{first:%a %d %b}-{last:%a %d %b}, all day"
    a, b = local(start, tz), local(end, tz)
    ends_at_midnight = b - a < timedelta(days=1) and b.time() == datetime.min.time()
    if b.date() != a.date() and not ends_at_midnight:
        return f"{a:%a %d %b %H:%M}-{b:%a %d %b %H:%M}"
    return f"{a:%a %d %b %H:%M}-{b:%H:%M}"


def short_span(start: datetime, end: datetime, tz: ZoneInfo, *, all_day: bool = False) -> str:
    """Like :func:`span` without the date: "Tue 09:30-10:00", "Fri, all day"."""
    if all_day:
        first, last = all_day_dates(start, end, tz)
        return f"{first:%a}, all day" if first == last else f"{first:%a}-{last:%a}, all day"
    a, b = local(start, tz), local(end, tz)
    return f"{a:%a %H:%M}-{b:%H:%M}"


def meeting(title: str, start: datetime, tz: ZoneInfo, *, all_day: bool = False) -> str:
    """A meeting named for the user: "'QBR Globex' (Tue 14:00)"."""
    return f"'{title}' ({day_time(start, tz, all_day=all_day)})"


def block(
    title: str, start: datetime, end: datetime, tz: ZoneInfo, *, all_day: bool = False
) -> str:
    """One of our blocks named for the user: "'Busy · Lunch' (Tue 12:00-12:45)"."""
    return f"'{title}' ({short_span(start, end, tz, all_day=all_day)})"


def meeting_takes(title: str, start: int, tz: ZoneInfo, *, all_day: bool = False) -> str:
    if all_day:
        return f"'{title}' ({at(start, tz):%a}, all day) takes this time"
    return f"'{title}' at {when(start, tz)} takes this time"


def meeting_took(title: str, start: int, tz: ZoneInfo, *, all_day: bool = False) -> str:
    if all_day:
        return f"'{title}' ({at(start, tz):%a}, all day) took its time"
    return f"'{title}' at {when(start, tz)} took its time"


def block_takes(title: str) -> str:
    return f"'{title}' (another block) takes this time"


def no_room(requested: int, placed: int, min_len: int, window: Span, tz: ZoneInfo) -> str:
    return (
        f"only {placed} of {requested} min fit: no free slot of {min_len // 60}+ min left "
        f"between {when(window[0], tz)} and {when(window[1], tz)}"
    )


def bumped_by(title: str) -> str:
    return f"{_BUMPED}{title}{_BUMPED_END}"


def bumped_to(title: str, start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """:func:`bumped_by` with the time the block now holds, in ``tz``."""
    return f"{_BUMPED}{title}' ({short_span(start, end, tz)}, higher priority)"


def bumped_title(note: str) -> str | None:
    """The block a :func:`bumped_by` note names, or None for any other note."""
    if note.startswith(_BUMPED) and note.endswith(_BUMPED_END):
        return note[len(_BUMPED) : -len(_BUMPED_END)]
    return None


_AT_MIDNIGHT = re.compile(
    r"'(?P<title>.*)' at (?P<day>\w{3}) 00:00 (?P<rest>takes this time|took its time)"
)


def as_all_day(part: str, all_day_titles: Collection[str]) -> str:
    """A :func:`meeting_takes` / :func:`meeting_took` note written without ``all_day``
    for an all-day entry ("'Offsite' at Thu 00:00 takes this time") in its all-day
    words ("'Offsite' (Thu, all day) takes this time"); any other note as it is."""
    match = _AT_MIDNIGHT.fullmatch(part)
    if match is None or match["title"] not in all_day_titles:
        return part
    return f"'{match['title']}' ({match['day']}, all day) {match['rest']}"


def parts(reason: str) -> list[str]:
    """The separate causes of a joined reason ("a; b")."""
    return [p for p in (x.strip() for x in reason.split("; ")) if p]


def naming_only(reason: str, titles: Collection[str]) -> str:
    """``reason`` without the "its time went to 'X'" parts whose X is not one of
    ``titles`` (the blocks of the plan shown with it): a block that is not on the
    calendar is never given as the cause. The rest is kept in order."""
    kept = [p for p in parts(reason) if bumped_title(p) is None or bumped_title(p) in titles]
    return "; ".join(dict.fromkeys(kept))


def over_alert_cap(cap_minutes: int, source: str = "alerts_max_hours") -> str:
    """Why an alert got less than it asked: the week's alert budget was spent first."""
    return f"over this week's alert cap ({cap_minutes / 60:g} h, {source})"


def _windows(spans: Collection[tuple[int, int]], tz: ZoneInfo) -> str:
    """Distinct times of day of preferred spans: "09:00-11:00 or 14:00-16:00"."""
    labels = dict.fromkeys(f"{at(a, tz):%H:%M}-{at(b, tz):%H:%M}" for a, b in sorted(spans))
    return " or ".join(labels)


def later_choice(rank: int, first: Collection[tuple[int, int]], tz: ZoneInfo) -> str:
    """Why a block sits in a later preferred window: the earlier choices were full."""
    return f"in its choice #{rank + 1} window: {_windows(first, tz)} had no room"


def off_preference(preferred: Collection[tuple[int, int]], start: int, tz: ZoneInfo) -> str:
    """Why a block (starting at ``start``) sits outside every preferred window: none
    had room. Named by day when its day is not one of the preferred days."""
    days = dict.fromkeys(f"{at(a, tz):%a}" for a, _ in sorted(preferred))
    if f"{at(start, tz):%a}" not in days:
        return f"outside its preferred days ({', '.join(days)}): no room there"
    return f"outside its preferred time ({_windows(preferred, tz)}): no room there"
