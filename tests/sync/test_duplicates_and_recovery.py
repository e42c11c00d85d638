"""Which copy of a duplicated block survives, and where a crashed run left a block.

Duplicates (two owned events with one block key) come from a copy of a block in
the user's calendar app or a provider whose creates are not idempotent; a lost
reply (the write landed, the process died before recording it) leaves the state
one step behind the calendar. In both cases the calendar is read as the truth.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from blocker.core.keys import OwnershipTag
from blocker.core.models import Block, EventDraft, Pin, Plan, RemoteEvent
from blocker.diff import REASON_DUPLICATE, diff
from blocker.edits import detect_edits, where_they_are
from blocker.state import EventMapping, SyncState
from blocker.sync import SyncOutcome, sync_calendar
from providers.memory import MemoryCalendar, SimulatedCrash
from tests.sync.helpers import CAL, NOW, TZ_NAME, WEEK, at, flexible, spec

ACME = Block(
    key="acme:1", rule="acme", kind="block", title="Acme prep", start=at(1, 9), end=at(1, 10)
)
REVIEW = "account-review:2026-W10"


def copy_of(block: Block, event_id: str, **changes: object) -> RemoteEvent:
    """An event carrying ``block``'s ownership tag, as we would have written it."""
    event = RemoteEvent(
        event_id=event_id,
        start=block.start,
        end=block.end,
        title=block.title,
        etag=f'"{event_id}"',
        tag=OwnershipTag(block.key, block.content_hash),
    )
    return replace(event, **changes)  # type: ignore[arg-type]


def plan(*blocks: Block) -> Plan:
    return Plan(week=WEEK, timezone=TZ_NAME, blocks=blocks)


def run(cal: MemoryCalendar, state: SyncState, now: datetime = NOW) -> SyncOutcome:
    """One sync of a week holding a single one-hour account review on Tuesday."""
    return sync_calendar(
        calendar_id=CAL,
        provider=cal,
        state=state,
        spec=spec(flexible("account-review", 60, day=1)),
        now=now,
        clock=lambda: now,
    )


def events_of(cal: MemoryCalendar, key: str) -> list[RemoteEvent]:
    return [e for e in cal.snapshot() if e.tag is not None and e.tag.key == key]


# -- (diff) identical copies, nothing mapped ------------------------------------------


def test_of_identical_unmapped_copies_the_lowest_id_stays_whatever_the_read_order() -> None:
    """Two runs (or a preview and the sync) must agree on which copy they delete."""
    off_plan = copy_of(ACME, "ev-0", start=at(1, 11), end=at(1, 12))
    first, second, third = (copy_of(ACME, f"ev-{i}") for i in (1, 2, 3))
    for observed in ([off_plan, first, second, third], [third, second, off_plan, first]):
        ops = diff(plan(ACME), observed, {})
        assert {(op.action, op.reason) for op in ops} == {("delete", REASON_DUPLICATE)}
        deleted = sorted(op.current.event_id for op in ops if op.current is not None)
        assert deleted == ["ev-0", "ev-2", "ev-3"], "ev-1: lowest id showing the plan"


# -- (edits) the mapped copy is the one whose edits count ------------------------------


def test_a_move_of_the_mapped_event_counts_even_beside_an_untouched_lower_id_copy() -> None:
    """The user's move of the block we track must be seen, not hidden by a stray copy."""
    stray = copy_of(ACME, "ev-0")
    ours = copy_of(ACME, "ev-1", start=at(2, 14), end=at(2, 15))  # the user dragged it
    mappings = {ACME.key: EventMapping(ACME.key, "ev-1", WEEK, ACME.content_hash)}
    for owned in ([stray, ours], [ours, stray]):
        edits = detect_edits(owned, mappings, week=WEEK, previous=[ACME])
        assert edits.pins == (Pin(ACME.key, start=at(2, 14), end=at(2, 15)),)
        [accepted] = edits.accepted
        assert (accepted.event_id, accepted.content_hash) == ("ev-1", ours.observed_hash)


def test_the_users_move_survives_a_copy_of_the_block_left_at_the_old_place(
    state: SyncState,
) -> None:
    """A stray copy must not make the next sync drag the user's block back."""
    cal = MemoryCalendar()
    [block] = run(cal, state).plan.blocks
    [ours] = events_of(cal, REVIEW)
    stray_id = "0" * 32  # sorts before any deterministic id (base32hex, 32 chars)
    assert stray_id < ours.event_id
    cal.create(replace(EventDraft.from_block(block, CAL), event_id=stray_id))
    cal.move_event(ours.event_id, at(3, 14), at(3, 15))

    outcome = run(cal, state)

    assert [(e.event_id, e.start, e.end) for e in events_of(cal, REVIEW)] == [
        (ours.event_id, at(3, 14), at(3, 15))
    ]
    [pin] = state.pins(CAL, WEEK)
    assert (pin.key, pin.start, pin.end) == (REVIEW, at(3, 14), at(3, 15))
    assert {(op.action, op.reason) for op in outcome.ops} == {
        ("delete", REASON_DUPLICATE),
        ("update", "kept your change: you moved it"),
    }
    assert run(cal, state).ops == ()


# -- (edits) crash recovery: the calendar shows where the block is ---------------------


def test_blocks_are_taken_where_the_calendar_shows_our_last_write() -> None:
    """After a lost reply the state remembers the old time; the calendar has the new."""
    landed = replace(ACME, start=at(2, 14), end=at(2, 15))
    other = Block(key="b:1", rule="b", kind="block", title="B", start=at(0, 9), end=at(0, 10))
    written = copy_of(landed, "ev-1")
    assert where_they_are([ACME, other], [written]) == [landed, other]
    # the user's own edit is not our write: it becomes a pin, not a new last place
    dragged = copy_of(ACME, "ev-1", start=at(3, 9), end=at(3, 10))
    assert where_they_are([ACME], [dragged]) == [ACME]


def test_a_move_that_landed_before_a_crash_is_not_undone_by_the_rerun(
    state: SyncState,
) -> None:
    """The rerun must plan as if the run had finished: no second jump of the block."""
    cal = MemoryCalendar()
    [first] = run(cal, state).plan.blocks
    meeting = cal.add_foreign(first.start, first.end, title="QBR Globex")
    cal.crash_after_writes(0, lands=True)  # the move is written, its reply is lost
    with pytest.raises(SimulatedCrash):
        run(cal, state)
    [moved] = events_of(cal, REVIEW)
    assert (moved.start, moved.end) != (first.start, first.end)
    assert [(b.start, b.end) for b in state.previous_blocks(CAL, WEEK)] == [
        (first.start, first.end)
    ], "the state still has the old place"
    cal.remove_event(meeting.event_id)  # the meeting is called off: both places free now

    outcome = run(cal, state)

    assert outcome.ops == ()
    assert [(e.start, e.end) for e in events_of(cal, REVIEW)] == [(moved.start, moved.end)]
    assert state.pins(CAL, WEEK) == []
