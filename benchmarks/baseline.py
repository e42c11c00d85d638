"""A naive first-fit planner: the yardstick below ours.

Fixed requests go exactly where they ask (or nowhere if anything is in the
way); then every flexible request, in the order the rules file lists them,
takes the earliest free gaps of its window, as long as allowed, ignoring
priorities and preferred windows. No eviction, no look-ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from blocker.core.keys import chunk_key
from blocker.core.models import Block, BlockRequest, Busy, WeekSpec
from blocker.planning.timeline import Timeline

__all__ = ["first_fit"]


def _block(req: BlockRequest, key: str, start: int, end: int, tz: str) -> Block:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    return Block(
        key=key,
        rule=req.rule,
        kind=req.kind,
        title=req.title,
        start=datetime.fromtimestamp(start, zone),
        end=datetime.fromtimestamp(end, zone),
        tier=req.tier,
        account=req.account,
        flexible=not req.fixed,
        protected=req.protected,
        conflict_policy=req.conflict_policy,
    )


def first_fit(spec: WeekSpec, busy: Sequence[Busy]) -> list[Block]:
    """Blocks placed first-fit; see the module docstring."""
    working = [(int(w.start.timestamp()), int(w.end.timestamp())) for w in spec.working]
    blocked = Timeline(working)
    for b in busy:
        if b.blocks_time:
            blocked.take((int(b.start.timestamp()), int(b.end.timestamp())))
    out: list[Block] = []
    timed = [r for r in spec.requests if not r.all_day]
    for req in (r for r in timed if r.fixed):
        span = (int(req.earliest.timestamp()), int(req.earliest.timestamp()) + req.minutes * 60)
        if blocked.free(span) == [span]:
            blocked.take(span)
            out.append(_block(req, req.key, *span, spec.timezone))
    for req in (r for r in timed if not r.fixed):
        window = (int(req.earliest.timestamp()), int(req.latest.timestamp()))
        min_len = min(req.min_chunk, req.minutes) * 60
        max_len = req.max_chunk * 60 if req.max_chunk else None
        left = req.minutes * 60
        index = 0
        for start, end in blocked.free(window):
            while left >= min_len and end - start >= min_len:
                size = min(left, end - start, max_len or left)
                if 0 < left - size < min_len:
                    size = left - min_len if left - min_len >= min_len else size
                key = chunk_key(req.key, index)
                blocked.take((start, start + size))
                out.append(_block(req, key, start, start + size, spec.timezone))
                index += 1
                left -= size
                start += size
    return out
