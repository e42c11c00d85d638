"""The lead's page over HTTP (issue 20.5): who sees which team, the figures, and that
no meeting of any member reaches a lead (the real service, signed in with Google)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.members.conftest import WEEK, Person
from tests.team.conftest import MARK, Leads


def _json(client: httpx.Client, path: str, **params: str) -> Any:
    answer = client.get(path, params={"week": WEEK, **params})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


def _clean(text: str, leads: Leads) -> None:
    """Nothing of a meeting: marker (title, location, attendees, their domain), titles."""
    assert MARK not in text.lower()
    for title in leads.meetings:
        assert title not in text


def _rows(data: Any) -> dict[str, dict[str, Any]]:
    return {m["member"]: m for t in data["teams"] for m in t["members"]}


def test_a_lead_sees_their_team_and_no_meeting(leads: Leads) -> None:
    bob, cara = leads.team.bob, leads.team.cara
    with leads.team.browser(leads.lee) as lee:
        data = _json(lee, "/api/team")
        page = lee.get("/team", params={"week": WEEK})
    assert [t["team"] for t in data["teams"]] == ["Alpha"]
    rows = _rows(data)
    assert set(rows) == {bob.email, cara.email}
    for row in rows.values():
        assert row["no_data"] is None
        assert row["basis"] in ("planned", "actual")
        assert row["focus"]["asked_minutes"] > 0
        assert set(row["split"]) == {"proactive", "reactive", "admin"}
        assert [p["week"] for p in row["trend"]][-1] == WEEK and len(row["trend"]) == 8
    _clean(page.text + str(data), leads)
    assert page.status_code == 200
    assert bob.email in page.text and cara.email in page.text
    assert leads.dan.email not in page.text and leads.dan.email not in str(data)
    assert 'href="/team"' in page.text  # the nav's team link, for a lead


def test_an_admin_sees_every_team_a_lead_only_theirs(leads: Leads) -> None:
    with leads.team.browser(leads.team.ann) as ann:
        every = _json(ann, "/api/team")
    assert [t["team"] for t in every["teams"]] == ["Alpha", "Beta"]
    _clean(str(every), leads)
    with leads.team.token_client() as script:  # the shared API token acts as an admin
        by_token = _json(script, "/api/team")
        one = _json(script, f"/team/member/{leads.dan.user_id}")
    assert [t["team"] for t in by_token["teams"]] == ["Alpha", "Beta"]
    assert one["member"] == leads.dan.email
    with httpx.Client(base_url=leads.team.service.base_url) as stranger:
        assert stranger.get("/api/team").status_code == 401
        assert stranger.get("/api/team/me").status_code == 401
        to_login = stranger.get("/team", headers={"Accept": "text/html"})
        assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login")
    with leads.team.browser(leads.lou) as lou:
        beta = _json(lou, "/api/team")
        page = lou.get("/team", params={"week": WEEK}).text
    assert set(_rows(beta)) == {leads.dan.email}
    for other in (leads.team.bob, leads.team.cara):
        assert other.email not in page and other.email not in str(beta)


def test_a_member_is_refused_the_team_page(leads: Leads) -> None:
    with leads.team.browser(leads.team.bob) as bob:
        for path in ("/team", "/api/team", f"/team/member/{leads.team.cara.user_id}"):
            answer = bob.get(path, params={"week": WEEK})
            assert answer.status_code == 403, path
            assert leads.team.cara.email not in answer.text
        page = bob.get("/team", params={"week": WEEK}, headers={"Accept": "text/html"})
        dashboard = bob.get("/", params={"week": WEEK}).text
    assert 'href="/team/me"' in dashboard and 'href="/team"' not in dashboard
    # A browser is told why, not that a form expired (that 403 is the CSRF one's).
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Not allowed" in page.text and "old page" not in page.text
    assert "Only a team&#39;s leads and admins see the team&#39;s scorecards." in page.text


def test_another_teams_member_is_not_found_by_any_id(leads: Leads) -> None:
    with leads.team.browser(leads.lee) as lee:
        mine = lee.get(f"/team/member/{leads.team.bob.user_id}", params={"week": WEEK})
        assert mine.status_code == 200 and leads.team.bob.email in mine.text
        _clean(mine.text, leads)
        answers = [
            lee.get(f"/team/member/{ident}", params={"week": WEEK}, headers={"Accept": "*/*"})
            for ident in (leads.dan.user_id, leads.lou.user_id, 99999, "abc", leads.dan.email)
        ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1  # the same answer: nothing learnt
    assert leads.dan.email not in answers[0].text


def test_a_member_sees_exactly_their_row(leads: Leads) -> None:
    with leads.team.browser(leads.lee) as lee:
        row = _rows(_json(lee, "/api/team"))[leads.team.bob.email]
    with leads.team.browser(leads.team.bob) as bob:
        own = _json(bob, "/api/team/me")
        page = bob.get("/team/me", params={"week": WEEK}).text
    assert own.pop("team") == "Alpha"
    assert own == row
    assert "team <strong>Alpha</strong>" in page
    _clean(page, leads)


def test_unreadable_members_are_rows_without_data(leads: Leads) -> None:
    store = leads.team.service.store
    runtime = leads.team.service.app.state.runtime
    from blocker.members import member_dir

    # Cara's calendar file is gone; Eve's address is not known to the store yet
    (member_dir(runtime, leads.team.cara.user_id) / "work.ics").write_bytes(b"\x00not ics")
    eve = Person("eve@team.example", "Eve", "Eve sync")
    eve.user_id = store.add_team_user(eve.email, "member").id
    from sqlalchemy import update

    from blocker.store.tables import User

    with store.engine.begin() as db:
        db.execute(update(User).where(User.id == eve.user_id).values(email_sealed=""))
    store.add_to_team("Alpha", eve.user_id, lead=False, actor="test")
    with leads.team.browser(leads.lee) as lee:
        rows = _rows(_json(lee, "/api/team"))
        page = lee.get("/team", params={"week": WEEK}).text
    cara = rows[leads.team.cara.email]
    assert cara["no_data"] == "calendar not readable" and cara["basis"] == "none"
    (unknown,) = [r for name, r in rows.items() if name.startswith("user ")]
    assert unknown["no_data"] == "address not known yet (signs in again)"
    assert rows[leads.team.bob.email]["no_data"] is None
    assert "No data: calendar not readable" in page
    _clean(page, leads)
