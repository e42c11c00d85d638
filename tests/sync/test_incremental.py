"""Incremental runs (DESIGN.md 4.9): read the changes since the week's snapshot, merge,
then proceed as after a full read. MemoryCalendar + the real planner, on both states."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from blocker.core.errors import TransientError
from blocker.core.models import Capabilities, Interval, RemoteEvent, WeekSpec
from blocker.core.weeks import week_window
from blocker.state import SyncState
from blocker.sync import SyncOutcome, sync_calendar
from providers.memory import MemoryCalendar, SimulatedCrash
from tests.sync.helpers import CAL, NOW, TZ_NAME, WEEK, at, spec
from tests.sync.test_sync import assert_calendar_matches, base_spec, owned

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Ticker:
    """A settable wall clock for run records and the daily full read."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def run(
    cal: MemoryCalendar,
    state: SyncState,
    week_spec: WeekSpec | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    **kw: object,
) -> SyncOutcome:
    return sync_calendar(
        calendar_id=CAL,
        provider=cal,
        state=state,
        spec=week_spec or base_spec(),
        now=NOW,
        clock=clock or Ticker(),
        **kw,  # type: ignore[arg-type]
    )


def requests(cal: MemoryCalendar) -> int:
    return sum(cal.requests.values())


def window_events(cal: MemoryCalendar) -> list[RemoteEvent]:
    window = week_window(WEEK, TZ_NAME)
    return [e for e in cal.snapshot() if Interval(e.start, e.end).overlaps(window)]


def assert_snapshot_is_the_calendar(cal: MemoryCalendar, state: SyncState) -> None:
    """The kept snapshot holds exactly what the calendar's window holds (etags too)."""
    snap = state.snapshot(CAL, WEEK)
    assert snap is not None
    assert sorted(snap.events, key=lambda e: e.event_id) == sorted(
        window_events(cal), key=lambda e: e.event_id
    )


def test_no_op_resync_is_one_request(state: SyncState) -> None:
    cal = MemoryCalendar(batch_size=2)
    first = run(cal, state)
    assert first.applied == 5 and first.run.extra["incremental"] == 0
    assert_snapshot_is_the_calendar(cal, state)  # our own writes are folded in
    for _ in range(3):
        before = requests(cal)
        again = run(cal, state)
        assert requests(cal) - before == 1 and cal.requests["read"] >= 2
        assert again.ops == () and again.complete and again.run.extra["incremental"] == 1
        assert again.plan.blocks == first.plan.blocks
    assert state.pins(CAL, WEEK) == []  # our writes echoing back are no user edits


def test_foreign_meeting_arriving_moves_the_block_on_an_incremental_run(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = run(cal, state)
    review = {b.key: b for b in first.plan.blocks}["account-review:2026-W10"]
    cal.add_foreign(review.start, review.end, title="QBR Globex")
    cal.add_foreign(at(0, 9) + timedelta(days=21), at(0, 10) + timedelta(days=21), title="Later")
    reads = cal.requests["read"]
    outcome = run(cal, state)
    assert cal.requests["read"] == reads + 1 and outcome.run.extra["incremental"] == 1
    [op] = outcome.ops
    assert (op.action, op.key, op.reason) == (
        "update",
        review.key,
        f"moved: 'QBR Globex' ({review.start:%a %H:%M}) landed on it",
    )
    assert [b.title for b in outcome.busy] == ["QBR Globex"]  # the later meeting is filtered
    assert_calendar_matches(cal, outcome)
    assert_snapshot_is_the_calendar(cal, state)
    assert state.pins(CAL, WEEK) == []
    assert run(cal, state).ops == ()


def test_a_meeting_leaving_frees_its_time_on_an_incremental_run(state: SyncState) -> None:
    cal = MemoryCalendar()
    meeting = cal.add_foreign(at(1, 9), at(1, 17), title="Workshop")
    first = run(cal, state)
    key = "renewal-acme:2026-W10"  # wants Tuesday, which the workshop fills
    assert key not in {b.key for b in first.plan.blocks}
    assert key in {s.key for s in first.plan.shortfall}
    cal.remove_event(meeting.event_id)
    outcome = run(cal, state)
    assert outcome.run.extra["incremental"] == 1 and outcome.busy == ()
    [op] = [op for op in outcome.ops if op.key == key]
    assert op.action == "create" and op.block is not None
    assert op.block.start.date() == at(1, 9).date()
    assert_calendar_matches(cal, outcome)
    assert_snapshot_is_the_calendar(cal, state)


def test_user_move_seen_incrementally_is_pinned(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = run(cal, state)
    key = "admin:2026-W10"
    admin = {b.key: b for b in first.plan.blocks}[key]
    start = at(4, 15)
    assert start != admin.start
    cal.move_event(owned(cal)[key].event_id, start, start + timedelta(minutes=30))
    outcome = run(cal, state)
    assert outcome.run.extra["incremental"] == 1
    [pin] = state.pins(CAL, WEEK)
    assert (pin.key, pin.start, pin.end) == (key, start, start + timedelta(minutes=30))
    assert owned(cal)[key].start == start
    assert [(op.key, op.reason) for op in outcome.ops] == [(key, "kept your change: you moved it")]
    assert run(cal, state).ops == ()


def test_user_delete_seen_incrementally_is_a_dismissal(state: SyncState) -> None:
    cal = MemoryCalendar()
    run(cal, state)
    key = "renewal-acme:2026-W10"
    cal.remove_event(owned(cal)[key].event_id)
    outcome = run(cal, state)
    assert outcome.run.extra["incremental"] == 1 and outcome.complete
    assert [p.key for p in state.pins(CAL, WEEK) if p.dismissed] == [key]
    assert all(op.key != key for op in outcome.ops)
    assert key not in owned(cal) and key not in {b.key for b in outcome.plan.blocks}
    assert run(cal, state).ops == () and key not in owned(cal)


def test_stale_token_means_a_full_read_and_the_same_result(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = run(cal, state)
    review = {b.key: b for b in first.plan.blocks}["account-review:2026-W10"]
    cal.add_foreign(review.start, review.end, title="QBR Globex")
    cal.expire_sync_tokens()
    reads = cal.requests["read"]
    outcome = run(cal, state)
    assert cal.requests["read"] == reads + 2  # the 410, then the full read
    assert outcome.run.extra["incremental"] == 0 and outcome.complete
    [op] = outcome.ops
    assert (op.key, op.reason) == (
        review.key,
        f"moved: 'QBR Globex' ({review.start:%a %H:%M}) landed on it",
    )
    assert_calendar_matches(cal, outcome)
    assert_snapshot_is_the_calendar(cal, state)
    after = run(cal, state)  # and incremental again from the fresh token
    assert after.ops == () and after.run.extra["incremental"] == 1


def test_a_dry_run_reads_incrementally_but_keeps_nothing(state: SyncState) -> None:
    cal = MemoryCalendar()
    run(cal, state)
    kept = state.snapshot(CAL, WEEK)
    cal.add_foreign(at(0, 9), at(0, 17), title="Offsite")
    dry = run(cal, state, dry_run=True)
    assert dry.run.extra["incremental"] == 1 and dry.ops
    assert state.snapshot(CAL, WEEK) == kept
    cal.expire_sync_tokens()
    dry_again = run(cal, state, dry_run=True)  # a 410 in a dry run forgets nothing either
    assert dry_again.run.extra["incremental"] == 0 and state.snapshot(CAL, WEEK) == kept


def test_an_incomplete_incremental_read_neither_deletes_nor_dismisses(state: SyncState) -> None:
    cal = MemoryCalendar()
    run(cal, state)
    events = owned(cal)
    cal.remove_event(events["admin:2026-W10"].event_id)
    smaller = spec(*[r for r in base_spec().requests if r.rule != "account-review"])
    cal.partial_next_read()
    outcome = run(cal, state, smaller)
    assert outcome.run.extra["incremental"] == 1 and not outcome.complete
    assert all(op.action != "delete" for op in outcome.ops)
    assert cal.writes["delete"] == 0 and state.pins(CAL, WEEK) == []
    assert "account-review:2026-W10" in owned(cal)
    assert state.snapshot(CAL, WEEK) is None  # no token to continue from
    complete = run(cal, state, smaller)
    assert complete.run.extra["incremental"] == 0 and complete.complete
    assert "account-review:2026-W10" not in owned(cal)
    assert [p.key for p in state.pins(CAL, WEEK) if p.dismissed] == ["admin:2026-W10"]


def test_a_full_read_at_least_once_a_day(state: SyncState) -> None:
    cal = MemoryCalendar()
    clock = Ticker()
    run(cal, state, clock=clock)
    clock.now = T0 + timedelta(hours=23, minutes=59)
    assert run(cal, state, clock=clock).run.extra["incremental"] == 1
    clock.now = T0 + timedelta(days=1)
    assert run(cal, state, clock=clock).run.extra["incremental"] == 0
    snap = state.snapshot(CAL, WEEK)
    assert snap is not None and snap.full_read_at == T0 + timedelta(days=1)
    clock.now = T0 + timedelta(days=1, hours=1)
    assert run(cal, state, clock=clock).run.extra["incremental"] == 1
    # configurable: every hour here, or never
    clock.now = T0 + timedelta(days=1, hours=2)
    hourly = run(cal, state, clock=clock, full_read_every=timedelta(hours=1))
    assert hourly.run.extra["incremental"] == 0
    clock.now = T0 + timedelta(days=30)
    assert run(cal, state, clock=clock, full_read_every=None).run.extra["incremental"] == 1


def test_an_apply_that_failed_mid_way_forces_a_full_read(state: SyncState) -> None:
    cal = MemoryCalendar(batch_size=2)
    cal.fail_next("create", TransientError("503 backend error"))
    first = run(cal, state)
    assert first.errors and state.snapshot(CAL, WEEK) is None
    second = run(cal, state)
    assert second.run.extra["incremental"] == 0 and second.errors == ()
    assert_calendar_matches(cal, second)
    assert run(cal, state).run.extra["incremental"] == 1


@pytest.mark.parametrize("lands", [False, True], ids=["lost-write", "lost-reply"])
def test_a_crash_mid_apply_forces_a_full_read(state: SyncState, lands: bool) -> None:
    cal = MemoryCalendar(batch_size=1)
    run(cal, state)
    for day in range(5):
        cal.add_foreign(at(day, 9), at(day, 12), title=f"Offsite {day}")
    cal.crash_after_writes(1, lands=lands)
    with pytest.raises(SimulatedCrash):
        run(cal, state)
    assert state.snapshot(CAL, WEEK) is None
    outcome = run(cal, state)
    assert outcome.run.extra["incremental"] == 0
    assert_calendar_matches(cal, outcome)
    assert state.pins(CAL, WEEK) == []
    assert run(cal, state).ops == ()


def test_a_snapshot_of_another_window_is_not_used(state: SyncState) -> None:
    """The week's zone changed (the user moved): the old window is not this one."""
    cal = MemoryCalendar()
    run(cal, state)
    moved = WeekSpec(
        week=WEEK,
        timezone="America/New_York",
        working=base_spec().working,
        requests=base_spec().requests,
    )
    assert run(cal, state, moved).run.extra["incremental"] == 0
    assert run(cal, state, moved).run.extra["incremental"] == 1


def test_weeks_keep_their_own_snapshots(state: SyncState) -> None:
    cal = MemoryCalendar()
    run(cal, state)
    next_week = WeekSpec(week="2026-W11", timezone=TZ_NAME, working=(), requests=())
    assert run(cal, state, next_week).run.extra["incremental"] == 0
    assert run(cal, state).run.extra["incremental"] == 1
    assert run(cal, state, next_week).run.extra["incremental"] == 1


def test_a_provider_without_incremental_reads_always_reads_in_full(state: SyncState) -> None:
    cal = MemoryCalendar(capabilities=Capabilities(incremental=False))
    run(cal, state)
    again = run(cal, state)
    assert again.run.extra["incremental"] == 0 and again.ops == ()
    assert state.snapshot(CAL, WEEK) is None
