"""Issue 20's "done when", in chromium (Playwright): two CSMs and a lead sign in
through the fake Google/Microsoft identity providers; Bob (Google) and Cara
(Microsoft) each get and sync their own week on their own calendar, from one
deployment; Lee, their lead, sees both scorecards on /team and no meeting of either;
Bob's "what my lead sees" shows exactly his row of Lee's page. The pages have no
serious axe-core violation and fit a 390 px wide screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.test_browser_signin import chromium, new_tab, sign_in_with
from tests.dashboard.test_browser_a11y import axe_violations
from tests.fakes.oidc import FakePerson
from tests.members.conftest import WEEK
from tests.members.test_browser_members import _own_week
from tests.team.conftest import MARK, Leads

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the module-scoped browser fixture, shared


def _fits(tab: Any, width: int) -> None:
    """Readable on a phone: nothing wider than the screen but the tables' own
    scrolling regions."""
    tab.set_viewport_size({"width": width, "height": 800})
    overflow = tab.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow}px wide at {width}px"


def _member_card(tab: Any, email: str) -> str:
    card = tab.locator(f'section.team-member[data-member="{email}"]')
    assert card.count() == 1
    return str(card.inner_text())


def test_the_lead_sees_both_scorecards_and_no_meeting(leads: Leads, chromium: Any) -> None:
    team = leads.team
    base = team.service.base_url
    team.service.google.state.person = FakePerson(team.bob.email)
    team.service.microsoft.state.person = FakePerson(team.cara.email)
    bob, cara = new_tab(chromium), new_tab(chromium)
    sign_in_with(bob, base, "Google")
    sign_in_with(cara, base, "Microsoft")
    _own_week(bob, team, team.bob, team.cara)
    _own_week(cara, team, team.cara, team.bob)

    team.service.google.state.person = FakePerson(leads.lee.email)
    lee = new_tab(chromium)
    sign_in_with(lee, base, "Google")
    lee.wait_for_url(base + "/")  # a lead with no calendar of their own: their account
    lee.goto(base + "/account")
    lee.get_by_role("link", name="Team", exact=True).click()
    lee.wait_for_url(base + "/team")
    assert lee.get_by_role("heading", name="Alpha").is_visible()
    page = lee.content()
    for member in (team.bob, team.cara):
        card = _member_card(lee, member.email)
        assert f"Week {WEEK}" in card and "Focus kept" in card and "Eight weeks" in card
    for title in leads.meetings:
        assert title not in page
    assert MARK not in page.lower() and leads.dan.email not in page
    assert axe_violations(lee) == []
    _fits(lee, 390)
    assert axe_violations(lee) == []
    lead_sees_bob = _member_card(lee, team.bob.email)

    bob.get_by_role("link", name="What my lead sees").click()
    bob.wait_for_url(base + "/team/me")
    assert "team Alpha" in bob.locator("#me-team").inner_text()
    assert _member_card(bob, team.bob.email) == lead_sees_bob
    assert team.cara.email not in bob.content()
    assert axe_violations(bob) == []
    _fits(bob, 390)

    refused = cara.goto(base + "/team")  # a member: refused, and shown nothing of the team
    assert refused is not None and refused.status == 403
    assert team.bob.email not in cara.content()
