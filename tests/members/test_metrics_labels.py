"""``/metrics`` names no member: their calendars' store keys (``u<id>~work``) carry
user ids and calendar names, so their runs are counted under ``calendar="member"``
and the template's calendars keep their ids; the label's values stay bounded by
the template's calendars plus one however many people sync."""

from __future__ import annotations

import re

from blocker.metrics import MEMBER_LABEL, Metrics, calendar_label
from tests.members.conftest import WEEK, Person, Team


def _sync(team: Team, person: Person, key: str) -> None:
    with team.browser(person) as browser:
        page = browser.get("/", params={"week": WEEK, "calendar": key})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        done = browser.post("/sync", data={"week": WEEK, "calendar": key, "csrf": csrf[1]})
        assert done.status_code == 303, done.text


def test_members_runs_are_counted_under_member_and_name_nobody(team: Team) -> None:
    _sync(team, team.ann, "work")
    _sync(team, team.bob, team.bob.key)
    _sync(team, team.cara, team.cara.key)
    with team.token_client() as api:
        text = api.get("/metrics").text
    assert 'blocker_runs_total{calendar="member",outcome="ok",trigger="api"} 2.0' in text
    assert 'blocker_runs_total{calendar="work",outcome="ok",trigger="api"} 1.0' in text
    assert 'blocker_run_duration_seconds_count{calendar="member"} 2.0' in text
    assert "~" not in text
    for person in (team.bob, team.cara):
        assert f"u{person.user_id}" not in text
    calendars = set(re.findall(r'calendar="([^"]*)"', text))
    assert calendars == {"work", MEMBER_LABEL}


def test_the_label_is_bounded_whatever_the_number_of_members() -> None:
    metrics = Metrics()
    for user_id in range(1, 10_001):
        metrics.runs.labels(f"u{user_id}~work", "schedule", "ok").inc()
        metrics.errors.labels(f"u{user_id}~cal-{user_id}", "TransientError").inc()
    metrics.runs.labels("team-cal", "api", "ok").inc()
    text = metrics.render().decode()
    assert set(re.findall(r'calendar="([^"]*)"', text)) == {"member", "team-cal"}
    assert 'blocker_runs_total{calendar="member",outcome="ok",trigger="schedule"} 10000.0' in text
    assert calendar_label("work") == "work"
    assert calendar_label("u12~work") == MEMBER_LABEL
