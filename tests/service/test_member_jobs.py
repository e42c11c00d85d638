"""Every member's jobs on APScheduler (issue 20, part 8): their calendars, their zone,
their schedule, their scope; a real service, a real scheduler, SQLite, local files.

The service's clock is the suite's pinned instant; a member's ``generate_at`` is put on
the weekday that instant falls on *in their zone*, so the weekly job generates when run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import update

from blocker.core.weeks import next_week
from blocker.members import member_dir, store_key
from blocker.scheduler import run_job
from blocker.store import Store
from blocker.store.tables import User
from blocker.web.app import create_app
from tests.service.conftest import TOKEN, LiveService, make_settings, wait_for
from tests.support.clock import TEST_NOW
from tests.support.server import start_server

TOKYO = "Asia/Tokyo"
NEW_YORK = "America/New_York"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def overlay(name: str, zone: str, *, at: str = "15:00") -> str:
    """A member's overlay: their zone, one local calendar, weekly generation on the
    weekday the pinned instant falls on where they live."""
    day = DAYS[TEST_NOW.astimezone(ZoneInfo(zone)).weekday()]
    return f"""\
timezone: {zone}
owner: {{name: {name}, email: {name.lower()}@team.example}}
working_hours: {{mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00",
  thu: "09:00-17:00", fri: "09:00-17:00", sat: "09:00-17:00", sun: "09:00-17:00"}}
calendars:
  - {{id: work, provider: local, path: work.ics}}
schedule:
  generate_at: "{day} {at}"
  daily_rebalance_at: "07:00"
  poll_minutes: 60
  debounce_seconds: 1
  max_wait_seconds: 5
"""


@dataclass
class Team:
    service: LiveService
    folder: Path

    @property
    def store(self) -> Store:
        return self.service.runtime.store

    def member(self, name: str, zone: str, **kwargs: str) -> int:
        user = self.store.add_team_user(f"{name.lower()}@team.example", "member")
        self.store.save_overlay(user.id, overlay(name, zone, **kwargs))
        return int(user.id)

    def jobs_of(self, user_id: int) -> list[str]:
        mark = f"u{user_id}~"
        return [j for j in self.service.scheduler.job_ids() if mark in j]


@pytest.fixture
def team(workdir: Path) -> Iterator[Team]:
    app = create_app(make_settings(workdir), clock=lambda: TEST_NOW)
    server = start_server(app)
    client = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    service = LiveService(app=app, base_url=server.base_url, client=client, server=server)
    try:
        service.runtime.store.add_team_user("lead@team.example", "admin")
        yield Team(service, workdir)
    finally:
        service.stop()


def _owned_keys(path: Path) -> set[str]:
    cal = Calendar.from_ical(path.read_bytes())
    return {str(ev["X-CSM-BLOCKER-KEY"]) for ev in cal.walk("VEVENT")}


def test_members_generate_at_their_own_local_time(team: Team) -> None:
    kenji = team.member("Kenji", TOKYO)
    nora = team.member("Nora", NEW_YORK)
    assert team.service.scheduler.reconcile_members() == 2
    sched = team.service.scheduler
    for uid, zone in ((kenji, TOKYO), (nora, NEW_YORK)):
        key = store_key(uid, "work")
        assert sorted(team.jobs_of(uid)) == [f"daily:{key}", f"generate:{key}", f"poll:{key}"]
        fires = sched.next_run_time(f"generate:{key}")
        assert fires is not None
        local = fires.astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (15, 0)
        daily = sched.next_run_time(f"daily:{key}")
        assert daily is not None and daily.astimezone(ZoneInfo(zone)).hour == 7
    tokyo_at = sched.next_run_time(f"generate:{store_key(kenji, 'work')}")
    ny_at = sched.next_run_time(f"generate:{store_key(nora, 'work')}")
    assert tokyo_at is not None and ny_at is not None
    assert tokyo_at.astimezone(ZoneInfo("UTC")).hour != ny_at.astimezone(ZoneInfo("UTC")).hour
    # the template owner's calendar keeps its own jobs
    assert {"generate:local", "daily:local"} <= set(sched.job_ids())

    # fired, each job generates its member's next week (in their zone) in their file
    for uid, zone in ((kenji, TOKYO), (nora, NEW_YORK)):
        key = store_key(uid, "work")
        sched.run_now(f"generate:{key}")
        [run] = wait_for(
            lambda k=key: [r for r in team.store.runs(k, 10) if r.trigger == "weekly"],
            what=f"weekly run of {key}",
        )
        assert run.week == next_week(TEST_NOW.astimezone(ZoneInfo(zone)).date())
        assert not run.errors and run.ops
        written = member_dir(team.service.runtime, uid) / "work.ics"
        assert _owned_keys(written) == {op.key for op in run.ops}
    assert not (team.folder / "out" / "calendar.ics").exists()  # the template's: untouched


def test_disabled_members_jobs_go_and_come_back(team: Team) -> None:
    bob = team.member("Bob", NEW_YORK)
    sched = team.service.scheduler
    sched.reconcile_members()
    assert len(team.jobs_of(bob)) == 3
    team.store.set_user_disabled("bob@team.example", True)
    assert sched.reconcile_members() == 1
    assert team.jobs_of(bob) == []
    assert "generate:local" in sched.job_ids()
    team.store.set_user_disabled("bob@team.example", False)
    sched.reconcile_members()
    assert len(team.jobs_of(bob)) == 3
    # nothing changed since: the pass does nothing
    assert sched.reconcile_members() == 0


def test_a_new_overlay_schedules_the_member_on_the_periodic_pass(team: Team) -> None:
    sched = team.service.scheduler
    user = team.store.add_team_user("cara@team.example", "member")
    sched.reconcile_members()
    assert team.jobs_of(user.id) == []  # no overlay: no calendars of their own
    team.store.save_overlay(user.id, overlay("Cara", TOKYO))
    sched.reconcile_soon()
    wait_for(lambda: len(team.jobs_of(user.id)) == 3, what="the member's jobs")
    key = store_key(user.id, "work")
    first = sched.next_run_time(f"generate:{key}")
    # a new overlay version with another time: the job moves, in their zone
    team.store.save_overlay(user.id, overlay("Cara", TOKYO, at="09:30"))
    sched.reconcile_members()
    moved = sched.next_run_time(f"generate:{key}")
    assert moved is not None and moved != first
    assert (moved.astimezone(ZoneInfo(TOKYO)).hour, moved.minute) == (9, 30)


def test_a_members_webhook_rebalance_runs_in_their_scope(team: Team) -> None:
    dana = team.member("Dana", TOKYO)
    team.service.scheduler.reconcile_members()
    key = store_key(dana, "work")
    for _ in range(3):
        team.service.scheduler.trigger_rebalance(key, "webhook")
    assert f"rebalance:{key}" in team.service.scheduler.job_ids()
    runs = wait_for(
        lambda: [r for r in team.store.runs(key, 10) if r.trigger == "webhook"],
        what="the member's debounced rebalance",
    )
    assert len(runs) == 1 and not runs[0].errors and runs[0].ops
    written = member_dir(team.service.runtime, dana) / "work.ics"
    assert _owned_keys(written) == {op.key for op in runs[0].ops}
    # the template's calendar was neither synced nor written
    assert [r for r in team.store.runs("local", 10) if r.trigger == "webhook"] == []
    assert not (team.folder / "out" / "calendar.ics").exists()


def test_a_member_with_an_unknown_address_is_skipped_with_a_log_line(
    team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    eve = team.member("Eve", NEW_YORK)
    with team.store.engine.begin() as conn:  # a user not signed in since 0013
        conn.execute(update(User).where(User.id == eve).values(email_sealed=""))
    caplog.set_level(logging.WARNING)
    sched = team.service.scheduler
    sched.reconcile_members()
    assert team.jobs_of(eve) == []
    assert any("address not known" in r.getMessage() for r in caplog.records)
    # a job left from before (or a webhook) for them is dropped, not a crash
    caplog.clear()
    key = store_key(eve, "work")
    run_job("generate", sched.scope, key)
    run_job("rebalance", sched.scope, key, "webhook")
    assert any(f"job for {key} dropped" in r.getMessage() for r in caplog.records)
    assert team.store.runs(key, 10) == []


def test_a_member_scheduled_earlier_loses_their_jobs_when_deleted(team: Team) -> None:
    gus = team.member("Gus", NEW_YORK)
    sched = team.service.scheduler
    sched.reconcile_members()
    assert len(team.jobs_of(gus)) == 3
    with team.store.engine.begin() as conn:
        conn.execute(User.__table__.delete().where(User.id == gus))
    sched.reconcile_members()
    assert team.jobs_of(gus) == []
