"""The lead's first view reads each member's calendar once for the whole trend
(:mod:`blocker.team.trend_read`): every week's figures must be exactly those of the
old path, one read per week, which is the member's own week page.

Bob's calendar (local .ics, the real provider) holds a weekly recurring customer
call, a meeting across a week's midnight edge, an all-day event on a Monday, a
zero-length reminder, and meetings around the two nearest changes of daylight
saving time; some weeks of each trend hold nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from blocker.core.models import Interval
from blocker.core.weeks import shift_week, week_dates, week_of, week_window
from blocker.members import member_dir, scope_for_user
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store import TokenCipher
from blocker.store.teams import TeamUser
from blocker.sync_read import read_window
from blocker.team.store_source import member_label, member_view, scored_week, trend_weeks
from blocker.team.summary import member_summary
from blocker.team.trend_read import TrendReader, trend_window
from blocker.team.week_cache import week_cache
from tests.members.conftest import OVERLAY, WEEK
from tests.support.clock import TEST_NOW, SettableClock
from tests.support.rules import rules_yaml
from tests.team.conftest import FOCUS

NY = ZoneInfo("America/New_York")


def _dst_changes(around: date) -> tuple[date, date]:
    """The last change of New York's UTC offset on or before ``around`` and the next one."""
    noon = time(12)

    def offset(day: date) -> timedelta | None:
        return datetime.combine(day, noon, tzinfo=NY).utcoffset()

    before = around
    while offset(before) == offset(before - timedelta(days=1)):
        before -= timedelta(days=1)
    after = around + timedelta(days=1)
    while offset(after) == offset(after - timedelta(days=1)):
        after += timedelta(days=1)
    return before, after


TODAY = TEST_NOW.astimezone(NY).date()
DST_WEEKS = [week_of(day) for day in _dst_changes(TODAY)]
"""The weeks of the last and the next change of daylight saving time (past, future)."""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(NY).strftime("%Y%m%dT%H%M%S")


def _event(uid: str, start: datetime, end: datetime, extra: str = "") -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}@tests\r\nDTSTAMP:20261101T120000Z\r\n"
        f"DTSTART;TZID=America/New_York:{_stamp(start)}\r\n"
        f"DTEND;TZID=America/New_York:{_stamp(end)}\r\n"
        f"SUMMARY:Bob {uid}\r\n{extra}"
        "ATTENDEE;CN=Customer;PARTSTAT=ACCEPTED:mailto:pat@acme.example\r\nEND:VEVENT\r\n"
    )


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


def bob_calendar(first: str, last: str, extra: str = "") -> str:
    """From week ``first`` to ``last``, every third week a review, a meeting across the
    next week's edge, a zero-length note, a call each day (so a window's edges fall
    near meetings) and an all-day offsite on its Monday; a series
    every third week too. The week after holds only the late meeting's end, the one
    after that nothing at all."""
    events: list[str] = []
    week, n = first, 0
    while week <= last:
        days = week_dates(week)
        if n % 3 == 0:
            events.append(_event(f"review-{week}", _at(days[2], 14), _at(days[2], 15)))
            late = _at(days[6], 23)  # Sunday 23:00 to Monday 01:00
            events.append(_event(f"late-{week}", late, late + timedelta(hours=2)))
            events.append(_event(f"note-{week}", _at(days[3], 9), _at(days[3], 9)))
            events += [_event(f"daily-{d}", _at(d, 16), _at(d, 16, 30)) for d in days]
            monday, tuesday = (d.strftime("%Y%m%d") for d in days[:2])
            events.append(
                f"BEGIN:VEVENT\r\nUID:offsite-{week}@tests\r\nDTSTAMP:20261101T120000Z\r\n"
                f"DTSTART;VALUE=DATE:{monday}\r\nDTEND;VALUE=DATE:{tuesday}\r\n"
                "SUMMARY:Bob offsite\r\nEND:VEVENT\r\n"
            )
        week, n = shift_week(week, 1), n + 1
    start = week_dates(first)[1]
    series = _event(
        "weekly-acme", _at(start, 10), _at(start, 11), "RRULE:FREQ=WEEKLY;INTERVAL=3;COUNT=40\r\n"
    )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//trend//EN\r\n"
        f"{''.join(events)}{series}{extra}END:VCALENDAR\r\n"
    )


@dataclass
class Member:
    runtime: Runtime
    user: TeamUser
    folder: Path

    @property
    def scope(self) -> Runtime:
        scope = scope_for_user(self.runtime, self.user)
        assert scope is not None
        return scope

    @property
    def calendar(self) -> str:
        return self.scope.calendar_ids()[0]

    def write(self, text: str) -> None:
        (member_dir(self.runtime, self.user.id) / "work.ics").write_text(text, encoding="utf-8")

    def reader(self, weeks: list[str]) -> TrendReader:
        scope = self.scope
        window = trend_window(weeks, scope.rules.timezone, scope.now())
        provider = scope.provider(self.calendar)
        return TrendReader(provider, window, provider.read(window))


ALL_WEEKS = sorted({*trend_weeks(WEEK), *(w for d in DST_WEEKS for w in trend_weeks(d))})
FIRST, LAST = ALL_WEEKS[0], shift_week(ALL_WEEKS[-1], 1)


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[Member]:
    (tmp_path / "rules.yaml").write_text(
        rules_yaml(["{id: work, provider: local, path: team.ics}"]), encoding="utf-8"
    )
    (tmp_path / "team.ics").write_text(bob_calendar(WEEK, WEEK), encoding="utf-8")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'blocker.db'}",
        rules_path=tmp_path / "rules.yaml",
        encryption_key=TokenCipher.generate_key(),
    )
    runtime = Runtime.open(settings, clock=SettableClock(TEST_NOW))
    try:
        store = runtime.store
        store.add_team_user("ann@team.example", "admin")  # the template's owner
        user = store.add_team_user("bob@team.example", "member")
        store.save_overlay(user.id, OVERLAY.format(name="Bob", email="bob@team.example") + FOCUS)
        member_dir(runtime, user.id).mkdir(parents=True)
        member = Member(runtime, user, tmp_path)
        member.write(bob_calendar(FIRST, LAST))
        yield member
    finally:
        runtime.close()


def _events_in(member: Member, span: Interval) -> int:
    read = member.scope.provider(member.calendar).read(span)
    return len(read.events)


@pytest.mark.parametrize("last", [WEEK, *DST_WEEKS], ids=["viewed", "dst-past", "dst-next"])
def test_each_week_from_the_trend_read_is_the_week_page(bob: Member, last: str) -> None:
    """Our blocks on the viewed week (a real run), none on the others; the same card
    and focus figures from one read as from each week's own read."""
    scope = bob.scope
    run = scope.sync(None, bob.calendar, WEEK, trigger="test")
    assert not run.errors and run.ops  # our blocks now on the viewed week only
    weeks = trend_weeks(last)
    empty = [w for w in weeks if _events_in(bob, week_window(w, "America/New_York")) == 0]
    assert empty, "a week with nothing on the calendar is part of the comparison"
    reader = bob.reader(weeks)
    for week in weeks:
        alone = scored_week(scope, bob.calendar, week)
        shared = scored_week(scope, bob.calendar, week, reader)
        assert shared == alone, week
        assert shared.card is not None and "actual" in shared.card
    assert reader.served == len(weeks)  # every week answered by the one read


@pytest.mark.parametrize("last", [WEEK, *DST_WEEKS], ids=["viewed", "dst-past", "dst-next"])
def test_each_window_holds_what_the_calendar_gives_for_it(bob: Member, last: str) -> None:
    scope = bob.scope
    provider = scope.provider(bob.calendar)
    weeks = trend_weeks(last)
    reader = bob.reader(weeks)
    for week in weeks:
        window = read_window(week, scope.rules.timezone, scope.now(), history=True)
        assert reader.read(window).events == provider.read(window).events, week
        span = week_window(week, scope.rules.timezone)
        assert reader.read(span).events == provider.read(span).events, week


def test_an_event_at_a_windows_edge_is_read_from_the_calendar(bob: Member) -> None:
    """A zero-length event exactly at a week's read edge: that week is read on its own
    (the providers need not agree on it), and the figures are still the week page's."""
    scope = bob.scope
    weeks = trend_weeks(WEEK)
    edge = read_window(weeks[3], scope.rules.timezone, scope.now(), history=True).start
    bob.write(bob_calendar(FIRST, LAST, _event("edge", edge, edge)))
    reader = bob.reader(weeks)
    for week in weeks:
        assert scored_week(scope, bob.calendar, week, reader) == scored_week(
            scope, bob.calendar, week
        )
    assert reader.served == len(weeks) - 1


def test_a_window_outside_the_trend_is_read_from_the_calendar(bob: Member) -> None:
    scope = bob.scope
    reader = bob.reader(trend_weeks(WEEK)[-2:])
    later = shift_week(WEEK, 1)
    assert scored_week(scope, bob.calendar, later, reader) == scored_week(
        scope, bob.calendar, later
    )
    assert reader.served == 0


def test_a_preview_through_a_reader_writes_nothing(bob: Member) -> None:
    scope = bob.scope
    reader = bob.reader(trend_weeks(WEEK))
    with pytest.raises(ValueError, match="only a dry run"):
        scope.sync(None, bob.calendar, WEEK, trigger="test", reader=reader)


def test_the_lead_sees_the_member_summary_of_the_weeks_read_alone(bob: Member) -> None:
    """End to end: ``member_view`` (one read) against the summary of eight own reads."""
    base, scope = bob.runtime, bob.scope
    week_cache(base).clear()
    weeks = trend_weeks(WEEK)
    alone = member_summary(
        member_label(base, bob.user), [scored_week(scope, bob.calendar, w) for w in weeks]
    )
    assert member_view(base, bob.user, WEEK) == alone
    assert alone.basis != "none" and alone.trend
