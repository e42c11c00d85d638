"""Journeys where the page must tell the truth (issue 19.1), in headless Chromium.

Each test reads what the page says and checks it against what is really so: the
calendar file, the store's connection rows, the run records. Failure states
(an unreadable calendar, a failed sync, a revoked or missing connection) are
journeys of their own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.conftest import ARTIFACTS, signed_in_page
from tests.dashboard.helpers import sign_in
from tests.service.conftest import NEXT_WEEK, LiveService

pytestmark = pytest.mark.browser

SLOW = 45_000
"""ms for a real sync and the page after it (a read, a plan, a report) on a busy machine."""


def _states(page: Any) -> dict[str, str]:
    return dict(
        page.eval_on_selector_all(
            "details.ev.block", "els => els.map(e => [e.dataset.key, e.dataset.state])"
        )
    )


def _calendar_file(service: LiveService) -> Path:
    assert service.runtime.rules_path is not None
    return service.runtime.rules_path.parent / "out" / "calendar.ics"


def test_first_sign_in_shows_the_plan_as_not_yet_on_the_calendar_until_synced(
    browser: Any, app_service: LiveService
) -> None:
    calendar = _calendar_file(app_service)
    assert not calendar.exists(), "a fresh install has written nothing"
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        page = context.new_page()
        sign_in(page, app_service.base_url, f"/?week={NEXT_WEEK}")
        assert f"week={NEXT_WEEK}" in page.url  # sign-in returns to the page asked for
        plan = app_service.client.get("/api/plan", params={"week": NEXT_WEEK}).json()
        states = _states(page)
        assert set(states) == {b["key"] for b in plan["blocks"]}
        conflicts = {c["key"] for c in plan["conflicts"]}
        assert all(
            state == ("conflict" if key in conflicts else "pending")
            for key, state in states.items()
        ), states
        first = page.locator('details.ev.block[data-state="pending"] > summary').first
        assert "not synced" in first.inner_text()
        assert page.locator("#notice").count() == 0  # nothing happened yet: no success said

        page.get_by_role("button", name=re.compile("^Sync now")).click(timeout=SLOW)
        page.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
        assert "Sync finished" in page.locator("#notice").inner_text()
        synced = _states(page)
        assert {s for k, s in synced.items() if k not in conflicts} == {"synced"}
        # What the page calls "on your calendar" is really in the calendar file.
        text = calendar.read_text(encoding="utf-8")
        assert text.count("BEGIN:VEVENT") == len(plan["blocks"])
        pop = page.locator('details.ev.block[data-state="synced"]').first
        pop.locator("summary").click()
        assert "on your calendar" in pop.locator(".pop").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "week-synced.png"), full_page=True)
    finally:
        context.close()


def test_an_unreadable_calendar_gives_no_data_and_a_failed_sync_says_no_success(
    browser: Any, app_service: LiveService
) -> None:
    calendar = _calendar_file(app_service)
    calendar.parent.mkdir(parents=True, exist_ok=True)
    calendar.write_text("this is not a calendar\n", encoding="utf-8")
    with signed_in_page(browser, app_service.base_url) as page:
        page.goto(f"{app_service.base_url}/?week={NEXT_WEEK}")
        banner = page.locator("#banner")
        assert banner.locator('li[data-action="unreadable"]').count() == 1
        assert "could not be read" in banner.inner_text()
        row = page.locator('#connections li[data-calendar="local"]')
        assert row.get_attribute("data-state") == "unreadable"
        side = page.locator("aside.side").inner_text()
        # No green tick and no all-clear over a week nobody could read.
        assert page.locator(".scorecard .st-ok").count() == 0
        assert "No data" in page.locator("#sc-no-data").inner_text()
        for all_clear in ("Everything fitted", "None this week"):
            assert all_clear not in side
        assert page.locator("details.ev.block").count() == 0

        page.get_by_role("button", name=re.compile("^Sync now")).first.click(timeout=SLOW)
        page.wait_for_load_state()
        assert "synced=ok" not in page.url
        assert page.locator("#notice").count() == 0
        failed = page.locator('#banner li[data-action="sync_failed"]')
        assert "last sync of local failed" in failed.inner_text()
        runs = app_service.client.get("/api/runs").json()
        assert runs[0]["errors"] and not runs[0]["dry_run"]
        assert calendar.read_text(encoding="utf-8") == "this is not a calendar\n"  # kept


def test_a_never_connected_calendar_is_not_called_connected_and_a_revoked_one_asks_to_reconnect(
    browser: Any, two_calendars: LiveService
) -> None:
    service = two_calendars
    with signed_in_page(browser, service.base_url) as page:
        page.goto(f"{service.base_url}/?week={NEXT_WEEK}&calendar=local")
        row = page.locator('#connections li[data-calendar="work-google"]')
        assert row.get_attribute("data-state") == "not_connected"
        assert "not connected" in row.inner_text()
        assert not re.search(r"(?<!not )connected", row.inner_text())
        action = page.locator('#banner li[data-action="reconnect"]')
        link = action.get_by_role("link", name="Connect")
        assert link.get_attribute("href") == "/connect/google?calendar=work-google"
        # Connect buttons only for the providers the rules use.
        hrefs = page.eval_on_selector_all(".connect-new a", "els => els.map(a => a.pathname)")
        assert hrefs == ["/connect/google"]

        store = service.runtime.store
        store.upsert_connection(
            "work-google", user_email="csm@example.com", provider="google", tokens=b"{}"
        )
        page.reload()
        assert row.get_attribute("data-state") == "connected"
        assert page.locator('#banner li[data-action="reconnect"]').count() == 0

        store.mark_needs_reconnect(
            "work-google", "Google refused the token: invalid_grant (Token has been revoked.)"
        )
        page.reload()
        assert row.get_attribute("data-state") == "needs_reconnect"
        assert "needs reconnecting" in row.inner_text()
        banner = page.locator('#banner li[data-action="reconnect"]')
        assert "access was withdrawn" in banner.inner_text()
        assert banner.get_by_role("link", name="Reconnect").count() == 1
        assert "invalid_grant" not in page.locator("body").inner_text()


def test_the_sync_button_syncs_only_the_calendar_shown(
    browser: Any, two_calendars: LiveService
) -> None:
    service = two_calendars
    with signed_in_page(browser, service.base_url) as page:
        page.goto(f"{service.base_url}/?week={NEXT_WEEK}&calendar=local")
        page.get_by_role("button", name=re.compile("^Sync now")).first.click(timeout=SLOW)
        page.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
    runs = [r for r in service.client.get("/api/runs").json() if not r["dry_run"]]
    assert [r["calendar"] for r in runs] == ["local"]


def test_a_moved_block_says_where_it_was(browser: Any, app_service: LiveService) -> None:
    """After a sync, a rules change moves a block: the next sync records it, and the
    grid and "What moved" say where it came from."""
    with signed_in_page(browser, app_service.base_url) as page:
        page.goto(f"{app_service.base_url}/?week={NEXT_WEEK}")
        page.get_by_role("button", name=re.compile("^Sync now")).click(timeout=SLOW)
        page.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
        rules = app_service.client.get("/api/rules").text
        moved_rules = _earlier_lunch(rules)
        answer = app_service.client.put(
            "/api/rules", content=moved_rules, headers={"Content-Type": "application/yaml"}
        )
        assert answer.status_code < 300, answer.text
        page.reload()
        moving = page.locator('details.ev.block[data-state="moving"]')
        assert moving.count() > 0
        assert "Sync now moves it here, now at " in (moving.first.text_content() or "")
        page.get_by_role("button", name=re.compile("^Sync now")).click(timeout=SLOW)
        page.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
        moved = page.locator('details.ev.block[data-state="moved"]')
        assert moved.count() > 0
        badge = moved.first.locator(".badge").inner_text()
        assert re.fullmatch(r"moved from (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d", badge), badge
        lines = page.locator("#moved li").all_inner_texts()
        assert lines and all(" moved from " in line for line in lines)
        real = [r for r in app_service.client.get("/api/runs").json() if not r["dry_run"]]
        assert any(op["action"] == "update" for op in real[0]["ops"])


def _earlier_lunch(rules: str) -> str:
    """The example's lunch 45 minutes earlier (a change that moves synced blocks)."""
    before = "  - kind: lunch\n    at: 12:00\n"
    assert before in rules
    return rules.replace(before, "  - kind: lunch\n    at: 11:15\n", 1)
