"""PostgreSQL and worker subprocesses for the distributed-jobs tests.

One fresh PostgreSQL database per test session (migrated, procrastinate schema
included); every test starts from empty tables. Workers are real ``run_worker``
processes (see ``worker_main``) on local ``.ics`` calendars, one file per
calendar in ``tmp_path``, so every process sees the same calendars.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest

from blocker.store import TokenCipher, migrate, open_store
from blocker.store.tables import Base
from tests.distributed.worker_main import INTERVALS_DDL, libpq
from tests.store.pg import fresh_pg_database
from tests.support.clock import subprocess_env
from tests.support.rules import rules_yaml as shared_rules_yaml
from tests.support.waiting import wait_for as shared_wait_for

REPO = Path(__file__).resolve().parents[2]

BUSY_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//tests//EN
BEGIN:VEVENT
UID:standup@example.test
DTSTART;TZID=America/New_York:20260105T100000
DTEND;TZID=America/New_York:20260105T110000
RRULE:FREQ=WEEKLY
DTSTAMP:20260101T000000Z
SUMMARY:Team standup
END:VEVENT
END:VCALENDAR
"""


def rules_yaml(calendars: list[str], *, timezone: str = "America/New_York", poll: int = 60) -> str:
    return shared_rules_yaml(
        [f"{{id: {c}, provider: local, path: out/{c}.ics, busy: [busy.ics]}}" for c in calendars],
        timezone=timezone,
        poll=poll,
    )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        migrate(url)
        with psycopg.connect(libpq(url), autocommit=True) as conn:
            conn.execute(INTERVALS_DDL)
        yield url


@pytest.fixture
def db_url(pg_url: str) -> str:
    """The session database, emptied: product tables, the queue, the test's intervals."""
    tables = ", ".join(f'"{t}"' for t in Base.metadata.tables)
    with psycopg.connect(libpq(pg_url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables}, test_run_intervals RESTART IDENTITY CASCADE")
        conn.execute(
            "TRUNCATE procrastinate.procrastinate_jobs, procrastinate.procrastinate_events, "
            "procrastinate.procrastinate_periodic_defers, procrastinate.procrastinate_workers "
            "RESTART IDENTITY CASCADE"
        )
    return pg_url


ZONES = {"tokyo": "Asia/Tokyo", "la": "America/Los_Angeles"}
"""Two users, far apart: a weekly time in the rules' zone falls on different days."""


def connect_zoned_calendars(db_url: str) -> None:
    """The calendars of ``ZONES``, local, each user in their own zone."""
    store = open_store(db_url, TokenCipher(TokenCipher.generate_key()))
    for calendar_id, zone in ZONES.items():
        store.upsert_connection(
            calendar_id,
            user_email=f"{calendar_id}@mycorp.example",
            provider="local",
            user_timezone=zone,
        )
    store.close()


def write_rules(folder: Path, calendars: list[str], **kwargs: Any) -> Path:
    (folder / "busy.ics").write_text(BUSY_ICS)
    (folder / "out").mkdir(exist_ok=True)
    path = folder / "rules.yaml"
    path.write_text(rules_yaml(calendars, **kwargs))
    return path


def base_env(db_url: str, rules: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOCKER_")}
    env.update(
        {
            "BLOCKER_DATABASE_URL": db_url,
            "BLOCKER_JOBS_BACKEND": "procrastinate",
            "BLOCKER_RULES_PATH": str(rules),
            "PYTHONPATH": str(REPO),
            **subprocess_env(),  # the workers share the suite's pinned clock
        }
    )
    return env


@dataclass
class Workers:
    """Worker subprocesses started by a test; all are stopped at teardown."""

    db_url: str
    rules: Path
    logs: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, **extra_env: str) -> subprocess.Popen[bytes]:
        env = base_env(self.db_url, self.rules)
        env.update(extra_env)
        with (self.logs / f"worker{len(self.procs)}.log").open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.distributed.worker_main"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))


@pytest.fixture
def workers(db_url: str, tmp_path: Path) -> Iterator[Callable[[Path], Workers]]:
    made: list[Workers] = []

    def make(rules: Path) -> Workers:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        w = Workers(db_url, rules, logs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.stop_all()


wait_for = partial(shared_wait_for, limit=60.0, interval=0.1)
