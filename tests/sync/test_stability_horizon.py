"""Today's blocks stay put: a sync passes the end of today as the stability horizon.

A user plans their day around the blocks they can see this morning; a rebalance
(a meeting landing elsewhere, a higher-priority request looking for room) may
move later days' blocks but not one starting in the rest of today. Only a
meeting landing on the block itself moves it.
"""

from __future__ import annotations

from datetime import datetime

from blocker.state import SyncState
from blocker.sync import SyncOutcome, sync_calendar
from providers.memory import MemoryCalendar
from tests.sync.helpers import CAL, WEEK, at, flexible, spec

Times = tuple[datetime, datetime]

MONDAY_MORNING = at(0, 9)
HALF_AN_HOUR_LATER = at(0, 9, 30)


def run(cal: MemoryCalendar, state: SyncState, day: int, now: datetime) -> SyncOutcome:
    """A day holding an urgent escalation (priority 90) and routine admin (priority 30)."""
    return sync_calendar(
        calendar_id=CAL,
        provider=cal,
        state=state,
        spec=spec(
            flexible("escalation", 60, day=day, priority=90),
            flexible("admin", 60, day=day, priority=30),
        ),
        now=now,
        clock=lambda: now,
    )


def crowd(cal: MemoryCalendar, state: SyncState, day: int, now: datetime) -> dict[str, Times]:
    """Fill ``day`` with an offsite from 11:00, plan it, then let a meeting land on the
    escalation: its only way back into the day is the admin block's hour."""
    cal.add_foreign(at(day, 11), at(day, 17), title="Offsite")
    first = run(cal, state, day, now)
    where = {b.rule: (b.start, b.end) for b in first.plan.blocks}
    assert where == {
        "escalation": (at(day, 9), at(day, 10)),
        "admin": (at(day, 10), at(day, 11)),  # still ahead when the meeting lands
    }
    cal.add_foreign(*where["escalation"], title="Customer outage call")
    return where


def shown(cal: MemoryCalendar, key: str) -> list[Times]:
    """Where the calendar shows the block of ``key`` (empty when it is gone)."""
    return [(e.start, e.end) for e in cal.snapshot() if e.tag is not None and e.tag.key == key]


def test_a_rebalance_does_not_take_a_block_starting_later_today(state: SyncState) -> None:
    """The day the user laid out this morning keeps its blocks when the week rebalances."""
    cal = MemoryCalendar()
    where = crowd(cal, state, 0, MONDAY_MORNING)

    outcome = run(cal, state, 0, HALF_AN_HOUR_LATER)

    assert shown(cal, f"admin:{WEEK}") == [where["admin"]]
    assert [(op.action, op.key) for op in outcome.ops] == [("delete", f"escalation:{WEEK}")]
    [short] = outcome.plan.shortfall
    assert short.rule == "escalation" and short.placed_minutes == 0


def test_the_same_rebalance_takes_a_block_of_a_later_day(state: SyncState) -> None:
    """The horizon is the end of today, not the week: tomorrow still yields to priority."""
    cal = MemoryCalendar()
    where = crowd(cal, state, 1, MONDAY_MORNING)

    outcome = run(cal, state, 1, HALF_AN_HOUR_LATER)

    blocks = {b.rule: (b.start, b.end) for b in outcome.plan.blocks}
    assert blocks["escalation"] == where["admin"] and "admin" not in blocks
    assert shown(cal, f"escalation:{WEEK}") == [where["admin"]]


def test_a_meeting_landing_on_a_block_of_today_still_moves_it(state: SyncState) -> None:
    """Stability is no reason to leave a block under a meeting the user has to attend."""
    cal = MemoryCalendar()
    first = run(cal, state, 0, MONDAY_MORNING)
    admin = {b.rule: b for b in first.plan.blocks}["admin"]
    assert HALF_AN_HOUR_LATER < admin.start < at(1, 0), "later today"
    cal.add_foreign(admin.start, admin.end, title="Customer outage call")

    outcome = run(cal, state, 0, HALF_AN_HOUR_LATER)

    [op] = [op for op in outcome.ops if op.key == admin.key]
    assert (op.action, op.reason) == (
        "update",
        f"moved: 'Customer outage call' ({admin.start:%a %H:%M}) landed on it",
    )
    [now_at] = shown(cal, admin.key)
    assert now_at != (admin.start, admin.end)
