"""The audit log over HTTP: entries written for rules changes, tokens and "sign out
everywhere" naming who acted (never an address or a secret), and ``/audit`` readable
by admins only (session, shared token, an admin's token), HTML or JSON, newest first,
paged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tests.auth.conftest import TOKEN, TeamService
from tests.auth.test_api_tokens_http import bearer, put_rules, signed_in, token_for
from tests.auth.test_signin_http import csrf, new_browser

HTML = {"Accept": "text/html"}


@pytest.fixture
def api(team_service: TeamService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=team_service.base_url, timeout=30) as client:
        yield client


def no_addresses_or_secrets(service: TeamService, *secrets: str) -> None:
    for entry in service.store.audit_entries(limit=500):
        for text in (entry.actor, entry.target, entry.detail):
            assert "@" not in text, entry
            for secret in secrets:
                assert secret.split("_", 2)[-1] not in text, entry


def test_rules_changes_in_the_browser_and_the_api_are_recorded_with_who(
    team_service: TeamService, api: httpx.Client
) -> None:
    with new_browser(team_service) as ann:
        signed_in(team_service, ann, "ann@example.com", "admin")
        page = ann.get("/rules").text
        text = team_service.app.state.runtime.rules_text
        assert ann.post("/rules", data={"text": text, "csrf": csrf(page)}).status_code == 303
        assert ann.post("/rules/versions/1/restore", data={"csrf": csrf(page)}).status_code == 303
    assert put_rules(api, team_service, TOKEN).status_code == 200
    user = team_service.store.team_user("ann@example.com")
    assert user is not None
    newest_first = [(e.actor, e.action) for e in team_service.store.audit_entries()]
    ann_is = f"user {user.fingerprint} at example.com"
    assert newest_first == [
        ("api token", "rules.save"),
        (ann_is, "rules.restore"),
        (ann_is, "rules.save"),
    ]
    no_addresses_or_secrets(team_service)


def test_sign_out_everywhere_is_recorded(team_service: TeamService) -> None:
    with new_browser(team_service) as ann:
        form = signed_in(team_service, ann, "ann@example.com", "member")
        assert ann.post("/account/sign-out-everywhere", data={"csrf": form}).status_code == 303
    [entry] = team_service.store.audit_entries()
    assert entry.action == "session.sign_out_everywhere"
    assert entry.detail == "1 session(s) ended"
    no_addresses_or_secrets(team_service)


def test_only_admins_read_the_audit_log(team_service: TeamService, api: httpx.Client) -> None:
    team_service.store.record_audit("cli", "domain.allow", "example.com")
    member_token = token_for(team_service, "mo@example.com", "member", "write")
    admin_token = token_for(team_service, "ada@example.com", "admin", "read")

    assert api.get("/audit").status_code == 401
    to_login = api.get("/audit", headers=HTML)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login")
    assert api.get("/audit", headers=bearer(member_token)).status_code == 403
    assert api.get("/audit", headers=bearer("nope")).status_code == 401
    for token in (admin_token, TOKEN):
        read = api.get("/audit", headers=bearer(token))
        assert read.status_code == 200
        assert read.json()["entries"][0]["action"] == "domain.allow"

    with new_browser(team_service) as mo:
        signed_in(team_service, mo, "mo@example.com", "member")
        assert mo.get("/audit", headers=HTML).status_code == 403
        assert mo.get("/audit").status_code == 403
        assert 'id="audit-link"' not in mo.get("/account").text
    with new_browser(team_service) as ada:
        signed_in(team_service, ada, "ada@example.com", "admin")
        assert 'id="audit-link"' in ada.get("/account").text
        page = ada.get("/audit", headers=HTML)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert 'data-action="domain.allow"' in page.text
        assert ada.get("/audit").json()["entries"][0]["target"] == "example.com"


def test_the_log_pages_newest_first_and_filters_by_time(
    team_service: TeamService, api: httpx.Client
) -> None:
    for n in range(5):
        team_service.store.record_audit("cli", "domain.allow", f"d{n}.example")
    first = api.get("/audit", params={"limit": 2}, headers=bearer(TOKEN)).json()
    assert [e["target"] for e in first["entries"]] == ["d4.example", "d3.example"]
    second = api.get(
        "/audit", params={"limit": 2, "before": first["next_before"]}, headers=bearer(TOKEN)
    ).json()
    assert [e["target"] for e in second["entries"]] == ["d2.example", "d1.example"]
    last = api.get(
        "/audit", params={"limit": 2, "before": second["next_before"]}, headers=bearer(TOKEN)
    ).json()
    assert [e["target"] for e in last["entries"]] == ["d0.example"]
    assert last["next_before"] is None

    later = (team_service.app.state.runtime.now() + timedelta(days=1)).isoformat()
    none = api.get("/audit", params={"since": later}, headers=bearer(TOKEN)).json()
    assert none["entries"] == []
    naive = api.get("/audit", params={"since": "2026-01-01T00:00"}, headers=bearer(TOKEN))
    assert naive.status_code == 422
