"""A week with holidays asks for its share of the weekly amounts, not the whole.

The persona works Monday to Thursday in Tokyo; Golden Week 2026 (W19: Mon 4 to
Wed 6 May are holidays) leaves one working day, Thursday 7 May.
"""

from __future__ import annotations

from datetime import date

from blocker.core.models import BlockRequest
from blocker.planner import plan_week
from rules import expand_week
from tests.rules.util import rules_from

TODAY = date(2026, 4, 30)
SHORT, FULL = "2026-W19", "2026-W20"

TOKYO = """\
timezone: Asia/Tokyo
holidays: {country: JP}
working_hours: {fri: null}
account_hours_per_week: 6
accounts:
  - {name: Akane, arr: 300000, health: 30, last_contact: 2026-03-01}
  - {name: Benkei, arr: 200000, health: 35, last_contact: 2026-03-02}
  - {name: Chiyo, arr: 150000, health: 40, last_contact: 2026-03-03}
  - {name: Daigo, arr: 60000, health: 45, last_contact: 2026-03-04}
  - {name: Eiji, arr: 50000, health: 90, last_contact: 2026-03-05}
  - {name: Fumi, arr: 10000, health: 90, last_contact: 2026-03-06}
rules:
  - {kind: lunch, at: "12:00", minutes: 60}
  - {kind: focus_time, hours: 5}
  - kind: goals
    goals:
      - {title: Playbook, hours: 2}
      - {title: Board deck, hours: 2, week: 2026-W19}
  - {kind: account_time}
  - {kind: silent_account, after_days: 14, max_per_week: 4, minutes: 30}
  - {kind: health_drop, below: 50, minutes: 45}
"""


def spec_of(week: str):  # type: ignore[no-untyped-def]
    return expand_week(rules_from(TOKYO, base=""), week, today=TODAY)


def by_kind(reqs: tuple[BlockRequest, ...], kind: str) -> list[BlockRequest]:
    return [r for r in reqs if r.kind == kind]


def test_the_one_day_week_asks_for_its_share() -> None:
    short, full = spec_of(SHORT), spec_of(FULL)
    assert len(short.working) == 1 and len(full.working) == 4
    # focus and the every-week goal: a quarter of the week, the goal never below a chunk
    assert [r.minutes for r in by_kind(full.requests, "focus_time")] == [300]
    assert [r.minutes for r in by_kind(short.requests, "focus_time")] == [60]
    goals = {r.key.rsplit("/", 1)[1]: r for r in by_kind(short.requests, "goals")}
    assert goals["playbook"].minutes == 60
    assert goals["playbook"].reason.endswith("; 60 of 120 min: 1 working day this week")
    assert goals["board-deck"].minutes == 120  # written for this very week: as written
    # the silent-account limit is pro rata (4 a week -> 1), the health drops keep
    # their size but share the short week's alert budget
    assert len(by_kind(full.requests, "silent_account")) == 4
    assert len(by_kind(short.requests, "silent_account")) == 1
    drops = by_kind(short.requests, "health_drop")
    assert len(drops) == 4 and {r.minutes for r in drops} == {45}
    assert full.alerts_max_minutes is None
    # 4 x 45 + 30 = 210 min of alerts; a quarter is 53, the largest alert (45) fits
    assert short.alerts_max_minutes == 53
    assert short.alerts_cap_source == "1 of 4 working days this week"
    # account time: a quarter of the 6 h, the tier budget may grow it at most twice
    account = sum(r.minutes for r in by_kind(short.requests, "account_time"))
    assert 0 < account <= 2 * 90


def test_what_is_asked_fits_the_day_and_what_is_cut_says_why() -> None:
    spec = spec_of(SHORT)
    plan = plan_week(spec)
    day = 9 * 60  # 08:30-17:30
    assert sum(b.minutes for b in plan.blocks if not b.all_day) <= day
    cut = [s for s in plan.shortfall if "alert cap" in s.reason]
    assert cut and all("1 of 4 working days this week" in s.reason for s in cut)
    placed_alerts = sum(
        b.minutes for b in plan.blocks if b.kind in {"silent_account", "health_drop"}
    )
    assert placed_alerts <= 53
    # nothing else is short: the week's template fits its one day
    others = [s for s in plan.shortfall if "alert cap" not in s.reason]
    assert others == [], others


def test_a_user_cap_is_pro_rata_to_the_normal_working_days() -> None:
    rules = rules_from(TOKYO.replace("account_hours_per_week: 6", "alerts_max_hours: 4"), base="")
    spec = expand_week(rules, SHORT, today=TODAY)
    # four normal working days, one left: a quarter of 4 h
    assert (spec.alerts_max_minutes, spec.alerts_cap_source) == (60, "alerts_max_hours")


ONE_HOLIDAY = "2026-W18"  # Showa Day, Wed 29 Apr: three of the four working days left


def test_a_one_holiday_week_scales_every_weekly_amount_and_keeps_its_alerts() -> None:
    short, full = spec_of(ONE_HOLIDAY), spec_of(FULL)
    assert len(short.working) == 3 and len(full.working) == 4
    # weekly amounts are pro rata to the days left (3/4), in any week with a holiday,
    # not only in the short weeks the alert cap applies to
    assert [r.minutes for r in by_kind(short.requests, "focus_time")] == [240]  # 225 -> 30s
    goals = {r.key.rsplit("/", 1)[1]: r for r in by_kind(short.requests, "goals")}
    assert goals["playbook"].minutes == 90
    assert goals["playbook"].reason.endswith("; 90 of 120 min: 3 working days this week")
    assert "board-deck" not in goals  # written for W19 only
    assert len(by_kind(short.requests, "silent_account")) == 3  # 4 a week -> 3
    # alerts keep their size and are not capped (SHORT_WEEK: 3 of 4 days is above it)
    drops = by_kind(short.requests, "health_drop")
    assert len(drops) == 4 and {r.minutes for r in drops} == {45}
    assert short.alerts_max_minutes is None
    # what the week asks fits its three days: nothing is short
    plan = plan_week(short)
    assert plan.shortfall == (), plan.shortfall
    asked = sum(r.minutes for r in short.requests if not r.all_day)
    assert asked <= 3 * 9 * 60
