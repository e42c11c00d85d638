"""apply: the only writer. Real MemoryCalendar + MemoryState, failures injected."""

from __future__ import annotations

from dataclasses import replace

import pytest

from blocker.apply import ApplyResult, apply_ops, blocks_on_calendar
from blocker.core.errors import (
    EventNotFound,
    OwnershipError,
    PreconditionFailed,
    ProviderError,
    RateLimited,
    ReconnectRequired,
    TransientError,
)
from blocker.core.keys import event_id_for
from blocker.core.models import Block, Plan
from blocker.diff import diff
from blocker.state import SyncState
from blocker.state_memory import MemoryState
from providers.memory import MemoryCalendar
from tests.sync.helpers import CAL, TZ_NAME, WEEK, at


def blocks(n: int) -> list[Block]:
    return [
        Block(
            key=f"r{i}:{WEEK}",
            rule=f"r{i}",
            kind="block",
            title=f"Block {i}",
            start=at(i % 5, 9 + i // 5),
            end=at(i % 5, 10 + i // 5),
        )
        for i in range(n)
    ]


def plan(bs: list[Block]) -> Plan:
    return Plan(week=WEEK, timezone=TZ_NAME, blocks=tuple(bs))


def observe(cal: MemoryCalendar) -> list:  # type: ignore[type-arg]
    return [e for e in cal.snapshot() if e.owned]


def test_creates_use_deterministic_ids_and_record_each_mapping() -> None:
    cal, state = MemoryCalendar(batch_size=50), MemoryState()
    want = blocks(3)
    result = apply_ops(
        diff(plan(want), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK
    )
    assert len(result.applied) == 3 and result.errors == ()
    events = {e.tag.key: e for e in observe(cal) if e.tag}
    mappings = state.mappings(CAL, WEEK)
    for b in want:
        event = events[b.key]
        assert event.event_id == event_id_for(CAL, b.key)
        assert mappings[b.key].event_id == event.event_id
        assert mappings[b.key].content_hash == b.content_hash
        assert mappings[b.key].etag == event.etag
    assert cal.requests["batch"] == 1


def test_writes_are_batched_by_the_provider_batch_size() -> None:
    cal, state = MemoryCalendar(batch_size=2), MemoryState()
    apply_ops(diff(plan(blocks(5)), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert cal.requests["batch"] == 3
    assert cal.writes["create"] == 5


def test_private_titles_reach_the_draft() -> None:
    cal, state = MemoryCalendar(), MemoryState()
    [b] = blocks(1)
    apply_ops(
        diff(plan([b]), [], {}),
        provider=cal,
        state=state,
        calendar_id=CAL,
        week=WEEK,
        private=True,
    )
    draft = cal.draft_of(event_id_for(CAL, b.key))
    assert draft is not None and draft.private


def test_dry_run_writes_nothing() -> None:
    cal, state = MemoryCalendar(), MemoryState()
    ops = diff(plan(blocks(3)), [], {})
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK, dry_run=True)
    assert result.skipped == tuple(ops) and result.applied == ()
    assert sum(cal.requests.values()) == 0 and state.mappings(CAL, WEEK) == {}


def test_precondition_failed_is_left_for_the_next_run_and_others_proceed() -> None:
    cal, state = MemoryCalendar(), MemoryState()
    want = blocks(2)
    apply_ops(diff(plan(want), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    before = state.mappings(CAL, WEEK)
    moved = [replace(b, start=b.start.replace(hour=15), end=b.end.replace(hour=16)) for b in want]
    ops = diff(plan(moved), observe(cal), before)
    assert [op.action for op in ops] == ["update", "update"]
    cal.fail_next("update", PreconditionFailed("412"))
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert len(result.failed) == 1 and len(result.applied) == 1 and result.stopped_by is None
    failed_key = result.failed[0][0].key
    after = state.mappings(CAL, WEEK)
    assert after[failed_key] == before[failed_key]
    done_key = result.applied[0].key
    assert after[done_key].content_hash != before[done_key].content_hash
    assert "next run" in result.errors[0]


def test_event_not_found_on_delete_drops_the_mapping() -> None:
    cal, state = MemoryCalendar(), MemoryState()
    want = blocks(2)
    apply_ops(diff(plan(want), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    ops = diff(plan([]), observe(cal), state.mappings(CAL, WEEK))
    assert [op.action for op in ops] == ["delete", "delete"]
    gone = ops[0].current
    assert gone is not None
    cal.remove_event(gone.event_id)  # vanished between read and write
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert len(result.applied) == 2 and result.errors == ()
    assert state.mappings(CAL, WEEK) == {} and observe(cal) == []


def test_event_not_found_on_update_keeps_the_mapping_for_the_dismissal() -> None:
    cal, state = MemoryCalendar(), MemoryState()
    [b] = blocks(1)
    apply_ops(diff(plan([b]), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    ops = diff(plan([replace(b, title="New")]), observe(cal), state.mappings(CAL, WEEK))
    cal.fail_next("update", EventNotFound("gone"))
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert len(result.failed) == 1
    assert b.key in state.mappings(CAL, WEEK)


@pytest.mark.parametrize(
    "error",
    [
        TransientError("timeout"),
        RateLimited("429", retry_after=3.0),
        TransientError("503"),
        ReconnectRequired("revoked"),
    ],
    ids=["timeout", "429", "5xx", "reconnect"],
)
def test_transient_errors_stop_the_run_and_keep_state_consistent(error: Exception) -> None:
    cal, state = MemoryCalendar(batch_size=2), MemoryState()
    want = blocks(6)
    ops = diff(plan(want), [], {})
    cal.fail_next("create", error)  # type: ignore[arg-type]
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    # first batch: one failed, its neighbour went through; the rest not attempted
    assert result.stopped_by is not None
    assert len(result.failed) == 1 and len(result.applied) == 1 and len(result.skipped) == 4
    assert cal.requests["batch"] == 1
    on_calendar = {e.tag.key for e in observe(cal) if e.tag}
    assert on_calendar == {op.key for op in result.applied} == set(state.mappings(CAL, WEEK))
    # the next run finishes the job, without duplicates
    rest = diff(plan(want), observe(cal), state.mappings(CAL, WEEK))
    assert len(rest) == 5
    apply_ops(rest, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert sorted(e.tag.key for e in observe(cal) if e.tag) == sorted(b.key for b in want)


def test_a_failed_batch_request_fails_all_its_items() -> None:
    cal, state = MemoryCalendar(batch_size=3), MemoryState()
    ops = diff(plan(blocks(3)), [], {})
    cal.fail_next("batch", TransientError("502"))
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert len(result.failed) == 3 and result.stopped_by is not None
    assert observe(cal) == [] and state.mappings(CAL, WEEK) == {}


@pytest.mark.parametrize(
    "error", [TransientError("timeout"), TransientError("503")], ids=["timeout", "5xx"]
)
def test_delete_forgets_the_mapping_when_the_write_may_have_landed(error: Exception) -> None:
    """A timeout or a 5xx may come after the delete happened: a kept mapping would make
    the next run take our own delete for a user dismissal. The still-present event is
    deleted next run, and the block stays in the week's saved blocks meanwhile."""
    cal, state = MemoryCalendar(), MemoryState()
    [b] = blocks(1)
    apply_ops(diff(plan([b]), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    ops = diff(plan([]), observe(cal), state.mappings(CAL, WEEK))
    cal.fail_next("delete", error)  # type: ignore[arg-type]
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert state.mappings(CAL, WEEK) == {} and len(observe(cal)) == 1
    assert blocks_on_calendar(plan([]), [b], result, dismissed=()) == [b]
    again = diff(plan([]), observe(cal), state.mappings(CAL, WEEK))
    assert [op.action for op in again] == ["delete"]


def test_a_delete_answered_412_keeps_its_mapping_and_the_next_run_retries_it(
    state: SyncState,
) -> None:
    """Issue 14: the user moves the block between our read and our delete; the
    conditional delete answers 412. Nothing was deleted, so the mapping comes back
    (the key stays this week's, the move is a user edit of it), and the next run
    deletes the event as it now is."""
    cal = MemoryCalendar()
    [b] = blocks(1)
    apply_ops(diff(plan([b]), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    before = state.mappings(CAL, WEEK)
    ops = diff(plan([]), observe(cal), before)
    assert [(op.action, op.key) for op in ops] == [("delete", b.key)]
    cal.move_event(before[b.key].event_id, at(3, 14), at(3, 15))  # the user, meanwhile
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert result.applied == () and "retried next run" in result.errors[0]
    assert state.mappings(CAL, WEEK) == before and cal.writes["delete"] == 0
    assert blocks_on_calendar(plan([]), [b], result, dismissed=()) == [b]

    retry = diff(plan([]), observe(cal), state.mappings(CAL, WEEK))
    assert [(op.action, op.key) for op in retry] == [("delete", b.key)]
    result = apply_ops(retry, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert result.clean and result.removed == (before[b.key].event_id,)
    assert observe(cal) == [] and state.mappings(CAL, WEEK) == {}
    assert blocks_on_calendar(plan([]), [b], result, dismissed=()) == []


@pytest.mark.parametrize(
    "error",
    [
        RateLimited("429", retry_after=3.0),
        ReconnectRequired("revoked"),
        OwnershipError("not ours"),
        ProviderError("400 bad request"),
    ],
    ids=["429", "reconnect", "ownership", "other"],
)
def test_a_refused_delete_keeps_its_mapping(error: Exception) -> None:
    """A refusal proves nothing was deleted: the mapping stays and the next run retries."""
    cal, state = MemoryCalendar(), MemoryState()
    [b] = blocks(1)
    apply_ops(diff(plan([b]), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    before = state.mappings(CAL, WEEK)
    ops = diff(plan([]), observe(cal), before)
    cal.fail_next("delete", error)  # type: ignore[arg-type]
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert len(result.failed) == 1 and state.mappings(CAL, WEEK) == before
    retry = diff(plan([]), observe(cal), state.mappings(CAL, WEEK))
    assert [op.action for op in retry] == ["delete"]
    apply_ops(retry, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert observe(cal) == [] and state.mappings(CAL, WEEK) == {}


def test_a_delete_left_undone_by_a_stop_keeps_its_block_and_mapping() -> None:
    """A rate limit stops the run: the deletes not attempted keep their mapping and
    their block (still on the calendar), like the one that failed."""
    cal, state = MemoryCalendar(batch_size=1), MemoryState()
    want = blocks(3)
    apply_ops(diff(plan(want), [], {}), provider=cal, state=state, calendar_id=CAL, week=WEEK)
    before = state.mappings(CAL, WEEK)
    ops = diff(plan([]), observe(cal), before)
    cal.fail_next("delete", RateLimited("429", retry_after=1.0))
    result = apply_ops(ops, provider=cal, state=state, calendar_id=CAL, week=WEEK)
    assert len(result.failed) == 1 and len(result.skipped) == 2
    assert state.mappings(CAL, WEEK) == before
    assert blocks_on_calendar(plan([]), want, result, dismissed=()) == want


def test_a_read_cut_short_keeps_the_blocks_no_longer_planned() -> None:
    """Such a run deletes nothing: the blocks the plan dropped are still on the
    calendar, so the week keeps them (and their keys) until a complete run."""
    kept, planned = blocks(2)
    result = ApplyResult()
    assert blocks_on_calendar(plan([planned]), [kept, planned], result, dismissed=()) == [planned]
    assert blocks_on_calendar(
        plan([planned]), [kept, planned], result, dismissed=(), read_complete=False
    ) == [planned, kept]
