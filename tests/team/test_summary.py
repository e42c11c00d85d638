"""The lead's summary from a member's scorecard dicts (pure; issue 20.5).

The cards are shaped as ``blocker.week_report`` makes them. A summary reads each
figure by name, shows the actual side once the week has begun and the plan for a
week ahead, never shows a week without data as figures, and quotes a red flag
only in the report's own words.
"""

from __future__ import annotations

from typing import Any

import pytest

from blocker.team.render import member_to_dict, team_html, team_table
from blocker.team.summary import (
    MemberWeek,
    known_flags,
    member_summary,
    team_summary,
)


def card(state: str, *, q2: float = 0.5, flags: list[str] | None = None) -> dict[str, Any]:
    actual_row = {"planned_minutes": 60, "planned_share": 0.4, "actual_minutes": 90}
    return {
        "tiers": {
            "high": {"minutes": 120, "share": 0.6, "target_min": 0.5, "target_max": 0.6, "ok": True}
        },
        "quadrants": {"1": 0.2, "2": 0.6, "3": 0.2, "4": 0.0},
        "categories": {"proactive": {"minutes": 300, "share": 0.6, "target": 0.5}},
        "protected_minutes": 240,
        "flags": ["Q2 < 40 %"],
        "conflicts": [{"title": "Secret escalation with Wayne"}],
        "actual": {
            "state": state,
            "tiers": {
                "high": {
                    **actual_row,
                    "actual_share": 0.7,
                    "target_min": 0.5,
                    "target_max": 0.6,
                    "ok": False,
                }
            },
            "quadrants": {
                "1": {**actual_row, "actual_share": 0.25},
                "2": {**actual_row, "actual_share": q2},
            },
            "categories": {
                "proactive": {**actual_row, "actual_share": 0.45, "target": 0.5},
                "reactive": {**actual_row, "actual_share": 0.35, "target": 0.3},
            },
            "accounts": {"top": [{"account": "Acme", "tier": "high"}], "bottom": []},
            "meetings": {"account": 90},
            "missed_touchpoints": [
                {"account": "Hooli", "tier": "high", "cadence": "weekly", "last_contact": None}
            ],
            "flags": flags if flags is not None else ["tier high outside its target range"],
        },
    }


def test_a_week_under_way_is_summarised_from_what_happened() -> None:
    s = member_summary("Ana", [MemberWeek("2026-W49", card("in_progress"), focus_asked=300)])
    assert s.basis == "actual"
    assert [(t.name, t.share, t.ok) for t in s.tiers] == [("high", 0.7, False)]
    assert (s.q2, s.q1_q2) == (0.5, 0.75)
    assert (s.focus_asked, s.focus_kept) == (300, 240)
    assert [(x.name, x.share, x.target) for x in s.split] == [
        ("proactive", 0.45, 0.5),
        ("reactive", 0.35, 0.3),
    ]
    assert s.flags == ("tier high outside its target range",)
    assert [t.account for t in s.missed] == ["Hooli"]


def test_a_week_ahead_shows_the_plan_and_no_missed_touchpoints() -> None:
    s = member_summary("Ana", [MemberWeek("2026-W50", card("future"), focus_asked=200)])
    assert s.basis == "planned"
    assert [(t.name, t.share) for t in s.tiers] == [("high", 0.6)]
    assert s.q2 == 0.6 and s.flags == ("Q2 < 40 %",) and s.missed == ()
    assert s.focus_kept == 200  # never more kept than asked


def test_a_week_without_data_is_no_figure() -> None:
    weeks = [MemberWeek("2026-W47", None), MemberWeek("2026-W48", card("no_data"))]
    s = member_summary("Ana", [*weeks, MemberWeek("2026-W49", card("complete"), 300)])
    assert [(p.week, p.basis, p.q2) for p in s.trend] == [
        ("2026-W47", "none", None),
        ("2026-W48", "none", None),
        ("2026-W49", "actual", 0.5),
    ]
    empty = member_summary("Ana", [MemberWeek("2026-W48", card("no_data"))])
    assert (empty.q2, empty.tiers, empty.split) == (None, (), ())


def test_the_trend_is_eight_weeks_at_most() -> None:
    weeks = [MemberWeek(f"2026-W{n}", card("complete", q2=n / 100), 100) for n in range(30, 40)]
    s = member_summary("Ana", weeks)
    assert [p.week for p in s.trend] == [f"2026-W{n}" for n in range(32, 40)]
    assert s.trend[-1].q2 == 0.39 and s.trend[-1].focus_kept == 1.0


def test_a_flag_in_other_words_is_counted_never_quoted() -> None:
    flags = [
        "Q1 > 50 % (too reactive)",
        "proactive 38% (target 50% ± 10%)",
        "tier high outside its target range",
        "tier Secret escalation with Wayne outside its target range",
        "meeting 'Secret escalation with Wayne' ran over",
    ]
    assert known_flags(flags, ["high"]) == (
        "Q1 > 50 % (too reactive)",
        "proactive 38% (target 50% ± 10%)",
        "tier high outside its target range",
        "2 other flag(s)",
    )


def test_nothing_but_the_summary_is_rendered() -> None:
    flags = ["meeting 'Secret escalation with Wayne' ran over"]
    ana = member_summary("Ana", [MemberWeek("2026-W49", card("complete", flags=flags), 300)])
    ben = member_summary("Ben", [MemberWeek("2026-W49", card("complete"), 0)])
    team = team_summary("2026-W49", [ben, ana])
    assert [m.member for m in team.members] == ["Ana", "Ben"]
    assert (team.flagged, team.missed) == (2, 2)
    assert team.focus_kept_share == pytest.approx(0.8)  # Ben asked for none
    for text in (str(member_to_dict(ana)), team_table(team), team_html(team)):
        assert "Secret" not in text and "Wayne" not in text and "Acme" not in text
        assert "Hooli" in text


def test_a_summary_needs_its_week() -> None:
    with pytest.raises(ValueError, match="at least its week"):
        member_summary("Ana", [])
