"""The APScheduler wiring, on a real scheduler with a SQLite job store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import create_engine, text

from blocker.core.errors import SettingsError
from blocker.scheduler import BlockerScheduler, debounce_run_at, parse_daily, parse_weekly
from tests.service.conftest import (
    NEXT_WEEK,
    LiveService,
    make_settings,
    rules_yaml,
    start_service,
    wait_for,
)

T0 = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)  # far ahead: the jobs never fire in a test


def _runs(service: LiveService, trigger: str) -> list[object]:
    return [r for r in service.runtime.store.runs("local", 500) if r.trigger == trigger]


def test_debounce_waits_for_quiet_but_never_past_the_cap() -> None:
    assert debounce_run_at(T0, T0, 20, 120) == T0 + timedelta(seconds=20)
    later = T0 + timedelta(seconds=110)
    assert debounce_run_at(later, T0, 20, 120) == T0 + timedelta(seconds=120)
    assert debounce_run_at(T0 + timedelta(seconds=500), T0, 20, 120) == T0 + timedelta(seconds=500)


def test_schedule_strings_parse() -> None:
    assert parse_weekly("Fri 15:00") == ("fri", parse_daily("15:00"))
    with pytest.raises(SettingsError):
        parse_weekly("someday 15:00")
    with pytest.raises(SettingsError):
        parse_daily("7am")


def test_jobs_follow_the_rules(service: LiveService) -> None:
    ids = service.scheduler.job_ids()
    assert ids == [
        "daily:local",
        "generate:local",
        "poll:local",
        "refresh:tokens",
        "renew:channels",
    ]
    nxt = service.scheduler.next_run_time("generate:local")
    assert nxt is not None
    local = nxt.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    # fired daily at generate_at; the job itself generates on Friday, or on the
    # last working day before it when Friday is a holiday (jobs.generate_if_due)
    assert (local.hour, local.minute) == (15, 0)


def test_weekly_job_fires_and_writes_next_weeks_blocks(service: LiveService, workdir: Path) -> None:
    service.scheduler.run_now("generate:local")
    [run] = wait_for(lambda: _runs(service, "weekly"), what="weekly run")
    assert run.week == NEXT_WEEK and not run.errors
    assert run.ops and all(op.action == "create" for op in run.ops)
    cal = Calendar.from_ical((workdir / "out" / "calendar.ics").read_bytes())
    keys = {str(ev["X-CSM-BLOCKER-KEY"]) for ev in cal.walk("VEVENT")}
    assert keys == {op.key for op in run.ops}
    # The job keeps its weekly schedule after a manual run.
    assert service.scheduler.next_run_time("generate:local") is not None


def test_a_burst_of_triggers_makes_one_run(workdir: Path) -> None:
    (workdir / "rules.yaml").write_text(rules_yaml(debounce=2, max_wait=30))
    service = start_service(make_settings(workdir))
    try:
        for _ in range(10):
            service.scheduler.trigger_rebalance("local", "webhook")
        wait_for(lambda: _runs(service, "webhook"), what="debounced run")
        wait_for(
            lambda: "rebalance:local" not in service.scheduler.job_ids(),
            what="debounce job consumed",
        )
        assert len(_runs(service, "webhook")) == 1
    finally:
        service.stop()


def test_a_stream_of_triggers_is_served_by_the_max_wait(service: LiveService) -> None:
    sched = service.scheduler
    due = [
        sched.trigger_rebalance("local", "webhook", now=T0 + timedelta(seconds=s))
        for s in (0, 0.5, 1, 4.5)
    ]
    # debounce 1 s, max wait 5 s (see rules_yaml): quiet period until the cap is near.
    assert due == [
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=1.5),
        T0 + timedelta(seconds=2),
        T0 + timedelta(seconds=5),
    ]
    assert sched.next_run_time("rebalance:local") == T0 + timedelta(seconds=5)
    assert sched.job_ids().count("rebalance:local") == 1


def test_rules_change_triggers_a_rebalance(service: LiveService) -> None:
    response = service.client.put(
        "/api/rules",
        content=rules_yaml(lunch_at="12:30"),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 200
    [run] = wait_for(lambda: _runs(service, "rules"), what="rebalance after rules change")
    assert not run.errors


def test_restart_restores_jobs_without_duplicates(workdir: Path) -> None:
    settings = make_settings(workdir)
    first = start_service(settings)
    try:
        first.scheduler.trigger_rebalance("local", "webhook", now=T0)
        before = first.scheduler.job_ids()
        generate_at = first.scheduler.next_run_time("generate:local")
    finally:
        first.stop()
    second = start_service(settings)
    try:
        assert second.scheduler.job_ids() == before
        assert "rebalance:local" in before
        assert second.scheduler.next_run_time("rebalance:local") == T0 + timedelta(seconds=1)
        assert second.scheduler.next_run_time("generate:local") == generate_at
    finally:
        second.stop()
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.execute(text("SELECT id FROM apscheduler_jobs"))]
    finally:
        engine.dispose()
    assert sorted(rows) == before


def test_one_scheduler_per_job_store(service: LiveService) -> None:
    with pytest.raises(SettingsError, match="one scheduler per job store"):
        BlockerScheduler(service.runtime).start()
    assert service.scheduler.running
