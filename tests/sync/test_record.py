"""The past is the record (blocker.record): what has ended stays, whatever the replan.

Through sync_calendar on a MemoryCalendar: a request that vanishes (a trigger no
longer firing, a budget that shrank) must not take back a block that already
happened, nor one due later today unless a meeting lands on it; a rule the user
removed still takes its blocks that are not over yet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from blocker.record import take_record
from blocker.state import SyncState
from blocker.sync import SyncOutcome, sync_calendar
from providers.memory import MemoryCalendar
from tests.sync.helpers import CAL, NOW, WEEK, at, flexible, spec


def run(
    cal: MemoryCalendar,
    state: SyncState,
    now: datetime,
    *reqs: object,
    rules: frozenset[str] | None = None,
) -> SyncOutcome:
    """One sync; ``rules``: the rule ids the rules still define (None: the requests')."""
    return sync_calendar(
        calendar_id=CAL,
        provider=cal,
        state=state,
        spec=replace(spec(*reqs), rule_ids=rules),  # type: ignore[arg-type]
        now=now,
        clock=lambda: now,
    )


def keys(cal: MemoryCalendar) -> dict[str, tuple[datetime, datetime]]:
    return {e.tag.key: (e.start, e.end) for e in cal.snapshot() if e.tag is not None}


def test_a_block_that_has_ended_stays_when_its_request_vanishes(state: SyncState) -> None:
    """Monday's go-live prep happened; on Wednesday the trigger no longer fires."""
    cal = MemoryCalendar()
    prep = flexible("prep", 60, day=0)
    review = flexible("review", 60, day=3)
    run(cal, state, NOW, prep, review)
    before = keys(cal)

    wednesday = run(cal, state, at(2, 8), review)  # the prep request is gone

    assert wednesday.ops == ()
    assert keys(cal) == before
    assert {b.rule for b in wednesday.plan.blocks} == {"prep", "review"}


def test_a_block_due_later_today_stays_unless_a_meeting_lands_on_it(state: SyncState) -> None:
    """Today's blocks move only for a meeting or the user (the stability horizon)."""
    cal = MemoryCalendar()
    prep, other = flexible("prep", 60, day=2), flexible("other", 60, day=3)
    run(cal, state, NOW, prep, other)
    start, end = keys(cal)[f"prep:{WEEK}"]

    live = frozenset({"prep", "other"})  # the prep rule is still there; it stopped firing
    assert run(cal, state, at(2, 8), other, rules=live).ops == ()

    cal.add_foreign(start, end, title="Customer call")
    later = run(cal, state, at(2, 8, 30), other, rules=live)
    assert [(op.action, op.key) for op in later.ops] == [("delete", f"prep:{WEEK}")]


def test_a_removed_rule_takes_its_blocks_not_yet_over_but_keeps_the_past(
    state: SyncState,
) -> None:
    """Removing a rule is a cause: its future blocks go, the ones that happened stay."""
    cal = MemoryCalendar()
    monday, friday = flexible("gym-mon", 60, day=0), flexible("gym-fri", 60, day=4)
    keep = flexible("keep", 60, day=1)
    run(cal, state, NOW, monday, friday, keep)
    # the user removes both gym rules on Wednesday
    outcome = run(cal, state, at(2, 8), keep)
    assert [(op.action, op.key) for op in outcome.ops] == [("delete", f"gym-fri:{WEEK}")]
    assert f"gym-mon:{WEEK}" in keys(cal)


def test_edited_or_deleted_blocks_are_not_the_records_business() -> None:
    """Only what is on the calendar unedited is kept as is; the rest is the user's."""
    from blocker.core.models import Block

    block = Block(
        key=f"prep:{WEEK}",
        rule="prep",
        kind="block",
        title="Prep",
        start=at(0, 9),
        end=at(0, 10),
        show_as="busy",
        color="#4285F4",
    )
    args = {"requested": (), "rules": (), "busy": (), "now": at(2, 8), "stable_until": at(3, 0)}
    on_calendar = {block.key: block.content_hash}
    assert take_record([block], shown=on_calendar, **args).blocks == (block,)  # type: ignore[arg-type]
    assert take_record([block], shown={}, **args).blocks == ()  # type: ignore[arg-type]
    stale = {block.key: "0" * 16}  # the calendar holds a later write than the saved block
    assert take_record([block], shown=stale, **args).blocks == ()  # type: ignore[arg-type]


def test_an_account_handed_to_another_owner_takes_its_blocks_later_today(
    state: SyncState,
) -> None:
    """Books of business (issue 20.4): like a removed rule, a handover is a cause."""
    cal = MemoryCalendar()
    prep = replace(flexible("prep", 60, day=2), account="Globex")
    other = flexible("other", 60, day=3)
    run(cal, state, NOW, prep, other)
    live = frozenset({"prep", "other"})
    handed = replace(spec(other), rule_ids=live, others_accounts=frozenset({"Globex"}))
    later = sync_calendar(
        calendar_id=CAL,
        provider=cal,
        state=state,
        spec=handed,
        now=at(2, 8),
        clock=lambda: at(2, 8),
    )
    assert [(op.action, op.key) for op in later.ops] == [("delete", f"prep:{WEEK}")]
