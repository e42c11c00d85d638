"""Window snapshots (incremental sync) through a real database: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from blocker.core.keys import OwnershipTag
from blocker.core.models import Interval, RemoteEvent
from blocker.state import Snapshot
from blocker.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEK = "2026-W44"  # Berlin leaves summer time on Sunday 25 October 2026
WINDOW = Interval(datetime(2026, 10, 19, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN))


def _events() -> tuple[RemoteEvent, ...]:
    ours = RemoteEvent(
        event_id="ev-ours",
        start=datetime(2026, 10, 20, 9, tzinfo=BERLIN),
        end=datetime(2026, 10, 20, 10, tzinfo=BERLIN),
        title="Focus",
        etag='"3"',
        tag=OwnershipTag("focus:2026-10-20:0", "abc123"),
        transparent=True,
        color="#0B8043",
    )
    theirs = RemoteEvent(
        event_id="ev-meeting",
        start=datetime(2026, 10, 21, 11, tzinfo=NEW_YORK),
        end=datetime(2026, 10, 21, 12, tzinfo=NEW_YORK),
        title="QBR Globex",
        response="accepted",
        attendee_domains=("globex.com",),
        organizer_domain="globex.com",
    )
    late = RemoteEvent(
        event_id="ev-dst",
        start=datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1),
        end=datetime(2026, 10, 25, 4, tzinfo=BERLIN),
        title="Across the fall-back hour",
    )
    return (ours, theirs, late)


def _snapshot(token: str = "tok-1") -> Snapshot:
    read_at = datetime(2026, 10, 19, 7, 15, tzinfo=UTC)
    return Snapshot(token, WINDOW, (), read_at).merged(_events())


def test_no_snapshot_until_one_is_saved(store: Store) -> None:
    assert store.snapshot("cal", WEEK) is None


def test_snapshot_round_trip_keeps_events_zones_and_instants(store: Store) -> None:
    saved = _snapshot()
    assert len(saved.events) == 3
    store.save_snapshot("cal", WEEK, saved)
    loaded = store.snapshot("cal", WEEK)
    assert loaded is not None
    assert loaded.events == saved.events  # every field, tags and domains included
    for a, b in zip(loaded.events, saved.events, strict=True):
        assert a.start.tzinfo == b.start.tzinfo  # the zone comes back, not just the instant
        assert a.start.timestamp() == b.start.timestamp()
    assert loaded.token == "tok-1"
    assert loaded.full_read_at == saved.full_read_at
    assert loaded.window.start.timestamp() == WINDOW.start.timestamp()
    assert loaded.window.end.timestamp() == WINDOW.end.timestamp()


def test_save_replaces_and_keys_are_calendar_and_week(store: Store) -> None:
    store.save_snapshot("cal", WEEK, _snapshot("tok-1"))
    store.save_snapshot("cal", "2026-W45", _snapshot("tok-other-week"))
    store.save_snapshot("other", WEEK, _snapshot("tok-other-cal"))
    newer = _snapshot("tok-2").merged((), ("ev-meeting",))
    store.save_snapshot("cal", WEEK, newer)
    loaded = store.snapshot("cal", WEEK)
    assert loaded is not None and loaded.token == "tok-2"
    assert [e.event_id for e in loaded.events] == ["ev-ours", "ev-dst"]
    other_week = store.snapshot("cal", "2026-W45")
    other_cal = store.snapshot("other", WEEK)
    assert other_week is not None and other_week.token == "tok-other-week"
    assert other_cal is not None and other_cal.token == "tok-other-cal"


def test_drop_forgets_one_week_only(store: Store) -> None:
    store.save_snapshot("cal", WEEK, _snapshot())
    store.save_snapshot("cal", "2026-W45", _snapshot())
    store.drop_snapshot("cal", WEEK)
    store.drop_snapshot("cal", WEEK)  # dropping twice is fine
    assert store.snapshot("cal", WEEK) is None
    assert store.snapshot("cal", "2026-W45") is not None


def test_an_empty_window_is_a_snapshot_too(store: Store) -> None:
    empty = Snapshot("tok-empty", WINDOW, (), datetime(2026, 10, 19, tzinfo=UTC))
    store.save_snapshot("cal", WEEK, empty)
    loaded = store.snapshot("cal", WEEK)
    assert loaded is not None and loaded.events == () and loaded.token == "tok-empty"
    assert loaded.full_read_at + timedelta(days=1) == datetime(2026, 10, 20, tzinfo=UTC)
