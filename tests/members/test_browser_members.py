"""Two CSMs on one deployment, in chromium (Playwright): Bob signs in with Google,
Cara with Microsoft (the fake IdPs); each gets their own week on their own local
calendar, syncs it, and sees neither the other's meetings nor blocks."""

from __future__ import annotations

from typing import Any

import pytest

from blocker.members import member_dir
from tests.auth.test_browser_signin import chromium, new_tab, sign_in_with
from tests.fakes.oidc import FakePerson
from tests.members.conftest import WEEK, Person, Team

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the fixture, shared with the sign-in tests


def _own_week(tab: Any, team: Team, me: Person, other: Person) -> None:
    base = team.service.base_url
    tab.wait_for_url(base + "/")
    assert tab.locator("#week-h").is_visible()
    page = tab.content()
    assert WEEK in page and me.key in page
    assert me.meeting in page
    for theirs in (other.meeting, other.key, team.ann.meeting):
        assert theirs not in page
    tab.locator("#sync-btn").click()
    tab.wait_for_url("**synced=ok**")
    synced = tab.content()
    assert f"{me.name}&#39;s deep work" in synced or f"{me.name}'s deep work" in synced
    assert f"{other.name}'s deep work" not in synced and other.meeting not in synced


def test_two_csms_each_get_their_own_week(team: Team, chromium: Any) -> None:
    team.service.google.state.person = FakePerson(team.bob.email)
    team.service.microsoft.state.person = FakePerson(team.cara.email)
    bob, cara = new_tab(chromium), new_tab(chromium)
    sign_in_with(bob, team.service.base_url, "Google")
    sign_in_with(cara, team.service.base_url, "Microsoft")
    _own_week(bob, team, team.bob, team.cara)
    _own_week(cara, team, team.cara, team.bob)
    bob.reload()  # after Cara's sync, Bob's page still has only his
    assert team.cara.meeting not in bob.content() and "Cara" not in bob.content()
    runtime = team.service.app.state.runtime
    for me, other in ((team.bob, team.cara), (team.cara, team.bob)):
        written = (member_dir(runtime, me.user_id) / "work.ics").read_text(encoding="utf-8")
        assert f"{me.name}'s deep work" in written and other.name not in written
