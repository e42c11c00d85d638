"""Generation day on the procrastinate path: the same rule as the APScheduler path.

Both ask :func:`rules.engine.generation_day`: the named weekday of
``schedule.generate_at``, or the last working day before it when that one is a
holiday or a day off. Christmas 2026 and New Year's Day 2027 are Fridays, so two
weeks in a row generate on Thursday, in every user's own zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from procrastinate import SyncPsycopgConnector
from procrastinate.manager import JobManager

from blocker.distributed.app import dispatch_once
from blocker.distributed.timing import next_generation_at
from blocker.distributed.worker import schedule_calendars
from blocker.runtime import Runtime
from blocker.settings import Settings
from rules import Rules
from rules.engine import generation_day
from tests.distributed.conftest import ZONES, connect_zoned_calendars, write_rules
from tests.rules.util import rules_from
from tests.support.clock import SettableClock as Clock

NO_HOLIDAYS = "timezone: America/New_York\n"
US = "timezone: America/New_York\nholidays: {country: US}\n"


def _rules(base: str, body: str = "") -> Rules:
    return rules_from(body, base=base)


def test_a_holiday_friday_generates_on_thursday_the_same_day_as_the_scheduler() -> None:
    rules = _rules(US)
    after = datetime(2026, 12, 21, tzinfo=UTC)  # Monday of the Christmas week
    fired = []
    for _ in range(3):
        after = next_generation_at(after, "America/New_York", rules)
        fired.append(after)
    # Thu 24 Dec, Thu 31 Dec (Fri 1 Jan is New Year's Day), then Fri 8 Jan; 15:00 EST
    assert fired == [
        datetime(2026, 12, 24, 20, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 20, 0, tzinfo=UTC),
        datetime(2027, 1, 8, 20, 0, tzinfo=UTC),
    ]
    # the APScheduler path (jobs.generate_if_due) generates on generation_day too
    local = [f.astimezone(rules.tz).date() for f in fired]
    assert local == [generation_day(rules, d) for d in local]
    # without holidays the named Friday stays
    plain = next_generation_at(
        datetime(2026, 12, 21, tzinfo=UTC), "America/New_York", _rules(NO_HOLIDAYS)
    )
    assert plain == datetime(2026, 12, 25, 20, 0, tzinfo=UTC)


def test_a_late_run_and_a_day_off_take_the_next_weeks_day() -> None:
    rules = _rules(US)
    # past Thursday's generation (Friday is the holiday): next is Thursday 31 Dec
    late = datetime(2026, 12, 25, 12, 0, tzinfo=UTC)
    assert next_generation_at(late, "America/New_York", rules) == datetime(
        2026, 12, 31, 20, 0, tzinfo=UTC
    )
    # a four-day week (Friday off) with the default "fri 15:00": Thursday
    four = _rules(NO_HOLIDAYS, "working_hours: {fri: null}\n")
    assert next_generation_at(
        datetime(2026, 12, 21, tzinfo=UTC), "America/New_York", four
    ) == datetime(2026, 12, 24, 20, 0, tzinfo=UTC)


def test_local_wall_clock_across_dst() -> None:
    rules = _rules(NO_HOLIDAYS)
    before = datetime(2026, 10, 26, tzinfo=UTC)
    # Los Angeles: PDT (UTC-7) until 2026-11-01, PST (UTC-8) after.
    first = next_generation_at(before, "America/Los_Angeles", rules)
    assert first == datetime(2026, 10, 30, 22, 0, tzinfo=UTC)
    assert next_generation_at(first, "America/Los_Angeles", rules) == datetime(
        2026, 11, 6, 23, 0, tzinfo=UTC
    )
    # Tokyo is already on Friday when UTC is still on Thursday evening.
    assert next_generation_at(before, "Asia/Tokyo", rules) == datetime(
        2026, 10, 30, 6, 0, tzinfo=UTC
    )
    # A wall-clock time inside a spring-forward gap still yields one instant that week.
    sunday = _rules(
        NO_HOLIDAYS, 'working_hours: {sun: "09:00-17:00"}\nschedule: {generate_at: "sun 02:30"}\n'
    )
    gap = next_generation_at(datetime(2027, 3, 8, tzinfo=UTC), "America/New_York", sunday)
    assert gap.astimezone(UTC).date() == date(2027, 3, 14)
    with pytest.raises(ValueError, match="aware"):
        next_generation_at(datetime(2026, 1, 1), "UTC", rules)


@pytest.fixture
def holiday_runtime(db_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    """Two calendars whose users live in Tokyo and Los Angeles; US holidays."""
    rules = write_rules(tmp_path, list(ZONES), poll=60)
    rules.write_text("holidays: {country: US}\n" + rules.read_text())
    settings = Settings(database_url=db_url, jobs_backend="procrastinate", rules_path=rules)
    connect_zoned_calendars(db_url)
    clock = Clock(datetime(2026, 12, 21, 0, 0, tzinfo=UTC))  # Monday of the Christmas week
    runtime = Runtime.open(settings, rules, clock=clock)
    try:
        yield runtime, clock
    finally:
        runtime.close()


@pytest.mark.postgres
def test_the_dispatcher_queues_generation_on_the_last_working_day(
    holiday_runtime: tuple[Runtime, Clock],
) -> None:
    runtime, clock = holiday_runtime
    assert schedule_calendars(runtime, clock.now) == 2
    manager = JobManager(SyncPsycopgConnector())  # only ever used on the store's connection
    fired: dict[str, list[datetime]] = {c: [] for c in ZONES}
    end = clock.now + timedelta(days=21)
    while clock.now < end:
        for calendar_id in dispatch_once(runtime, manager, clock.now, limit=100)["generate"]:
            fired[calendar_id].append(clock.now)
        clock.now += timedelta(minutes=60)
    local = {c: [t.astimezone(runtime.rules.tz).date() for t in ts] for c, ts in fired.items()}
    # Thursday 15:00 in each zone for the two holiday Fridays, then Friday again
    assert fired == {
        "tokyo": [
            datetime(2026, 12, 24, 6, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 6, 0, tzinfo=UTC),
            datetime(2027, 1, 8, 6, 0, tzinfo=UTC),
        ],
        "la": [
            datetime(2026, 12, 24, 23, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
            datetime(2027, 1, 8, 23, 0, tzinfo=UTC),
        ],
    }
    assert local["la"] == [generation_day(runtime.rules, d) for d in local["la"]]
