"""``day: last_working_day``, and the weekly generation on the last working day."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from rules import expand_week
from rules.engine import generation_day
from tests.rules.util import problems_of, rules_from

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 27)

REVIEW = """\
rules:
  - kind: weekly_review
    day: last_working_day
    at: "14:00"
    minutes: 60
"""

BERLIN_BASE = """\
timezone: Europe/Berlin
holidays: {country: DE, subdivision: BE}
"""


def review_days(body: str, week: str, base: str | None = None) -> list[datetime]:
    rules = rules_from(body) if base is None else rules_from(body, base=base)
    spec = expand_week(rules, week, today=TODAY)
    return [r.earliest for r in spec.requests if r.kind == "weekly_review"]


def test_the_review_goes_to_friday_in_a_normal_week() -> None:
    assert review_days(REVIEW, "2026-W50") == [datetime(2026, 12, 11, 14, tzinfo=NY)]


def test_a_friday_holiday_moves_the_review_to_thursday() -> None:
    # Christmas Day, Fri 25 Dec 2026, is a US holiday
    assert review_days(REVIEW, "2026-W52") == [datetime(2026, 12, 24, 14, tzinfo=NY)]
    # the default (days: [fri]) still has no review that week: the old spelling is kept
    default = "rules:\n  - kind: weekly_review\n    at: '14:00'\n"
    assert review_days(default, "2026-W52") == []


def test_a_four_day_week_reviews_on_thursday() -> None:
    body = "working_hours: {fri: null}\n" + REVIEW
    assert review_days(body, "2026-W50") == [datetime(2026, 12, 10, 14, tzinfo=NY)]


def test_a_wrap_up_block_on_the_last_working_day_in_a_berlin_dst_week() -> None:
    # 2027-W12: Good Friday (26 Mar) is a German holiday and Berlin moves its clocks
    # forward on Sunday 28 Mar; the wrap-up lands on Thursday at 16:00 CET
    body = """\
    rules:
      - kind: block
        id: weekly_wrap
        title: Weekly wrap-up
        day: last_working_day
        window: "15:00-17:00"
        minutes: 45
    """
    spec = expand_week(rules_from(body, base=BERLIN_BASE), "2027-W12", today=TODAY)
    [req] = [r for r in spec.requests if r.rule == "weekly_wrap"]
    thursday = date(2027, 3, 25)
    assert (req.earliest, req.latest) == (
        datetime.combine(thursday, time(15), tzinfo=BERLIN),
        datetime.combine(thursday, time(17), tzinfo=BERLIN),
    )
    assert req.earliest.utcoffset() is not None and req.earliest.utcoffset().total_seconds() == 3600
    # the week after, on summer time, it is Friday again (Easter Monday is off, not Friday)
    spec = expand_week(rules_from(body, base=BERLIN_BASE), "2027-W13", today=TODAY)
    [after] = [r for r in spec.requests if r.rule == "weekly_wrap"]
    assert after.earliest == datetime(2027, 4, 2, 15, tzinfo=BERLIN)
    assert (
        after.earliest.utcoffset() is not None
        and after.earliest.utcoffset().total_seconds() == 7200
    )


def test_generation_runs_on_the_last_working_day_before_the_week() -> None:
    us = rules_from("rules: []\n")  # generate_at defaults to fri 15:00
    assert generation_day(us, date(2026, 12, 8)) == date(2026, 12, 11)  # a normal Friday
    assert generation_day(us, date(2026, 12, 21)) == date(2026, 12, 24)  # Christmas Friday
    berlin = rules_from("rules: []\n", base=BERLIN_BASE)
    assert generation_day(berlin, date(2027, 3, 22)) == date(2027, 3, 25)  # Good Friday
    four_days = rules_from("working_hours: {fri: null}\nrules: []\n")
    assert generation_day(four_days, date(2026, 12, 8)) == date(2026, 12, 10)
    monday = rules_from("schedule: {generate_at: 'mon 09:00'}\nrules: []\n")
    # Labor Day 2026 is Mon 7 Sep: no working day before it that week, so Monday stays
    assert generation_day(monday, date(2026, 9, 9)) == date(2026, 9, 7)


def test_day_problems_are_located_with_a_suggestion() -> None:
    problems = problems_of(
        """\
        timezone: UTC
        rules:
          - kind: weekly_review
            day: last_workday
          - kind: wrap_up
            id: wrap
            day: last_working_day
            days: [mon]
        """
    )
    got = [(p.line, p.column, p.message) for p in problems]
    assert got[0][:2] == (4, 10)
    assert "did you mean 'last_working_day'?" in got[0][2]
    assert got[1][:2] == (5, 5)
    assert "give either 'days' (a list of weekdays) or 'day: last_working_day'" in got[1][2]
