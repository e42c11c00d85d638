"""The one per-calendar lock registry (blocker.locks): serialises, re-enters, prunes."""

from __future__ import annotations

import threading

import pytest

from blocker import runtime, sync
from blocker.locks import CALENDAR_LOCKS, LockRegistry, calendar_lock
from tests.support.waiting import wait_for


def test_two_threads_on_one_calendar_run_one_after_the_other() -> None:
    registry = LockRegistry()
    order: list[str] = []
    first_in = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with registry.hold("cal"):
            order.append("first in")
            first_in.set()
            release_first.wait()
            order.append("first out")

    def second() -> None:
        with registry.hold("cal"):
            order.append("second in")

    a = threading.Thread(target=first)
    a.start()
    first_in.wait()
    b = threading.Thread(target=second)
    b.start()
    # the second thread is waiting on the lock, not running
    wait_for(lambda: registry.users("cal") == 2, what="second thread waiting")
    assert order == ["first in"]
    release_first.set()
    a.join()
    b.join()
    assert order == ["first in", "first out", "second in"]
    assert len(registry) == 0


def test_other_calendars_do_not_wait() -> None:
    registry = LockRegistry()
    with registry.hold("a"):
        done = threading.Event()

        def other() -> None:
            with registry.hold("b"):
                done.set()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert done.is_set()
        assert registry.users("a") == 1 and not registry.in_use("b")


def test_the_lock_is_reentrant_in_one_thread() -> None:
    """Runtime.sync holds it and the engine inside takes it again."""
    registry = LockRegistry()
    with registry.hold("cal"), registry.hold("cal"):
        assert registry.users("cal") == 2
    assert len(registry) == 0


def test_the_registry_does_not_grow_with_every_calendar_seen() -> None:
    registry = LockRegistry()
    for n in range(2000):
        with registry.hold(f"cal-{n}"):
            assert len(registry) == 1
    assert len(registry) == 0


def test_an_error_inside_releases_and_prunes() -> None:
    registry = LockRegistry()
    with pytest.raises(RuntimeError), registry.hold("cal"):
        raise RuntimeError("boom")
    assert not registry.in_use("cal") and len(registry) == 0


def test_sync_engine_and_runtime_share_the_process_registry() -> None:
    assert sync.calendar_lock is calendar_lock
    assert runtime.calendar_lock is calendar_lock
    with calendar_lock("shared-cal"):
        assert CALENDAR_LOCKS.in_use("shared-cal")
    assert not CALENDAR_LOCKS.in_use("shared-cal")
