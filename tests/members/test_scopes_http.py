"""Each signed-in CSM plans and syncs their own calendar from their own effective
rules, on one deployment (issue 20, slice 2), over HTTP against the real app."""

from __future__ import annotations

import re

from blocker.members import member_dir
from tests.members.conftest import WEEK, Person, Team


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_each_member_syncs_their_own_calendar_with_their_own_rules(team: Team) -> None:
    runtime = team.service.app.state.runtime
    for me, other in ((team.bob, team.cara), (team.cara, team.bob)):
        with team.browser(me) as browser:
            page = browser.get("/", params={"week": WEEK, "calendar": me.key})
            assert page.status_code == 200
            assert me.meeting in page.text and other.meeting not in page.text
            assert team.ann.meeting not in page.text
            done = browser.post(
                "/sync", data={"week": WEEK, "calendar": me.key, "csrf": _csrf(page.text)}
            )
            assert done.status_code == 303, done.text
        written = (member_dir(runtime, me.user_id) / "work.ics").read_text(encoding="utf-8")
        assert f"{me.name}'s deep work" in written
        assert other.name not in written
    assert "deep work" not in (team.folder / "team.ics").read_text(encoding="utf-8")
    store = team.service.store
    assert {r.calendar_id for r in store.runs(None, 50)} == {team.bob.key, team.cara.key}


def test_the_first_admin_acts_on_the_templates_calendar(team: Team) -> None:
    with team.browser(team.ann) as browser:
        page = browser.get("/", params={"week": WEEK, "calendar": "work"})
        assert page.status_code == 200
        assert team.ann.meeting in page.text
        assert team.bob.meeting not in page.text and team.cara.meeting not in page.text
        # the bare id is the template owner's: a member's key is not found for Ann
        assert browser.get("/", params={"calendar": team.bob.key}).status_code == 404


def test_a_member_edits_their_overlay_not_the_template(team: Team) -> None:
    template = (team.folder / "rules.yaml").read_text(encoding="utf-8")
    with team.browser(team.bob) as browser:
        page = browser.get("/rules")
        assert "Bob&#39;s deep work" in page.text or "Bob's deep work" in page.text
        assert "Cara" not in page.text
        broken = browser.post(
            "/rules",
            data={"text": "rules:\n  - kind: block\n    id: focus\n", "csrf": _csrf(page.text)},
        )
        assert broken.status_code == 422
        assert "your overlay" in broken.text
        mine = "timezone: Europe/Paris\ncalendars:\n  - {id: work, provider: local, path: w.ics}\n"
        saved = browser.post("/rules", data={"text": mine, "csrf": _csrf(page.text)})
        assert saved.status_code == 303, saved.text
    assert (team.folder / "rules.yaml").read_text(encoding="utf-8") == template
    current = team.service.store.current_overlay(team.bob.user_id)
    assert current is not None and current.text == mine
    assert team.service.app.state.runtime.rules.timezone == "America/New_York"


def test_a_members_rule_form_edits_their_overlay(team: Team) -> None:
    with team.browser(team.bob) as browser:
        form = browser.get("/settings", params={"week": WEEK, "calendar": team.bob.key})
        assert form.status_code == 200, form.text
        assert "Cara" not in form.text
        fields = dict(re.findall(r'name="(base|csrf|keep)" value="([^"]*)"', form.text))
        applied = browser.post(
            "/settings",
            data={
                **fields,
                "week": WEEK,
                "calendar": team.bob.key,
                "meeting_free_day": "fri",
                "step": "apply",
            },
        )
        assert applied.status_code == 303, applied.text
    current = team.service.store.current_overlay(team.bob.user_id)
    assert current is not None and "meeting_free_day" in current.text
    assert "meeting_free_day" not in (team.folder / "rules.yaml").read_text(encoding="utf-8")


def test_a_member_without_a_calendar_is_shown_how_to_get_one(team: Team) -> None:
    team.service.store.add_team_user("dan@team.example", "member")
    dan = Person("dan@team.example", "Dan", "none")
    with team.browser(dan) as browser:
        page = browser.get("/")
        # not an error: the first visit says what to do next
        assert page.status_code == 200
        assert "Your week starts with a calendar" in page.text
        assert 'href="/rules"' in page.text
        offered = team.service.app.state.signin.offers_calendar("google")
        assert ("/auth/google/start?calendar=1" in page.text) == offered
        assert "Cara" not in page.text and "Bob" not in page.text
        # asking for a calendar by id still says plainly there is none
        named = browser.get("/", params={"calendar": "work"})
        assert named.status_code == 404 and "unknown calendar" in named.text
