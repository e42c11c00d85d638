"""Journeys of issue 19's actions in headless Chromium: change a rule and preview it,
drag a block to pin it, move one from the keyboard, dismiss one and undo it.

Each ends by reading the calendar file back through the real provider: it must
hold what the page claims. Every new page and state is scanned with axe-core.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.dashboard.conftest import signed_in_page
from tests.dashboard.helpers import sign_in
from tests.dashboard.test_browser_a11y import axe_violations
from tests.dashboard.test_grid_actions_http import a_focus_block, on_calendar
from tests.dashboard.test_rule_forms_http import dry_run_of, versions
from tests.service.conftest import NEXT_WEEK, LiveService

pytestmark = pytest.mark.browser

SLOW = 45_000
NY = ZoneInfo("America/New_York")
WEEK_PAGE = f"/?week={NEXT_WEEK}&calendar=local"
SMALL_TARGETS = """els => els.map(e => e.getBoundingClientRect())
    .filter(r => r.width > 0 && (r.width < 24 || r.height < 24))
    .map(r => [Math.round(r.width), Math.round(r.height)])"""


@pytest.fixture
def page(browser: Any, app_service: LiveService) -> Iterator[Any]:
    with signed_in_page(browser, app_service.base_url) as tab:
        tab.goto(app_service.base_url + WEEK_PAGE)
        tab.locator("#sync-btn").click()
        tab.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
        yield tab


def _same_moment(a: str, b: str) -> bool:
    return datetime.fromisoformat(a).timestamp() == datetime.fromisoformat(b).timestamp()


def _shown_ops(page: Any, selector: str) -> set[tuple[str, str, str]]:
    rows = page.eval_on_selector_all(
        f"{selector} li[data-action]",
        "els => els.map(e => [e.dataset.action, e.dataset.key, e.dataset.start])",
    )
    return {(a, k, s) for a, k, s in rows}


def test_change_a_rule_and_preview_it(page: Any, app_service: LiveService) -> None:
    page.get_by_role("link", name="Rule settings").click()
    assert page.get_by_label("Preferred window").input_value() == "09:30-12:00"
    assert axe_violations(page) == []
    page.get_by_label("Preferred window").fill("13:00-17:00")
    assert page.get_by_label("Re-place blocks already on my calendar").is_checked()
    expected = dry_run_of(app_service, "none", focus_window="13:00-17:00")
    assert expected
    page.get_by_role("button", name="Preview the week").click()
    page.locator("#preview").wait_for(timeout=SLOW)
    assert _shown_ops(page, "#preview-ops") == expected
    for action, key, start in expected:
        if action == "delete":
            continue
        shown = page.locator(f'#after .ev[data-key="{key}"]').get_attribute("data-start")
        assert shown is not None and _same_moment(shown, start)
    assert axe_violations(page) == []
    assert versions(app_service) == 1  # a preview saves nothing

    page.get_by_role("button", name="Apply and save").click()
    page.wait_for_url(lambda url: "saved=2" in url, timeout=SLOW)
    assert "Saved as rules version 2" in page.locator("#saved").inner_text()
    assert _shown_ops(page, "#saved-ops") == expected
    assert axe_violations(page) == []
    events = on_calendar(app_service)
    for action, key, start in expected:
        if action == "delete":
            assert key not in events
        else:
            assert _same_moment(events[key].start.isoformat(), start)
    # the week page says what is true: the blocks where the calendar has them, synced
    page.goto(app_service.base_url + WEEK_PAGE)
    for action, key, start in expected:
        if action == "delete":
            continue
        block = page.locator(f'details.ev[data-key="{key}"]')
        assert _same_moment(block.get_attribute("data-start") or "", start)
        assert block.get_attribute("data-state") in ("synced", "moved")
    # and the next sync keeps them: nothing left to write
    page.locator("#sync-btn").click()
    page.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
    assert app_service.runtime.store.runs("local", 1)[0].ops == ()


def test_an_invalid_draft_shows_the_error_and_saves_nothing(
    page: Any, app_service: LiveService
) -> None:
    before = app_service.client.get("/api/rules").text
    page.goto(f"{app_service.base_url}/settings?week={NEXT_WEEK}&calendar=local")
    page.get_by_label("Preferred window").fill("afternoons")
    page.get_by_role("button", name="Apply and save").click()
    errors = page.locator("#errors")
    errors.wait_for()
    assert "Focus window: write hours like 13:00-17:00" in errors.inner_text()
    assert page.get_by_label("Preferred window").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Preferred window").input_value() == "afternoons"
    errors.get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.id") == "f-focus_window"
    assert axe_violations(page) == []
    small = page.eval_on_selector_all(
        ".rule-form input, .rule-form select, .rule-form button", SMALL_TARGETS
    )
    assert small == []
    assert versions(app_service) == 1
    assert app_service.client.get("/api/rules").text == before


def test_drag_a_block_to_pin_it(page: Any, app_service: LiveService) -> None:
    block = a_focus_block(app_service)
    source = page.locator(f'details.ev[data-key="{block.key}"] > summary')
    week = page.locator(".week")
    first = int(week.get_attribute("data-first-hour") or "0")
    hours = int(week.get_attribute("data-hours") or "1")
    body = page.locator('section.day[data-date="2026-12-02"] .day-body')
    box = body.bounding_box()
    assert box is not None
    grab = 4  # px below the block's top edge, kept when it lands
    y = (16 - first) / hours * box["height"] + grab
    source.drag_to(body, source_position={"x": 6, "y": grab}, target_position={"x": 20, "y": y})
    page.wait_for_url(lambda url: "synced=moved" in url, timeout=SLOW)
    target = datetime(2026, 12, 2, 16, 0, tzinfo=NY)
    event = on_calendar(app_service)[block.key]
    assert event.start == target and event.end - event.start == block.end - block.start
    moved = page.locator(f'#moved li[data-key="{block.key}"]')
    assert "Wed 02 Dec 16:00" in moved.inner_text()
    shown = page.locator(f'details.ev[data-key="{block.key}"]')
    assert _same_moment(shown.get_attribute("data-start") or "", target.isoformat())
    assert axe_violations(page) == []


def test_move_from_the_keyboard_and_dismiss_then_undo(page: Any, app_service: LiveService) -> None:
    block = a_focus_block(app_service)
    summary = page.locator(f'details.ev[data-key="{block.key}"] > summary')
    summary.focus()
    page.keyboard.press("Enter")
    pop = page.locator(f'details.ev[data-key="{block.key}"] .pop')
    assert axe_violations(page) == []
    small = page.eval_on_selector_all(
        "details.ev[open] .grid-act button, details.ev[open] .grid-act select,"
        " details.ev[open] .grid-act input",
        SMALL_TARGETS,
    )
    assert small == []
    pop.get_by_label("Day").select_option("2026-12-03")
    pop.get_by_label("Start").fill("15:30")
    pop.get_by_role("button", name="Move").click()
    page.wait_for_url(lambda url: "synced=moved" in url, timeout=SLOW)
    assert on_calendar(app_service)[block.key].start == datetime(2026, 12, 3, 15, 30, tzinfo=NY)

    page.locator(f'details.ev[data-key="{block.key}"] > summary').click()
    pop = page.locator(f'details.ev[data-key="{block.key}"] .pop')
    pop.get_by_role("button", name="Dismiss for this week").click()
    page.wait_for_url(lambda url: "synced=dismissed" in url, timeout=SLOW)
    assert block.key not in on_calendar(app_service)
    assert page.locator(f'details.ev[data-key="{block.key}"]').count() == 0
    listed = page.locator(f'#dismissed li[data-key="{block.key}"]')
    assert "Focus" in listed.inner_text()
    assert axe_violations(page) == []
    assert page.eval_on_selector_all("#dismissed button", SMALL_TARGETS) == []
    listed.get_by_role("button", name="Undo").click()
    page.wait_for_url(lambda url: "synced=restored" in url, timeout=SLOW)
    assert block.key in on_calendar(app_service)
    assert page.locator("#dismissed").count() == 0


def test_the_form_and_its_preview_fit_a_phone(browser: Any, app_service: LiveService) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    context.set_default_timeout(10_000)
    try:
        tab = context.new_page()
        sign_in(tab, app_service.base_url, f"/settings?week={NEXT_WEEK}&calendar=local")
        width = "() => [document.documentElement.scrollWidth, window.innerWidth]"
        wide, screen = tab.evaluate(width)
        assert wide <= screen, (wide, screen)
        tab.get_by_label("Preferred window").fill("13:00-17:00")
        tab.get_by_role("button", name="Preview the week").click()
        tab.locator("#preview").wait_for(timeout=SLOW)
        wide, screen = tab.evaluate(width)
        assert wide <= screen, (wide, screen)
        assert axe_violations(tab) == []
        # a block's pop-up with its move and dismiss forms stays on the screen
        tab.goto(f"{app_service.base_url}{WEEK_PAGE}")
        block = tab.locator("details.ev.block:has(form.move-form)").first
        block.locator("summary").click()
        box = block.locator(".pop").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= screen
        wide, _ = tab.evaluate(width)
        assert wide <= screen
    finally:
        context.close()
