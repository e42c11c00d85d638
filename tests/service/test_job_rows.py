"""Stored jobs carry stable names and no secrets (blocker.job_rows), and rows written
by earlier versions (one function per kind, ``scope=<database URL>``) are brought up
to date at start: kept, run, and rid of the URL. On PostgreSQL with a password."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from blocker import scheduler
from blocker.job_rows import ENTRY, KINDS, LEGACY_FUNCS, job_kwargs, store_scope, without_password
from blocker.scheduler import engine_now
from tests.service.conftest import LiveService, make_settings, start_service, wait_for
from tests.store.pg import fresh_pg_database

PASSWORD = "hunter2-jobs-secret"
FAR = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # never due in a test


def _old_row(job_id: str, func: str, when: Any, due: datetime, **kwargs: str) -> dict[str, Any]:
    """A job state exactly as APScheduler 3 pickled it for the earlier scheduler."""
    return {
        "version": 1,
        "id": job_id,
        "func": f"blocker.scheduler:{func}",
        "trigger": when,
        "executor": "default",
        "args": (),
        "kwargs": kwargs,
        "name": job_id,
        "misfire_grace_time": 3600,
        "coalesce": True,
        "max_instances": 64,
        "next_run_time": due,
    }


def _write_old_rows(url: str, states: list[dict[str, Any]]) -> None:
    store = SQLAlchemyJobStore(url=url)
    try:
        store.jobs_t.create(store.engine, checkfirst=True)
        with store.engine.begin() as conn:
            for state in states:
                conn.execute(
                    store.jobs_t.insert().values(
                        id=state["id"],
                        next_run_time=state["next_run_time"].timestamp(),
                        job_state=pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                    )
                )
    finally:
        store.engine.dispose()


def _raw_rows(url: str) -> dict[str, bytes]:
    engine: Engine = create_engine(url)
    try:
        table = SQLAlchemyJobStore(engine=engine).jobs_t
        with engine.connect() as conn:
            return {row.id: bytes(row.job_state) for row in conn.execute(table.select())}
    finally:
        engine.dispose()


def _old_style_rows(url: str, rebalance_due: datetime) -> list[dict[str, Any]]:
    daily = CronTrigger(hour=7, minute=0, timezone=UTC)
    return [
        _old_row(
            "rebalance:local",
            "job_rebalance",
            DateTrigger(run_date=rebalance_due, timezone=UTC),
            rebalance_due,
            scope=url,
            calendar_id="local",
            trigger="webhook",
        ),
        _old_row("daily:local", "job_rebalance", daily, FAR, scope=url, calendar_id="local"),
        _old_row("renew:channels", "job_renew", daily, FAR, scope=url),
    ]


@pytest.fixture
def pg_url_with_password() -> Iterator[str]:
    with fresh_pg_database() as url:  # trust auth: any password is accepted
        yield make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def test_the_scope_names_the_store_without_its_password() -> None:
    url = f"postgresql+psycopg://csm:{PASSWORD}@db.example.test:5432/blocker"
    scope = store_scope(url)
    assert scope == store_scope("postgresql+psycopg://csm:other@db.example.test:5432/blocker")
    assert scope != store_scope("postgresql+psycopg://csm@db.example.test:5432/other")
    assert PASSWORD not in scope and "db.example.test" not in scope


@pytest.mark.postgres
def test_old_rows_are_kept_run_and_hold_no_url_on_postgresql(
    workdir: Path, pg_url_with_password: str
) -> None:
    url = pg_url_with_password
    _write_old_rows(url, _old_style_rows(url, rebalance_due=engine_now()))
    service: LiveService = start_service(make_settings(workdir, database_url=url))
    try:
        # the pending debounced rebalance of the old version is kept and runs
        runs = wait_for(
            lambda: [r for r in service.runtime.store.runs("local", 50) if r.trigger == "webhook"],
            what="the old row's rebalance",
        )
        assert len(runs) == 1 and not runs[0].errors
        wait_for(lambda: "rebalance:local" not in service.scheduler.job_ids(), what="job consumed")
        rows = _raw_rows(url)
    finally:
        service.stop()

    assert {"daily:local", "generate:local", "renew:channels"} <= set(rows)
    bare = without_password(url)
    assert PASSWORD not in bare
    for job_id, blob in rows.items():
        assert PASSWORD.encode() not in blob, job_id
        state = pickle.loads(blob)
        assert PASSWORD not in repr(state) and bare not in repr(state), job_id
        assert state["func"] == ENTRY, job_id
        assert state["kwargs"]["scope"] == store_scope(url), job_id


def test_a_pending_old_row_keeps_its_time_and_its_reason(workdir: Path) -> None:
    settings = make_settings(workdir)
    url = settings.database_url
    _write_old_rows(url, _old_style_rows(url, rebalance_due=FAR))
    service = start_service(settings)
    try:
        assert "rebalance:local" in service.scheduler.job_ids()
        assert service.scheduler.next_run_time("rebalance:local") == FAR
    finally:
        service.stop()
    state = pickle.loads(_raw_rows(url)["rebalance:local"])
    assert state["func"] == ENTRY
    assert state["kwargs"] == {
        "kind": "rebalance",
        "scope": store_scope(url),
        "calendar_id": "local",
        "trigger": "webhook",
    }
    assert str(workdir) not in repr(state)


def test_new_jobs_never_carry_the_url(workdir: Path) -> None:
    settings = make_settings(workdir)
    service = start_service(settings)
    try:
        service.scheduler.trigger_rebalance("local", "webhook", now=FAR - timedelta(hours=1))
    finally:
        service.stop()
    rows = _raw_rows(settings.database_url)
    assert len(rows) == 6
    for blob in rows.values():
        state = pickle.loads(blob)
        assert state["func"] == ENTRY
        assert "blocker.db" not in repr(state)


def test_every_stored_kind_has_a_handler_and_old_functions_map_to_kinds() -> None:
    assert set(scheduler._HANDLERS) == set(KINDS)
    assert set(LEGACY_FUNCS.values()) == set(KINDS)
    with pytest.raises(ValueError, match="unknown job kind"):
        job_kwargs("sweep", "store-x")
