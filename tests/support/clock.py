"""The test suite's one notion of "now": pinned, never the day the suite happens to run.

``BLOCKER_TEST_TODAY`` (ISO 8601 with a UTC offset, or a bare date meaning 15:00 in
New York) sets it; the default is a Thursday afternoon inside 2026-W49, the week
the example data was written for. CI runs the whole suite twice, once on the
default and once years later (tests/run.sh), so a test that only passes on the
day it was written fails in CI.

Tests take their clock from here in one of three ways:

* ``TEST_NOW`` / the ``test_now`` fixture: the pinned instant, for ``--now`` and
  for ``fixed_clock``;
* :func:`ticking_clock`: starts at ``TEST_NOW`` and advances with real time, for
  live servers whose sessions and timeouts need time to pass;
* :func:`next_week` / :func:`this_week`: weeks computed from the pinned instant,
  never written as a literal by a test that also uses the product's default clock.

``tests/conftest.py`` also points the product's :func:`blocker.core.clock.system_clock`
at :func:`ticking_clock` for the whole session, so in-process code that falls back
to "the system clock" sees the pinned date too. Subprocesses (the CLI) do not:
pass them ``--now``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from blocker.core.weeks import next_week as _next_week
from blocker.core.weeks import week_of

DEFAULT = "2026-12-03T15:00:00-05:00"
"""Thursday afternoon in New York, inside 2026-W49 (the example's week)."""

ENV = "BLOCKER_TEST_TODAY"
EXAMPLE_TZ = ZoneInfo("America/New_York")


def _parse(text: str) -> datetime:
    value = text.strip()
    if len(value) == 10:  # a bare date: the afternoon of that day in the example's zone
        return datetime.combine(date.fromisoformat(value), datetime.min.time()).replace(
            hour=15, tzinfo=EXAMPLE_TZ
        )
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{ENV}={text!r} needs a UTC offset")
    return moment


TEST_NOW: datetime = _parse(os.environ.get(ENV) or DEFAULT)
"""The pinned instant of this test session."""

EPOCH_ENV = "TEST_CLOCK_MONOTONIC_EPOCH"
_STARTED = float(os.environ.setdefault(EPOCH_ENV, repr(time.monotonic())))
"""The monotonic reading at which the ticking clock showed ``TEST_NOW``. Linux's
monotonic clock is machine-wide, so subprocesses given :func:`subprocess_env` tick
in step with this process."""


class SettableClock:
    """A store clock the test moves by hand (sessions and invitations expire)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def ticking_clock() -> datetime:
    """``TEST_NOW`` plus the real time elapsed since the session started."""
    return TEST_NOW + timedelta(seconds=time.monotonic() - _STARTED)


def subprocess_env() -> dict[str, str]:
    """What a helper subprocess needs to share this session's clock (see
    :func:`pin_system_clock`)."""
    return {ENV: TEST_NOW.isoformat(), EPOCH_ENV: repr(_STARTED)}


class _PinnedDatetime(datetime):
    """``datetime`` whose ``now()`` follows the pinned, ticking clock."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = ticking_clock()
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


def pin_system_clock() -> Callable[[], None]:
    """Point :func:`blocker.core.clock.system_clock` at :func:`ticking_clock`; returns the undo.

    In-process code that falls back to "the system clock" then sees the pinned date.
    """
    import blocker.core.clock

    original = blocker.core.clock.datetime
    blocker.core.clock.datetime = _PinnedDatetime  # type: ignore[misc]

    def undo() -> None:
        blocker.core.clock.datetime = original  # type: ignore[misc]

    return undo


def now_arg(moment: datetime | None = None) -> str:
    """The ``--now`` argument for a CLI subprocess."""
    return (moment or TEST_NOW).isoformat()


def today(tz: ZoneInfo = EXAMPLE_TZ) -> date:
    return TEST_NOW.astimezone(tz).date()


def this_week(tz: ZoneInfo = EXAMPLE_TZ) -> str:
    return week_of(today(tz))


def next_week(tz: ZoneInfo = EXAMPLE_TZ) -> str:
    """The week the product plans by default (the week after the pinned today)."""
    return _next_week(today(tz))


__all__ = [
    "DEFAULT",
    "ENV",
    "TEST_NOW",
    "SettableClock",
    "next_week",
    "now_arg",
    "pin_system_clock",
    "subprocess_env",
    "this_week",
    "ticking_clock",
    "today",
]
