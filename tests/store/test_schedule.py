"""Per-calendar schedule state: what is due, skipping calendars that need a reconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from blocker.store import ScheduleState, Store

NOW = datetime(2026, 12, 4, 17, tzinfo=UTC)


def test_due_by_kind(store: Store) -> None:
    store.set_next_generate_at("gen-due", NOW - timedelta(minutes=1))
    store.set_next_generate_at("gen-later", NOW + timedelta(minutes=1))
    store.set_next_poll_at("poll-due", NOW)  # "at or before now" is due
    store.set_next_poll_at("gen-later", NOW - timedelta(hours=1))

    assert store.due_calendars(NOW, "generate") == ["gen-due"]
    assert store.due_calendars(NOW, "poll") == ["gen-later", "poll-due"]
    assert store.due_calendars(NOW) == ["gen-due", "gen-later", "poll-due"]
    assert store.due_calendars(NOW - timedelta(days=1)) == []


def test_due_compares_instants_across_zones(store: Store) -> None:
    # Friday 18:00 in Berlin is 17:00 UTC: due exactly at NOW.
    store.set_next_generate_at(
        "berlin", datetime(2026, 12, 4, 18, tzinfo=ZoneInfo("Europe/Berlin"))
    )
    assert store.due_calendars(NOW - timedelta(seconds=1), "generate") == []
    assert store.due_calendars(NOW.astimezone(ZoneInfo("Asia/Tokyo")), "generate") == ["berlin"]


def test_schedule_state_round_trip_and_clearing(store: Store) -> None:
    assert store.schedule("cal") is None
    store.set_next_generate_at("cal", NOW)
    store.set_next_poll_at("cal", NOW + timedelta(minutes=15))
    store.mark_run("cal", NOW - timedelta(minutes=5))
    assert store.schedule("cal") == ScheduleState(
        "cal", NOW, NOW + timedelta(minutes=15), NOW - timedelta(minutes=5)
    )
    store.set_next_generate_at("cal", None)
    state = store.schedule("cal")
    assert state is not None and state.next_generate_at is None
    assert state.next_poll_at == NOW + timedelta(minutes=15)  # other columns untouched
    assert store.due_calendars(NOW + timedelta(days=1), "generate") == []


def test_calendars_needing_a_reconnect_are_not_due(store: Store) -> None:
    for cal in ("ok", "revoked", "gone", "local-ics"):
        store.set_next_generate_at(cal, NOW - timedelta(hours=1))
    store.upsert_connection("ok", user_email="a@example.com", provider="google")
    store.upsert_connection("revoked", user_email="a@example.com", provider="google")
    store.upsert_connection("gone", user_email="a@example.com", provider="outlook")
    store.mark_needs_reconnect("revoked", "invalid_grant")
    store.disconnect("gone")
    assert store.due_calendars(NOW) == ["local-ics", "ok"]
    store.upsert_connection("revoked", user_email="a@example.com", provider="google")
    assert store.due_calendars(NOW) == ["local-ics", "ok", "revoked"]


def test_claim_due_advances_and_hands_each_calendar_out_once(store: Store) -> None:
    for cal in ("a", "b", "revoked"):
        store.set_next_generate_at(cal, NOW - timedelta(minutes=5))
    store.set_next_generate_at("later", NOW + timedelta(minutes=5))
    store.upsert_connection("revoked", user_email="a@example.com", provider="google")
    store.mark_needs_reconnect("revoked", "invalid_grant")
    next_week = NOW + timedelta(days=7)

    assert store.claim_due(NOW, "generate", lambda cal: next_week) == ["a", "b"]
    assert store.claim_due(NOW, "generate", lambda cal: next_week) == []
    state = store.schedule("a")
    assert state is not None and state.next_generate_at == next_week
    revoked = store.schedule("revoked")
    assert revoked is not None and revoked.next_generate_at == NOW - timedelta(minutes=5)

    store.set_next_poll_at("a", NOW)
    assert store.claim_due(NOW, "poll", lambda cal: None) == ["a"]
    state = store.schedule("a")
    assert state is not None and state.next_poll_at is None
    assert state.next_generate_at == next_week  # the other column is untouched


def test_claim_due_respects_the_limit_oldest_first(store: Store) -> None:
    for n in range(5):
        store.set_next_poll_at(f"cal-{n}", NOW - timedelta(minutes=10 - n))
    later = NOW + timedelta(minutes=15)
    assert store.claim_due(NOW, "poll", lambda cal: later, limit=2) == ["cal-0", "cal-1"]
    assert store.claim_due(NOW, "poll", lambda cal: later, limit=10) == [
        "cal-2",
        "cal-3",
        "cal-4",
    ]


def test_concurrent_dispatchers_never_claim_the_same_calendar(store: Store) -> None:
    import threading

    calendars = [f"cal-{n:02d}" for n in range(40)]
    for cal in calendars:
        store.set_next_generate_at(cal, NOW - timedelta(minutes=1))
    barrier = threading.Barrier(6)
    claims: list[list[str]] = []
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            barrier.wait()
            while claim := store.claim_due(
                NOW, "generate", lambda c: NOW + timedelta(days=7), limit=4
            ):
                claims.append(claim)
        except BaseException as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=dispatcher) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    handed_out = [cal for claim in claims for cal in claim]
    assert sorted(handed_out) == calendars  # every due calendar exactly once
