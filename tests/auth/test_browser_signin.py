"""Two CSMs sign in through the fake Google and Microsoft in chromium (Playwright), each
lands on the dashboard as themselves; a disabled user and someone outside the allowed
domains are refused with a plain message; "sign out everywhere" ends the other session.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.auth.conftest import TeamService
from tests.fakes.oidc import FakePerson
from tests.support.browser import launched_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def new_tab(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in_with(tab: Any, base_url: str, label: str) -> None:
    """From the sign-in page, the provider's button, as a person would."""
    tab.goto(base_url + "/login")
    tab.get_by_role("link", name=f"Sign in with {label}").click()


def on_dashboard_as(tab: Any, base_url: str, email: str) -> None:
    tab.wait_for_url(base_url + "/")
    assert tab.locator("#week-h").is_visible()
    tab.get_by_role("link", name="Account").click()
    tab.wait_for_url(base_url + "/account")
    assert tab.locator("#account-who").inner_text() == email


def refused_with(tab: Any, words: str) -> None:
    message = tab.locator("#refused-message")
    message.wait_for()
    assert words in message.inner_text()
    assert tab.get_by_role("heading", name="Not signed in").is_visible()


def test_two_csms_sign_in_and_strangers_are_refused(
    team_service: TeamService, chromium: Any
) -> None:
    base = team_service.base_url
    store = team_service.store
    store.allow_domain("example.com")
    store.add_team_user("gone@example.com")
    store.set_user_disabled("gone@example.com", True)
    for email in ("ann@example.com", "lee@example.com"):  # members: their own calendar
        member = store.add_team_user(email)
        store.save_overlay(member.id, "calendars:\n  - {id: mine, provider: memory}\n")
    ann_at_google = FakePerson("ann@example.com")
    team_service.google.state.person = ann_at_google
    team_service.microsoft.state.person = FakePerson("lee@example.com")

    ann = new_tab(chromium)
    sign_in_with(ann, base, "Google")
    on_dashboard_as(ann, base, "ann@example.com")

    lee = new_tab(chromium)
    sign_in_with(lee, base, "Microsoft")
    on_dashboard_as(lee, base, "lee@example.com")

    team_service.google.state.person = FakePerson("gone@example.com")
    gone = new_tab(chromium)
    sign_in_with(gone, base, "Google")
    refused_with(gone, "gone@example.com has been disabled")

    team_service.microsoft.state.person = FakePerson("eve@elsewhere.net")
    eve = new_tab(chromium)
    sign_in_with(eve, base, "Microsoft")
    refused_with(eve, "eve@elsewhere.net may not use this csm-blocker")
    eve.goto(base + "/")
    eve.wait_for_url(lambda url: "/login" in url)

    # Ann signs in on a second device, then signs out everywhere from there.
    team_service.google.state.person = ann_at_google
    phone = new_tab(chromium)
    sign_in_with(phone, base, "Google")
    on_dashboard_as(phone, base, "ann@example.com")
    assert phone.locator("#account-sessions").inner_text() == "2"
    phone.get_by_role("button", name="Sign out everywhere").click()
    phone.wait_for_url(lambda url: "/login" in url)

    ann.goto(base + "/")
    ann.wait_for_url(lambda url: "/login" in url)  # the laptop's session ended too
    lee.goto(base + "/")
    lee.wait_for_url(base + "/")  # someone else's session did not
    assert lee.locator("#week-h").is_visible()
