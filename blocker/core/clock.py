"""The one clock of the product: "now" comes from here, so a run can be replayed.

Every planning decision (what is past, the stability horizon, which triggers fire,
which week is "next", the run record, a session's age) asks an injected
:data:`Clock`, never ``datetime.now()`` directly. The CLI's ``--now`` and the
tests pin it; the service uses :func:`system_clock`. Durations (timeouts, run
latency) use ``time.monotonic`` and are not "now".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from blocker.core.errors import InvalidInput

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC (aware)."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always answers ``moment``: a replayed run sees one instant throughout."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a fixed clock needs an aware datetime")

    def clock() -> datetime:
        return moment

    return clock


def parse_now(text: str) -> datetime:
    """``--now`` as given by a user: ISO 8601 with a UTC offset (``Z`` allowed).

    A time without an offset is refused rather than guessed: the same wall time is
    a different moment in the rules' zone, the machine's zone and UTC.
    """
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"--now {text!r} is not an ISO 8601 time: use e.g. 2026-12-04T15:00:00-05:00"
        ) from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"--now {text!r} has no UTC offset: add one, e.g. {value}-05:00 or {value}Z"
        )
    return moment


__all__ = ["Clock", "fixed_clock", "parse_now", "system_clock"]
