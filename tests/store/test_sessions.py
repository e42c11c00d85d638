"""Revoked dashboard sessions (issue 17.5): sign-out is recorded on the server, on
SQLite and PostgreSQL, and the list only holds sessions that could still be used."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from blocker.store import Store, TokenCipher, make_engine
from tests.support.clock import TEST_NOW


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    return _Clock(TEST_NOW)


@pytest.fixture
def timed_store(db_url: str, key: str, clock: _Clock) -> Iterator[Store]:
    st = Store(make_engine(db_url), TokenCipher(key), clock=clock)
    try:
        yield st
    finally:
        st.close()


def test_a_revoked_session_is_refused_and_others_are_not(timed_store: Store) -> None:
    assert not timed_store.session_revoked("sid-1")
    timed_store.revoke_session("sid-1", TEST_NOW + timedelta(hours=12))
    assert timed_store.session_revoked("sid-1")
    assert not timed_store.session_revoked("sid-2")
    assert not timed_store.session_revoked("sid-1\x00")  # ids are hashed: any text is safe
    timed_store.revoke_session("sid-1", TEST_NOW + timedelta(hours=12))  # twice: still one row
    assert timed_store.revoked_session_count() == 1


def test_expired_revocations_are_dropped_when_another_is_added(
    timed_store: Store, clock: _Clock
) -> None:
    timed_store.revoke_session("old", TEST_NOW + timedelta(hours=1))
    timed_store.revoke_session("young", TEST_NOW + timedelta(hours=12))
    clock.now = TEST_NOW + timedelta(hours=2)
    timed_store.revoke_session("new", clock.now + timedelta(hours=12))
    assert timed_store.revoked_session_count() == 2
    assert timed_store.session_revoked("young") and timed_store.session_revoked("new")
