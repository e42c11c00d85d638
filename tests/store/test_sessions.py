"""Revoked dashboard sessions (issue 17.5): sign-out is recorded on the server, on
SQLite and PostgreSQL, and the list only holds sessions that could still be used."""

from __future__ import annotations

from datetime import timedelta

from blocker.store import Store
from tests.support.clock import TEST_NOW, SettableClock


def test_a_revoked_session_is_refused_and_others_are_not(timed_store: Store) -> None:
    assert not timed_store.session_revoked("sid-1")
    timed_store.revoke_session("sid-1", TEST_NOW + timedelta(hours=12))
    assert timed_store.session_revoked("sid-1")
    assert not timed_store.session_revoked("sid-2")
    assert not timed_store.session_revoked("sid-1\x00")  # ids are hashed: any text is safe
    timed_store.revoke_session("sid-1", TEST_NOW + timedelta(hours=12))  # twice: still one row
    assert timed_store.revoked_session_count() == 1


def test_expired_revocations_are_dropped_when_another_is_added(
    timed_store: Store, clock: SettableClock
) -> None:
    timed_store.revoke_session("old", TEST_NOW + timedelta(hours=1))
    timed_store.revoke_session("young", TEST_NOW + timedelta(hours=12))
    clock.now = TEST_NOW + timedelta(hours=2)
    timed_store.revoke_session("new", clock.now + timedelta(hours=12))
    assert timed_store.revoked_session_count() == 2
    assert timed_store.session_revoked("young") and timed_store.session_revoked("new")
