"""In chromium (Playwright): an admin signs in with Google, opens People from the
nav, invites someone as a lead, invites another and cancels that invitation,
changes a member's role, and sees all of it in the audit log; the invited person
then signs in with the role. No serious axe-core violation; at 390 px the page is
no wider than the phone (the list scrolls in its own region)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.conftest import TeamService
from tests.auth.test_browser_signin import chromium, new_tab, sign_in_with
from tests.dashboard.test_browser_a11y import axe_violations
from tests.fakes.oidc import FakePerson

pytestmark = pytest.mark.browser
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest('table'))
    .map(e => e.tagName + '#' + e.id)"""
"""What widens the page (the list may be wider: it scrolls in its own region)."""
__all__ = ["chromium"]  # the module-scoped browser fixture, shared


def test_an_admin_invites_someone_and_changes_a_role(
    team_service: TeamService, admin_tab: Any, chromium: Any
) -> None:
    base = team_service.base_url
    store = team_service.store
    bob = store.add_team_user("bob@example.com", "member")
    tab = admin_tab
    tab.reload()  # bob was added after the page was drawn
    assert "ann@example.com (you)" in tab.locator("#people-list").inner_text()
    assert axe_violations(tab) == []

    tab.get_by_label("Email address").fill("lee@partner.org")
    tab.get_by_label("Role", exact=True).select_option("lead")
    tab.get_by_label("Open for (days, 1 to 365)").fill("7")
    tab.get_by_role("button", name="Invite").click()
    tab.wait_for_url(base + "/admin/users")
    assert "someone at partner.org: lead" in tab.locator("#invitation-list").inner_text()

    tab.get_by_label("Email address").fill("zoe@vendor.io")  # a slip: cancelled at once
    tab.get_by_role("button", name="Invite").click()
    tab.wait_for_url(base + "/admin/users")
    invitations = tab.locator("#invitation-list")
    assert "someone at vendor.io: member" in invitations.inner_text()
    invitations.get_by_role("button", name="Cancel the invitation of someone at vendor.io").click()
    tab.wait_for_url(base + "/admin/users")
    assert "vendor.io" not in invitations.inner_text()
    assert "someone at partner.org: lead" in invitations.inner_text()
    assert [domain for domain, _, _ in store.invitations()] == ["partner.org"]

    row = tab.locator(f'tr[data-user-id="{bob.id}"]')
    row.get_by_label("Role of bob@example.com", exact=True).select_option("lead")
    row.get_by_role("button", name="Set the role of bob@example.com").click()
    tab.wait_for_url(base + "/admin/users")
    assert row.locator(".person-role").inner_text() == "lead"
    found = store.team_user("bob@example.com")
    assert found is not None and found.role == "lead"

    me = tab.locator('tr:has-text("ann@example.com (you)")')
    me.get_by_role("button", name="Disable ann@example.com").click()
    alert = tab.locator("#admin-error")
    alert.wait_for()
    assert "last enabled admin" in alert.inner_text()
    assert axe_violations(tab) == []

    tab.get_by_role("link", name="audit log").click()
    tab.wait_for_url(base + "/audit")
    assert tab.locator('tr[data-action="invitation.create"]').count() == 2
    assert tab.locator('tr[data-action="invitation.cancel"]').count() == 1
    assert tab.locator('tr[data-action="user.role"]').count() == 1

    tab.set_viewport_size({"width": 390, "height": 844})  # a phone
    tab.goto(base + "/admin/users")
    wide, screen = tab.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    culprits = tab.evaluate(WIDER_THAN_THE_SCREEN)
    assert wide <= screen, (wide, screen, culprits)
    assert axe_violations(tab) == []

    other = new_tab(chromium)
    team_service.google.state.person = FakePerson("lee@partner.org")
    sign_in_with(other, base, "Google")
    other.wait_for_url(base + "/")
    lee = store.team_user("lee@partner.org")
    assert lee is not None and lee.role == "lead"  # the invitation's role
