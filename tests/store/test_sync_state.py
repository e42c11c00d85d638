"""SyncState round trips through a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from blocker.core.keys import OwnershipTag
from blocker.core.models import Block, Op, Pin, RemoteEvent, RunRecord
from blocker.state import EventMapping, SyncState
from blocker.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEK = "2026-W49"


def _block(key: str, start: datetime, hours: int = 1, **extra: object) -> Block:
    return Block(
        key=key,
        rule="focus",
        kind="focus_time",
        title=f"Focus {key}",
        start=start,
        end=start + timedelta(hours=hours),
        **extra,  # type: ignore[arg-type]
    )


def test_store_satisfies_the_protocol(store: Store) -> None:
    state: SyncState = store  # a static check, exercised for real by the tests below
    assert state.mappings("cal", WEEK) == {}


def test_mappings_upsert_by_key_and_filter_by_week(store: Store) -> None:
    store.save_mapping("cal", EventMapping("a", "ev-a", WEEK, "h1"))
    store.save_mapping("cal", EventMapping("b", "ev-b", "2026-W50", "h2", etag='"7"'))
    store.save_mapping("other", EventMapping("a", "ev-other", WEEK, "h3"))
    store.save_mapping("cal", EventMapping("a", "ev-a", WEEK, "h9", etag='"2"'))

    assert store.mappings("cal", WEEK) == {"a": EventMapping("a", "ev-a", WEEK, "h9", '"2"')}
    assert store.mappings("cal", "2026-W50") == {
        "b": EventMapping("b", "ev-b", "2026-W50", "h2", '"7"')
    }
    assert store.mappings("other", WEEK)["a"].event_id == "ev-other"
    assert store.mapping_for_event("cal", "ev-b") == EventMapping(
        "b", "ev-b", "2026-W50", "h2", '"7"'
    )
    assert store.mapping_for_event("cal", "ev-other") is None


def test_mapping_moving_to_another_week_follows_the_key(store: Store) -> None:
    store.save_mapping("cal", EventMapping("a", "ev-a", WEEK, "h1"))
    store.save_mapping("cal", EventMapping("a", "ev-a", "2026-W50", "h1"))
    assert store.mappings("cal", WEEK) == {}
    assert list(store.mappings("cal", "2026-W50")) == ["a"]


def test_drop_mapping_only_drops_that_key_of_that_calendar(store: Store) -> None:
    store.save_mapping("cal", EventMapping("a", "ev-a", WEEK, "h"))
    store.save_mapping("cal", EventMapping("b", "ev-b", WEEK, "h"))
    store.save_mapping("other", EventMapping("a", "ev-x", WEEK, "h"))
    store.drop_mapping("cal", "a")
    store.drop_mapping("cal", "never-saved")
    assert list(store.mappings("cal", WEEK)) == ["b"]
    assert list(store.mappings("other", WEEK)) == ["a"]


def test_pins_and_dismissals_round_trip_with_aware_times(store: Store) -> None:
    start = datetime(2026, 12, 2, 14, 30, tzinfo=NEW_YORK)
    moved = Pin("moved", start=start, end=start + timedelta(minutes=45), title="Renamed")
    store.save_pin("cal", WEEK, moved)
    store.save_pin("cal", WEEK, Pin("gone", dismissed=True))
    store.save_pin("cal", "2026-W50", Pin("later", dismissed=True))

    pins = store.pins("cal", WEEK)
    assert pins == [Pin("gone", dismissed=True), moved]
    loaded = pins[1]
    assert loaded.start is not None and loaded.start.utcoffset() == timedelta(0)
    assert loaded.start == start  # same instant
    assert store.pins("other", WEEK) == []


def test_saving_a_pin_again_replaces_the_decision(store: Store) -> None:
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    store.save_pin("cal", WEEK, Pin("k", start=start, end=start + timedelta(hours=1)))
    store.save_pin("cal", WEEK, Pin("k", dismissed=True))
    assert store.pins("cal", WEEK) == [Pin("k", dismissed=True)]
    store.drop_pin("cal", WEEK, "k")
    assert store.pins("cal", WEEK) == []


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = datetime(2026, 12, 2, 9)
    with pytest.raises(ValueError, match="naive"):
        store.save_pin("cal", WEEK, Pin("k", start=naive, end=naive + timedelta(hours=1)))
    assert store.pins("cal", WEEK) == []


def test_blocks_round_trip_in_their_own_zone(store: Store) -> None:
    blocks = [
        _block("a", datetime(2026, 12, 1, 9, tzinfo=BERLIN), show_as="free", tier="high"),
        _block(
            "b",
            datetime(2026, 12, 3, 15, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            hours=2,
            account="Acme",
            quadrant=1,
            category="reactive",
            protected=True,
            conflict_policy="yield",
            reason="renewal in 30 days",
        ),
        _block("c", datetime(2026, 12, 4, tzinfo=BERLIN), hours=24, all_day=True, flexible=False),
    ]
    store.save_blocks("cal", WEEK, blocks)
    loaded = store.previous_blocks("cal", WEEK)
    assert loaded == blocks
    assert loaded[0].start.tzinfo == BERLIN and loaded[2].start.tzinfo == BERLIN
    assert loaded[1].start.utcoffset() == timedelta(hours=5, minutes=30)
    assert loaded[1].start.isoformat() == "2026-12-03T15:00:00+05:30"


def test_save_blocks_replaces_the_week_and_empty_is_kept(store: Store) -> None:
    first = [_block("a", datetime(2026, 12, 1, 9, tzinfo=BERLIN))]
    store.save_blocks("cal", WEEK, first)
    store.save_blocks("cal", "2026-W50", first)
    store.save_blocks("cal", WEEK, [])
    assert store.previous_blocks("cal", WEEK) == []
    assert store.previous_blocks("cal", "2026-W50") == first
    assert store.previous_blocks("other", WEEK) == []


def _run(calendar: str, started: datetime, trigger: str = "cli", **extra: object) -> RunRecord:
    return RunRecord(
        calendar_id=calendar,
        trigger=trigger,
        week=WEEK,
        started_at=started,
        finished_at=started + timedelta(seconds=3),
        **extra,  # type: ignore[arg-type]
    )


def test_runs_round_trip_with_ops_errors_and_counters(store: Store) -> None:
    block = _block("a", datetime(2026, 12, 1, 9, tzinfo=BERLIN))
    current = RemoteEvent(
        event_id="ev-1",
        start=datetime(2026, 12, 1, 7, tzinfo=UTC),
        end=datetime(2026, 12, 1, 8, tzinfo=UTC),
        title="Focus a",
        etag='"3"',
        tag=OwnershipTag("a", "abc"),
        attendee_domains=("acme.com",),
    )
    run = _run(
        "cal",
        datetime(2026, 12, 1, 6, tzinfo=BERLIN),
        trigger="webhook",
        ops=(
            Op("create", "a", "created: focus", block=block),
            Op("update", "a", "moved: 'QBR Globex' landed on it", block=block, current=current),
            Op("delete", "a", "rule removed", current=current),
        ),
        errors=("rate limited once",),
        dry_run=True,
        extra={"created": 1, "updated": 1, "deleted": 1},
    )
    store.record_run(run)
    [loaded] = store.runs("cal")
    assert loaded == run
    assert loaded.started_at.tzinfo == UTC


def test_runs_newest_first_filtered_and_limited(store: Store) -> None:
    base = datetime(2026, 12, 1, 6, tzinfo=UTC)
    # Recorded out of order, one in another zone: ordering is by instant.
    store.record_run(_run("cal", base + timedelta(hours=2), trigger="second"))
    store.record_run(_run("cal", base, trigger="first"))
    store.record_run(_run("other", base + timedelta(hours=1), trigger="other"))
    store.record_run(_run("cal", (base + timedelta(hours=3)).astimezone(NEW_YORK), trigger="third"))

    assert [r.trigger for r in store.runs("cal")] == ["third", "second", "first"]
    assert [r.trigger for r in store.runs()] == ["third", "second", "other", "first"]
    assert [r.trigger for r in store.runs(limit=2)] == ["third", "second"]
    assert store.runs("nobody") == []
