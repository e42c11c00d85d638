"""Sign in with Google or Microsoft over HTTP, as a browser would (cookies, redirects),
against the real app and the fake identity providers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from blocker.web.routes.auth import BINDING_COOKIE
from tests.auth.conftest import TeamService
from tests.fakes.oidc import FakePerson
from tests.support.clock import TEST_NOW


@pytest.fixture
def browser(team_service: TeamService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=team_service.base_url, timeout=30) as client:
        yield client


def new_browser(service: TeamService) -> httpx.Client:
    return httpx.Client(base_url=service.base_url, timeout=30)


def sign_in(client: httpx.Client, provider: str, next_path: str = "/") -> httpx.Response:
    """Start, follow the provider's consent back to the callback page."""
    return client.get(f"/auth/{provider}/start", params={"next": next_path}, follow_redirects=True)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_the_sign_in_page_offers_both_providers(browser: httpx.Client) -> None:
    page = browser.get("/login").text
    assert 'href="/auth/google/start?next=/"' in page
    assert "Sign in with Microsoft" in page
    assert 'name="token"' in page  # the API token stays


def test_a_member_of_an_allowed_domain_signs_in_with_google(
    team_service: TeamService, browser: httpx.Client
) -> None:
    team_service.store.allow_domain("example.com")
    team_service.google.state.person = FakePerson("Ann@Example.com")
    landed = sign_in(browser, "google", "/rules")
    assert landed.status_code == 200
    assert 'id="signed-in-as">ann@example.com<' in landed.text
    assert 'http-equiv="refresh" content="0; url=/rules"' in landed.text
    assert browser.get("/rules").status_code == 200
    account = browser.get("/account").text
    assert 'id="account-who">ann@example.com<' in account
    assert 'id="account-role">member<' in account
    assert BINDING_COOKIE not in browser.cookies  # used once, dropped


def test_an_invited_lead_signs_in_with_microsoft(
    team_service: TeamService, browser: httpx.Client
) -> None:
    team_service.store.invite("lee@partner.org", "lead", TEST_NOW + timedelta(days=3))
    team_service.microsoft.state.person = FakePerson("lee@partner.org")
    assert sign_in(browser, "microsoft").status_code == 200
    assert 'id="account-role">lead<' in browser.get("/account").text


@pytest.mark.parametrize("why", ["outside", "disabled"])
def test_refused_people_get_a_plain_message_and_no_session(
    team_service: TeamService, browser: httpx.Client, why: str
) -> None:
    team_service.store.allow_domain("example.com")
    if why == "disabled":
        team_service.store.add_team_user("gone@example.com")
        team_service.store.set_user_disabled("gone@example.com", True)
        team_service.google.state.person = FakePerson("gone@example.com")
        words = "gone@example.com has been disabled here"
    else:
        team_service.google.state.person = FakePerson("eve@elsewhere.net")
        words = "eve@elsewhere.net may not use this csm-blocker"
    refused = sign_in(browser, "google")
    assert refused.status_code == 403
    assert words in refused.text.replace("The account ", "")
    assert browser.get("/").status_code in (302, 303)  # still signed out


def test_a_callback_from_another_browser_or_a_second_time_is_refused(
    team_service: TeamService, browser: httpx.Client
) -> None:
    team_service.store.allow_domain("example.com")
    to_idp = browser.get("/auth/google/start")
    back = httpx.get(to_idp.headers["location"])  # the provider's redirect to the callback
    callback = back.headers["location"]
    with new_browser(team_service) as other:
        assert other.get(callback).status_code == 400  # no binding cookie there
    assert browser.get(callback).status_code == 200
    browser.cookies.set(BINDING_COOKIE, re.findall(r"state=([^&]+)", callback)[0])
    again = browser.get(callback)  # state and code used already
    assert again.status_code == 400 and "expired or was already used" in again.text


def test_sign_out_everywhere_ends_the_other_sessions(
    team_service: TeamService, browser: httpx.Client
) -> None:
    team_service.store.add_team_user("ann@example.com", "admin")
    team_service.google.state.person = FakePerson("ann@example.com")
    team_service.microsoft.state.person = FakePerson("ann@example.com")
    with new_browser(team_service) as laptop:
        assert sign_in(browser, "google").status_code == 200
        assert sign_in(laptop, "microsoft").status_code == 200
        assert laptop.get("/rules").status_code == 200
        account = browser.get("/account").text
        assert 'id="account-sessions">2<' in account
        out = browser.post("/account/sign-out-everywhere", data={"csrf": csrf(account)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert laptop.get("/rules").status_code == 303  # to the sign-in page
        assert browser.get("/rules").status_code == 303


def test_disabling_a_user_ends_their_session_and_sign_out_ends_one(
    team_service: TeamService, browser: httpx.Client
) -> None:
    team_service.store.add_team_user("ann@example.com")
    team_service.google.state.person = FakePerson("ann@example.com")
    assert sign_in(browser, "google").status_code == 200
    with new_browser(team_service) as other:
        assert sign_in(other, "google").status_code == 200
        token = csrf(other.get("/account").text)
        assert other.post("/logout", data={"csrf": token}).status_code == 303
        assert other.get("/rules").status_code == 303
    assert browser.get("/rules").status_code == 200  # the other sign-out ended only its own
    team_service.store.set_user_disabled("ann@example.com", True)
    assert browser.get("/rules").status_code == 303


def test_refused_sign_ins_are_throttled_per_source(
    team_service: TeamService, browser: httpx.Client
) -> None:
    team_service.google.state.person = FakePerson("eve@elsewhere.net")
    for _ in range(5):  # BLOCKER_LOGIN_ATTEMPTS_PER_MINUTE's default
        assert sign_in(browser, "google").status_code == 403
    blocked = browser.get("/auth/google/start")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert team_service.google.state.hits["authorize"] == 5  # never sent to the provider


def test_the_api_token_still_signs_in_with_users_present(
    team_service: TeamService, browser: httpx.Client
) -> None:
    from tests.auth.conftest import TOKEN

    team_service.store.add_team_user("ann@example.com", "admin")
    signed = browser.post("/login", data={"token": TOKEN, "next": "/rules"})
    assert signed.status_code == 303
    assert "API token" in browser.get("/account").text
    assert (
        httpx.get(
            team_service.base_url + "/api/runs", headers={"Authorization": f"Bearer {TOKEN}"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(("role", "allowed"), [("member", False), ("lead", False), ("admin", True)])
def test_only_admins_change_what_the_team_shares(
    team_service: TeamService, browser: httpx.Client, role: str, allowed: bool
) -> None:
    ann = team_service.store.add_team_user("ann@example.com", role)
    team_service.google.state.person = FakePerson("ann@example.com")
    assert sign_in(browser, "google").status_code == 200
    page = browser.get("/rules")
    assert page.status_code == 200  # everyone signed in may read
    text = team_service.app.state.runtime.rules_text
    saved = browser.post("/rules", data={"text": text + "# mine\n", "csrf": csrf(page.text)})
    assert saved.status_code == 303
    # the first admin edits the team's template; anyone else their own overlay (slice 2)
    overlay = team_service.store.current_overlay(ann.id)
    assert (team_service.app.state.runtime.rules_text != text) is allowed
    assert (overlay is None) is allowed
    connect = browser.get("/connect/google")
    # everyone connects the calendars of the scope they act in: the first admin the
    # template's, anyone else their own overlay's (which lists no Google calendar here)
    assert connect.status_code != 401
    if not allowed:
        assert connect.status_code == 400 and "no google calendar" in connect.text
    if not allowed:  # signing out is always allowed
        out = browser.post("/logout", data={"csrf": csrf(page.text)})
        assert out.status_code == 303


def test_a_form_sent_after_the_session_ended_offers_the_providers_again(
    browser: httpx.Client,
) -> None:
    ended = browser.post("/rules", data={"text": "x", "csrf": "stale"})
    assert ended.status_code == 401
    assert "Your session ended" in ended.text and "Sign in with Google" in ended.text


def test_another_account_with_a_known_address_is_refused_until_an_admin_forgets(
    team_service: TeamService, browser: httpx.Client
) -> None:
    """The address changed hands (or the account was recreated): not the same person."""
    team_service.store.add_team_user("ann@example.com", "admin")
    team_service.google.state.person = FakePerson("ann@example.com")
    assert sign_in(browser, "google").status_code == 200
    team_service.google.state.person = FakePerson("ann@example.com")  # a new sub
    with new_browser(team_service) as other:
        refused = sign_in(other, "google")
        assert refused.status_code == 403
        assert "signed in here before with another Google account" in refused.text
        team_service.store.forget_accounts("ann@example.com")
        assert sign_in(other, "google").status_code == 200
