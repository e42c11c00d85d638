"""The past is the record: blocks that have begun stay exactly as they are (pure).

DESIGN principle 13: "Blocks that have ended are the record and are never deleted
or moved". A replan later in the week sees a different "today": triggers that
fired on Wednesday (a go-live tomorrow) no longer fire on Friday, account-time
budgets shift, ``auto`` blocks would resolve Free/Busy differently. Without this
step every such difference became a delete or an update of something that already
happened, and the report's planned column stopped matching the calendar.

So, before the planner runs, the blocks of the previous run that are on the
calendar unedited and have already ended are taken as they are:

* they go into the plan unchanged (same key, times, title, show-as, colour), so
  the diff finds nothing to do for them;
* blocks of today not over yet (in progress or later today) whose rule still
  exists but whose request is gone this run are kept the same way, unless a
  meeting now lands on them: today's blocks move only for a meeting or the user
  (the stability horizon). They are handed to the planner as busy time, so
  nothing new is placed on them. A rule the user removed is a cause: its blocks
  not over yet go; so do those of an account handed to another owner
  (``rules.books``). Today's blocks whose request still exists are the planner's
  (it keeps them first, before ``stability_until``).

Edited blocks are not the record's business: they are the user's pins.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from blocker.core.keys import base_key
from blocker.core.models import Block, Busy, Plan

RECORD_TITLE = "Earlier block"


@dataclass(frozen=True, slots=True)
class Record:
    """What the record adds to a run: blocks kept as they are, and busy time for the
    planner where a kept block has no request this run."""

    blocks: tuple[Block, ...]
    busy: tuple[Busy, ...]


def take_record(
    previous: Sequence[Block],
    *,
    shown: Mapping[str, str],
    requested: Collection[str],
    rules: Collection[str],
    busy: Sequence[Busy],
    now: datetime,
    stable_until: datetime,
    handed_over: Collection[str] = (),
) -> Record:
    """What this run keeps as it is (see the module docstring).

    ``previous``: last run's blocks where the calendar shows them; ``shown``: key ->
    content hash of our events on the calendar unedited; ``requested``: request keys
    of this run; ``rules``: rule ids that still exist; ``busy``: foreign busy time
    (for today's blocks); ``handed_over``: accounts now in someone else's book.
    """
    kept: list[Block] = []
    orphans: list[Busy] = []
    for block in previous:
        if shown.get(block.key) != block.content_hash:
            # deleted or edited by the user (dismissals and pins decide), or the saved
            # block is not what the calendar holds (a run died after a write landed):
            # only a block known to be exactly what is on the calendar is kept as is
            continue
        if block.end > now:  # not over yet: kept only as today's block of a live rule
            if block.all_day or block.start >= stable_until or block.rule not in rules:
                continue
            if block.account is not None and block.account in handed_over:
                continue  # no longer this owner's account: like a removed rule's block
            if base_key(block.key) in requested:
                continue  # the planner's stability horizon keeps it
            if any(b.blocks_time and b.start < block.end and block.start < b.end for b in busy):
                continue  # a meeting landed on it: it may go
        kept.append(block)
        if base_key(block.key) not in requested and not block.all_day and block.end > now:
            orphans.append(Busy(start=block.start, end=block.end, title=RECORD_TITLE))
    return Record(tuple(kept), tuple(orphans))


def with_record(plan: Plan, record: Record) -> Plan:
    """``plan`` with the record's blocks in it exactly as they were.

    A planned block that overlaps a kept one is left out (a block of the past
    cannot give way), and its minutes show up missing in the plan's shortfall by
    the next run's accounting.
    """
    if not record.blocks:
        return plan
    kept = {b.key: b for b in record.blocks}
    timed = [b for b in record.blocks if not b.all_day]
    blocks: list[Block] = []
    for block in plan.blocks:
        if block.key in kept:
            continue
        if not block.all_day and any(k.start < block.end and block.start < k.end for k in timed):
            continue
        blocks.append(block)
    blocks.extend(kept.values())
    return replace(plan, blocks=tuple(sorted(blocks, key=lambda b: (b.start, b.all_day, b.key))))


__all__ = ["RECORD_TITLE", "Record", "take_record", "with_record"]
