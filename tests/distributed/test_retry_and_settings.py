"""Retries of transient provider errors (a real worker loop in-process), timing, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from blocker.cli import app as cli_app
from blocker.core.errors import RateLimited, SettingsError, TransientError
from blocker.core.weeks import next_week
from blocker.distributed import app as papp
from blocker.distributed.dispatch import QUEUE, calendar_lock
from blocker.distributed.timing import next_poll_at
from blocker.distributed.worker import require_procrastinate
from blocker.member_jobs import calendar_scope
from blocker.members import store_key
from blocker.settings import Settings
from providers.memory import MemoryCalendar
from tests.distributed.conftest import write_rules
from tests.distributed.worker_main import libpq


def _memory_rules(folder: Path) -> Path:
    path = write_rules(folder, ["x"])
    text = path.read_text().replace(
        "  - {id: x, provider: local, path: out/x.ics, busy: [busy.ics]}",
        "  - {id: m0, provider: memory}",
    )
    path.write_text(text)
    return path


@pytest.fixture
def worker_runtime(db_url: str, tmp_path: Path) -> Iterator[papp.WorkerRuntime]:
    rules = _memory_rules(tmp_path)
    settings = Settings(database_url=db_url, jobs_backend="procrastinate", rules_path=rules)
    runtime = papp.WorkerRuntime.open(settings, rules)
    assert isinstance(runtime, papp.WorkerRuntime)
    try:
        yield runtime
    finally:
        runtime.close()
        papp.install_defaults()


def _run_queue_once(
    runtime: papp.WorkerRuntime, backoff: papp.ProviderBackoff, *, calendar_id: str = "m0"
) -> None:
    """Queue one weekly job, then let a real worker loop run until nothing is due."""
    papp.install(runtime, papp.WorkerOptions(backoff=backoff))
    url = runtime.settings.database_url
    deferring = papp.deferring_app(url)
    with deferring.open():
        task = deferring.tasks[papp.GENERATE].configure(lock=calendar_lock(calendar_id))
        task.defer(calendar_id=calendar_id)
    papp.worker_app(url).run_worker(
        queues=[QUEUE], wait=False, delete_jobs="never", install_signal_handlers=False
    )


def _job(db_url: str) -> tuple[str, int]:
    with psycopg.connect(libpq(db_url)) as conn:
        row = conn.execute(
            "SELECT status::text, attempts FROM procrastinate.procrastinate_jobs "
            "WHERE task_name = %s",
            (papp.GENERATE,),
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def _memory(runtime: papp.WorkerRuntime) -> MemoryCalendar:
    inner = runtime.provider("m0").inner  # type: ignore[attr-defined]
    assert isinstance(inner, MemoryCalendar)
    return inner


@pytest.mark.postgres
def test_transient_errors_are_retried_until_the_week_is_written(
    db_url: str, worker_runtime: papp.WorkerRuntime
) -> None:
    calendar = _memory(worker_runtime)
    calendar.fail_next("read", TransientError("503 from the calendar"), times=2)
    _run_queue_once(worker_runtime, papp.ProviderBackoff(base_seconds=0, max_attempts=5))
    assert _job(db_url) == ("succeeded", 3)
    week = next_week(worker_runtime.today())
    blocks = worker_runtime.store.previous_blocks("m0", week)
    assert blocks
    assert len([e for e in calendar.snapshot() if e.owned]) == len(blocks)


@pytest.mark.postgres
def test_retries_stop_after_max_attempts_and_the_job_is_failed(
    db_url: str, worker_runtime: papp.WorkerRuntime
) -> None:
    calendar = _memory(worker_runtime)
    calendar.fail_next("read", RateLimited("429", retry_after=0), times=10)
    _run_queue_once(worker_runtime, papp.ProviderBackoff(base_seconds=0, max_attempts=3))
    assert _job(db_url) == ("failed", 3)
    assert [e for e in calendar.snapshot() if e.owned] == []


MEMBER_OVERLAY = """\
timezone: Asia/Tokyo
owner: {name: Kenji, email: kenji@team.example}
calendars:
  - {id: work, provider: memory}
"""


@pytest.mark.postgres
def test_a_members_transient_errors_are_retried_like_the_shared_calendars(
    db_url: str, worker_runtime: papp.WorkerRuntime
) -> None:
    """A member's job runs in their scope (a MemberRuntime around the worker's runtime):
    a 503 or a 429 of their calendar is retried with backoff, not logged and dropped
    until the next day's safety net."""
    store = worker_runtime.store
    store.add_team_user("lead@team.example", "admin")
    kenji = store.add_team_user("kenji@team.example", "member")
    store.save_overlay(kenji.id, MEMBER_OVERLAY)
    key = store_key(kenji.id, "work")
    scope = calendar_scope(worker_runtime, key)
    assert scope is not None and scope is not worker_runtime
    calendar = scope.provider(key).inner  # type: ignore[attr-defined]
    assert isinstance(calendar, MemoryCalendar)
    calendar.fail_next("read", TransientError("503 from the calendar"), times=1)
    calendar.fail_next("read", RateLimited("429", retry_after=0), times=1)

    _run_queue_once(
        worker_runtime, papp.ProviderBackoff(base_seconds=0, max_attempts=5), calendar_id=key
    )

    assert _job(db_url) == ("succeeded", 3)
    week = next_week(scope.today())
    blocks = store.previous_blocks(key, week)
    assert blocks
    assert len([e for e in calendar.snapshot() if e.owned]) == len(blocks)


def test_backoff_doubles_is_capped_and_honours_retry_after() -> None:
    backoff = papp.ProviderBackoff(base_seconds=10, cap_seconds=100)
    assert [backoff.delay(n, None) for n in range(5)] == [10, 20, 40, 80, 100]
    assert backoff.delay(0, 90) == 90
    assert backoff.delay(4, 30) == 100


def test_next_poll_at() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert next_poll_at(now, 5) == datetime(2026, 1, 1, 12, 5, tzinfo=UTC)
    assert next_poll_at(now, 0) is None


def test_procrastinate_on_sqlite_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="needs PostgreSQL"):
        Settings(jobs_backend="procrastinate", database_url=f"sqlite:///{tmp_path}/x.db")
    settings = Settings(database_url=f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(SettingsError, match="needs PostgreSQL"):
        require_procrastinate(settings)
    with pytest.raises(SettingsError, match="needs PostgreSQL"):
        papp.conninfo(f"sqlite:///{tmp_path}/x.db")


def test_blocker_worker_refuses_sqlite_and_the_default_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = write_rules(tmp_path, ["c0"])
    runner = CliRunner()
    monkeypatch.setenv("BLOCKER_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("BLOCKER_JOBS_BACKEND", "procrastinate")
    result = runner.invoke(cli_app, ["worker", "--config", str(rules)])
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output
    monkeypatch.setenv("BLOCKER_JOBS_BACKEND", "apscheduler")
    result = runner.invoke(cli_app, ["worker", "--config", str(rules)])
    assert result.exit_code == 2
    assert "BLOCKER_JOBS_BACKEND=procrastinate" in result.output
