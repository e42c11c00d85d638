"""``/admin/teams`` over HTTP against the real app: an admin creates a team, adds a
lead and a member (picked by id), removes someone and deletes the team, each audited
in their name; the lead added here then sees the member on /team; refused changes
(a member of another team, a lead without the role, an unconfirmed delete, a name in
use) answer the page with the reason and what was typed, and change nothing; leads
and members get 403 on every route; forged posts change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.auth.conftest import TOKEN, TeamService
from tests.auth.test_admin_http import name_of, user
from tests.auth.test_api_tokens_http import bearer, signed_in
from tests.auth.test_signin_http import csrf, new_browser

HTML = {"Accept": "text/html"}


@pytest.fixture
def admin(team_service: TeamService) -> Iterator[tuple[httpx.Client, str]]:
    """Ann, an admin, signed in with Google; the teams page's CSRF token."""
    with new_browser(team_service) as ann:
        signed_in(team_service, ann, "ann@example.com", "admin")
        page = ann.get("/admin/teams", headers=HTML)
        assert page.status_code == 200
        yield ann, csrf(page.text)


def team_card(page: str, name: str) -> str:
    start = page.index(f'data-team="{name}"')
    return page[start : page.index("</section>", start)]


def test_an_admin_builds_a_team_the_lead_then_sees_its_member(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, form = admin
    store = team_service.store
    lee = store.add_team_user("lee@example.com", "lead")
    bob = store.add_team_user("bob@example.com", "member")
    cara = store.add_team_user("cara@example.com", "member")
    made = ann.post("/admin/teams", data={"csrf": form, "name": "  Alpha "})
    assert made.status_code == 303 and made.headers["location"] == "/admin/teams"
    for who, role in ((lee, "lead"), (bob, "member"), (cara, "member")):
        added = ann.post(
            "/admin/teams/people",
            data={"csrf": form, "team": "Alpha", "user_id": str(who.id), "role": role},
        )
        assert added.status_code == 303, added.text
    group = store.team_group("Alpha")
    assert group is not None
    assert group.leads == (lee.id,) and group.members == tuple(sorted((bob.id, cara.id)))

    page = ann.get("/admin/teams", headers=HTML).text
    card = team_card(page, "Alpha")
    leads, members = card.split('class="team-members"')
    assert "lee@example.com" in leads and "bob@example.com" not in leads
    assert "bob@example.com" in members and "cara@example.com" in members
    assert 'aria-current="page">Teams<' in page
    assert 'href="/admin/teams"' in ann.get("/admin/users", headers=HTML).text

    with new_browser(team_service) as lees_browser:
        signed_in(team_service, lees_browser, "lee@example.com", "lead")
        seen = lees_browser.get("/api/team")
        assert seen.status_code == 200, seen.text
        [team] = seen.json()["teams"]
        assert team["team"] == "Alpha"
        assert {m["member"] for m in team["members"]} == {"bob@example.com", "cara@example.com"}
        removed = ann.post(
            "/admin/teams/people/remove",
            data={"csrf": form, "team": "Alpha", "user_id": str(cara.id)},
        )
        assert removed.status_code == 303
        [team] = lees_browser.get("/api/team").json()["teams"]
        assert {m["member"] for m in team["members"]} == {"bob@example.com"}
        gone = ann.post(
            "/admin/teams/delete", data={"csrf": form, "team": "Alpha", "confirm": "yes"}
        )
        assert gone.status_code == 303
        assert lees_browser.get("/api/team").json()["teams"] == []
    assert store.team_groups() == []
    assert user(team_service, "bob@example.com").role == "member"  # people stay

    ann_is = name_of(user(team_service, "ann@example.com"))
    oldest_first = [
        (e.actor, e.action, e.target, e.detail) for e in reversed(store.audit_entries())
    ]
    assert oldest_first == [
        (ann_is, "team.create", "team Alpha", ""),
        (ann_is, "team.lead.add", name_of(lee), "team Alpha"),
        (ann_is, "team.member.add", name_of(bob), "team Alpha"),
        (ann_is, "team.member.add", name_of(cara), "team Alpha"),
        (ann_is, "team.remove", name_of(cara), "team Alpha"),
        (ann_is, "team.delete", "team Alpha", ""),
    ]
    for entry in store.audit_entries():
        assert "@" not in entry.actor + entry.target + entry.detail


def test_refused_changes_show_the_reason_keep_what_was_typed_and_change_nothing(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, form = admin
    store = team_service.store
    store.create_team("Alpha", actor="cli")
    store.create_team("Beta", actor="cli")
    bob = store.add_team_user("bob@example.com", "member")
    store.add_to_team("Alpha", bob.id, lead=False, actor="cli")
    before = [(g.name, g.members, g.leads) for g in store.team_groups()]
    audited = len(store.audit_entries())

    elsewhere = ann.post(
        "/admin/teams/people",
        data={"csrf": form, "team": "Beta", "user_id": str(bob.id), "role": "member"},
    )
    assert elsewhere.status_code == 422
    assert "in team &#39;Alpha&#39; already" in elsewhere.text
    beta = team_card(elsewhere.text, "Beta")
    assert f'<option value="{bob.id}" selected>' in beta  # the pick is kept, in Beta's form
    assert f'<option value="{bob.id}" selected>' not in team_card(elsewhere.text, "Alpha")

    not_a_lead = ann.post(
        "/admin/teams/people",
        data={"csrf": form, "team": "Beta", "user_id": str(bob.id), "role": "lead"},
    )
    assert not_a_lead.status_code == 422
    assert "only a lead or an admin can lead a team" in not_a_lead.text
    assert '<option value="lead" selected>' in team_card(not_a_lead.text, "Beta")

    unconfirmed = ann.post("/admin/teams/delete", data={"csrf": form, "team": "Alpha"})
    assert unconfirmed.status_code == 422
    assert "members keep their data" in unconfirmed.text

    taken = ann.post("/admin/teams", data={"csrf": form, "name": "Alpha"})
    assert taken.status_code == 422 and "exists already" in taken.text
    assert 'autocomplete="off" value="Alpha"' in taken.text  # the name typed is kept
    blank = ann.post("/admin/teams", data={"csrf": form, "name": "   "})
    assert blank.status_code == 422 and "1 to 64 characters" in blank.text

    nobody = ann.post(
        "/admin/teams/people", data={"csrf": form, "team": "Beta", "user_id": "", "role": "member"}
    )
    assert nobody.status_code == 422 and "pick a person" in nobody.text
    odd_role = ann.post(
        "/admin/teams/people",
        data={"csrf": form, "team": "Beta", "user_id": str(bob.id), "role": "admin"},
    )
    assert odd_role.status_code == 422
    not_in = ann.post(
        "/admin/teams/people/remove", data={"csrf": form, "team": "Beta", "user_id": str(bob.id)}
    )
    assert not_in.status_code == 409 and "not in team" in not_in.text

    unknown = {
        "/admin/teams/people": {"team": "Beta", "user_id": "987654", "role": "member"},
        "/admin/teams/people/remove": {"team": "Beta", "user_id": "987654"},
    }
    for path, fields in unknown.items():
        assert ann.post(path, data={"csrf": form, **fields}).status_code == 404, path
    no_team = {
        "/admin/teams/people": {"team": "Gamma", "user_id": str(bob.id), "role": "member"},
        "/admin/teams/people/remove": {"team": "Gamma", "user_id": str(bob.id)},
        "/admin/teams/delete": {"team": "Gamma", "confirm": "yes"},
    }
    for path, fields in no_team.items():
        answer = ann.post(path, data={"csrf": form, **fields})
        assert answer.status_code == 404 and "no team named" in answer.text, path

    forged = ann.post("/admin/teams", data={"csrf": "forged", "name": "Delta"})
    assert forged.status_code == 403
    assert [(g.name, g.members, g.leads) for g in store.team_groups()] == before
    assert len(store.audit_entries()) == audited


@pytest.mark.parametrize("role", ["member", "lead"])
def test_leads_and_members_get_403_for_every_teams_route(
    team_service: TeamService, role: str
) -> None:
    store = team_service.store
    store.create_team("Alpha", actor="cli")
    zed = store.add_team_user("zed@example.com", "member")
    with new_browser(team_service) as mo:
        form = signed_in(team_service, mo, "mo@example.com", role)
        me = user(team_service, "mo@example.com")
        assert mo.get("/admin/teams", headers=HTML).status_code == 403
        assert mo.get("/admin/teams").status_code == 403
        posts = {
            "/admin/teams": {"name": "Mine"},
            "/admin/teams/delete": {"team": "Alpha", "confirm": "yes"},
            "/admin/teams/people": {"team": "Alpha", "user_id": str(me.id), "role": "lead"},
            "/admin/teams/people/remove": {"team": "Alpha", "user_id": str(zed.id)},
        }
        for path, fields in posts.items():
            assert mo.post(path, data={"csrf": form, **fields}).status_code == 403, path
            # unknown ids and teams tell them nothing either
            odd = {**fields, "team": "Nope", "user_id": "987654"}
            assert mo.post(path, data={"csrf": form, **odd}).status_code == 403, path
    assert [(g.name, g.members, g.leads) for g in store.team_groups()] == [("Alpha", (), ())]
    assert [e.action for e in store.audit_entries()] == ["team.create"]


def test_the_shared_token_reads_the_teams_as_json(team_service: TeamService) -> None:
    store = team_service.store
    store.create_team("Alpha", actor="cli")
    lee = store.add_team_user("lee@example.com", "lead")
    store.add_to_team("Alpha", lee.id, lead=True, actor="cli")
    with httpx.Client(base_url=team_service.base_url, timeout=30) as api:
        answer = api.get("/admin/teams", headers=bearer(TOKEN))
        assert api.get("/admin/teams").status_code == 401
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    assert answer.json() == {
        "teams": [
            {"name": "Alpha", "leads": [{"id": lee.id, "name": "lee@example.com"}], "members": []}
        ]
    }
