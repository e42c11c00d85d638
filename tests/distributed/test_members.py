"""Every member's calendars on the procrastinate path (issue 20, part 8), on PostgreSQL.

Members are team users with an overlay in the store; their calendar ``work`` is
stored as ``u<id>~work`` and lives in their own folder. Their weekly generation is
scheduled from *their* rules (zone, ``generate_at``), the dispatcher queues it, and
the task runs in their scope. The clock starts on the Monday of the suite's pinned
week and is moved by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from procrastinate import SyncPsycopgConnector
from procrastinate.manager import JobManager
from sqlalchemy import select, update

from blocker.core.weeks import next_week
from blocker.distributed import app as papp
from blocker.distributed.enqueue import ProcrastinateEnqueuer
from blocker.distributed.members import SAFETY_NET, schedule_members
from blocker.distributed.worker import schedule_calendars
from blocker.members import member_dir, store_key
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store.crypto import TokenCipher
from blocker.store.tables import CalendarSchedule, User
from tests.distributed.conftest import Workers, wait_for, write_rules
from tests.support.clock import TEST_NOW
from tests.support.clock import SettableClock as Clock

pytestmark = pytest.mark.postgres

TOKYO = "Asia/Tokyo"
NEW_YORK = "America/New_York"
MONDAY = TEST_NOW.date() - timedelta(days=TEST_NOW.weekday())


def overlay(name: str, zone: str, at: str = "fri 15:00") -> str:
    return f"""\
timezone: {zone}
owner: {{name: {name}, email: {name.lower()}@team.example}}
calendars:
  - {{id: work, provider: local, path: work.ics}}
schedule:
  generate_at: "{at}"
  poll_minutes: 60
"""


@dataclass
class Team:
    runtime: Runtime
    clock: Clock

    def member(self, name: str, zone: str, at: str = "fri 15:00") -> int:
        store = self.runtime.store
        user = store.add_team_user(f"{name.lower()}@team.example", "member")
        store.save_overlay(user.id, overlay(name, zone, at))
        return int(user.id)

    def row(self, calendar_id: str) -> datetime | None:
        with self.runtime.store.engine.connect() as conn:
            found: datetime | None = conn.scalar(
                select(CalendarSchedule.next_generate_at).where(
                    CalendarSchedule.calendar_id == calendar_id
                )
            )
            return found

    def rows(self) -> set[str]:
        with self.runtime.store.engine.connect() as conn:
            return set(conn.scalars(select(CalendarSchedule.calendar_id)))


@pytest.fixture
def team(db_url: str, tmp_path: Path) -> Iterator[Team]:
    rules = write_rules(tmp_path, ["lead"])
    settings = Settings(database_url=db_url, jobs_backend="procrastinate", rules_path=rules)
    clock = Clock(datetime.combine(MONDAY, time(0), tzinfo=UTC))
    runtime = papp.WorkerRuntime.open(settings, rules, clock=clock)
    runtime.store.add_team_user("lead@team.example", "admin")
    papp.install(runtime, papp.WorkerOptions())
    try:
        yield Team(runtime, clock)
    finally:
        papp.install_defaults()
        runtime.close()


def _local(day: date, at: time, zone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _owned_keys(path: Path) -> set[str]:
    cal = Calendar.from_ical(path.read_bytes())
    return {str(ev["X-CSM-BLOCKER-KEY"]) for ev in cal.walk("VEVENT")}


def test_members_are_queued_and_generated_at_their_own_local_time(team: Team) -> None:
    kenji = team.member("Kenji", TOKYO)
    nora = team.member("Nora", NEW_YORK, at="thu 09:30")
    keys = {store_key(kenji, "work"): kenji, store_key(nora, "work"): nora}
    schedule_calendars(team.runtime, team.clock.now)
    assert set(keys) | {"lead"} == team.rows()
    manager = JobManager(SyncPsycopgConnector())  # only ever used on the store's connection
    fired: dict[str, list[datetime]] = {key: [] for key in keys}
    end = team.clock.now + timedelta(days=14)
    while team.clock.now < end:
        for cid in papp.dispatch_once(team.runtime, manager, team.clock.now, 100)["generate"]:
            if cid in keys:
                fired[cid].append(team.clock.now)
                assert team.row(cid) == team.clock.now + SAFETY_NET  # until the task runs
                assert papp.generate(cid) == 1  # the real task: their scope, their file
                assert team.row(cid) is not None and team.row(cid) > team.clock.now  # type: ignore[operator]
        team.clock.now += timedelta(minutes=30)
    friday, thursday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=3)
    week = timedelta(days=7)
    assert fired == {
        store_key(kenji, "work"): [
            _local(friday, time(15), TOKYO),
            _local(friday + week, time(15), TOKYO),
        ],
        store_key(nora, "work"): [
            _local(thursday, time(9, 30), NEW_YORK),
            _local(thursday + week, time(9, 30), NEW_YORK),
        ],
    }
    for key, uid in keys.items():
        runs = [r for r in team.runtime.store.runs(key, 10) if r.trigger == "weekly"]
        assert len(runs) == 2 and not any(r.errors for r in runs)
        written = member_dir(team.runtime, uid) / "work.ics"
        assert {op.key for op in runs[-1].ops} <= _owned_keys(written)
    [last] = team.runtime.store.runs(store_key(kenji, "work"), 1)
    assert last.week == next_week(
        fired[store_key(kenji, "work")][-1].astimezone(ZoneInfo(TOKYO)).date()
    )


def test_a_disabled_member_is_unscheduled_and_never_queued(team: Team) -> None:
    bob = team.member("Bob", NEW_YORK)
    key = store_key(bob, "work")
    schedule_members(team.runtime, team.clock.now)
    assert key in team.rows()
    team.runtime.store.set_user_disabled("bob@team.example", True)
    schedule_members(team.runtime, team.clock.now)
    assert key not in team.rows()
    team.clock.now += timedelta(days=8)
    manager = JobManager(SyncPsycopgConnector())
    assert key not in papp.dispatch_once(team.runtime, manager, team.clock.now, 100)["generate"]
    # enabled again: scheduled again at the next pass
    team.runtime.store.set_user_disabled("bob@team.example", False)
    schedule_members(team.runtime, team.clock.now)
    assert key in team.rows()


def test_a_new_or_changed_overlay_is_scheduled_and_rebalanced(team: Team) -> None:
    store = team.runtime.store
    user = store.add_team_user("cara@team.example", "member")
    assert schedule_members(team.runtime, team.clock.now) == []
    assert not any(r.startswith("u") for r in team.rows())  # no overlay: nothing of theirs
    store.save_overlay(user.id, overlay("Cara", TOKYO))
    assert schedule_members(team.runtime, team.clock.now) == []  # first: nothing to rebalance
    key = store_key(user.id, "work")
    friday = MONDAY + timedelta(days=4)
    assert team.row(key) == _local(friday, time(15), TOKYO)
    # nothing changed: nothing rebuilt
    assert schedule_members(team.runtime, team.clock.now) == []
    # a new version at another time: the row moves (in their zone), the member rebalances
    store.save_overlay(user.id, overlay("Cara", TOKYO, at="wed 08:00"))
    assert schedule_members(team.runtime, team.clock.now) == [key]
    assert team.row(key) == _local(MONDAY + timedelta(days=2), time(8), TOKYO)


def test_a_member_with_an_unknown_address_is_skipped_with_a_log_line(
    team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    eve = team.member("Eve", NEW_YORK)
    key = store_key(eve, "work")
    schedule_members(team.runtime, team.clock.now)
    assert key in team.rows()
    with team.runtime.store.engine.begin() as conn:  # a user not signed in since 0013
        conn.execute(update(User).where(User.id == eve).values(email_sealed=""))
    caplog.set_level(logging.WARNING)
    schedule_members(team.runtime, team.clock.now)
    assert key not in team.rows()
    assert any("address not known" in r.getMessage() for r in caplog.records)
    caplog.clear()
    # a job queued before that (or a webhook's) is dropped by the task, not a crash
    assert papp.generate(key) == 0
    assert papp.rebalance(key, "webhook") == 0
    assert any(f"job for {key} dropped" in r.getMessage() for r in caplog.records)
    assert team.runtime.store.runs(key, 10) == []


def test_a_members_webhook_rebalance_runs_in_their_scope_on_a_worker(
    db_url: str, tmp_path: Path, workers: Callable[[Path], Workers]
) -> None:
    """``rebalance:u<id>~work`` deferred by the web side, run by a real worker process:
    the member's calendar is written, the template's is not. Workers open members'
    sealed addresses, so they share the web side's ``BLOCKER_ENCRYPTION_KEY``."""
    rules = write_rules(tmp_path, ["lead"])
    key = TokenCipher.generate_key()
    settings = Settings(
        database_url=db_url, jobs_backend="procrastinate", rules_path=rules, encryption_key=key
    )
    runtime = Runtime.open(settings, rules)
    enqueuer = ProcrastinateEnqueuer(runtime)
    try:
        store = runtime.store
        store.add_team_user("lead@team.example", "admin")
        dana = store.add_team_user("dana@team.example", "member").id
        store.save_overlay(dana, overlay("Dana", TOKYO))
        calendar = store_key(dana, "work")
        enqueuer.start()
        for _ in range(3):
            enqueuer.trigger_rebalance(calendar, "webhook")
        workers(rules).start(BLOCKER_ENCRYPTION_KEY=key)
        [run] = wait_for(
            lambda: [r for r in store.runs(calendar, 10) if r.trigger == "webhook"],
            what="the member's rebalance on a worker",
        )
        assert not run.errors and run.ops
        written = member_dir(runtime, dana) / "work.ics"
        assert {op.key for op in run.ops} <= _owned_keys(written)
        assert [r for r in store.runs("lead", 10) if r.trigger == "webhook"] == []
        assert not (tmp_path / "out" / "lead.ics").exists()
    finally:
        enqueuer.shutdown()
        runtime.close()
