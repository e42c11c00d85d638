"""Why a preferred window was not honoured, in plain words (pure).

A preview of new rules shows where the blocks land; when a rule's preferred
window (focus wanted 13:00-17:00) holds less of its time than asked, the page
says so and why: how much of the window the week's meetings take, how much went
elsewhere, how much found no place at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from blocker.core.models import Busy, Interval, Plan, WeekSpec

_LABELS = {"focus_time": "Focus time", "goals": "Goal work"}


def _span(start: datetime, end: datetime) -> tuple[float, float]:
    return start.timestamp(), end.timestamp()


def _merged(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _overlap(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> int:
    """Minutes two sets of disjoint spans share."""
    seconds = sum(max(0.0, min(x[1], y[1]) - max(x[0], y[0])) for x in a for y in b)
    return round(seconds / 60)


def hours(minutes: int) -> str:
    """``90`` -> ``1.5 h``; ``30`` -> ``30 min``."""
    if minutes < 60:
        return f"{minutes} min"
    value = minutes / 60
    return f"{value:g} h" if value == round(value, 1) else f"{value:.1f} h"


def _windows_text(windows: Iterable[Interval], tz: ZoneInfo) -> str:
    seen: list[str] = []
    for w in windows:
        text = f"{w.start.astimezone(tz):%H:%M}–{w.end.astimezone(tz):%H:%M}"
        if text not in seen:
            seen.append(text)
    return " or ".join(seen)


def window_notes(spec: WeekSpec, plan: Plan, busy: Sequence[Busy], tz: ZoneInfo) -> list[str]:
    """One sentence per rule kind whose preferred windows hold less than it asked for."""
    meetings = _merged(_span(b.start, b.end) for b in busy if not b.transparent)
    notes = []
    for kind, label in _LABELS.items():
        requests = [r for r in spec.requests if r.kind == kind and r.preferred]
        if not requests:
            continue
        wanted = sum(r.minutes for r in requests)
        preferred = [w for r in requests for w in r.preferred]
        windows = _merged(_span(w.start, w.end) for w in preferred)
        blocks = _merged(_span(b.start, b.end) for b in plan.blocks if b.kind == kind)
        inside = _overlap(blocks, windows)
        if inside >= wanted:
            continue
        placed = sum(round((hi - lo) / 60) for lo, hi in blocks)
        taken = _overlap(meetings, windows)
        text = (
            f"{label}: you asked for {hours(wanted)} in {_windows_text(preferred, tz)}; "
            f"{hours(inside) if inside else 'none of it'} fits there this week."
        )
        if taken:
            text += f" Meetings take {hours(taken)} of those hours."
        if placed > inside:
            text += f" {hours(placed - inside)} is placed elsewhere in your working hours."
        if wanted > placed:
            text += f" {hours(wanted - placed)} finds no place at all this week."
        notes.append(text)
    return notes


__all__ = ["hours", "window_notes"]
