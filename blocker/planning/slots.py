"""Choosing where the next chunk of a flexible request goes.

Order of preference (DESIGN.md: preferred windows first, then earliest fit with
the least fragmentation): a whole chunk inside a preferred window, a partial
chunk inside a preferred window, a whole chunk anywhere, a partial chunk
anywhere. When a rule ranks its preferred windows (``BlockRequest.preferred_rank``),
the first-ranked windows are tried before the second, and so on. Among whole
fits the earliest wins unless it would leave a sliver too short to use; among
partial fits the longest piece wins, so a request is split into as few chunks
as possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from blocker.planning.timeline import Span, clip

SLIVER = 15 * 60
"""A gap shorter than this next to a block is time nobody can use."""


@dataclass(frozen=True, slots=True)
class ChunkRule:
    """The length limits of one request's chunks, in seconds."""

    min_len: int
    max_len: int | None

    def size(self, remaining: int, room: int) -> int:
        """Length of the next chunk: as long as allowed and fitting, and never so
        long that the rest of the request becomes shorter than ``min_len``."""
        size = min(remaining, room)
        if self.max_len is not None:
            size = min(size, self.max_len)
        rest = remaining - size
        if 0 < rest < self.min_len and size - (self.min_len - rest) >= self.min_len:
            size -= self.min_len - rest
        return size


def choose(
    free: Sequence[Span],
    preferred: Sequence[Span],
    remaining: int,
    rule: ChunkRule,
    own_ends: frozenset[int] = frozenset(),
    ranks: Sequence[int] = (),
) -> Span | None:
    """The span the next chunk should take, or None when no piece is long enough.

    ``own_ends`` are the ends of chunks already placed for the same request: a
    piece starting right there is taken last, since a chunk glued to its sibling
    would silently exceed ``max_chunk``. ``ranks`` (one per preferred span) orders
    the preferred spans: every rank-0 span is tried before any rank-1 span.
    """
    for group in ranked_groups(preferred, ranks):
        chosen = _best(clip(free, group), remaining, rule, own_ends)
        if chosen is not None:
            return chosen
    return _best(free, remaining, rule, own_ends)


def ranked_groups(preferred: Sequence[Span], ranks: Sequence[int]) -> list[list[Span]]:
    """The preferred spans grouped by rank, best first (one group when unranked)."""
    if not preferred:
        return []
    if not ranks:
        return [list(preferred)]
    return [
        sorted(p for p, r in zip(preferred, ranks, strict=True) if r == rank)
        for rank in sorted(set(ranks))
    ]


def _best(
    pieces: Sequence[Span], remaining: int, rule: ChunkRule, own_ends: frozenset[int]
) -> Span | None:
    usable = [p for p in pieces if p[1] - p[0] >= rule.min_len]
    if not usable:
        return None
    want = rule.size(remaining, remaining)
    whole = [p for p in usable if p[1] - p[0] >= want]
    if whole:
        start, end = min(whole, key=lambda p: (p[0] in own_ends, _leaves_sliver(p, want), p[0]))
        return (start, start + want)
    start, end = min(usable, key=lambda p: (p[0] in own_ends, -(p[1] - p[0]), p[0]))
    size = rule.size(remaining, end - start)
    if size < rule.min_len or size > end - start:
        return None
    return (start, start + size)


def _leaves_sliver(piece: Span, size: int) -> bool:
    left = piece[1] - piece[0] - size
    return 0 < left < SLIVER
