"""A worker subprocess for the distributed tests: the real worker, instrumented.

It runs :func:`blocker.distributed.worker.run_worker` with a runtime that records
every sync's interval (database clock, so intervals of different processes
compare) in ``test_run_intervals``. With ``TEST_SLOW_FIRST=<seconds>`` the first
run of each calendar (across all processes) finishes its real sync, writes
included, then sleeps before the job can complete: the window in which the test
kills the worker.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import psycopg

from blocker.distributed.app import WorkerOptions, WorkerRuntime
from blocker.distributed.worker import run_worker
from blocker.runtime import Clock, RunOutcome, Runtime
from blocker.settings import Settings
from blocker.state import SyncState
from tests.support.clock import pin_system_clock

INTERVALS_DDL = """
CREATE TABLE IF NOT EXISTS test_run_intervals (
    id bigserial PRIMARY KEY,
    calendar_id text NOT NULL,
    pid integer NOT NULL,
    trigger text NOT NULL,
    week text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz
)
"""


def libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class RecordingRuntime(WorkerRuntime):
    def sync(
        self,
        rules: Any,
        calendar_id: str,
        week: str,
        *,
        trigger: str,
        dry_run: bool = False,
        record: bool = True,
        state: SyncState | None = None,
    ) -> RunOutcome:
        conninfo = libpq(self.settings.database_url)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM test_run_intervals WHERE calendar_id = %s", (calendar_id,)
            ).fetchone()
            first = row is not None and row[0] == 0
            cur = conn.execute(
                "INSERT INTO test_run_intervals (calendar_id, pid, trigger, week, started_at) "
                "VALUES (%s, %s, %s, %s, clock_timestamp()) RETURNING id",
                (calendar_id, os.getpid(), trigger, week),
            ).fetchone()
            assert cur is not None
            outcome = super().sync(
                rules,
                calendar_id,
                week,
                trigger=trigger,
                dry_run=dry_run,
                record=record,
                state=state,
            )
            slow = float(os.environ.get("TEST_SLOW_FIRST", "0") or 0)
            if first and slow:
                time.sleep(slow)
            time.sleep(float(os.environ.get("TEST_RUN_SECONDS", "0") or 0))
            conn.execute(
                "UPDATE test_run_intervals SET finished_at = clock_timestamp() WHERE id = %s",
                (cur[0],),
            )
        return outcome


def _factory(settings: Settings, config: Path | None, clock: Clock | None = None) -> Runtime:
    return RecordingRuntime.open(settings, config, clock=clock)


def main() -> None:
    pin_system_clock()  # the parent's pinned, ticking clock (subprocess_env)
    settings = Settings()
    options = WorkerOptions(
        concurrency=int(os.environ.get("TEST_CONCURRENCY", "4")),
        dispatch_every_seconds=1,
        heartbeat_seconds=0.5,
        stalled_after_seconds=2.0,
        housekeeping_every_seconds=1,
    )
    run_worker(settings, settings.rules_path, options=options, runtime_factory=_factory)


if __name__ == "__main__":
    main()
