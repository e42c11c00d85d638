"""Human wording of the planner's reasons (shown in shortfall lists and the CLI)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from blocker.planning.timeline import Span

DISMISSED = "dismissed by you"
PAST = "already past"
OUTSIDE = "outside working hours"
SHORTENED = "you moved it to a shorter slot"


def at(seconds: int, tz: ZoneInfo) -> datetime:
    """Epoch seconds -> aware datetime in the plan's zone (DST-correct)."""
    return datetime.fromtimestamp(seconds, tz)


def when(seconds: int, tz: ZoneInfo) -> str:
    return f"{at(seconds, tz):%a %H:%M}"


def meeting_takes(title: str, start: int, tz: ZoneInfo) -> str:
    return f"'{title}' at {when(start, tz)} takes this time"


def meeting_took(title: str, start: int, tz: ZoneInfo) -> str:
    return f"'{title}' at {when(start, tz)} took its time"


def block_takes(title: str) -> str:
    return f"'{title}' (another block) takes this time"


def no_room(requested: int, placed: int, min_len: int, window: Span, tz: ZoneInfo) -> str:
    return (
        f"only {placed} of {requested} min fit: no free slot of {min_len // 60}+ min left "
        f"between {when(window[0], tz)} and {when(window[1], tz)}"
    )


def bumped_by(title: str) -> str:
    return f"its time went to '{title}' (higher priority)"
