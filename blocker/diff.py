"""Plan + observed events + store state -> the ops that make the calendar match (pure).

DESIGN.md section 4: plan, diff and apply are separate; diff does no I/O, so a
dry run and a real run compute exactly the same ops. Only events carrying our
ownership tag are ever matched, updated or deleted; foreign events only serve
to explain *why* a block moved. Deletions are inferred only from a complete read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from blocker.models import Block, Busy, Interval, Op, OpAction, Plan, RemoteEvent
from blocker.state import EventMapping

_ACTION_RANK: dict[OpAction, int] = {"delete": 0, "update": 1, "create": 2}

REASON_NOT_REQUESTED = "deleted: rule no longer asks for it"
REASON_DUPLICATE = "deleted: duplicate"


def diff(
    plan: Plan,
    observed: Sequence[RemoteEvent],
    mappings: Mapping[str, EventMapping],
    *,
    busy: Sequence[Busy] = (),
    previous: Sequence[Block] = (),
    read_complete: bool = True,
) -> list[Op]:
    """Ops turning the owned events of ``observed`` into ``plan.blocks``.

    Zero ops when the calendar already matches (title, instants, free/busy, the
    hash in the ownership tag and, when the rule changed it since the last applied
    plan, the colour). Moves are
    updates of the same event (PATCH), never delete + create. With
    ``read_complete`` False nothing is deleted and no mapped block is re-created:
    an event missing from a cut-short read may well exist, or the user may have
    deleted it.
    """
    desired = {block.key: block for block in plan.blocks}
    before = {block.key: block for block in previous}
    owned = _owned_by_key(observed)
    ops: list[Op] = []

    for key, events in owned.items():
        block = desired.get(key)
        keep = _choose(events, mappings.get(key), block)
        if read_complete:
            ops.extend(
                Op("delete", key, REASON_DUPLICATE, current=event)
                for event in events
                if event is not keep
            )
        if block is None:
            if read_complete:
                ops.append(Op("delete", key, REASON_NOT_REQUESTED, current=keep))
            continue
        reason = _update_reason(block, keep, before.get(key), busy)
        if reason is not None:
            ops.append(Op("update", key, reason, block=block, current=keep))

    for key, block in desired.items():
        if key in owned:
            continue
        if not read_complete and key in mappings:
            # Missing from a cut-short read: it may be there, or the user may have
            # deleted it; creating it could undo their decision. The next complete
            # read tells which.
            continue
        ops.append(Op("create", key, _create_reason(block), block=block))

    ops.sort(key=_op_order)
    return ops


def _owned_by_key(observed: Iterable[RemoteEvent]) -> dict[str, list[RemoteEvent]]:
    """Owned, live events grouped by block key (more than one = duplicates)."""
    grouped: dict[str, list[RemoteEvent]] = {}
    for event in observed:
        if event.tag is None or event.cancelled:
            continue
        grouped.setdefault(event.tag.key, []).append(event)
    return grouped


def _choose(
    events: list[RemoteEvent], mapping: EventMapping | None, block: Block | None
) -> RemoteEvent:
    """Which of several events with one key to keep: the mapped one, else the one
    already showing the desired content, else the lowest id (deterministic)."""
    if len(events) == 1:
        return events[0]
    if mapping is not None:
        for event in events:
            if event.event_id == mapping.event_id:
                return event
    if block is not None:
        matching = [e for e in events if e.observed_hash == block.content_hash]
        if matching:
            return min(matching, key=lambda e: e.event_id)
    return min(events, key=lambda e: e.event_id)


def _update_reason(
    block: Block, event: RemoteEvent, before: Block | None, busy: Sequence[Busy]
) -> str | None:
    """Why ``event`` must change to become ``block``, or None when it already is."""
    parts: list[str] = []
    # aware datetimes compare as instants, whatever zone each side was read in
    if event.start != block.start or event.end != block.end:
        parts.append(_move_reason(block, event, before, busy))
    if event.title != block.title:
        parts.append("retitled: the rule's title changed")
    if event.transparent != (block.show_as == "free"):
        parts.append(
            "shown as free: there is still room to move it later"
            if block.show_as == "free"
            else "shown as busy: little free time left for it"
        )
    if before is not None and before.color != block.color:
        parts.append("recoloured: the rule's colour changed")
    if not parts and event.tag is not None and event.tag.content_hash != block.content_hash:
        # The user's edit, now planned as is: re-tag it, or moving it back to where we
        # first wrote it would match the stale tag and look like our own echo.
        parts.append("kept your change: its tag now records it")
    return "; ".join(parts) if parts else None


def _move_reason(
    block: Block, event: RemoteEvent, before: Block | None, busy: Sequence[Busy]
) -> str:
    """Name the meeting that landed on the block's current place, if one did."""
    spots = [Interval(event.start, event.end)]
    if before is not None:
        spots.append(before.interval)
    hits = sorted(
        (b for b in busy if b.blocks_time and any(b.interval.overlaps(s) for s in spots)),
        key=lambda b: (b.start, b.title),
    )
    if hits:
        return f"moved: '{hits[0].title}' landed on it"
    if block.start < event.start:
        return "moved: free time appeared earlier"
    return "moved: the plan changed around it"


def _create_reason(block: Block) -> str:
    return f"created: {block.reason}" if block.reason else f"created: {block.title}"


def _op_order(op: Op) -> tuple[datetime, int, str, str]:
    target = op.block if op.block is not None else op.current
    assert target is not None
    event_id = op.current.event_id if op.current is not None else ""
    return (target.start, _ACTION_RANK[op.action], op.key, event_id)


__all__ = ["REASON_DUPLICATE", "REASON_NOT_REQUESTED", "diff"]
