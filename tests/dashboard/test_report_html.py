"""The HTML scorecard (``blocker report --format html``) and the pure week-grid layout."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from blocker.core.models import Block, Busy, Interval, Plan
from blocker.web.pages import MEETING_COLOR, build_grid
from blocker.web.report_html import (
    contrast_ratio,
    readable_text_color,
    render_report_html,
    safe_color,
    scorecard_view,
)

NY = ZoneInfo("America/New_York")


def _card(q1: float, q2: float, q3: float, q4: float) -> dict[str, object]:
    total = 1000
    return {
        "tiers": {
            "high": {
                "minutes": 300,
                "share": 0.6,
                "target_min": 0.5,
                "target_max": 0.6,
                "ok": True,
            },
            "low": {
                "minutes": 200,
                "share": 0.4,
                "target_min": 0.1,
                "target_max": 0.15,
                "ok": False,
            },
        },
        "quadrants": {"1": q1, "2": q2, "3": q3, "4": q4},
        "categories": {
            "proactive": {"minutes": 600, "share": 0.6, "target": 0.5},
            "reactive": {"minutes": total - 600, "share": 0.4},
        },
        "protected_minutes": 240,
        "flags": ["Q3 > 20 % (poor delegation)", "tier low outside its target range"],
    }


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_is_standalone_and_shows_the_card() -> None:
    html = render_report_html("2026-W49", _card(0.1, 0.6, 0.25, 0.05))
    parser = _Collect()
    parser.feed(html)
    tags = parser.tags
    # No external assets: no stylesheet links, scripts, images or frames.
    assert not [t for t, a in tags if t in ("link", "script", "img", "iframe")]
    assert not [a for _, a in tags if a.get("src") or a.get("href")]
    assert "<style>" in html and ".sc-table" in html
    assert "Scorecard, week 2026-W49" in html
    assert "tier low outside its target range" in html
    low = re.search(r'<tr data-tier="low".*?</tr>', html, re.S)
    assert (
        low and "40.0 %" in low.group() and "3.3 h" in low.group() and "off target" in low.group()
    )
    q3 = re.search(r'<tr data-quadrant="Q3".*?</tr>', html, re.S)
    assert q3 and "25.0 %" in q3.group() and "off target" in q3.group()


def test_report_escapes_what_it_shows() -> None:
    card = _card(0.1, 0.6, 0.25, 0.05)
    card["flags"] = ["<script>alert(1)</script>"]
    html = render_report_html("2026-W49", card)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("shares", "bad"),
    [
        ((0.55, 0.3, 0.1, 0.05), {"Q1", "Q2"}),  # too reactive; Q2 below 40 %
        ((0.2, 0.5, 0.25, 0.05), {"Q3"}),  # poor delegation
        ((0.2, 0.45, 0.15, 0.2), {"Q1+Q2"}),  # Q1+Q2 65 % < 70 %
        ((0.2, 0.6, 0.1, 0.1), set()),
    ],
)
def test_quadrants_are_judged_against_the_method(
    shares: tuple[float, float, float, float], bad: set[str]
) -> None:
    view = scorecard_view("2026-W49", _card(*shares))
    assert {row.name for row in view.quadrants if row.ok is False} == bad
    q2 = next(row for row in view.quadrants if row.name == "Q2")
    assert q2.minutes == round(shares[1] * 1000)  # total = the category minutes


def test_an_empty_week_raises_no_alarm() -> None:
    view = scorecard_view("2026-W52", {"quadrants": {"1": 0.0, "2": 0.0, "3": 0.0, "4": 0.0}})
    assert view.total_minutes == 0
    assert all(row.ok is not False for row in view.quadrants)


def test_text_colour_always_reaches_aa_contrast() -> None:
    for r in range(0, 256, 17):
        for g in range(0, 256, 17):
            for b in range(0, 256, 51):
                color = f"#{r:02X}{g:02X}{b:02X}"
                assert contrast_ratio(color, readable_text_color(color)) >= 4.5, color


def test_only_hex_colours_reach_a_style_attribute() -> None:
    assert safe_color("#0b8043") == "#0B8043"
    assert safe_color("red; background:url(x)") == "#4285F4"
    assert safe_color(None) == "#4285F4"


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` days after Monday 2026-11-30, local New York time."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=NY) + timedelta(days=day)


def test_grid_places_items_by_time_and_side_by_side_when_they_overlap() -> None:
    focus = Block(
        key="focus/2026-12-01/0",
        rule="focus",
        kind="focus_time",
        title="Focus",
        start=_at(1, 9),
        end=_at(1, 11),
        color="#0B8043",
        protected=True,
    )
    lunch = Block(
        key="lunch/2026-12-01/0",
        rule="lunch",
        kind="lunch",
        title="Lunch",
        start=_at(1, 12),
        end=_at(1, 12, 45),
        color="#7986CB",
    )
    marker = Block(
        key="mfd/2026-12-04/0",
        rule="mfd",
        kind="meeting_free_day",
        title="No meetings",
        start=datetime(2026, 12, 4, tzinfo=NY),
        end=datetime(2026, 12, 5, tzinfo=NY),
        all_day=True,
    )
    meeting = Busy(start=_at(1, 10), end=_at(1, 10, 30), title="Escalation call")
    plan = Plan(week="2026-W49", timezone="America/New_York", blocks=(focus, lunch, marker))
    working = tuple(
        Interval(
            datetime(2026, 11, 30 + d, 8, tzinfo=NY), datetime(2026, 11, 30 + d, 18, tzinfo=NY)
        )
        for d in range(1)
    ) + tuple(
        Interval(datetime(2026, 12, d, 8, tzinfo=NY), datetime(2026, 12, d, 18, tzinfo=NY))
        for d in range(1, 5)
    )
    grid = build_grid("2026-W49", plan, [meeting], working, NY)
    assert (grid.first_hour, grid.last_hour) == (8, 18)
    assert [d.date.isoformat() for d in grid.days] == [
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
        "2026-12-04",
    ]  # the weekend has nothing and is not worked: left out
    tuesday = grid.days[1]
    by_title = {i.title: i for i in tuesday.items}
    assert by_title["Focus"].top == pytest.approx(10.0)  # 09:00 is 1 h into 10 h
    assert by_title["Focus"].height == pytest.approx(20.0)
    assert by_title["Lunch"].top == pytest.approx(40.0)
    assert (by_title["Focus"].lanes, by_title["Escalation call"].lanes) == (2, 2)
    assert {by_title["Focus"].lane, by_title["Escalation call"].lane} == {0, 1}
    assert by_title["Lunch"].lanes == 1
    assert by_title["Escalation call"].color == MEETING_COLOR
    assert [i.title for i in grid.days[4].all_day] == ["No meetings"]
    assert not grid.days[4].items


def test_grid_widens_to_a_meeting_outside_working_hours() -> None:
    late = Busy(start=_at(2, 19), end=_at(2, 20, 30), title="Late call with APAC")
    working = (Interval(_at(2, 9), _at(2, 17)),)
    grid = build_grid("2026-W49", None, [late], working, NY)
    assert (grid.first_hour, grid.last_hour) == (9, 21)
    item = next(d for d in grid.days if d.items).items[0]
    assert item.top == pytest.approx(10 / 12 * 100, abs=0.01)


def _compared(pm: int, ps: float, am: int, ac: float, **extra: object) -> dict[str, object]:
    return {
        "planned_minutes": pm,
        "planned_share": ps,
        "actual_minutes": am,
        "actual_share": ac,
        **extra,
    }


def _actual_card() -> dict[str, object]:
    """The plan of ``_card`` beside a hand-made actual side (the form of actual_to_dict)."""
    card = _card(0.1, 0.6, 0.25, 0.05)
    card["actual"] = {
        "tiers": {
            "high": _compared(300, 0.6, 90, 0.3, target_min=0.5, target_max=0.6, ok=False),
            "low": _compared(200, 0.4, 210, 0.7, target_min=0.1, target_max=0.15, ok=False),
            "mid": _compared(0, 0.0, 0, 0.0, target_min=0.2, target_max=0.4, ok=True),
        },
        "quadrants": {
            "1": _compared(100, 0.1, 330, 0.55),
            "2": _compared(600, 0.6, 150, 0.25),
            "3": _compared(250, 0.25, 90, 0.15),
            "4": _compared(50, 0.05, 30, 0.05),
        },
        "categories": {
            "proactive": _compared(600, 0.6, 150, 0.25, target=0.5),
            "reactive": _compared(400, 0.4, 450, 0.75),
        },
        "accounts": {
            "top": [
                {
                    "account": "Acme <Corp>",
                    "tier": "low",
                    "planned_minutes": 120,
                    "actual_minutes": 210,
                    "actual_share": 0.7,
                },
                {
                    "account": "Globex",
                    "tier": "high",
                    "planned_minutes": 300,
                    "actual_minutes": 90,
                    "actual_share": 0.3,
                },
            ],
            "bottom": [
                {
                    "account": "Initech",
                    "tier": None,
                    "planned_minutes": 30,
                    "actual_minutes": 0,
                    "actual_share": 0.0,
                }
            ],
        },
        "meetings": {"account": 300, "internal": 45, "external": 0, "solo": 90},
        "missed_touchpoints": [
            {"account": "Initech", "tier": "low", "cadence": "monthly", "last_contact": None},
            {
                "account": "Globex",
                "tier": "high",
                "cadence": "weekly",
                "last_contact": "2026-11-20",
            },
        ],
        "flags": ["Q1 > 50 % (too reactive)", "tier high outside its target range"],
    }
    return card


def _row(html: str, attr: str, name: str) -> str:
    found = re.search(rf'<tr data-{attr}="{re.escape(name)}".*?</tr>', html, re.S)
    assert found, (attr, name)
    return found.group()


def _cells(row: str, cls: str) -> str:
    found = re.search(rf'<td class="[^"]*\b{cls}\b[^"]*"[^>]*>(.*?)</td>', row, re.S)
    assert found, (cls, row)
    return found.group(1).strip()


def test_report_renders_planned_beside_actual() -> None:
    html = render_report_html("2026-W49", _actual_card())
    low = _row(html, "tier", "low")
    assert [_cells(low, c) for c in ("hours", "share", "actual-hours", "actual-share")] == [
        "3.3 h",
        "40.0 %",
        "3.5 h",
        "70.0 %",
    ]
    assert re.search(r'class="status-actual"><span class="st st-bad">actual ', low)
    assert re.search(r'class="status-planned"><span class="st st-bad">plan ', low)
    # a tier only the actual side has still gets its row, with its target
    mid = _row(html, "tier", "mid")
    assert _cells(mid, "actual-hours") == "0.0 h" and "20–40 %" in mid
    # quadrants are judged on the actual shares with the method's goals
    q1 = _row(html, "quadrant", "Q1")
    assert _cells(q1, "actual-share") == "55.0 %" and _cells(q1, "actual-hours") == "5.5 h"
    assert re.search(r'class="status-actual"><span class="st st-bad">', q1)
    assert re.search(r'class="status-planned"><span class="st st-ok">', q1)
    q12 = _row(html, "quadrant", "Q1+Q2")
    assert _cells(q12, "actual-share") == "80.0 %" and _cells(q12, "actual-hours") == "8.0 h"
    q3 = _row(html, "quadrant", "Q3")  # planned 25 % is off, actual 15 % is on target
    assert re.search(r'class="status-planned"><span class="st st-bad">', q3)
    assert re.search(r'class="status-actual"><span class="st st-ok">', q3)
    reactive = _row(html, "category", "reactive")
    assert _cells(reactive, "actual-hours") == "7.5 h"
    assert _cells(reactive, "actual-share") == "75.0 %"
    # accounts, escaped; a missing tier shows as a dash
    top = re.search(r'<table class="sc-table" id="sc-top-accounts">.*?</table>', html, re.S)
    assert top
    assert re.findall(r'<tr data-account="([^"]*)"', top.group()) == ["Acme &lt;Corp&gt;", "Globex"]
    acme = _row(top.group(), "account", "Acme &lt;Corp&gt;")
    assert [_cells(acme, c) for c in ("hours", "actual-hours", "actual-share")] == [
        "2.0 h",
        "3.5 h",
        "70.0 %",
    ]
    initech = _row(html.split('id="sc-bottom-accounts"')[1], "account", "Initech")
    assert _cells(initech, "tier") == "—" and _cells(initech, "actual-hours") == "0.0 h"
    meetings = dict(re.findall(r'<tr data-kind="(\w+)">.*?data-minutes="(\d+)"', html, re.S))
    assert meetings == {"account": "300", "internal": "45", "external": "0", "solo": "90"}
    missed = re.search(r'<ul class="plain" id="sc-missed">.*?</ul>', html, re.S)
    assert missed
    text = re.sub(r"<[^>]+>", "", missed.group())
    assert "Initech (low, monthly) — last contact never" in text
    assert "Globex (high, weekly) — last contact 2026-11-20" in text
    actual_flags = re.search(r'<ul class="flags" id="sc-actual-flags">.*?</ul>', html, re.S)
    assert actual_flags
    assert re.findall(r'<li class="flag">(.*?)</li>', actual_flags.group()) == [
        "Q1 &gt; 50 % (too reactive)",
        "tier high outside its target range",
    ]
    assert "20.0 h of counted time as it happened" not in html  # total is 10.0 h
    assert "10.0 h of counted time as it happened" in html


def test_headers_name_planned_and_actual_for_every_figure() -> None:
    html = render_report_html("2026-W49", _actual_card())
    tiers = re.search(r'<table class="sc-table" id="sc-tiers">.*?</thead>', html, re.S)
    assert tiers
    heads = re.findall(r'<th scope="(\w+)"[^>]*>(.*?)</th>', tiers.group(), re.S)
    assert ("colgroup", "Planned") in heads and ("colgroup", "Actual") in heads
    assert '<col span="2" class="c-plan"><col span="2" class="c-actual">' in tiers.group()
    titles = re.findall(r'<abbr title="([^"]+)">', tiers.group())
    assert titles == ["planned hours", "planned share", "actual hours", "actual share"]


def test_a_card_without_actual_shows_the_plan_alone() -> None:
    html = render_report_html("2026-W49", _card(0.1, 0.6, 0.25, 0.05))
    assert "actual-hours" not in html and "Where the time really went" not in html
    assert '<th scope="colgroup"' not in html
