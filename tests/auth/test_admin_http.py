"""``/admin/users`` over HTTP against the real app: an admin lists people (address
when known), changes roles, disables and enables, invites, allows and stops
allowing domains, each audited in their name; leads and members get 403 for every
route; the last enabled admin cannot be demoted or disabled; forged posts change
nothing; the shared token reads the list as JSON."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from blocker.store.teams import TeamUser
from tests.auth.conftest import TOKEN, TeamService
from tests.auth.test_api_tokens_http import bearer, signed_in, token_for
from tests.auth.test_signin_http import csrf, new_browser

HTML = {"Accept": "text/html"}


@pytest.fixture
def api(team_service: TeamService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=team_service.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def admin(team_service: TeamService) -> Iterator[tuple[httpx.Client, str]]:
    """Ann, an admin, signed in with Google; the admin page's CSRF token."""
    with new_browser(team_service) as ann:
        signed_in(team_service, ann, "ann@example.com", "admin")
        page = ann.get("/admin/users", headers=HTML)
        assert page.status_code == 200
        yield ann, csrf(page.text)


def user(service: TeamService, email: str) -> TeamUser:
    found = service.store.team_user(email)
    assert found is not None
    return found


def name_of(found: TeamUser) -> str:
    return f"user {found.fingerprint} at {found.domain}"


def test_the_page_lists_people_by_address_with_role_status_and_calendars(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, _ = admin
    bob = team_service.store.add_team_user("bob@example.com", "lead")
    team_service.store.upsert_connection(
        f"u{bob.id}~work", user_email="bob@example.com", provider="memory"
    )
    page = ann.get("/admin/users", headers=HTML).text
    assert 'aria-current="page">People<' in page  # the admins' nav link
    assert "ann@example.com (you)" in page
    row = page[page.index(f'data-user-id="{bob.id}"') :].split("</tr>")[0]
    assert "bob@example.com" in row
    assert '<td class="person-role">lead</td>' in row
    assert '<td class="person-status">active</td>' in row
    assert '<td class="person-calendars">1</td>' in row
    assert "never" in row  # bob never signed in


def test_an_admin_changes_roles_disables_enables_invites_and_manages_domains(
    team_service: TeamService, admin: tuple[httpx.Client, str], api: httpx.Client
) -> None:
    ann, form = admin
    store = team_service.store
    bob_token = token_for(team_service, "bob@example.com", "member", "read")
    bob = user(team_service, "bob@example.com")
    with new_browser(team_service) as bobs_browser:
        signed_in(team_service, bobs_browser, "bob@example.com", "member")
        assert store.user_session_count(bob.id) == 1
        done = ann.post(f"/admin/users/{bob.id}/role", data={"csrf": form, "role": "lead"})
        assert done.status_code == 303 and done.headers["location"] == "/admin/users"
        assert user(team_service, "bob@example.com").role == "lead"
        assert ann.post(f"/admin/users/{bob.id}/disable", data={"csrf": form}).status_code == 303
        assert user(team_service, "bob@example.com").disabled
        assert store.user_session_count(bob.id) == 0  # his browser is signed out
        assert bobs_browser.get("/account", headers=HTML).status_code == 303
    refused = api.get("/api/rules", headers=bearer(bob_token))
    assert refused.status_code == 401  # his token is revoked, not just paused
    assert ann.post(f"/admin/users/{bob.id}/enable", data={"csrf": form}).status_code == 303
    assert not user(team_service, "bob@example.com").disabled
    assert api.get("/api/rules", headers=bearer(bob_token)).json()["detail"] == (
        "this token has been revoked"
    )
    invited = ann.post(
        "/admin/invitations",
        data={"csrf": form, "email": "lee@partner.org", "role": "admin", "days": "3"},
    )
    assert invited.status_code == 303
    [(domain, role, until)] = store.invitations()
    assert (domain, role) == ("partner.org", "admin")
    assert 2 <= (until - team_service.app.state.runtime.now()).days <= 3
    assert ann.post("/admin/domains", data={"csrf": form, "domain": "@Acme.IO"}).status_code == 303
    assert store.allowed_domains() == ["acme.io"]
    gone = ann.post("/admin/domains/remove", data={"csrf": form, "domain": "acme.io"})
    assert gone.status_code == 303 and store.allowed_domains() == []

    ann_is = name_of(user(team_service, "ann@example.com"))
    bob_is = name_of(bob)
    lee_is = f"user {store.user_key('lee@partner.org')[:10]} at partner.org"
    oldest_first = [(e.actor, e.action, e.target) for e in reversed(store.audit_entries())]
    assert oldest_first == [
        (ann_is, "user.role", bob_is),
        (ann_is, "user.disable", bob_is),
        (ann_is, "user.enable", bob_is),
        (ann_is, "invitation.create", lee_is),
        (ann_is, "domain.allow", "acme.io"),
        (ann_is, "domain.disallow", "acme.io"),
    ]
    details = [e.detail for e in reversed(store.audit_entries())]
    assert details[:2] == ["role member -> lead", "1 session(s) ended, 1 token(s) revoked"]
    for entry in store.audit_entries():
        assert "@" not in entry.actor + entry.target + entry.detail


@pytest.mark.parametrize("role", ["member", "lead"])
def test_leads_and_members_get_403_for_every_admin_route(
    team_service: TeamService, role: str
) -> None:
    target = team_service.store.add_team_user("zed@example.com", "member")
    with new_browser(team_service) as mo:
        form = signed_in(team_service, mo, "mo@example.com", role)
        assert mo.get("/admin/users", headers=HTML).status_code == 403
        assert mo.get("/admin/users").status_code == 403
        posts = {
            f"/admin/users/{target.id}/role": {"role": "admin"},
            f"/admin/users/{target.id}/disable": {},
            f"/admin/users/{target.id}/enable": {},
            "/admin/invitations": {"email": "x@example.com", "role": "admin"},
            "/admin/domains": {"domain": "evil.example"},
            "/admin/domains/remove": {"domain": "example.com"},
        }
        for path, fields in posts.items():
            assert mo.post(path, data={"csrf": form, **fields}).status_code == 403, path
        # nor themselves
        me = user(team_service, "mo@example.com")
        assert (
            mo.post(f"/admin/users/{me.id}/role", data={"csrf": form, "role": "admin"}).status_code
            == 403
        )
    assert user(team_service, "mo@example.com").role == role
    assert user(team_service, "zed@example.com").role == "member"
    assert team_service.store.invitations() == [] and team_service.store.allowed_domains() == []
    assert team_service.store.audit_entries() == []


def test_the_last_enabled_admin_cannot_be_demoted_or_disabled(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, form = admin
    me = user(team_service, "ann@example.com")
    for path, fields in (
        (f"/admin/users/{me.id}/role", {"role": "member"}),
        (f"/admin/users/{me.id}/disable", {}),
    ):
        refused = ann.post(path, data={"csrf": form, **fields}, headers=HTML)
        assert refused.status_code == 409
        assert "is the last enabled admin" in refused.text
        assert 'role="alert"' in refused.text
    assert user(team_service, "ann@example.com").role == "admin"
    assert not user(team_service, "ann@example.com").disabled
    # a disabled admin does not count: make one, then ann is still the last enabled
    old = team_service.store.add_team_user("old@example.com", "admin")
    team_service.store.set_user_disabled(old.id, True)
    assert ann.post(f"/admin/users/{me.id}/disable", data={"csrf": form}).status_code == 409
    # with a second enabled admin, ann may step down
    team_service.store.set_user_disabled(old.id, False)
    done = ann.post(f"/admin/users/{me.id}/role", data={"csrf": form, "role": "lead"})
    assert done.status_code == 303
    assert user(team_service, "ann@example.com").role == "lead"
    assert [e.action for e in team_service.store.audit_entries()] == ["user.role"]


def test_bad_input_answers_the_page_with_the_reason_and_keeps_what_was_typed(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, form = admin
    bad_days = ann.post(
        "/admin/invitations",
        data={"csrf": form, "email": "lee@partner.org", "role": "lead", "days": "400"},
    )
    assert bad_days.status_code == 422
    assert "1 to 365" in bad_days.text and 'value="lee@partner.org"' in bad_days.text
    bad_role = ann.post(
        "/admin/invitations", data={"csrf": form, "email": "lee@partner.org", "role": "wizard"}
    )
    assert bad_role.status_code == 422 and "unknown role" in bad_role.text
    bad_email = ann.post("/admin/invitations", data={"csrf": form, "email": "nobody"})
    assert bad_email.status_code == 422 and "not an email address" in bad_email.text
    bad_domain = ann.post("/admin/domains", data={"csrf": form, "domain": "nodot"})
    assert bad_domain.status_code == 422 and "not an email domain" in bad_domain.text
    assert ann.post("/admin/users/999999/disable", data={"csrf": form}).status_code == 404
    assert team_service.store.invitations() == [] and team_service.store.allowed_domains() == []
    assert team_service.store.audit_entries() == []


def test_a_forged_post_is_refused_and_changes_nothing(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, _ = admin
    bob = team_service.store.add_team_user("bob@example.com", "member")
    forged = ann.post(f"/admin/users/{bob.id}/role", data={"csrf": "forged", "role": "admin"})
    assert forged.status_code == 403
    missing = ann.post("/admin/domains", data={"domain": "evil.example"})
    assert missing.status_code == 403
    assert user(team_service, "bob@example.com").role == "member"
    assert team_service.store.allowed_domains() == []
    assert team_service.store.audit_entries() == []


def test_the_list_as_json_for_the_shared_token_and_admins_tokens_only(
    team_service: TeamService, api: httpx.Client
) -> None:
    team_service.store.allow_domain("example.com")
    admin_token = token_for(team_service, "ada@example.com", "admin", "read")
    member_token = token_for(team_service, "mo@example.com", "member", "read")
    assert api.get("/admin/users").status_code == 401
    assert api.get("/admin/users", headers=bearer(member_token)).status_code == 403
    for token in (TOKEN, admin_token):
        listed = api.get("/admin/users", headers=bearer(token))
        assert listed.status_code == 200
        body = listed.json()
        people = {u["email"]: u for u in body["users"]}
        assert people["ada@example.com"]["role"] == "admin"
        assert people["mo@example.com"]["role"] == "member"
        assert people["mo@example.com"]["connected_calendars"] == 0
        assert body["allowed_domains"] == ["example.com"] and body["next_page"] is None
