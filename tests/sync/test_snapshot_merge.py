"""Snapshot.merged: an incremental read's changes folded into the window (pure)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from blocker.core.keys import OwnershipTag
from blocker.core.models import Interval, RemoteEvent
from blocker.state import Snapshot
from tests.sync.helpers import NOW, TZ, at

WINDOW = Interval(at(0, 0), at(0, 0) + timedelta(days=7))


def event(event_id: str, start: datetime, minutes: int = 60, **kw: object) -> RemoteEvent:
    return RemoteEvent(
        event_id=event_id,
        start=start,
        end=start + timedelta(minutes=minutes),
        title=f"Event {event_id}",
        **kw,  # type: ignore[arg-type]
    )


def snapshot(*events: RemoteEvent) -> Snapshot:
    return Snapshot("tok-0", WINDOW, (), NOW).merged(events)


def ids(snap: Snapshot) -> list[str]:
    return [e.event_id for e in snap.events]


def test_changed_events_replace_theirs_and_new_ones_join_in_order() -> None:
    base = snapshot(event("a", at(0, 9)), event("b", at(1, 9)))
    moved = event("a", at(2, 9), etag='"9"')
    merged = base.merged([moved, event("c", at(0, 11))], token="tok-1")
    assert ids(merged) == ["c", "b", "a"]  # ordered by start
    assert merged.events[-1] == moved and merged.token == "tok-1"
    assert merged.window == base.window and merged.full_read_at == base.full_read_at
    assert ids(base) == ["a", "b"]  # the snapshot itself is a value: unchanged


def test_removed_ids_go_and_unknown_ones_are_ignored() -> None:
    base = snapshot(event("a", at(0, 9)), event("b", at(1, 9)))
    merged = base.merged([], ["a", "never-seen"])
    assert ids(merged) == ["b"] and merged.token == "tok-0"


def test_changes_outside_the_window_are_filtered_and_move_events_out() -> None:
    base = snapshot(event("a", at(0, 9)), event("b", at(1, 9)))
    next_week = event("a", at(0, 9) + timedelta(days=7))
    far_away = event("z", at(0, 9) - timedelta(days=30))
    merged = base.merged([next_week, far_away])
    assert ids(merged) == ["b"]


def test_events_touching_the_window_edges() -> None:
    ends_at_start = event("x", WINDOW.start - timedelta(hours=1))
    overlaps_start = event("y", WINDOW.start - timedelta(minutes=30))
    starts_at_end = event("z", WINDOW.end)
    merged = snapshot().merged([ends_at_start, overlaps_start, starts_at_end])
    assert ids(merged) == ["y"]  # half-open [start, end), like a full read


def test_cancelled_change_removes_the_event() -> None:
    base = snapshot(event("a", at(0, 9)))
    merged = base.merged([event("a", at(0, 9), cancelled=True)])
    assert merged.events == ()


def test_a_live_change_wins_over_the_same_id_in_removed() -> None:
    """Graph looks changed events up after the delta: the lookup is the newer word."""
    base = snapshot(event("a", at(0, 9)))
    back = event("a", at(0, 10), tag=OwnershipTag("k", "h"))
    assert base.merged([back], ["a"]).events == (back,)


_event_ids = st.sampled_from([f"e{i}" for i in range(8)])
_changes = st.lists(st.tuples(_event_ids, st.integers(-2 * 24, 9 * 24), st.booleans()), max_size=12)


@given(first=_changes, second=_changes)
def test_merging_changes_equals_reading_the_window_in_full(
    first: list[tuple[str, int, bool]], second: list[tuple[str, int, bool]]
) -> None:
    """Model: a calendar that changes twice; the snapshot after merging each batch
    of changes equals a fresh full read of the window."""
    calendar: dict[str, RemoteEvent] = {}

    def apply(batch: list[tuple[str, int, bool]]) -> tuple[list[RemoteEvent], list[str]]:
        changed: dict[str, RemoteEvent] = {}
        removed: list[str] = []
        for event_id, hours, delete in batch:
            if delete:
                if calendar.pop(event_id, None) is not None:
                    changed.pop(event_id, None)
                    removed.append(event_id)
                continue
            new = event(event_id, WINDOW.start + timedelta(hours=hours), 90)
            calendar[event_id] = new
            changed[event_id] = new
            if event_id in removed:
                removed.remove(event_id)
        return list(changed.values()), removed

    def full_read() -> list[RemoteEvent]:
        inside = [e for e in calendar.values() if Interval(e.start, e.end).overlaps(WINDOW)]
        return sorted(inside, key=lambda e: (e.start, e.end, e.event_id))

    snap = snapshot()
    for batch in (first, second):
        changed, removed = apply(batch)
        snap = snap.merged(changed, removed)
        assert list(snap.events) == full_read()
    assert all(e.start.tzinfo == TZ for e in snap.events)
    assert dataclasses.replace(snap, events=()) == snapshot()
