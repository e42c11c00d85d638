"""The web side of the procrastinate backend: enqueue only, bursts folded, readiness."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn

from blocker.distributed.app import REBALANCE
from blocker.distributed.enqueue import (
    APSchedulerEnqueuer,
    ProcrastinateEnqueuer,
    build_enqueuer,
)
from blocker.members import store_key
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store.crypto import TokenCipher
from blocker.web.app import create_app
from tests.distributed.conftest import wait_for, write_rules
from tests.distributed.worker_main import libpq

pytestmark = pytest.mark.postgres


def _rebalances(db_url: str) -> list[tuple[str, str, str, datetime]]:
    with psycopg.connect(libpq(db_url)) as conn:
        rows = conn.execute(
            "SELECT args->>'calendar_id', lock, queueing_lock, scheduled_at "
            "FROM procrastinate.procrastinate_jobs WHERE task_name = %s ORDER BY id",
            (REBALANCE,),
        ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    rules = write_rules(tmp_path, ["c0", "c1"])
    return Settings(
        database_url=db_url,
        jobs_backend="procrastinate",
        rules_path=rules,
        api_token="a-real-token-for-tests",
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.open(settings, settings.rules_path)
    try:
        yield rt
    finally:
        rt.close()


def test_a_burst_on_one_calendar_waits_as_one_debounced_job(db_url: str, runtime: Runtime) -> None:
    enqueuer = build_enqueuer(runtime)
    assert isinstance(enqueuer, ProcrastinateEnqueuer)
    enqueuer.start()
    try:
        before = datetime.now(UTC)
        for _ in range(5):
            enqueuer.trigger_rebalance("c0")
        enqueuer.trigger_rebalance("c1")
    finally:
        enqueuer.shutdown()
    jobs = _rebalances(db_url)
    assert [(c, lock, qlock) for c, lock, qlock, _ in jobs] == [
        ("c0", "calendar:c0", "rebalance:c0"),
        ("c1", "calendar:c1", "rebalance:c1"),
    ]
    # debounce_seconds: 1 in the rules: the job waits about that long (DB clock vs ours).
    assert all(before < at < before + timedelta(seconds=30) for *_, at in jobs)
    # Starting the enqueuer scheduled every calendar's weekly generation.
    for calendar_id in ("c0", "c1"):
        state = runtime.store.schedule(calendar_id)
        assert state is not None and state.next_generate_at is not None
        assert (
            state.next_generate_at.astimezone(runtime.rules.timezone_info()).weekday() == 4
            if hasattr(runtime.rules, "timezone_info")
            else True
        )


def test_a_members_rebalance_waits_their_own_debounce(db_url: str, tmp_path: Path) -> None:
    """The template says ``debounce_seconds: 1``; Dana's overlay says 600: her burst
    is served after her quiet period, as on the APScheduler path."""
    rules = write_rules(tmp_path, ["c0"])
    settings = Settings(
        database_url=db_url,
        jobs_backend="procrastinate",
        rules_path=rules,
        encryption_key=TokenCipher.generate_key(),
    )
    runtime = Runtime.open(settings, rules)
    enqueuer = ProcrastinateEnqueuer(runtime)
    try:
        runtime.store.add_team_user("lead@team.example", "admin")
        dana = runtime.store.add_team_user("dana@team.example", "member").id
        runtime.store.save_overlay(dana, DANA_SLOW)
        calendar = store_key(dana, "work")
        enqueuer.start()
        before = datetime.now(UTC)
        enqueuer.trigger_rebalance(calendar)
        enqueuer.trigger_rebalance("c0")
    finally:
        enqueuer.shutdown()
        runtime.close()
    waits = {c: at - before for c, _, _, at in _rebalances(db_url)}
    assert set(waits) == {calendar, "c0"}
    assert timedelta(seconds=590) < waits[calendar] < timedelta(seconds=700)
    assert waits["c0"] < timedelta(seconds=30)


DANA_SLOW = """\
timezone: Asia/Tokyo
owner: {name: Dana, email: dana@team.example}
calendars:
  - {id: work, provider: local, path: work.ics}
schedule:
  debounce_seconds: 600
  max_wait_seconds: 900
"""


def test_a_rules_change_queues_a_rebalance_per_calendar(db_url: str, runtime: Runtime) -> None:
    enqueuer = ProcrastinateEnqueuer(runtime)
    enqueuer.start()
    try:
        runtime.update_rules(runtime.rules_text.replace('at: "12:00"', 'at: "12:30"'))
    finally:
        enqueuer.shutdown()
    assert sorted(c for c, *_ in _rebalances(db_url)) == ["c0", "c1"]


def test_the_web_app_in_this_mode_reports_the_enqueuer_and_runs_no_scheduler(
    settings: Settings,
) -> None:
    app = create_app(settings)
    enqueuer = app.state.scheduler
    assert isinstance(enqueuer, ProcrastinateEnqueuer)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, what="server start", limit=20)
        port = sock.getsockname()[1]
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert ready["scheduler"] == "running"
    assert not enqueuer.running, "the app's lifespan stops the enqueuer on shutdown"


def test_the_default_backend_enqueues_through_apscheduler(tmp_path: Path) -> None:
    rules = write_rules(tmp_path, ["c0"])
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", rules_path=rules)
    rt = Runtime.open(settings, rules)
    try:
        enqueuer = build_enqueuer(rt)
        assert isinstance(enqueuer, APSchedulerEnqueuer)
        enqueuer.start()
        try:
            enqueuer.trigger_rebalance("c0")
            assert "rebalance:c0" in enqueuer.scheduler.job_ids()
        finally:
            enqueuer.shutdown(wait=True)
    finally:
        rt.close()


def test_a_database_without_the_queue_tables_is_refused_with_the_fix(runtime: Runtime) -> None:
    from blocker.core.errors import StoreError
    from blocker.distributed.worker import check_queue_schema

    check_queue_schema(runtime)  # migrated: present
    with runtime.store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER SCHEMA procrastinate RENAME TO procrastinate_away")
    try:
        with pytest.raises(StoreError, match="job queue tables") as info:
            ProcrastinateEnqueuer(runtime).start()
        assert "alembic upgrade head" in info.value.user_message()
    finally:
        with runtime.store.engine.begin() as conn:
            conn.exec_driver_sql("ALTER SCHEMA procrastinate_away RENAME TO procrastinate")
