"""Scorecard figures on hand-made plans, and each red flag on its own."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from blocker.core.models import Block, Conflict, Plan, Quadrant, Shortfall, TierTarget, WeekSpec
from blocker.report import Measure, scorecard, scorecard_to_dict

TZ = ZoneInfo("Europe/Berlin")
WEEK = "2026-W49"
MONDAY = date(2026, 11, 30)
TIERS = (
    TierTarget("high", 0.5, 0.6),
    TierTarget("mid", 0.3, 0.35),
    TierTarget("low", 0.12, 0.15),
)
SPEC = WeekSpec(WEEK, "Europe/Berlin", (), (), tiers=TIERS)
QUADRANTS_ONLY = WeekSpec(WEEK, "Europe/Berlin", (), (), tiers=TIERS, category_targets=())
"""The quadrant and tier flag tests leave the 50/30/20 split out of the judgement."""


def _block(n: int, minutes: int, **kw: Any) -> Block:
    """Block ``n`` on day ``n`` at 09:00, so no two hand-made blocks collide."""
    start = datetime.combine(MONDAY + timedelta(days=n), time(9), tzinfo=TZ)
    return Block(
        key=f"b{n}",
        rule="r",
        kind="k",
        title=f"B{n}",
        start=start,
        end=start + timedelta(minutes=minutes),
        **kw,
    )


def _plan(*blocks: Block, **kw: Any) -> Plan:
    return Plan(WEEK, "Europe/Berlin", tuple(blocks), **kw)


def _quadrant_plan(**minutes: int) -> Plan:
    """One block per quadrant given as q1=.., q2=.. (minutes)."""
    blocks = []
    for n, (name, value) in enumerate(sorted(minutes.items())):
        quadrant: Quadrant = int(name[1])  # type: ignore[assignment]
        blocks.append(_block(n, value, quadrant=quadrant))
    return _plan(*blocks)


HAND_MADE = _plan(
    _block(0, 180, tier="high", quadrant=2, category="proactive", protected=True),
    _block(1, 90, tier="mid", quadrant=1, category="reactive"),
    _block(2, 30, tier="low", quadrant=3, category="admin"),
    _block(3, 60, quadrant=2, category="proactive", protected=True),
    _block(4, 40, quadrant=4, category="admin"),
    Block(
        key="golive",
        rule="go_live",
        kind="go_live",
        title="Go-live Acme",
        start=datetime.combine(MONDAY, time(0), tzinfo=TZ),
        end=datetime.combine(MONDAY + timedelta(days=1), time(0), tzinfo=TZ),
        quadrant=1,
        tier="high",
        protected=True,
        all_day=True,
    ),
    conflicts=(
        Conflict(
            "b0",
            "Escalation",
            datetime(2026, 11, 30, 10, tzinfo=TZ),
            datetime(2026, 11, 30, 11, tzinfo=TZ),
        ),
    ),
    shortfall=(Shortfall("focus", "focus", 240, 60, "no room"),),
)


def test_hand_made_plan_figures() -> None:
    card = scorecard(HAND_MADE, SPEC)
    assert [(r.name, r.planned, r.ok) for r in card.tiers] == [
        ("high", Measure(180, 0.6), True),
        ("mid", Measure(90, 0.3), True),
        ("low", Measure(30, 0.1), False),
    ]
    assert dict(card.quadrants) == {
        1: Measure(90, 0.225),
        2: Measure(240, 0.6),
        3: Measure(30, 0.075),
        4: Measure(40, 0.1),
    }
    assert [(c.name, c.target, c.planned) for c in card.categories] == [
        ("proactive", 0.5, Measure(240, 0.6)),
        ("reactive", 0.3, Measure(90, 0.225)),
        ("admin", 0.2, Measure(70, 0.175)),
    ]
    assert card.protected_minutes == 240  # the all-day marker counts nowhere
    assert card.conflicts == HAND_MADE.conflicts
    assert card.shortfall == HAND_MADE.shortfall
    assert card.flags == ("tier low outside its target range",)


def _row(minutes: int, share: float, low: float, high: float, ok: bool) -> dict[str, Any]:
    return {"minutes": minutes, "share": share, "target_min": low, "target_max": high, "ok": ok}


def test_scorecard_to_dict_is_the_design_json_form() -> None:
    out = scorecard_to_dict(scorecard(HAND_MADE, SPEC))
    assert out == {
        "tiers": {
            "high": _row(180, 0.6, 0.5, 0.6, True),
            "mid": _row(90, 0.3, 0.3, 0.35, True),
            "low": _row(30, 0.1, 0.12, 0.15, False),
        },
        "quadrants": {"1": 0.225, "2": 0.6, "3": 0.075, "4": 0.1},
        "categories": {
            "proactive": {"minutes": 240, "share": 0.6, "target": 0.5},
            "reactive": {"minutes": 90, "share": 0.225, "target": 0.3},
            "admin": {"minutes": 70, "share": 0.175, "target": 0.2},
        },
        "protected_minutes": 240,
        "flags": ["tier low outside its target range"],
    }
    assert json.loads(json.dumps(out)) == out


def test_shares_are_rounded_to_four_digits() -> None:
    plan = _plan(_block(0, 10, tier="high"), _block(1, 20, tier="mid"))
    out = scorecard_to_dict(scorecard(plan, SPEC))
    assert out["tiers"]["high"]["share"] == 0.3333
    assert out["tiers"]["mid"]["share"] == 0.6667
    assert out["quadrants"]["2"] == 1.0


@pytest.mark.parametrize(
    ("minutes", "flag"),
    [
        ({"q1": 60, "q2": 40}, "Q1 > 50 % (too reactive)"),
        ({"q2": 75, "q3": 25}, "Q3 > 20 % (poor delegation)"),
        ({"q1": 35, "q2": 35, "q4": 30}, "Q2 < 40 %"),
        ({"q1": 25, "q2": 40, "q4": 35}, "Q1+Q2 < 70 %"),
    ],
)
def test_each_red_flag_alone(minutes: dict[str, int], flag: str) -> None:
    card = scorecard(_quadrant_plan(**minutes), QUADRANTS_ONLY)
    assert card.flags == (flag,)


@pytest.mark.parametrize(
    "minutes",
    [
        {"q1": 50, "q2": 50},  # Q1 exactly 50 %
        {"q2": 80, "q3": 20},  # Q3 exactly 20 %
        {"q1": 30, "q2": 40, "q4": 30},  # Q2 exactly 40 %, Q1+Q2 exactly 70 %
    ],
)
def test_flags_need_the_threshold_to_be_crossed(minutes: dict[str, int]) -> None:
    assert scorecard(_quadrant_plan(**minutes), QUADRANTS_ONLY).flags == ()


def test_tier_above_its_range_is_flagged() -> None:
    plan = _plan(_block(0, 70, tier="high"), _block(1, 20, tier="mid"), _block(2, 10, tier="low"))
    card = scorecard(plan, QUADRANTS_ONLY)
    assert [r.ok for r in card.tiers] == [False, False, False]
    assert card.flags == (
        "tier high outside its target range",
        "tier mid outside its target range",
        "tier low outside its target range",
    )


def test_an_empty_week_has_nothing_to_judge() -> None:
    card = scorecard(_plan(), SPEC)
    assert card.flags == ()
    # no data is its own state: not judged, never a green tick
    assert [(r.ok, r.planned) for r in card.tiers] == [(None, Measure(0, 0.0))] * 3
    assert all(row["ok"] is None for row in scorecard_to_dict(card)["tiers"].values())
    assert scorecard_to_dict(card)["quadrants"] == {"1": 0.0, "2": 0.0, "3": 0.0, "4": 0.0}


def test_tier_missing_from_the_spec_is_shown_with_a_neutral_range() -> None:
    plan = _plan(_block(0, 60, tier="strategic"), _block(1, 60, tier="high"))
    rows = {r.name: r for r in scorecard(plan, SPEC).tiers}
    assert (rows["strategic"].target_min, rows["strategic"].target_max) == (0.0, 1.0)
    assert rows["strategic"].planned == Measure(60, 0.5)
    assert rows["strategic"].ok


def test_category_without_a_target_has_no_target_key() -> None:
    spec = WeekSpec(WEEK, "Europe/Berlin", (), (), category_targets=(("proactive", 0.7),))
    plan = _plan(_block(0, 30, category="proactive"), _block(1, 30, category="admin"))
    out = scorecard_to_dict(scorecard(plan, spec))["categories"]
    assert out == {
        "proactive": {"minutes": 30, "share": 0.5, "target": 0.7},
        "admin": {"minutes": 30, "share": 0.5},
    }


def _split(proactive: int, reactive: int, admin: int) -> Plan:
    return _plan(
        _block(0, proactive, category="proactive", quadrant=2),
        _block(1, reactive, category="reactive", quadrant=2),
        _block(2, admin, category="admin", quadrant=2),
    )


def test_a_split_off_target_by_more_than_the_margin_is_flagged() -> None:
    """Reactive at 15 % against 30 % (± 10 points): the buffer is too thin to say nothing."""
    card = scorecard(_split(65, 15, 20), SPEC)
    assert card.flags == (
        "proactive 65% (target 50% ± 10%)",
        "reactive 15% (target 30% ± 10%)",
    )


def test_a_split_within_the_margin_is_not_flagged() -> None:
    assert scorecard(_split(60, 20, 20), SPEC).flags == ()
    wide = WeekSpec(WEEK, "Europe/Berlin", (), (), tiers=TIERS, category_margin=0.2)
    assert scorecard(_split(65, 15, 20), wide).flags == ()
