"""What the pages cost and what their figures are, against the Google fake over HTTP.

The week page reads the calendar once (counted at the fake: its preview, grid and
scorecard share one read, issue 18). The trend shows each ended week's actual
shares as ``GET /api/report`` counts them and no actual for a week not over;
``GET /api/plan`` scores the plan like the report's planned side: the blocks plus
the week's known meetings with the accounts (issue 19).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from blocker.core.weeks import shift_week, week_window
from tests.dashboard.google_service import CALENDAR, GoogleService, google_service
from tests.dashboard.helpers import number
from tests.service.conftest import TOKEN
from tests.support.clock import EXAMPLE_TZ, next_week, this_week, ticking_clock

_ROW = re.compile(r'<tr data-series="([^"]*)"><th scope="row">[^<]*</th>(.*?)</tr>', re.S)
_CELL = re.compile(r'<td class="num" data-week="([^"]*)">([^<]*)</td>')


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleService]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks http
    with google_service(tmp_path) as svc:
        svc.connect_backdoor()
        yield svc


@contextmanager
def _signed_in(svc: GoogleService) -> Iterator[httpx.Client]:
    """A browser-like client with the dashboard's session cookie (no API token)."""
    with httpx.Client(base_url=svc.base_url, timeout=60, trust_env=False) as client:
        answer = client.post("/login", data={"token": TOKEN, "next": "/"})
        assert answer.status_code == 303, answer.text
        yield client


def _meeting(svc: GoogleService, start: datetime, minutes: int, domain: str) -> None:
    svc.google.add_meeting(
        start,
        start + timedelta(minutes=minutes),
        f"Check-in {domain}",
        organizer=f"cfo@{domain}",
        attendees=[{"email": f"cfo@{domain}", "responseStatus": "accepted"}],
    )


def _monday_at(week: str, hour: int, days: int = 0) -> datetime:
    year, number_ = (int(part) for part in week.split("-W"))
    day = datetime.fromisocalendar(year, number_, 1) + timedelta(days=days)
    return day.replace(hour=hour, tzinfo=EXAMPLE_TZ)


def test_the_week_page_reads_the_calendar_once(service: GoogleService) -> None:
    with _signed_in(service) as page:
        # a past week (its history starts before the preview's), this one, the next
        for week in (shift_week(this_week(), -2), this_week(), next_week()):
            service.google.clear_log()
            answer = page.get("/", params={"week": week, "calendar": CALENDAR})
            assert answer.status_code == 200 and 'data-action="unreadable"' not in answer.text
            if week == next_week():  # the grid was drawn from that read
                assert 'data-state="pending"' in answer.text
            assert service.calendar_reads() == 1, (week, service.google.requests())
            assert len(service.google.requests()) == 1  # and nothing else of Google

        synced = service.client.post("/api/sync", json={"week": next_week(), "calendar": CALENDAR})
        assert synced.json()["results"][0]["errors"] == []
        service.google.clear_log()
        answer = page.get("/", params={"week": next_week(), "calendar": CALENDAR})
        assert answer.status_code == 200 and 'data-state="synced"' in answer.text
        assert service.calendar_reads() == 1  # an incremental read, still one
        assert len(service.google.requests()) == 1


def _trend(page: httpx.Client, week: str) -> dict[str, dict[str, str]]:
    answer = page.get("/trend", params={"week": week, "calendar": CALENDAR})
    assert answer.status_code == 200
    return {unescape(name): dict(_CELL.findall(cells)) for name, cells in _ROW.findall(answer.text)}


def test_the_trend_shows_actuals_for_weeks_that_ended_and_none_for_the_others(
    service: GoogleService,
) -> None:
    rules = service.runtime.rules
    shown = next_week()
    weeks = [shift_week(shown, i - 7) for i in range(8)]
    now = ticking_clock()
    ended = [w for w in weeks if week_window(w, rules.timezone).end <= now]
    assert len(ended) >= 2 and len(ended) < len(weeks)
    domains = {a.tier: a.domains[0] for a in rules.accounts}  # one account per tier
    lived = ended[-2:]
    for week in lived:  # meetings with accounts: what the calendar says happened
        for n, domain in enumerate(sorted(domains.values())):
            _meeting(service, _monday_at(week, 10 + n, days=1), 60 + 30 * n, domain)

    with _signed_in(service) as page:
        service.google.clear_log()
        table = _trend(page, shown)
        assert service.calendar_reads() == len(weeks)  # one read per week shown
    for week in weeks:
        report = service.client.get("/api/report", params={"week": week}).json()
        actual = report["actual"]
        if week not in ended:
            assert {row[week] for name, row in table.items() if name.endswith(", actual")} == {
                "not yet"
            }, week
            continue
        if actual["state"] != "complete":
            assert week not in lived
            assert table["Q2 share, actual"][week] == "no data"
            assert table["Focus kept, actual"][week] == "no data"
            continue
        assert week in lived
        # nothing of ours was on the calendar of those weeks: no focus kept, a 0 not a gap
        assert actual["protected_minutes"] == 0
        assert number(table["Focus kept, actual"][week]) == 0
        q2 = actual["quadrants"]["2"]["actual_share"] * 100
        assert number(table["Q2 share, actual"][week]) == pytest.approx(q2, abs=0.051)
        for tier, row in actual["tiers"].items():
            cell = table[f"Tier {tier} share, actual"][week]
            assert number(cell) == pytest.approx(row["actual_share"] * 100, abs=0.051)
        assert any(row["actual_share"] > 0 for row in actual["tiers"].values())
    for week in weeks:  # planned rows are the report's planned side
        report = service.client.get("/api/report", params={"week": week}).json()
        planned = sum(c["minutes"] for c in report["categories"].values())
        for tier, row in report["tiers"].items():
            cell = table[f"Tier {tier} share, planned"][week]
            if planned:
                assert number(cell) == pytest.approx(row["share"] * 100, abs=0.051)
            else:
                assert cell == "no data"


def _tier_minutes(card: dict[str, Any]) -> dict[str, int]:
    return {name: int(row["minutes"]) for name, row in card["tiers"].items()}


def test_the_plan_is_scored_like_the_report_with_the_weeks_known_meetings(
    service: GoogleService,
) -> None:
    week = next_week()
    before = service.client.get("/api/plan", params={"week": week}).json()
    account = service.runtime.rules.accounts[0]
    assert account.tier is not None
    # a 90-minute meeting with the account on Thursday at 07:00, before any block
    _meeting(service, _monday_at(week, 7, days=3), 90, account.domains[0])

    plan = service.client.get("/api/plan", params={"week": week}).json()
    report = service.client.get("/api/report", params={"week": week}).json()
    assert plan["scorecard"]["tiers"] == report["tiers"]
    assert plan["scorecard"]["quadrants"] == report["quadrants"]
    assert plan["scorecard"]["flags"] == report["flags"]
    # the known meeting counts as its tier's time, on top of the blocks
    blocks = {b["key"] for b in plan["blocks"]} == {b["key"] for b in before["blocks"]}
    assert blocks, "a meeting before the working day moves no block"
    added = {
        tier: minutes - _tier_minutes(before["scorecard"]).get(tier, 0)
        for tier, minutes in _tier_minutes(plan["scorecard"]).items()
    }
    assert added[str(account.tier)] == 90, added
    assert sum(added.values()) == 90
