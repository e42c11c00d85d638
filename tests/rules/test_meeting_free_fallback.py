"""The meeting-free day on a holiday (``fallback``), and meetings booked on it flagged."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from blocker.core.models import BlockRequest, Busy
from blocker.planner import plan_week
from blocker.render import conflict_lines
from rules import expand_week
from tests.rules.util import problems_of, rules_from

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 27)
BERLIN_BASE = "timezone: Europe/Berlin\nholidays: {country: DE, subdivision: BE}\n"


def body(fallback: str | None, day: str = "fri") -> str:
    line = f"    fallback: {fallback}\n" if fallback else ""
    return (
        "rules:\n"
        f"  - kind: meeting_free_day\n    day: {day}\n{line}"
        "  - kind: call_window\n    days: [mon, tue, wed, thu, fri]\n    window: '13:30-15:00'\n"
    )


def requests(text: str, week: str, base: str | None = None) -> list[BlockRequest]:
    rules = rules_from(text) if base is None else rules_from(text, base=base)
    return list(expand_week(rules, week, today=TODAY).requests)


def free_days(reqs: list[BlockRequest], tz: ZoneInfo = NY) -> list[date]:
    return [r.earliest.astimezone(tz).date() for r in reqs if r.kind == "meeting_free_day"]


def call_days(reqs: list[BlockRequest], tz: ZoneInfo = NY) -> list[date]:
    return [r.earliest.astimezone(tz).date() for r in reqs if r.kind == "call_window"]


def test_by_default_a_holiday_friday_has_no_meeting_free_day() -> None:
    reqs = requests(body(None), "2026-W52")  # Fri 25 Dec 2026: Christmas Day
    assert free_days(reqs) == []
    assert call_days(reqs) == [date(2026, 12, d) for d in (21, 22, 23, 24)]


def test_previous_working_day_moves_it_to_thursday_and_keeps_meetings_off_it() -> None:
    reqs = requests(body("previous_working_day"), "2026-W52")
    [marker] = [r for r in reqs if r.kind == "meeting_free_day"]
    assert (marker.earliest, marker.latest) == (
        datetime(2026, 12, 24, tzinfo=NY),
        datetime(2026, 12, 25, tzinfo=NY),
    )
    assert marker.reason == (
        "your weekly template: meeting-free day instead of Fri 25 Dec (not a working day)"
    )
    assert call_days(reqs) == [date(2026, 12, d) for d in (21, 22, 23)]  # Thursday dropped
    # a normal week is untouched by the fallback
    assert free_days(requests(body("previous_working_day"), "2026-W50")) == [date(2026, 12, 11)]


def test_next_working_day_may_be_next_weeks_monday() -> None:
    assert free_days(requests(body("next_working_day"), "2026-W52")) == []
    # Christmas Friday's day lands on Mon 28 Dec; New Year's Day (Fri 1 Jan) on Mon 4 Jan
    assert free_days(requests(body("next_working_day"), "2026-W53")) == [date(2026, 12, 28)]
    assert free_days(requests(body("next_working_day"), "2027-W01")) == [
        date(2027, 1, 4),
        date(2027, 1, 8),
    ]


def test_german_holidays_in_a_dst_week() -> None:
    # 2027-W12: Good Friday (26 Mar) is off in Berlin; the clocks go forward on Sun 28 Mar
    reqs = requests(body("previous_working_day"), "2027-W12", BERLIN_BASE)
    [marker] = [r for r in reqs if r.kind == "meeting_free_day"]
    assert marker.earliest == datetime(2027, 3, 25, tzinfo=BERLIN)
    assert marker.minutes == 24 * 60
    # W13 of 2027, named Monday: Easter Monday is off, Tuesday takes it
    reqs = requests(body("next_working_day", day="mon"), "2027-W13", BERLIN_BASE)
    assert free_days(reqs, BERLIN) == [date(2027, 3, 30)]
    assert date(2027, 3, 30) not in call_days(reqs, BERLIN)


def test_a_meeting_booked_on_the_meeting_free_day_is_flagged_by_title_and_local_time() -> None:
    spec = expand_week(rules_from(body(None)), "2026-W50", today=TODAY)
    friday = date(2026, 12, 11)
    # written in UTC by the other side: shown in the user's zone
    call = Busy(
        start=datetime.combine(friday, time(15), tzinfo=ZoneInfo("UTC")),
        end=datetime.combine(friday, time(16), tzinfo=ZoneInfo("UTC")),
        title="Vendor demo",
    )
    plan = plan_week(spec, busy=[call])
    [conflict] = plan.conflicts
    assert conflict.meeting == "Vendor demo" and conflict.key.startswith("meeting_free_day/")
    [line] = conflict_lines(plan)
    assert line == (
        "'Vendor demo' (Fri 10:00-11:00) lands on 'Busy · Meeting-free day' (Fri, all day), "
        "a protected block: kept"
    )
    # a meeting on another day is no conflict of the meeting-free day
    monday = Busy(
        start=datetime(2026, 12, 7, 10, tzinfo=NY), end=datetime(2026, 12, 7, 11, tzinfo=NY)
    )
    assert plan_week(spec, busy=[monday]).conflicts == ()


def test_a_yielding_meeting_free_day_flags_nothing() -> None:
    text = body(None).replace("    day: fri\n", "    day: fri\n    conflict_policy: yield\n")
    spec = expand_week(rules_from(text), "2026-W50", today=TODAY)
    call = Busy(
        start=datetime(2026, 12, 11, 10, tzinfo=NY), end=datetime(2026, 12, 11, 11, tzinfo=NY)
    )
    assert plan_week(spec, busy=[call]).conflicts == ()


def test_a_misspelt_fallback_is_located_with_a_suggestion() -> None:
    [problem] = problems_of(
        "timezone: UTC\nrules:\n  - kind: meeting_free_day\n    fallback: next_workday\n"
    )
    assert (problem.line, problem.column) == (4, 15)
    assert "did you mean 'next_working_day'?" in problem.message
