"""Several threads writing through one Store at once (the web app, scheduler and syncs).

On SQLite this leans on WAL + busy_timeout and on atomic upserts; nothing may fail
with "database is locked" or a unique-constraint race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from blocker.core.models import Pin, RunRecord
from blocker.state import EventMapping
from blocker.store import Store

THREADS = 8
ROUNDS = 25
WEEK = "2026-W49"
T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


def _in_threads(work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` in THREADS threads released together; return what they raised."""
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []
    lock = threading.Lock()

    def runner(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as exc:  # collected and asserted on below
            with lock:
                failures.append(exc)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_concurrent_sync_state_writers(store: Store) -> None:
    def work(i: int) -> None:
        for n in range(ROUNDS):
            store.save_mapping("cal", EventMapping(f"k{i}-{n}", f"ev{i}-{n}", WEEK, "h"))
            store.save_mapping("cal", EventMapping("shared", f"ev{i}-{n}", WEEK, f"h{i}"))
            store.save_pin("cal", WEEK, Pin("shared-pin", dismissed=bool(n % 2)))
            store.record_run(
                RunRecord("cal", f"t{i}", WEEK, T0 + timedelta(seconds=n), T0 + timedelta(hours=1))
            )
            assert store.mappings("cal", WEEK)["shared"].week == WEEK

    assert _in_threads(work) == []
    mappings = store.mappings("cal", WEEK)
    assert len(mappings) == THREADS * ROUNDS + 1
    assert len(store.runs("cal", limit=10_000)) == THREADS * ROUNDS
    assert len(store.pins("cal", WEEK)) == 1


def test_concurrent_connection_and_rules_writers(store: Store) -> None:
    def work(i: int) -> None:
        for n in range(ROUNDS):
            # Every thread races to create the same user and connection first.
            store.upsert_connection(
                "shared", user_email="ann@example.com", provider="outlook", tokens=b"t"
            )
            store.save_connection_tokens("shared", f"cache {i} {n}".encode())
            store.mark_needs_reconnect("shared", f"thread {i}")
            version = store.save_rules_version(f"# thread {i} round {n}\n")
            store.restore_rules_version(version)
            store.set_next_poll_at(f"cal-{i % 3}", T0 + timedelta(minutes=n))

    assert _in_threads(work) == []
    assert [c.calendar_id for c in store.list_connections()] == ["shared"]
    tokens = store.connection_tokens("shared")
    assert tokens is not None and tokens.startswith(b"cache ")
    assert len(store.rules_versions(limit=10_000)) == THREADS * ROUNDS
    assert sum(v.is_current for v in store.rules_versions(limit=10_000)) == 1
    assert store.due_calendars(T0 + timedelta(days=1), "poll") == ["cal-0", "cal-1", "cal-2"]
