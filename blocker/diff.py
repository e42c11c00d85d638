"""Plan + observed events + store state -> the ops that make the calendar match (pure).

DESIGN.md section 4: plan, diff and apply are separate; diff does no I/O, so a
dry run and a real run compute exactly the same ops. Only events carrying our
ownership tag are ever matched, updated or deleted; foreign events only serve
to explain *why* a block moved. Deletions are inferred only from a complete read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from blocker.core.keys import base_key
from blocker.core.models import Block, Busy, Interval, Op, OpAction, Plan, RemoteEvent
from blocker.planning import text
from blocker.state import EventMapping

_ACTION_RANK: dict[OpAction, int] = {"delete": 0, "update": 1, "create": 2}

REASON_NOT_REQUESTED = "deleted: rule no longer asks for it"
REASON_DUPLICATE = "deleted: duplicate"
REASON_LESS_TIME = "its rule now asks for less time"


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
    why = _Why(plan, busy, previous)
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
                ops.append(Op("delete", key, why.deleted(key, keep), current=keep))
            continue
        reason = _update_reason(block, keep, before.get(key), why)
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


def _update_reason(block: Block, event: RemoteEvent, before: Block | None, why: _Why) -> str | None:
    """Why ``event`` must change to become ``block``, or None when it already is."""
    parts: list[str] = []
    # aware datetimes compare as instants, whatever zone each side was read in
    if event.start != block.start or event.end != block.end:
        parts.append(why.moved(block, event, before))
    if event.title != block.title:
        parts.append(f"retitled (was '{event.title}'): the rules or the account data changed")
    if event.transparent != (block.show_as == "free"):
        parts.append(
            "shown as free: there is still room to move it later"
            if block.show_as == "free"
            else "shown as busy: little free time left for it"
        )
    if before is not None and before.color != block.color:
        parts.append("recoloured: the rule's colour changed")
    tag = event.tag
    if not parts and tag is not None and not tag.shows(block.title, block.start, block.end):
        # The user's edit, now planned as is: re-tag it, or moving it back to where we
        # first wrote it would match the stale tag and look like our own echo.
        parts.append(_kept_reason(event, before))
    return "; ".join(parts) if parts else None


def _kept_reason(event: RemoteEvent, before: Block | None) -> str:
    """The user's edit, named: what they changed compared with what we last wrote."""
    if before is None:
        return "kept your change"
    moved = (event.start, event.end) != (before.start, before.end)
    renamed = event.title != before.title
    if moved and renamed:
        return "kept your change: you moved and renamed it"
    if moved:
        return "kept your change: you moved it"
    if renamed:
        return "kept your change: you renamed it"
    return "kept your change"


@dataclass(frozen=True, slots=True)
class _Why:
    """Names the cause of a move or a delete: a meeting on the block (title and local
    time), a block of this same plan now in its place, the rule asking for less, the
    plan's own shortfall note; never a block key, never a block not in the plan."""

    plan: Plan
    busy: Sequence[Busy]
    previous: Sequence[Block]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.plan.timezone)

    def meeting_on(self, spots: Sequence[Interval], *, all_day: bool = False) -> str | None:
        """The first meeting (that blocks time) on any of ``spots``, named. On an
        all-day block only an all-day entry counts: a meeting that day is not on it."""
        hits = sorted(
            (
                b
                for b in self.busy
                if b.blocks_time
                and (b.all_day or not all_day)
                and any(b.interval.overlaps(s) for s in spots)
            ),
            key=lambda b: (b.start, b.title),
        )
        if not hits:
            return None
        first = hits[0]
        return text.meeting(first.title, first.start, self.tz, all_day=first.all_day)

    def taker(self, key: str, spot: Interval) -> Block | None:
        """A timed block of this plan, of another request, now on ``spot``."""
        base = base_key(key)
        hits = [
            b
            for b in self.plan.blocks
            if not b.all_day and base_key(b.key) != base and b.interval.overlaps(spot)
        ]
        return min(hits, key=lambda b: (b.start, b.key)) if hits else None

    def named(self, block: Block) -> str:
        return text.block(block.title, block.start, block.end, self.tz, all_day=block.all_day)

    def asks_less(self, key: str) -> bool:
        """Its request holds fewer minutes in this plan than in the last applied one,
        with no shortfall: the rule (or the data it reads) asks for less."""
        base = base_key(key)
        if any(s.key == base for s in self.plan.shortfall):
            return False
        now = sum(b.minutes for b in self.plan.blocks if base_key(b.key) == base)
        then = sum(b.minutes for b in self.previous if base_key(b.key) == base)
        return now < then

    def moved(self, block: Block, event: RemoteEvent, before: Block | None) -> str:
        spots = [Interval(event.start, event.end)]
        if before is not None:
            spots.append(before.interval)
        meeting = self.meeting_on(spots, all_day=block.all_day)
        if meeting is not None:
            return f"moved: {meeting} landed on it"
        if not block.all_day:
            taker = self.taker(block.key, Interval(event.start, event.end))
            if taker is not None:
                return f"moved: its place went to {self.named(taker)}"
        if block.start == event.start and self.asks_less(block.key):
            return f"shortened: {REASON_LESS_TIME}"
        if block.start < event.start:
            return "moved: free time appeared earlier"
        return "moved: the plan changed around it"

    def rule_gone(self, key: str) -> bool:
        """The rule of the last applied block ``key`` has nothing in this plan (no
        block, no shortfall): it was removed, or asks for nothing this week."""
        rule = next((b.rule for b in self.previous if b.key == key), None)
        if rule is None:
            return False
        return not any(b.rule == rule for b in self.plan.blocks) and not any(
            s.rule == rule for s in self.plan.shortfall
        )

    def deleted(self, key: str, event: RemoteEvent) -> str:
        if self.rule_gone(key):
            return REASON_NOT_REQUESTED
        spot = Interval(event.start, event.end)
        meeting = self.meeting_on([spot], all_day=event.all_day)
        if meeting is not None:
            return f"deleted: {meeting} landed on it"
        if not event.all_day:
            taker = self.taker(key, spot)
            if taker is not None:
                return f"deleted: its time went to {self.named(taker)}"
        base = base_key(key)
        short = next((s for s in self.plan.shortfall if s.key == base), None)
        if short is not None:
            titles = {b.title for b in self.plan.blocks}
            all_day = {b.title for b in self.busy if b.all_day and b.blocks_time}
            notes = [
                text.as_all_day(p, all_day)
                for p in text.parts(text.naming_only(short.reason, titles))
            ]
            causes = [p for p in notes if p not in (text.DISMISSED, text.PAST)]
            if causes:
                return "deleted: " + "; ".join(causes)
        siblings = sorted(
            (b for b in self.plan.blocks if base_key(b.key) == base), key=lambda b: b.start
        )
        if siblings:
            if self.asks_less(key):
                return f"deleted: {REASON_LESS_TIME}"
            return f"deleted: its time is now in {self.named(siblings[0])}"
        return REASON_NOT_REQUESTED


def _create_reason(block: Block) -> str:
    return f"created: {block.reason}" if block.reason else f"created: {block.title}"


def _op_order(op: Op) -> tuple[datetime, int, str, str]:
    target = op.block if op.block is not None else op.current
    assert target is not None
    event_id = op.current.event_id if op.current is not None else ""
    return (target.start, _ACTION_RANK[op.action], op.key, event_id)


__all__ = ["REASON_DUPLICATE", "REASON_LESS_TIME", "REASON_NOT_REQUESTED", "diff"]
