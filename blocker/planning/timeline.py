"""Working time minus taken time, in integer UTC seconds.

The planner works on absolute instants (seconds since the epoch) so DST weeks
need no special case: a 23 h or 25 h day is just a shorter or longer run of
seconds between the working intervals the rules engine computed in local time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime

Span = tuple[int, int]
"""A half-open ``[start, end)`` span of UTC epoch seconds."""


def to_seconds(value: datetime) -> int:
    """Aware datetime -> epoch seconds (sub-second parts are dropped)."""
    return int(value.timestamp())


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping, non-touching union of ``spans`` (empty ones dropped)."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class Timeline:
    """Free time of a week: ``working`` minus everything taken so far.

    ``taken`` is kept merged and sorted so free pieces of a window are found
    with a bisect and one pass, which keeps a 100-request week in milliseconds.
    """

    def __init__(self, working: Iterable[Span]) -> None:
        self.working = merge(working)
        self._starts: list[int] = []
        self._taken: list[Span] = []

    def take(self, span: Span) -> None:
        """Mark ``span`` as taken (merging with neighbours)."""
        start, end = span
        if end <= start:
            return
        i = bisect_left(self._starts, start)
        # merge with the previous span when it reaches into this one
        if i > 0 and self._taken[i - 1][1] >= start:
            i -= 1
            start = self._taken[i][0]
        j = i
        while j < len(self._taken) and self._taken[j][0] <= end:
            end = max(end, self._taken[j][1])
            j += 1
        del self._taken[i:j]
        del self._starts[i:j]
        self._taken.insert(i, (start, end))
        self._starts.insert(i, start)

    def release(self, span: Span) -> None:
        """Free ``span`` again. Only for a span nothing else covers (one block of
        ours that overlaps neither a meeting nor another block)."""
        start, end = span
        i = bisect_right(self._starts, start) - 1
        if i < 0 or self._taken[i][1] < end:
            raise ValueError(f"release of {span} that is not wholly taken")
        t_start, t_end = self._taken[i]
        rest = [p for p in ((t_start, start), (end, t_end)) if p[1] > p[0]]
        self._taken[i : i + 1] = rest
        self._starts[i : i + 1] = [p[0] for p in rest]

    def is_taken(self, span: Span) -> bool:
        """Whether any part of ``span`` is taken."""
        i = bisect_right(self._starts, span[0])
        if i > 0 and self._taken[i - 1][1] > span[0]:
            return True
        return i < len(self._taken) and self._taken[i][0] < span[1]

    def in_working(self, span: Span) -> bool:
        """Whether ``span`` lies inside one working interval."""
        i = bisect_right(self.working, (span[0], 2**62)) - 1
        return i >= 0 and self.working[i][0] <= span[0] and span[1] <= self.working[i][1]

    def free(self, window: Span) -> list[Span]:
        """Free pieces (working, not taken) inside ``window``, in time order."""
        lo, hi = window
        out: list[Span] = []
        for w_start, w_end in self.working:
            if w_end <= lo:
                continue
            if w_start >= hi:
                break
            start, end = max(w_start, lo), min(w_end, hi)
            i = bisect_right(self._starts, start)
            if i > 0 and self._taken[i - 1][1] > start:
                start = self._taken[i - 1][1]
            while start < end:
                if i < len(self._taken) and self._taken[i][0] < end:
                    t_start, t_end = self._taken[i]
                    if t_start > start:
                        out.append((start, t_start))
                    start = max(start, t_end)
                    i += 1
                else:
                    out.append((start, end))
                    break
        return out

    def free_seconds(self, window: Span) -> int:
        return sum(end - start for start, end in self.free(window))


def clip(pieces: Sequence[Span], windows: Sequence[Span]) -> list[Span]:
    """Intersection of two sorted span lists (``windows`` may overlap each other)."""
    out: list[Span] = []
    for w in merge(windows):
        for p in pieces:
            start, end = max(p[0], w[0]), min(p[1], w[1])
            if start < end:
                out.append((start, end))
    return sorted(out)
