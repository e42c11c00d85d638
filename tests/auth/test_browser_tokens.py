"""In chromium (Playwright): an admin signs in with Google, creates a personal API token
on /account (shown once), a script uses it with httpx against the API, the admin
revokes it on the page and it stops working; the account and audit pages have no
serious axe-core violation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.auth.conftest import TeamService
from tests.auth.test_browser_signin import chromium, new_tab, on_dashboard_as, sign_in_with
from tests.dashboard.test_browser_a11y import axe_violations
from tests.fakes.oidc import FakePerson

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the module-scoped browser fixture, shared


def test_create_use_and_revoke_a_token_in_the_browser(
    team_service: TeamService, chromium: Any
) -> None:
    base = team_service.base_url
    team_service.store.add_team_user("ann@example.com", "admin")
    team_service.google.state.person = FakePerson("ann@example.com")
    tab = new_tab(chromium)
    sign_in_with(tab, base, "Google")
    on_dashboard_as(tab, base, "ann@example.com")
    assert tab.locator("#token-none").is_visible()
    assert axe_violations(tab) == []

    tab.get_by_label("Name").fill("weekly report")
    tab.get_by_label("Scope").select_option("read")
    tab.get_by_role("button", name="Create token").click()
    shown = tab.get_by_label("New token")
    shown.wait_for()
    token = shown.input_value()
    assert token.startswith("cbt_")
    assert axe_violations(tab) == []

    api = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
    with api:
        assert api.get("/api/rules").status_code == 200
        assert api.put("/api/rules", content=b"x").status_code == 403  # read scope

        tab.goto(base + "/account")
        assert tab.get_by_label("New token").count() == 0  # shown once only
        row = tab.locator(f'tr[data-token-prefix="{token.split("_")[1]}"]')
        assert row.locator(".token-state").inner_text() == "active"
        row.get_by_role("button", name="Revoke").click()
        tab.wait_for_url(base + "/account")
        assert row.locator(".token-state").inner_text() == "revoked"
        refused = api.get("/api/rules")
        assert refused.status_code == 401
        assert refused.json()["detail"] == "this token has been revoked"

    tab.get_by_role("link", name="Audit log").click()
    tab.wait_for_url(base + "/audit")
    assert tab.locator('tr[data-action="token.revoke"]').count() == 1
    assert tab.locator('tr[data-action="token.create"]').count() == 1
    assert axe_violations(tab) == []
