"""Two real worker processes on PostgreSQL: per-calendar exclusion, bursts, a killed worker."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from blocker.core.weeks import next_week, week_of, week_window
from blocker.distributed.app import GENERATE
from blocker.distributed.dispatch import QUEUE, calendar_lock
from blocker.distributed.enqueue import ProcrastinateEnqueuer
from blocker.runtime import Runtime
from blocker.settings import Settings
from tests.distributed.conftest import Workers, wait_for, write_rules
from tests.distributed.worker_main import libpq

pytestmark = pytest.mark.postgres


def _settings(db_url: str, rules: Path) -> Settings:
    return Settings(database_url=db_url, jobs_backend="procrastinate", rules_path=rules)


@pytest.fixture
def open_runtime() -> Iterator[Callable[[Settings, Path], Runtime]]:
    opened: list[Runtime] = []

    def make(settings: Settings, rules: Path) -> Runtime:
        runtime = Runtime.open(settings, rules)
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.close()


def _pending(db_url: str) -> int:
    with psycopg.connect(libpq(db_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate.procrastinate_jobs "
            "WHERE queue_name = %s AND status IN ('todo', 'doing')",
            (QUEUE,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _weekly_done(db_url: str) -> set[str]:
    with psycopg.connect(libpq(db_url)) as conn:
        rows = conn.execute(
            "SELECT DISTINCT calendar_id FROM test_run_intervals "
            "WHERE trigger = 'weekly' AND finished_at IS NOT NULL"
        ).fetchall()
    return {r[0] for r in rows}


def _count(db_url: str, where: str, *params: str) -> int:
    with psycopg.connect(libpq(db_url)) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM test_run_intervals WHERE {where}", params
        ).fetchone()
    assert row is not None
    return int(row[0])


def _job_statuses(db_url: str) -> list[str]:
    with psycopg.connect(libpq(db_url)) as conn:
        rows = conn.execute(
            "SELECT status::text FROM procrastinate.procrastinate_jobs WHERE queue_name = %s",
            (QUEUE,),
        ).fetchall()
    return [r[0] for r in rows]


def _intervals(db_url: str) -> list[tuple[str, int, datetime, datetime | None]]:
    with psycopg.connect(libpq(db_url)) as conn:
        rows = conn.execute(
            "SELECT calendar_id, pid, started_at, finished_at FROM test_run_intervals "
            "ORDER BY calendar_id, started_at"
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _assert_no_overlap(intervals: list[tuple[str, int, datetime, datetime | None]]) -> None:
    by_calendar: dict[str, list[tuple[datetime, datetime]]] = {}
    for calendar_id, _pid, started, finished in intervals:
        assert finished is not None, f"a run of {calendar_id} never finished"
        by_calendar.setdefault(calendar_id, []).append((started, finished))
    for calendar_id, spans in by_calendar.items():
        for (_, end), (start, _) in pairwise(spans):
            assert start >= end, f"two runs of {calendar_id} overlapped: {spans}"


def _assert_reconciled(runtime: Runtime, calendar_id: str, *, this_week: bool = True) -> None:
    """A dry run changes nothing, and each block is on the calendar exactly once."""
    today = runtime.today()
    weeks = [week_of(today), next_week(today)] if this_week else [next_week(today)]
    for week in weeks:
        outcome = runtime.sync(None, calendar_id, week, trigger="check", dry_run=True)
        assert outcome.ops == (), f"{calendar_id} {week} not reconciled: {outcome.ops}"
        events = runtime.provider(calendar_id).read(week_window(week, runtime.rules.timezone))
        owned = [e for e in events.events if e.owned and not e.cancelled]
        ids = [e.event_id for e in owned]
        assert len(ids) == len(set(ids)), f"duplicate events on {calendar_id}: {ids}"
        keys = [b.key for b in runtime.store.previous_blocks(calendar_id, week)]
        assert len(owned) == len(keys), f"{calendar_id} {week}: {len(owned)} events, {keys}"


def test_a_burst_of_webhooks_on_two_workers_runs_each_calendar_alone(
    db_url: str,
    tmp_path: Path,
    workers: Callable[[Path], Workers],
    open_runtime: Callable[[Settings, Path], Runtime],
) -> None:
    calendars = [f"c{i}" for i in range(10)]
    rules = write_rules(tmp_path, calendars)
    runtime = open_runtime(_settings(db_url, rules), rules)
    enqueuer = ProcrastinateEnqueuer(runtime)
    enqueuer.start()
    pool = workers(rules)
    try:
        # Every weekly generation is due: the workers' own periodic dispatcher queues
        # them, and they compete with the webhook rebalances for the calendar locks.
        due = runtime.now() - timedelta(minutes=1)
        for calendar_id in calendars:
            runtime.store.set_next_generate_at(calendar_id, due)
        pool.start(TEST_RUN_SECONDS="0.2")
        pool.start(TEST_RUN_SECONDS="0.2")
        for _wave in range(5):  # 50 webhooks: 5 per calendar, spread over ~3 s
            for calendar_id in calendars:
                enqueuer.trigger_rebalance(calendar_id, "webhook")
            time.sleep(0.6)
        wait_for(
            lambda: _weekly_done(db_url) == set(calendars) and _pending(db_url) == 0,
            what="every weekly run and the queue to drain",
            limit=90,
        )
    finally:
        enqueuer.shutdown()
        pool.stop_all()
    assert _job_statuses(db_url) == [], pool.output()[-3000:]
    intervals = _intervals(db_url)
    _assert_no_overlap(intervals)
    assert {c for c, *_ in intervals} == set(calendars)
    # The burst was collapsed (fewer webhook runs of this week than the 50 webhooks) yet
    # some calendar ran more than once, and both processes did work: the exclusion
    # above was really exercised.
    assert _count(db_url, "trigger = 'webhook' AND week = %s", week_of(runtime.today())) < 50
    assert max(sum(c == cal for c, *_ in intervals) for cal in calendars) > 1
    assert len({pid for _, pid, *_ in intervals}) == 2
    for calendar_id in calendars:
        _assert_reconciled(runtime, calendar_id)
        # The dispatcher moved the next generation to the coming Friday 15:00, New York.
        state = runtime.store.schedule(calendar_id)
        assert state is not None and state.next_generate_at is not None
        local = state.next_generate_at.astimezone(ZoneInfo("America/New_York"))
        assert (local.strftime("%a %H:%M"), local > runtime.now()) == ("Fri 15:00", True)


def test_a_worker_killed_mid_run_is_recovered_by_the_other(
    db_url: str,
    tmp_path: Path,
    workers: Callable[[Path], Workers],
    open_runtime: Callable[[Settings, Path], Runtime],
) -> None:
    rules = write_rules(tmp_path, ["k0"])
    runtime = open_runtime(_settings(db_url, rules), rules)
    enqueuer = ProcrastinateEnqueuer(runtime)
    enqueuer.start()
    pool = workers(rules)
    try:
        first = pool.start(TEST_SLOW_FIRST="60")
        second = pool.start(TEST_SLOW_FIRST="60")
        enqueuer.app.tasks[GENERATE].configure(lock=calendar_lock("k0")).defer(calendar_id="k0")
        # The first run has written its events and now hangs before the job can finish.
        victim = wait_for(lambda: _intervals(db_url), what="the first run", limit=30)[0][1]
        calendar_file = tmp_path / "out" / "k0.ics"
        wait_for(lambda: calendar_file.exists(), what="the first run's writes")
        os.kill(victim, signal.SIGKILL)
        survivor = second if victim == first.pid else first
        assert survivor.pid != victim
        wait_for(
            lambda: any(p == survivor.pid and f for _, p, _, f in _intervals(db_url)),
            what="the other worker to retry the job",
            limit=60,
        )
        wait_for(lambda: _pending(db_url) == 0, what="the queue to drain", limit=30)
    finally:
        enqueuer.shutdown()
        pool.stop_all()
    assert _job_statuses(db_url) == [], pool.output()[-3000:]
    runs = _intervals(db_url)
    assert [(p, f is None) for _, p, _, f in runs] == [(victim, True), (survivor.pid, False)]
    _assert_reconciled(runtime, "k0", this_week=False)  # only a weekly job ran
