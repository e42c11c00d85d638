"""Turning the planner's working state into Blocks and Shortfalls."""

from __future__ import annotations

from blocker.core.models import Block, BlockRequest, ResolvedShowAs, Shortfall
from blocker.planning import text
from blocker.planning.slots import ranked_groups
from blocker.planning.state import Placed, RequestState, Week
from blocker.planning.timeline import to_seconds

__all__ = ["blocks_of", "shortfall_of"]


def shortfall_of(week: Week, state: RequestState, now_s: int | None) -> Shortfall | None:
    req = state.req
    # a holding window's meetings count as its time (see BlockRequest.holding)
    placed = (state.placed_seconds - state.lost + state.held) // 60
    if req.all_day:
        if state.all_dismissed:
            return Shortfall(req.rule, req.key, req.minutes, 0, text.DISMISSED)
        if not state.placed and state.notes:  # not placed: a day away
            return Shortfall(req.rule, req.key, req.minutes, 0, "; ".join(state.notes))
        return None
    if state.all_dismissed:
        return Shortfall(req.rule, req.key, req.minutes, 0, text.DISMISSED)
    if state.remaining == 0 and not state.dismissed and not state.capped:
        return None
    if placed >= req.minutes:
        return None
    reasons: list[str] = []
    if state.dismissed:
        reasons.append(text.DISMISSED)
    if state.capped:
        reasons.extend(n for n in dict.fromkeys(state.notes) if "alert cap" in n)
    if state.remaining:
        reasons.extend(dict.fromkeys(state.notes))
        if req.fixed and state.pinned_keys:
            reasons.append(text.SHORTENED)
        elif not req.fixed:
            lo = to_seconds(req.earliest)
            if now_s is not None:
                lo = max(lo, now_s)
            window = (lo, to_seconds(req.latest))
            if window[0] >= window[1]:
                reasons.append(text.PAST)
            else:
                reasons.append(
                    text.no_room(req.minutes, placed, state.chunks.min_len, window, week.tz)
                )
    return Shortfall(req.rule, req.key, req.minutes, placed, "; ".join(dict.fromkeys(reasons)))


def blocks_of(week: Week, state: RequestState) -> list[Block]:
    req = state.req
    out: list[Block] = []
    for placed in sorted(state.placed, key=lambda p: p.span):
        out.append(
            Block(
                key=placed.key,
                rule=req.rule,
                kind=req.kind,
                title=placed.title,
                start=text.at(placed.span[0], week.tz),
                end=text.at(placed.span[1], week.tz),
                show_as=_show_as(week, req, placed),
                color=req.color,
                quadrant=req.quadrant,
                category=req.category,
                tier=req.tier,
                account=req.account,
                flexible=not req.fixed,
                protected=req.protected,
                conflict_policy=req.conflict_policy,
                reason=_with_placement(week, req, placed, req.reason),
                all_day=req.all_day,
                holding=req.holding,
            )
        )
    return out


def _show_as(week: Week, req: BlockRequest, placed: Placed) -> ResolvedShowAs:
    """Resolve ``auto``: Free while twice the block's length is still free later in
    its window (colleagues may book over it, the planner will move it), else Busy.
    Fixed, pinned and all-day blocks cannot move, so ``auto`` means Busy for them."""
    if req.show_as != "auto":
        return req.show_as
    if req.fixed or req.all_day or placed.pinned:
        return "busy"
    start, end = placed.span
    later = week.blocked.free_seconds((end, to_seconds(req.latest)))
    return "free" if later >= 2 * (end - start) else "busy"


def _with_placement(week: Week, req: BlockRequest, placed: Placed, reason: str) -> str:
    """``reason`` plus, for a flexible block not in its first-choice window, why not."""
    if req.fixed or req.all_day or not req.preferred:
        return reason
    spans = [(to_seconds(p.start), to_seconds(p.end)) for p in req.preferred]
    groups = ranked_groups(spans, req.preferred_rank)
    start, end = placed.span
    rank = next(
        (i for i, group in enumerate(groups) if any(a <= start and end <= b for a, b in group)),
        None,
    )
    if rank == 0:
        return reason
    note = (
        text.off_preference(spans, start, week.tz)
        if rank is None
        else text.later_choice(rank, [s for g in groups[:rank] for s in g], week.tz)
    )
    return f"{reason}; {note}" if reason else note
