"""The dispatcher on PostgreSQL, injected clock: local-time weekly runs, no double queueing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from procrastinate import SyncPsycopgConnector
from procrastinate.manager import JobManager

from blocker.distributed.app import GENERATE, POLL, dispatch_once
from blocker.distributed.dispatch import Due, dispatch_due
from blocker.distributed.worker import schedule_calendars
from blocker.runtime import Runtime
from blocker.settings import Settings
from tests.distributed.conftest import ZONES, connect_zoned_calendars, write_rules
from tests.distributed.worker_main import libpq
from tests.support.clock import SettableClock as Clock

pytestmark = pytest.mark.postgres


def _queued(db_url: str, task_name: str) -> list[tuple[str, str | None]]:
    with psycopg.connect(libpq(db_url)) as conn:
        rows = conn.execute(
            "SELECT args->>'calendar_id', lock FROM procrastinate.procrastinate_jobs "
            "WHERE task_name = %s ORDER BY id",
            (task_name,),
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


@pytest.fixture
def zoned_runtime(db_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    """Two calendars whose users live in Tokyo and Los Angeles (rules zone: New York)."""
    rules = write_rules(tmp_path, list(ZONES), poll=60)
    settings = Settings(database_url=db_url, jobs_backend="procrastinate", rules_path=rules)
    connect_zoned_calendars(db_url)
    clock = Clock(datetime(2026, 10, 26, 0, 0, tzinfo=UTC))  # a Monday, before US DST ends
    runtime = Runtime.open(settings, rules, clock=clock)
    try:
        yield runtime, clock
    finally:
        runtime.close()


def test_weekly_jobs_fire_once_a_week_at_friday_1500_in_each_users_zone(
    db_url: str, zoned_runtime: tuple[Runtime, Clock]
) -> None:
    runtime, clock = zoned_runtime
    assert schedule_calendars(runtime, clock.now) == 2
    manager = JobManager(SyncPsycopgConnector())  # only ever used on the store's connection
    fired: dict[str, list[datetime]] = {c: [] for c in ZONES}
    end = clock.now + timedelta(days=15)
    while clock.now < end:
        for calendar_id in dispatch_once(runtime, manager, clock.now, limit=100)["generate"]:
            fired[calendar_id].append(clock.now)
        clock.now += timedelta(minutes=60)
    # What the dispatcher reported is what reached the queue.
    assert sorted(c for c, _ in _queued(db_url, GENERATE)) == sorted(
        c for c, times in fired.items() for _ in times
    )
    # Tokyo has no DST; Los Angeles leaves PDT on 2026-11-01, so its UTC time moves.
    assert fired == {
        "tokyo": [
            datetime(2026, 10, 30, 6, 0, tzinfo=UTC),
            datetime(2026, 11, 6, 6, 0, tzinfo=UTC),
        ],
        "la": [datetime(2026, 10, 30, 22, 0, tzinfo=UTC), datetime(2026, 11, 6, 23, 0, tzinfo=UTC)],
    }
    assert {lock for _, lock in _queued(db_url, GENERATE)} == {"calendar:tokyo", "calendar:la"}
    # Polls (every 60 min) went through the same dispatcher, each under its calendar's lock.
    polls = _queued(db_url, POLL)
    assert len(polls) == 2 * (15 * 24 - 1)  # from an hour after the start to the last tick
    assert all(lock == f"calendar:{cid}" for cid, lock in polls)


def test_concurrent_dispatchers_queue_each_due_calendar_exactly_once(
    db_url: str, zoned_runtime: tuple[Runtime, Clock]
) -> None:
    runtime, clock = zoned_runtime
    due_at = clock.now - timedelta(minutes=1)
    calendar_ids = [f"bulk{i:03d}" for i in range(300)]
    for calendar_id in calendar_ids:
        runtime.store.set_next_generate_at(calendar_id, due_at)
    later = clock.now + timedelta(days=7)
    claimed: list[list[str]] = [[], [], []]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        manager = JobManager(SyncPsycopgConnector())
        try:
            barrier.wait()
            while batch := dispatch_due(
                runtime.store.engine,
                manager,
                now=clock.now,
                kind="generate",
                task_name=GENERATE,
                next_at=lambda _d: later,
                default_timezone="UTC",
                limit=25,
            ):
                claimed[slot].extend(batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    everything = [c for part in claimed for c in part]
    assert sorted(everything) == calendar_ids  # every one, none twice
    assert sum(bool(part) for part in claimed) >= 2  # the claims really interleaved
    queued = [cid for cid, _ in _queued(db_url, GENERATE)]
    assert sorted(queued) == calendar_ids
    assert all(runtime.store.schedule(c).next_generate_at == later for c in calendar_ids[:5])  # type: ignore[union-attr]


def test_a_calendar_whose_next_time_is_cleared_is_not_queued_again(
    db_url: str, zoned_runtime: tuple[Runtime, Clock]
) -> None:
    runtime, clock = zoned_runtime
    runtime.store.set_next_generate_at("tokyo", clock.now)
    manager = JobManager(SyncPsycopgConnector())

    def never(_due: Due) -> None:
        return None

    kwargs = {"now": clock.now, "kind": "generate", "task_name": GENERATE, "next_at": never}
    first = dispatch_due(runtime.store.engine, manager, default_timezone="UTC", **kwargs)  # type: ignore[arg-type]
    again = dispatch_due(runtime.store.engine, manager, default_timezone="UTC", **kwargs)  # type: ignore[arg-type]
    assert (first, again) == (["tokyo"], [])
    assert _queued(db_url, GENERATE) == [("tokyo", "calendar:tokyo")]


def test_scheduling_again_keeps_existing_times(
    db_url: str, zoned_runtime: tuple[Runtime, Clock]
) -> None:
    """Several workers start together: the second start must not move a due generation."""
    runtime, clock = zoned_runtime
    assert schedule_calendars(runtime, clock.now) == 2
    due = clock.now - timedelta(minutes=5)
    runtime.store.set_next_generate_at("tokyo", due)
    assert schedule_calendars(runtime, clock.now + timedelta(days=3)) == 0
    tokyo, la = runtime.store.schedule("tokyo"), runtime.store.schedule("la")
    assert tokyo is not None and la is not None
    assert tokyo.next_generate_at == due
    assert la.next_generate_at == datetime(2026, 10, 30, 22, 0, tzinfo=UTC)
    assert la.next_poll_at == clock.now + timedelta(minutes=60)
