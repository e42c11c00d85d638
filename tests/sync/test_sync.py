"""One sync run end to end: MemoryCalendar + the real planner, on both SyncStates."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from blocker.core.errors import SyncTokenExpired, TransientError
from blocker.core.models import Interval, ReadResult, RemoteEvent, WeekSpec
from blocker.locks import CALENDAR_LOCKS
from blocker.state import SyncState
from blocker.sync import SyncOutcome, sync_calendar
from providers.memory import MemoryCalendar, SimulatedCrash
from tests.sync.helpers import CAL, NOW, TZ_NAME, WEEK, at, fixed, flexible, spec, working

WEEK_LATER = timedelta(days=7)

WRITES = ("create", "update", "delete", "batch")


def base_spec() -> WeekSpec:
    return spec(
        flexible("deep-work", 120, protected=True),
        flexible("renewal-acme", 60, day=1, reason="renewal of Acme in 30 days"),
        flexible("account-review", 60, day=1),
        flexible("admin", 30, day=4),
        fixed("standup", at(0, 9, 30), 15),
    )


def sync(cal: MemoryCalendar, state: SyncState, week_spec: WeekSpec, **kw: object) -> SyncOutcome:
    return sync_calendar(
        calendar_id=CAL,
        provider=cal,
        state=state,
        spec=week_spec,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def owned(cal: MemoryCalendar) -> dict[str, RemoteEvent]:
    """Owned events by key; fails on a duplicate key."""
    events = [e for e in cal.snapshot() if e.tag is not None]
    keys = Counter(e.tag.key for e in events if e.tag)
    assert all(n == 1 for n in keys.values()), f"duplicate keys: {keys}"
    return {e.tag.key: e for e in events if e.tag}


def write_requests(cal: MemoryCalendar) -> int:
    return sum(cal.requests[m] for m in WRITES)


def assert_calendar_matches(cal: MemoryCalendar, outcome: SyncOutcome) -> None:
    events = owned(cal)
    assert set(events) == {b.key for b in outcome.plan.blocks}
    for b in outcome.plan.blocks:
        e = events[b.key]
        assert (e.start, e.end, e.title) == (b.start, b.end, b.title)


def test_first_run_creates_the_plan_and_the_second_writes_nothing(state: SyncState) -> None:
    cal = MemoryCalendar(batch_size=3)
    first = sync(cal, state, base_spec())
    assert first.applied == len(first.plan.blocks) == 5 and first.errors == ()
    assert {op.action for op in first.ops} == {"create"}
    assert "created: renewal of Acme in 30 days" in {op.reason for op in first.ops}
    assert_calendar_matches(cal, first)
    writes = write_requests(cal)
    second = sync(cal, state, base_spec())
    assert second.ops == () and write_requests(cal) == writes
    assert second.plan.blocks == first.plan.blocks
    runs = state.runs(CAL)
    assert [r.extra["applied"] for r in runs] == [0, 5]  # newest first
    assert runs[1].ops == first.ops and runs[0].trigger == "manual"


@pytest.mark.parametrize("lands", [False, True], ids=["lost-write", "lost-reply"])
@pytest.mark.parametrize("after", [0, 2, 4])
def test_crash_mid_apply_then_rerun_gives_the_plan_without_duplicates(
    after: int, lands: bool, state: SyncState
) -> None:
    cal = MemoryCalendar(batch_size=2)
    cal.crash_after_writes(after, lands=lands)
    with pytest.raises(SimulatedCrash):
        sync(cal, state, base_spec())
    outcome = sync(cal, state, base_spec())
    assert outcome.errors == ()
    assert_calendar_matches(cal, outcome)
    assert cal.writes["create"] == 5  # every block written exactly once
    writes = write_requests(cal)
    assert sync(cal, state, base_spec()).ops == () and write_requests(cal) == writes
    assert state.pins(CAL, WEEK) == []


def test_crash_in_a_rebalance_then_rerun_converges(state: SyncState) -> None:
    cal = MemoryCalendar(batch_size=1)
    sync(cal, state, base_spec())
    for day in range(5):
        cal.add_foreign(at(day, 9), at(day, 12), title=f"Offsite {day}")
    cal.crash_after_writes(1, lands=True)
    with pytest.raises(SimulatedCrash):
        sync(cal, state, base_spec())
    outcome = sync(cal, state, base_spec())
    assert_calendar_matches(cal, outcome)
    assert state.pins(CAL, WEEK) == []
    assert sync(cal, state, base_spec()).ops == ()


def test_failed_read_writes_nothing_records_the_run_and_raises(state: SyncState) -> None:
    cal = MemoryCalendar()
    cal.fail_next("read", TransientError("timeout"))
    with pytest.raises(TransientError):
        sync(cal, state, base_spec(), trigger="poll")
    assert write_requests(cal) == 0 and cal.snapshot() == []
    [run] = state.runs(CAL)
    assert run.trigger == "poll" and run.ops == ()
    assert "read failed" in run.errors[0] and "timeout" in run.errors[0]
    assert state.previous_blocks(CAL, WEEK) == []


def test_expired_sync_token_on_read_means_a_full_read(state: SyncState) -> None:
    cal = MemoryCalendar()
    cal.fail_next("read", SyncTokenExpired("410"))
    outcome = sync(cal, state, base_spec())
    assert outcome.applied == 5 and cal.requests["read"] == 2
    kept = state.snapshot(CAL, WEEK)  # the next read starts from the new read's token
    assert kept is not None and kept.token


def test_partial_read_creates_but_never_deletes_or_dismisses(state: SyncState) -> None:
    cal = MemoryCalendar()
    sync(cal, state, base_spec())
    events = owned(cal)
    cal.remove_event(events["admin:2026-W10"].event_id)  # the user deletes one
    smaller = spec(*[r for r in base_spec().requests if r.rule != "account-review"])
    cal.partial_next_read()
    outcome = sync(cal, state, smaller)
    assert not outcome.complete
    assert all(op.action != "delete" for op in outcome.ops)
    assert cal.writes["delete"] == 0 and state.pins(CAL, WEEK) == []
    assert "account-review:2026-W10" in owned(cal)
    # the next complete read does both: the dropped rule's block goes, the dismissal sticks
    complete = sync(cal, state, smaller)
    assert complete.complete
    assert "account-review:2026-W10" not in owned(cal)
    assert [p.key for p in state.pins(CAL, WEEK) if p.dismissed] == ["admin:2026-W10"]
    assert "admin:2026-W10" not in owned(cal)


def test_user_moved_block_stays_pinned_and_others_plan_around_it(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = sync(cal, state, base_spec())
    by_key = {b.key: b for b in first.plan.blocks}
    acme, review = by_key["renewal-acme:2026-W10"], by_key["account-review:2026-W10"]
    # the user drags the Acme block onto the account review's slot
    cal.move_event(owned(cal)[acme.key].event_id, review.start, review.end)
    outcome = sync(cal, state, base_spec())
    [pin] = state.pins(CAL, WEEK)
    assert (pin.key, pin.start, pin.end, pin.title) == (acme.key, review.start, review.end, None)
    blocks = {b.key: b for b in outcome.plan.blocks}
    assert (blocks[acme.key].start, blocks[acme.key].end) == (review.start, review.end)
    moved_review = blocks[review.key]
    assert not moved_review.interval.overlaps(blocks[acme.key].interval)
    # the user's block stays where they put it; only its tag learns the new content
    by_op = {op.key: op for op in outcome.ops}
    assert set(by_op) == {acme.key, review.key}
    assert by_op[acme.key].reason == "kept your change: you moved it"
    assert by_op[review.key].reason == (
        f"moved: its place went to 'Renewal Acme' ({review.start:%a %H:%M}-{review.end:%H:%M})"
    )
    event = owned(cal)[acme.key]
    assert event.tag is not None and event.tag.content_hash == event.observed_hash
    assert_calendar_matches(cal, outcome)
    writes = write_requests(cal)
    again = sync(cal, state, base_spec())
    assert again.ops == () and write_requests(cal) == writes and len(state.pins(CAL, WEEK)) == 1


def test_user_deleted_block_stays_deleted_for_the_week(state: SyncState) -> None:
    cal = MemoryCalendar()
    sync(cal, state, base_spec())
    key = "renewal-acme:2026-W10"
    cal.remove_event(owned(cal)[key].event_id)
    outcome = sync(cal, state, base_spec())
    assert key not in {b.key for b in outcome.plan.blocks}
    assert all(op.key != key for op in outcome.ops)
    assert [p.key for p in state.pins(CAL, WEEK) if p.dismissed] == [key]
    # reruns, a meeting landing, a plan change: never resurrected
    cal.add_foreign(at(1, 9), at(1, 17), title="Workshop")
    bigger = spec(*base_spec().requests, flexible("learning", 60, day=2))
    for week_spec in (base_spec(), bigger, bigger):
        sync(cal, state, week_spec)
        assert key not in owned(cal)
    assert state.mappings(CAL, WEEK).get(key) is None


def test_retitled_block_keeps_the_users_title_even_when_moved(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = sync(cal, state, base_spec())
    key = "renewal-acme:2026-W10"
    cal.retitle_event(owned(cal)[key].event_id, "Acme: prep the renewal deck")
    outcome = sync(cal, state, base_spec())
    [pin] = state.pins(CAL, WEEK)
    assert (pin.key, pin.title, pin.start) == (key, "Acme: prep the renewal deck", None)
    assert [(op.key, op.reason) for op in outcome.ops] == [
        (key, "kept your change: you renamed it")
    ]
    assert sync(cal, state, base_spec()).ops == ()
    # a meeting lands on it: it moves, with the user's title
    old = {b.key: b for b in first.plan.blocks}[key]
    cal.add_foreign(old.start, old.end, title="QBR Globex")
    moved = sync(cal, state, base_spec())
    [op] = [op for op in moved.ops if op.key == key]
    assert op.action == "update"
    assert op.reason == f"moved: 'QBR Globex' ({old.start:%a %H:%M}) landed on it"
    event = owned(cal)[key]
    assert event.title == "Acme: prep the renewal deck" and event.start != old.start


def test_meeting_on_a_flexible_block_moves_it_and_names_the_meeting(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = sync(cal, state, base_spec())
    review = {b.key: b for b in first.plan.blocks}["account-review:2026-W10"]
    before_id = owned(cal)[review.key].event_id
    meeting = cal.add_foreign(review.start, review.end, title="QBR Globex")
    outcome = sync(cal, state, base_spec())
    [op] = outcome.ops
    assert (op.action, op.key) == ("update", review.key)
    assert op.reason == f"moved: 'QBR Globex' ({review.start:%a %H:%M}) landed on it"
    event = owned(cal)[review.key]
    assert event.event_id == before_id  # a PATCH, not delete + create
    assert not Interval(event.start, event.end).overlaps(Interval(meeting.start, meeting.end))
    assert cal.get(meeting.event_id) == meeting  # the foreign event is untouched
    assert state.pins(CAL, WEEK) == []  # our own move echoing back is no user edit
    assert sync(cal, state, base_spec()).ops == ()


def test_meeting_on_a_protected_keep_block_is_a_conflict_not_a_move(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = sync(cal, state, base_spec())
    focus = {b.key: b for b in first.plan.blocks}["deep-work:2026-W10"]
    cal.add_foreign(focus.start, focus.end, title="Escalation call")
    outcome = sync(cal, state, base_spec())
    assert all(op.key != focus.key for op in outcome.ops)
    assert owned(cal)[focus.key].start == focus.start
    assert [(c.key, c.meeting) for c in outcome.plan.conflicts] == [(focus.key, "Escalation call")]
    assert "Escalation call" in outcome.conflicts[0]
    assert outcome.run.extra["conflicts"] == 1


def test_dry_run_shows_the_ops_and_changes_nothing(state: SyncState) -> None:
    cal = MemoryCalendar()
    outcome = sync(cal, state, base_spec(), dry_run=True)
    assert len(outcome.ops) == 5 and outcome.applied == 0
    assert write_requests(cal) == 0
    assert state.mappings(CAL, WEEK) == {} and state.previous_blocks(CAL, WEEK) == []
    assert state.snapshot(CAL, WEEK) is None
    [run] = state.runs(CAL)
    assert run.dry_run and len(run.ops) == 5


def test_write_errors_are_reported_not_raised(state: SyncState) -> None:
    cal = MemoryCalendar(batch_size=2)
    cal.fail_next("create", TransientError("503 backend error"))
    outcome = sync(cal, state, base_spec())
    assert outcome.errors and "503" in outcome.errors[0]
    assert outcome.run.errors == outcome.errors
    saved = {b.key for b in state.previous_blocks(CAL, WEEK)}
    assert saved == set(owned(cal))  # only what is really on the calendar
    final = sync(cal, state, base_spec())
    assert final.errors == ()
    assert_calendar_matches(cal, final)


class _SlowCalendar(MemoryCalendar):
    """Counts overlapping reads; the pause only widens the window for a race."""

    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.most = 0
        self._count = threading.Lock()

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        with self._count:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.02)
        try:
            return super().read(window, sync_token)
        finally:
            with self._count:
                self.active -= 1


def test_runs_of_one_calendar_never_overlap(state: SyncState) -> None:
    cal = _SlowCalendar()
    threads = [threading.Thread(target=sync, args=(cal, state, base_spec())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cal.most == 1 and len(state.runs(CAL)) == 4
    assert cal.writes["create"] == 5 and not CALENDAR_LOCKS.in_use(CAL)


def test_block_moved_away_and_back_by_the_user_stays_where_they_left_it(state: SyncState) -> None:
    """Found by the state machine: moving a block back to where we first wrote it
    must not look like an echo of our own write."""
    cal = MemoryCalendar()
    first = sync(cal, state, base_spec())
    key = "account-review:2026-W10"
    original = {b.key: b for b in first.plan.blocks}[key]
    event_id = owned(cal)[key].event_id
    cal.move_event(event_id, at(0, 8), at(0, 9))
    sync(cal, state, base_spec())
    cal.move_event(event_id, original.start, original.end)
    sync(cal, state, base_spec())
    assert (owned(cal)[key].start, owned(cal)[key].end) == (original.start, original.end)
    [pin] = state.pins(CAL, WEEK)
    assert (pin.start, pin.end) == (original.start, original.end)
    assert sync(cal, state, base_spec()).ops == ()


def test_block_the_user_moved_into_another_week_is_not_deleted_there(state: SyncState) -> None:
    cal = MemoryCalendar()
    sync(cal, state, base_spec())
    key = "admin:2026-W10"
    # the user moves Friday's admin block to the Monday of the next week
    nxt_start, nxt_end = at(4, 10) + timedelta(days=3), at(4, 10, 30) + timedelta(days=3)
    cal.move_event(owned(cal)[key].event_id, nxt_start, nxt_end)
    next_week = WeekSpec(
        week="2026-W11",
        timezone=TZ_NAME,
        working=tuple(Interval(w.start + WEEK_LATER, w.end + WEEK_LATER) for w in working()),
        requests=(),
    )
    outcome = sync(cal, state, next_week)
    assert all(op.key != key for op in outcome.ops)
    assert (owned(cal)[key].start, owned(cal)[key].end) == (nxt_start, nxt_end)
    assert any(b.start == nxt_start and b.end == nxt_end for b in outcome.busy)
    # back in its own week it counts as gone (the user took it out of that week)
    sync(cal, state, base_spec())
    assert key in owned(cal)


def test_a_preview_plans_as_the_sync_will_and_leaves_no_trace(state: SyncState) -> None:
    cal = MemoryCalendar()
    first = sync(cal, state, base_spec())
    by_key = {b.key: b for b in first.plan.blocks}
    acme, review = by_key["renewal-acme:2026-W10"], by_key["account-review:2026-W10"]
    cal.move_event(owned(cal)[acme.key].event_id, review.start, review.end)
    runs, writes = len(state.runs(CAL)), write_requests(cal)

    preview = sync(cal, state, base_spec(), dry_run=True, record=False)

    assert len(state.runs(CAL)) == runs, "a preview is not a run"
    assert write_requests(cal) == writes and state.pins(CAL, WEEK) == []
    real = sync(cal, state, base_spec())
    assert preview.plan == real.plan
    assert [(op.action, op.key) for op in preview.ops] == [(op.action, op.key) for op in real.ops]


def test_only_a_dry_run_may_skip_its_run_record(state: SyncState) -> None:
    with pytest.raises(ValueError, match="dry run"):
        sync(MemoryCalendar(), state, base_spec(), record=False)
