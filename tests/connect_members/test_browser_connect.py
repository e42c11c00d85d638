"""A new member, in chromium (Playwright): "Sign in with Google" (or "Sign in with
Microsoft") asks for the calendar in the same consent, and they land on their dashboard
with next week planned on the fake Google Calendar (or the fake Graph's Outlook mailbox:
the blocks are in its event store), their calendar named ``work``, never by its store
key."""

from __future__ import annotations

from typing import Any

import pytest

from blocker.members import store_key
from tests.auth.test_browser_signin import chromium, new_tab, sign_in_with
from tests.connect_members.conftest import WEEK, Deployment
from tests.fakes.oidc import FakePerson

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the fixture, shared with the sign-in tests


def test_a_new_member_signs_in_with_google_and_finds_their_week_planned(
    deployment: Deployment, chromium: Any
) -> None:
    d = deployment
    eve = d.store.add_team_user("eve@team.example", "member")
    d.google_idp.state.person = FakePerson("eve@team.example")
    tab = new_tab(chromium)
    sign_in_with(tab, d.base_url, "Google")
    tab.wait_for_url(d.base_url + "/")
    assert tab.locator("#week-h").is_visible()
    shown = tab.locator("body").inner_text()
    assert WEEK in shown and "Deep work" in shown
    assert f"u{eve.id}~" not in shown
    calendar = tab.locator("#connections li[data-state='connected'] .cal-id")
    assert calendar.inner_text() == "work"
    assert calendar.get_attribute("title") == "work"
    # the blocks are on Eve's Google calendar, as planned for her calendar
    key = store_key(eve.id, "work")
    planned = d.store.mappings(key, WEEK)
    on_google = {e["id"] for e in d.google.live_events()}
    assert planned and {m.event_id for m in planned.values()} <= on_google


def test_a_new_member_signs_in_with_microsoft_and_finds_their_week_planned_on_outlook(
    deployment: Deployment, chromium: Any
) -> None:
    d = deployment
    fay = d.store.add_team_user("fay@team.example", "member")
    d.microsoft_idp.state.person = FakePerson("fay@team.example")
    tab = new_tab(chromium)
    sign_in_with(tab, d.base_url, "Microsoft")
    tab.wait_for_url(d.base_url + "/")
    assert tab.locator("#week-h").is_visible()
    shown = tab.locator("body").inner_text()
    assert WEEK in shown and "Deep work" in shown
    assert f"u{fay.id}~" not in shown
    calendar = tab.locator("#connections li[data-state='connected'] .cal-id")
    assert calendar.inner_text() == "work"
    # the blocks are in Fay's Outlook mailbox on the fake Graph, as planned
    key = store_key(fay.id, "work")
    conn = d.store.get_connection(key)
    assert conn is not None and conn.provider == "outlook"
    planned = d.store.mappings(key, WEEK)
    assert planned and {m.event_id for m in planned.values()} <= set(d.graph.mailbox.events)
