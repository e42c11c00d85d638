"""In chromium (Playwright): an admin goes from People to Teams, creates a team, adds
a lead and a member from the pickers, sees both listed; adding the member to a
second team is refused with the reason and the pick kept; deleting asks for the box
to be ticked. No serious axe-core violation; at 390 px the page is no wider than
the phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.conftest import TeamService
from tests.auth.test_browser_admin import WIDER_THAN_THE_SCREEN
from tests.auth.test_browser_signin import chromium
from tests.dashboard.test_browser_a11y import axe_violations

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the module-scoped browser fixture, shared


def test_an_admin_creates_a_team_with_a_lead_and_a_member(
    team_service: TeamService, admin_tab: Any
) -> None:
    base = team_service.base_url
    store = team_service.store
    lee = store.add_team_user("lee@example.com", "lead")
    bob = store.add_team_user("bob@example.com", "member")
    tab = admin_tab
    tab.get_by_role("navigation", name="Administration").get_by_role("link", name="Teams").click()
    tab.wait_for_url(base + "/admin/teams")
    assert tab.locator("#teams-none").is_visible()
    assert axe_violations(tab) == []

    tab.get_by_label("New team's name").fill("Alpha")
    tab.get_by_role("button", name="Create team").click()
    tab.wait_for_url(base + "/admin/teams")
    tab.get_by_label("New team's name").fill("Beta")
    tab.get_by_role("button", name="Create team").click()
    tab.wait_for_url(base + "/admin/teams")
    alpha = tab.locator('section[data-team="Alpha"]')
    alpha.get_by_label("Person to add to Alpha").select_option(str(lee.id))
    alpha.get_by_label("As", exact=True).select_option("lead")
    alpha.get_by_role("button", name="Add to Alpha").click()
    tab.wait_for_url(base + "/admin/teams")
    alpha.get_by_label("Person to add to Alpha").select_option(str(bob.id))
    alpha.get_by_role("button", name="Add to Alpha").click()
    tab.wait_for_url(base + "/admin/teams")
    assert alpha.locator(".team-leads").inner_text().strip().startswith("lee@example.com")
    assert "bob@example.com" in alpha.locator(".team-members").inner_text()
    assert "bob@example.com" not in alpha.locator(".team-leads").inner_text()
    group = store.team_group("Alpha")
    assert group is not None and group.leads == (lee.id,) and group.members == (bob.id,)
    assert axe_violations(tab) == []

    beta = tab.locator('section[data-team="Beta"]')
    beta.get_by_label("Person to add to Beta").select_option(str(bob.id))
    beta.get_by_role("button", name="Add to Beta").click()
    alert = tab.locator("#teams-error")
    alert.wait_for()
    assert "in team 'Alpha' already" in alert.inner_text()
    assert beta.get_by_label("Person to add to Beta").input_value() == str(bob.id)
    assert axe_violations(tab) == []

    tab.set_viewport_size({"width": 390, "height": 844})  # a phone
    tab.goto(base + "/admin/teams")
    wide, screen = tab.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    culprits = tab.evaluate(WIDER_THAN_THE_SCREEN)
    assert wide <= screen, (wide, screen, culprits)
    assert axe_violations(tab) == []

    box = beta.get_by_label("Yes, delete Beta")
    assert box.evaluate("e => e.required && e.validity.valueMissing")  # no post unticked
    box.check()
    beta.get_by_role("button", name="Delete team Beta").click()
    tab.wait_for_url(base + "/admin/teams")
    tab.locator('section[data-team="Beta"]').wait_for(state="detached")
    assert [g.name for g in store.team_groups()] == ["Alpha"]
