"""``/api/admin/`` over HTTP against the real app: the shared token and an admin's
write token manage people, invitations, domains and teams as JSON, each change
audited with its actor (``api token``, or the admin and their token's prefix);
the store's refusals answer 409 with its reason (the last enabled admin, one team
per member, a lead without the role, a name in use) and change nothing; unknown ids
404; bad input 422; a read token may list but change nothing (403); a member's or a
lead's token gets 403 on every route, whatever id it sends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.auth.conftest import TOKEN, TeamService
from tests.auth.test_admin_http import name_of, user
from tests.auth.test_api_tokens_http import bearer, token_for

SHARED = bearer(TOKEN)


@pytest.fixture
def api(team_service: TeamService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=team_service.base_url, timeout=30) as client:
        yield client


def audit(service: TeamService) -> list[tuple[str, str, str]]:
    """(actor, action, target), oldest first."""
    return [(e.actor, e.action, e.target) for e in reversed(service.store.audit_entries())]


def refused(answer: httpx.Response, code: int, says: str) -> None:
    assert answer.status_code == code, answer.text
    assert says in answer.json()["detail"], answer.json()


def test_the_shared_token_manages_people_invitations_and_domains(
    team_service: TeamService, api: httpx.Client
) -> None:
    store = team_service.store
    team_service.store.add_team_user("ann@example.com", "admin")
    bob_token = token_for(team_service, "bob@example.com", "member", "read")
    made = api.post("/api/admin/users", json={"email": "Cara@Example.com"}, headers=SHARED)
    assert made.status_code == 201, made.text
    cara = made.json()
    assert cara["email"] == "Cara@Example.com" and cara["role"] == "member"  # as typed
    assert not cara["disabled"] and cara["id"] == user(team_service, "cara@example.com").id
    bob = user(team_service, "bob@example.com")

    role = api.post(f"/api/admin/users/{bob.id}/role", json={"role": "lead"}, headers=SHARED)
    assert role.status_code == 200 and role.json()["role"] == "lead"
    off = api.post(f"/api/admin/users/{bob.id}/disable", headers=SHARED)
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert api.get("/api/rules", headers=bearer(bob_token)).status_code == 401  # revoked
    on = api.post(f"/api/admin/users/{bob.id}/enable", headers=SHARED)
    assert on.status_code == 200 and on.json() == {**off.json(), "disabled": False}
    again = api.post(
        "/api/admin/users", json={"email": "bob@example.com", "role": "admin"}, headers=SHARED
    )
    assert again.status_code == 200 and again.json()["role"] == "admin"  # known: not made anew

    invited = api.post(
        "/api/admin/invitations",
        json={"email": "lee@partner.org", "role": "lead", "days": 3},
        headers=SHARED,
    )
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert invitation["id"] == store.user_key("lee@partner.org")
    assert (invitation["domain"], invitation["role"]) == ("partner.org", "lead")
    [(_, _, until)] = store.invitations()
    assert datetime.fromisoformat(invitation["expires_at"]) == until
    listed = api.get("/api/admin/users", headers=SHARED)
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    assert listed.json()["invitations"] == [invitation]
    assert {u["email"] for u in listed.json()["users"]} >= {
        "ann@example.com",
        "bob@example.com",
        "Cara@Example.com",
    }
    gone = api.delete(f"/api/admin/invitations/{invitation['id']}", headers=SHARED)
    assert gone.status_code == 200 and gone.json() == invitation
    assert store.invitations() == []
    refused(api.delete(f"/api/admin/invitations/{invitation['id']}", headers=SHARED), 404, "no")

    assert api.post("/api/admin/domains/@Acme.IO", headers=SHARED).status_code == 201
    known = api.post("/api/admin/domains/acme.io", headers=SHARED)
    assert known.status_code == 200 and known.json() == {"domain": "acme.io", "allowed": True}
    assert store.allowed_domains() == ["acme.io"]
    stopped = api.delete("/api/admin/domains/acme.io", headers=SHARED)
    assert stopped.status_code == 200 and stopped.json() == {"domain": "acme.io", "allowed": False}
    refused(api.delete("/api/admin/domains/acme.io", headers=SHARED), 404, "not an allowed")
    assert store.allowed_domains() == []

    bob_is, lee_is = name_of(bob), f"user {invitation['id'][:10]} at partner.org"
    assert audit(team_service) == [
        ("api token", "user.add", name_of(user(team_service, "cara@example.com"))),
        ("api token", "user.role", bob_is),
        ("api token", "user.disable", bob_is),
        ("api token", "user.enable", bob_is),
        ("api token", "user.add", bob_is),
        ("api token", "invitation.create", lee_is),
        ("api token", "invitation.cancel", lee_is),
        ("api token", "domain.allow", "acme.io"),
        ("api token", "domain.allow", "acme.io"),
        ("api token", "domain.disallow", "acme.io"),
    ]


def test_an_admins_write_token_manages_teams_in_her_name(
    team_service: TeamService, api: httpx.Client
) -> None:
    store = team_service.store
    ann = bearer(token_for(team_service, "ann@example.com", "admin", "write"))
    lee = store.add_team_user("lee@example.com", "lead")
    bob = store.add_team_user("bob@example.com", "member")
    made = api.post("/api/admin/teams", json={"name": "  Alpha "}, headers=ann)
    assert made.status_code == 201, made.text
    team = made.json()
    assert (team["name"], team["leads"], team["members"]) == ("Alpha", [], [])
    lead = api.post(
        "/api/admin/teams/Alpha/members",
        json={"email": "lee@example.com", "lead": True},
        headers=ann,
    )
    assert lead.status_code == 201 and lead.json()["leads"] == [lee.id]
    member = api.post(
        f"/api/admin/teams/{team['id']}/members", json={"user_id": bob.id}, headers=ann
    )
    assert member.status_code == 201 and member.json()["members"] == [bob.id]
    same = api.post("/api/admin/teams/Alpha/members", json={"user_id": bob.id}, headers=ann)
    assert same.status_code == 200 and same.json() == member.json()  # in it already
    listed = api.get("/api/admin/teams", headers=ann).json()["teams"]
    assert listed == [member.json()]

    out = api.delete(f"/api/admin/teams/Alpha/members/{bob.id}", headers=ann)
    assert out.status_code == 200 and out.json()["members"] == []
    refused(api.delete(f"/api/admin/teams/Alpha/members/{bob.id}", headers=ann), 404, "not in")
    deleted = api.delete(f"/api/admin/teams/{team['id']}", headers=ann)
    assert deleted.status_code == 200 and deleted.json()["leads"] == [lee.id]
    assert store.team_groups() == []
    refused(api.delete("/api/admin/teams/Alpha", headers=ann), 404, "no team named 'Alpha'")

    actors = {actor for actor, _, _ in audit(team_service)}
    [actor] = actors
    her = re.escape(name_of(user(team_service, "ann@example.com")))
    assert re.fullmatch(her + r" \(token [0-9a-f]{12}\)", actor), actor
    assert [(action, target) for _, action, target in audit(team_service)] == [
        ("team.create", "team Alpha"),
        ("team.lead.add", name_of(lee)),
        ("team.member.add", name_of(bob)),
        ("team.remove", name_of(bob)),
        ("team.delete", "team Alpha"),
    ]


def test_the_stores_refusals_are_409_with_the_reason_and_change_nothing(
    team_service: TeamService, api: httpx.Client
) -> None:
    store = team_service.store
    ann = store.add_team_user("ann@example.com", "admin")
    bob = store.add_team_user("bob@example.com", "member")
    store.create_team("Alpha", actor="cli")
    store.create_team("Beta", actor="cli")
    store.add_to_team("Alpha", bob.id, lead=False, actor="cli")
    entries = len(store.audit_entries())
    last = "the last enabled admin"
    demote = api.post(f"/api/admin/users/{ann.id}/role", json={"role": "lead"}, headers=SHARED)
    refused(demote, 409, last)
    assert "make someone else an admin first" in demote.json()["detail"]
    refused(api.post(f"/api/admin/users/{ann.id}/disable", headers=SHARED), 409, last)
    twice = api.post("/api/admin/teams/Beta/members", json={"user_id": bob.id}, headers=SHARED)
    refused(twice, 409, "in team 'Alpha' already")
    lead = {"user_id": bob.id, "lead": True}
    refused(api.post("/api/admin/teams/Beta/members", json=lead, headers=SHARED), 409, "lead")
    refused(api.post("/api/admin/teams", json={"name": "Alpha"}, headers=SHARED), 409, "exists")
    joined = store.user_key("bob@example.com")  # his invitation was used when he joined
    refused(api.delete(f"/api/admin/invitations/{joined}", headers=SHARED), 409, "joined already")

    assert user(team_service, "ann@example.com") == ann
    assert [(g.name, g.members, g.leads) for g in store.team_groups()] == [
        ("Alpha", (bob.id,), ()),
        ("Beta", (), ()),
    ]
    assert len(store.audit_entries()) == entries


def test_unknown_ids_are_404_and_bad_input_422(
    team_service: TeamService, api: httpx.Client
) -> None:
    store = team_service.store
    bob = store.add_team_user("bob@example.com", "member")
    store.create_team("Alpha", actor="cli")
    people = store.team_users()
    for method, url, body in [
        ("POST", "/api/admin/users/999999/role", {"role": "lead"}),
        ("POST", "/api/admin/users/999999/disable", None),
        ("POST", "/api/admin/users/999999/enable", None),
        ("DELETE", "/api/admin/invitations/" + "0" * 64, None),
        ("DELETE", "/api/admin/invitations/nobody@example.com", None),
        ("DELETE", "/api/admin/teams/Nope", None),
        ("POST", "/api/admin/teams/Nope/members", {"user_id": bob.id}),
        ("POST", "/api/admin/teams/Alpha/members", {"user_id": 999999}),
        ("POST", "/api/admin/teams/Alpha/members", {"email": "zed@example.com"}),
        ("DELETE", "/api/admin/teams/Alpha/members/999999", None),
    ]:
        answer = api.request(method, url, json=body, headers=SHARED)
        assert answer.status_code == 404, (url, answer.text)
        assert answer.json()["detail"]
    long_email = "a" * 250 + "@example.com"
    for method, url, body, where in [
        ("POST", "/api/admin/users", {"email": "not-an-address"}, "email"),
        ("POST", "/api/admin/users", {"email": long_email}, "email"),
        ("POST", "/api/admin/users", {"email": "a@b.co", "role": "owner"}, "role"),
        ("POST", "/api/admin/users", {"email": "a@b.co", "admin": True}, "admin"),
        ("POST", f"/api/admin/users/{bob.id}/role", {"role": "boss"}, "role"),
        ("POST", "/api/admin/users/0/disable", None, "user_id"),
        ("POST", "/api/admin/invitations", {"email": "a@b.co", "days": 0}, "days"),
        ("POST", "/api/admin/invitations", {"email": "a@b.co", "days": 366}, "days"),
        ("POST", "/api/admin/teams", {"name": "   "}, "name"),
        ("POST", "/api/admin/teams", {"name": "x" * 65}, "name"),
        ("POST", "/api/admin/teams", {"name": "tab\there"}, "name"),
        ("POST", "/api/admin/teams/Alpha/members", {}, "body"),
        (
            "POST",
            "/api/admin/teams/Alpha/members",
            {"email": "b@example.com", "user_id": 1},
            "body",
        ),
        ("POST", "/api/admin/domains/localhost", None, "domain"),
    ]:
        answer = api.request(method, url, json=body, headers=SHARED)
        assert answer.status_code == 422, (url, body, answer.text)
        assert where in str(answer.json()["detail"][0]["loc"]), (url, answer.json())
    assert store.team_users() == people
    assert store.invitations() == [] and store.allowed_domains() == []
    assert [g.name for g in store.team_groups()] == ["Alpha"]
    assert audit(team_service) == [("cli", "team.create", "team Alpha")]


CHANGES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/admin/users", {"email": "zed@example.com", "role": "admin"}),
    ("POST", "/api/admin/users/{victim}/role", {"role": "member"}),
    ("POST", "/api/admin/users/{victim}/disable", None),
    ("POST", "/api/admin/users/{victim}/enable", None),
    ("POST", "/api/admin/invitations", {"email": "zed@example.com", "role": "admin"}),
    ("DELETE", "/api/admin/invitations/{invitation}", None),
    ("POST", "/api/admin/domains/evil.example", None),
    ("DELETE", "/api/admin/domains/partner.org", None),
    ("POST", "/api/admin/teams", {"name": "Mine"}),
    ("DELETE", "/api/admin/teams/Alpha", None),
    ("POST", "/api/admin/teams/Alpha/members", {"user_id": "{me}", "lead": True}),
    ("DELETE", "/api/admin/teams/Alpha/members/{victim}", None),
]


@pytest.mark.parametrize(
    ("role", "scope", "reads"),
    [("admin", "read", True), ("lead", "write", False), ("member", "write", False)],
)
def test_read_member_and_lead_tokens_change_nothing(
    team_service: TeamService, api: httpx.Client, role: str, scope: str, reads: bool
) -> None:
    store = team_service.store
    victim = store.add_team_user("ann@example.com", "admin")
    store.create_team("Alpha", actor="cli")
    store.add_to_team("Alpha", victim.id, lead=True, actor="cli")
    store.allow_domain("partner.org", actor="cli")
    store.invite("guest@partner.org", "member", team_service.app.state.runtime.now())
    store.invite("guest2@partner.org", "member", team_service.app.state.runtime.now())
    token = bearer(token_for(team_service, "mo@example.com", role, scope))
    me = user(team_service, "mo@example.com")
    ids = {"victim": str(victim.id), "invitation": store.user_key("guest@partner.org")}
    ids["me"] = str(me.id)
    before = (store.team_users(), store.team_groups(), store.allowed_domains())
    invitations, entries = store.invitations(), audit(team_service)
    for method, url, body in CHANGES:
        filled = url.format(**ids)
        json = {k: ids["me"] if v == "{me}" else v for k, v in body.items()} if body else None
        answer = api.request(method, filled, json=json, headers=token)
        assert answer.status_code == 403, (method, filled, answer.text)
        assert "@" not in answer.text  # nothing of the victim's
    for listing in ("/api/admin/users", "/api/admin/teams"):
        answer = api.get(listing, headers=token)
        assert answer.status_code == (200 if reads else 403), (listing, answer.text)
    assert (store.team_users(), store.team_groups(), store.allowed_domains()) == before
    assert store.invitations() == invitations and audit(team_service) == entries
    assert api.post("/api/admin/teams", json={"name": "Mine"}).status_code == 401  # no token


def test_the_schema_documents_every_route_with_bearer_auth(api: httpx.Client) -> None:
    schema = api.get("/openapi.json", headers=SHARED).json()
    ours = {p: ops for p, ops in schema["paths"].items() if p.startswith("/api/admin/")}
    assert sorted((p, m) for p, ops in ours.items() for m in ops) == [
        ("/api/admin/domains/{domain}", "delete"),
        ("/api/admin/domains/{domain}", "post"),
        ("/api/admin/invitations", "post"),
        ("/api/admin/invitations/{invitation}", "delete"),
        ("/api/admin/teams", "get"),
        ("/api/admin/teams", "post"),
        ("/api/admin/teams/{team}", "delete"),
        ("/api/admin/teams/{team}/members", "post"),
        ("/api/admin/teams/{team}/members/{user_id}", "delete"),
        ("/api/admin/users", "get"),
        ("/api/admin/users", "post"),
        ("/api/admin/users/{user_id}/disable", "post"),
        ("/api/admin/users/{user_id}/enable", "post"),
        ("/api/admin/users/{user_id}/role", "post"),
    ]
    for path, ops in ours.items():
        for method, op in ops.items():
            assert op["security"] == [{"HTTPBearer": []}], (path, method)
            assert {"401", "403", "429"} <= set(op["responses"]), (path, method)
            if "{" in path:  # an id or name in the path: it may be unknown or malformed
                assert "422" in op["responses"], (path, method)
                assert "404" in op["responses"] or (path, method) == (
                    "/api/admin/domains/{domain}",
                    "post",
                )
