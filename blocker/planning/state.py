"""The planner's working state: placed spans per request and the week's timelines.

Kept apart from blocker.planner so the placement steps there read as a recipe.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from zoneinfo import ZoneInfo

from blocker.core.keys import chunk_key
from blocker.core.models import BlockRequest, Busy, Conflict, WeekSpec
from blocker.planning import text
from blocker.planning.slots import ChunkRule
from blocker.planning.timeline import Span, Timeline, overlaps, to_seconds

__all__ = ["DEFENDED_KINDS", "Placed", "RequestState", "Week"]

DEFENDED_KINDS = frozenset({"focus_time"})
"""Kinds whose weekly minimum is defended (issue 15.6): the part of a kept
(``keep``) block a meeting covers is no focus, so it is missing and placed again
elsewhere, ahead of lower-priority optional work, in at least one whole chunk."""


@dataclass(slots=True)
class Placed:
    """One span given to a request under one block key."""

    key: str
    span: Span
    title: str
    pinned: bool = False
    evictable: bool = False
    """Kept from the previous plan, after ``now`` and the stability horizon, and
    on no meeting: a higher-priority request with no free room may take it."""
    fresh: bool = False
    """Placed by this run for a flexible request (not kept, pinned or fixed): the
    improvement pass (:mod:`blocker.planning.improve`) may move it."""
    lost: int = 0
    """Seconds of a defended ``keep`` block covered by meetings (see DEFENDED_KINDS)."""


@dataclass(slots=True)
class RequestState:
    """What the planner knows about one request while it works."""

    req: BlockRequest
    placed: list[Placed] = field(default_factory=list)
    dismissed: int = 0
    all_dismissed: bool = False
    pinned_keys: set[str] = field(default_factory=set)
    dismissed_keys: set[str] = field(default_factory=set)
    titles: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    held: int = 0
    """Seconds of a holding window taken by the meetings it holds (or already
    past): the window did its job there, so they count as placed, not missing."""

    @property
    def requested(self) -> int:
        return self.req.minutes * 60

    @property
    def placed_seconds(self) -> int:
        return sum(p.span[1] - p.span[0] for p in self.placed)

    capped: int = 0
    """Seconds the weekly alert cap (``alerts_max_hours``) takes from this request."""
    was_planned: bool = False
    """The previous plan had a block of it (see planning.flexible's shorter chunk)."""

    @property
    def lost(self) -> int:
        """Seconds of its kept blocks meetings took (defended kinds only)."""
        return sum(p.lost for p in self.placed)

    @property
    def remaining(self) -> int:
        left = max(
            0,
            self.requested
            - self.dismissed
            - (self.placed_seconds - self.lost)
            - self.held
            - self.capped,
        )
        if 0 < left < self.chunks.min_len and self.lost:
            return self.chunks.min_len  # a top-up is one whole chunk, never a sliver
        return left

    @property
    def chunks(self) -> ChunkRule:
        req = self.req
        max_len = req.max_chunk * 60 if req.max_chunk else None
        return ChunkRule(min(req.min_chunk, req.minutes) * 60, max_len)

    def next_key(self) -> str:
        used = {p.key for p in self.placed} | self.dismissed_keys | self.pinned_keys
        if self.req.key not in used:
            return self.req.key
        i = 1
        while chunk_key(self.req.key, i) in used:
            i += 1
        return chunk_key(self.req.key, i)


class Week:
    """The mutable working state of one planning run."""

    def __init__(self, spec: WeekSpec, busy: Sequence[Busy]) -> None:
        self.tz = ZoneInfo(spec.timezone)
        working = [(to_seconds(i.start), to_seconds(i.end)) for i in spec.working]
        self.blocked = Timeline(working)  # busy meetings + our blocks
        self.ours = Timeline(working)  # our blocks only
        self.busy = sorted(
            (to_seconds(b.start), to_seconds(b.end), b.title)
            for b in busy
            if b.blocks_time and b.end > b.start
        )
        for start, end, _ in self.busy:
            self.blocked.take((start, end))
        self._busy_starts = [start for start, _, _ in self.busy]
        self._busy_reach = list(accumulate((end for _, end, _ in self.busy), max))
        """Latest end among ``busy[: i + 1]``: non-decreasing, so meetings_on finds by
        bisection the first meeting that can still reach a span, even past a long
        (all-day) entry that starts earlier than shorter ones."""
        self.away = [
            (to_seconds(b.start), to_seconds(b.end), b.title)
            for b in busy
            if b.all_day and b.blocks_time and b.end > b.start
        ]
        """All-day busy entries (an offsite, out of office): the owner is not there, so
        not even a protected ``keep`` block, which holds its ground against meetings,
        is placed on them."""
        self.titled: list[tuple[Span, str]] = []
        self.conflicts: list[Conflict] = []

    def evict(self, state: RequestState, placed: Placed) -> None:
        state.placed.remove(placed)
        self.blocked.release(placed.span)
        self.ours.release(placed.span)
        self.titled.remove((placed.span, placed.title))

    def away_on(self, span: Span) -> list[tuple[int, int, str]]:
        return [a for a in self.away if overlaps((a[0], a[1]), span)]

    def without_away(self, room: list[Span]) -> list[Span]:
        """``room`` minus the all-day busy entries."""
        out = room
        for start, end, _ in self.away:
            cut: list[Span] = []
            for a, b in out:
                if b <= start or end <= a:
                    cut.append((a, b))
                    continue
                if a < start:
                    cut.append((a, start))
                if end < b:
                    cut.append((end, b))
            out = cut
        return out

    def covered(self, span: Span) -> int:
        """Seconds of ``span`` under meetings (overlapping meetings counted once)."""
        covered, cursor = 0, span[0]
        for start, end, _ in self.meetings_on(span):
            start, end = max(start, cursor), min(end, span[1])
            if end > start:
                covered += end - start
                cursor = end
        return covered

    def meetings_on(self, span: Span) -> list[tuple[int, int, str]]:
        """Busy meetings overlapping ``span``, in ``busy`` order.

        Called for every candidate span, so it bisects rather than scans the week:
        before ``lo`` every meeting ends by ``span[0]``, from ``hi`` on every one
        starts at or after ``span[1]``.
        """
        lo = bisect_right(self._busy_reach, span[0])
        hi = bisect_left(self._busy_starts, span[1], lo)
        return [m for m in self.busy[lo:hi] if m[1] > span[0]]

    def place(self, state: RequestState, placed: Placed, *, conflicts: bool = False) -> None:
        req = state.req
        if conflicts and not placed.pinned and not req.fixed and req.kind in DEFENDED_KINDS:
            placed.lost = self.covered(placed.span)
            if placed.lost:
                start, _, title = self.meetings_on(placed.span)[0]
                state.notes.append(text.meeting_takes(title, start, self.tz))
        state.placed.append(placed)
        self.blocked.take(placed.span)
        self.ours.take(placed.span)
        self.titled.append((placed.span, placed.title))
        if conflicts:
            for start, end, title in self.meetings_on(placed.span):
                self.conflicts.append(
                    Conflict(placed.key, title, text.at(start, self.tz), text.at(end, self.tz))
                )
