"""Cancelling an invitation on ``/admin/users`` over HTTP against the real app: an
admin cancels one (audited in their name, and the address can no longer join); a
member or lead gets 403 and nothing changes; an invitation already used, an unknown
key and a forged post are refused with the reason, and leave no audit entry."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
import pytest

from tests.auth.conftest import TOKEN, TeamService
from tests.auth.test_admin_http import HTML, admin, name_of, user
from tests.auth.test_api_tokens_http import bearer, signed_in
from tests.auth.test_signin_http import new_browser, sign_in
from tests.fakes.oidc import FakePerson

__all__ = ["admin"]  # the signed-in admin fixture, shared


def invited(service: TeamService, email: str, role: str = "lead") -> str:
    """Invite ``email`` for three days (from the app's pinned clock); its key."""
    until = service.app.state.runtime.now() + timedelta(days=3)
    service.store.invite(email, role, until)
    return service.store.user_key(email)


def cancel(client: httpx.Client, key: str, form: str) -> httpx.Response:
    return client.post(f"/admin/invitations/{key}/cancel", data={"csrf": form}, headers=HTML)


def test_an_admin_cancels_an_invitation_and_it_is_audited(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, form = admin
    store = team_service.store
    lee = invited(team_service, "lee@partner.org")
    invited(team_service, "max@partner.org", "member")
    page = ann.get("/admin/users", headers=HTML).text
    assert f'data-invitation="{lee}"' in page
    assert f'action="/admin/invitations/{lee}/cancel"' in page

    done = ann.post(f"/admin/invitations/{lee}/cancel", data={"csrf": form})
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    assert [(i.key, i.role) for i in store.open_invitations()] == [
        (store.user_key("max@partner.org"), "member")
    ]
    [entry] = store.audit_entries()
    assert entry.actor == name_of(user(team_service, "ann@example.com"))
    assert (entry.action, entry.target) == ("invitation.cancel", f"user {lee[:10]} at partner.org")
    assert entry.detail.startswith("role lead, was open until ")
    assert "@" not in entry.actor + entry.target + entry.detail

    team_service.microsoft.state.person = FakePerson("lee@partner.org")
    with new_browser(team_service) as lees_browser:
        refused = sign_in(lees_browser, "microsoft")
    assert refused.status_code == 403  # the cancelled invitation lets nobody in
    assert store.team_user("lee@partner.org") is None


@pytest.mark.parametrize("role", ["member", "lead"])
def test_members_and_leads_get_403_and_the_invitation_stays(
    team_service: TeamService, role: str
) -> None:
    key = invited(team_service, "lee@partner.org")
    with new_browser(team_service) as mo:
        form = signed_in(team_service, mo, "mo@example.com", role)
        assert cancel(mo, key, form).status_code == 403
        assert cancel(mo, "0" * 64, form).status_code == 403  # before any lookup
    assert [i.key for i in team_service.store.open_invitations()] == [key]
    assert team_service.store.audit_entries() == []


def test_a_used_invitation_cannot_be_cancelled(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, form = admin
    key = invited(team_service, "lee@partner.org")
    team_service.google.state.person = FakePerson("lee@partner.org")
    with new_browser(team_service) as lees_browser:
        assert sign_in(lees_browser, "google").status_code == 200  # takes the invitation
    refused = cancel(ann, key, form)
    assert refused.status_code == 409
    alert = re.search(r'<p class="error" role="alert" id="admin-error">([^<]+)</p>', refused.text)
    assert alert is not None
    assert f"user {key[:10]} at partner.org has joined already (as lead)" in alert[1]
    assert "there is none left to cancel" in alert[1]
    assert "disable them" in alert[1]  # what to do instead
    assert user(team_service, "lee@partner.org").role == "lead"
    assert team_service.store.audit_entries() == []


def test_unknown_keys_and_forged_posts_are_refused_and_change_nothing(
    team_service: TeamService, admin: tuple[httpx.Client, str]
) -> None:
    ann, form = admin
    key = invited(team_service, "lee@partner.org")
    unknown = cancel(ann, "f" * 64, form)
    assert unknown.status_code == 404 and "no open invitation with that key" in unknown.text
    garbage = cancel(ann, "not-a-key", form)
    assert garbage.status_code == 404
    assert "no invitation with the key 'not-a-key'" in html.unescape(garbage.text)
    assert cancel(ann, key, "forged").status_code == 403
    assert ann.post(f"/admin/invitations/{key}/cancel").status_code == 403  # no CSRF field
    assert [i.key for i in team_service.store.open_invitations()] == [key]
    assert cancel(ann, key, form).status_code == 303
    again = cancel(ann, key, form)  # a second click, or a second admin
    assert again.status_code == 404 and "no open invitation with that key" in again.text
    assert [e.action for e in team_service.store.audit_entries()] == ["invitation.cancel"]


def test_the_json_list_names_each_invitation_by_its_key(team_service: TeamService) -> None:
    key = invited(team_service, "lee@partner.org")
    with httpx.Client(base_url=team_service.base_url, timeout=30) as api:
        body = api.get("/admin/users", headers=bearer(TOKEN)).json()
    [listed] = body["invitations"]
    assert listed["id"] == key
    assert (listed["domain"], listed["role"]) == ("partner.org", "lead")
    assert "lee@" not in str(body)
