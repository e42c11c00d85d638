"""Accessibility and layout of every page, in headless Chromium (issue 19.2/19.3).

axe-core (the copy bundled by the pinned ``axe-playwright-python`` dev dependency)
scans each page; no serious or critical violation is allowed. Layout checks
measure the page itself: nothing wider than a 390 px phone, long titles wrap,
long ids are cut with their full text in a title attribute, names in other
scripts are bidi-isolated, targets are at least 24 px (WCAG 2.2, 2.5.8).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import ARTIFACTS, copy_example, signed_in_page
from tests.dashboard.helpers import sign_in
from tests.service.conftest import NEXT_WEEK, NOW, TOKEN, LiveService, make_settings, start_service

pytestmark = pytest.mark.browser

LONG_TITLE = "Quarterly-business-review-preparation-" + "x" * 90
RTL_NAME = "شركة الاختبار"
LONG_ID = "local-calendar-with-a-very-long-identifier-0123456789abcdefghij"  # 64, the most
THIS_WEEK = "2026-W48"  # the service clock's own week (Fri 2026-11-27 12:00)


@cache
def _axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page as shown, one line each."""
    page.evaluate(_axe_source())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The example, with a very long unbroken account name, an Arabic one, and two
    calendars, the first with a very long id."""
    work = copy_example(tmp_path_factory.mktemp("hostile"))
    csv = work / "examples" / "accounts.csv"
    text = csv.read_text(encoding="utf-8")
    text = text.replace("Acme Corp,", f"{LONG_TITLE},", 1).replace(
        "Tyrell Biotech,", f"{RTL_NAME},"
    )
    csv.write_text(text, encoding="utf-8")
    rules = work / "rules.yaml"
    yaml = rules.read_text(encoding="utf-8")
    yaml = yaml.replace("  - id: local\n", f"  - id: {LONG_ID}\n", 1)
    yaml = yaml.replace("account: Soylent Foods", f"account: {RTL_NAME}")  # a block of its own
    yaml = yaml.replace(
        "calendars:\n",
        "calendars:\n  - {id: second, provider: local, path: out/second.ics}\n",
        1,
    )
    rules.write_text(yaml, encoding="utf-8")
    live = start_service(make_settings(work), start_scheduler=False)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def page(browser: Any, shared_service: LiveService) -> Iterator[Any]:
    with signed_in_page(browser, shared_service.base_url) as tab:
        yield tab


def test_no_serious_axe_violation_on_any_page(page: Any, shared_service: LiveService) -> None:
    base = shared_service.base_url
    pages = {
        "week": f"/?week={NEXT_WEEK}",
        "this week": f"/?week={THIS_WEEK}",
        "rules": "/rules",
        "not found": "/no/such/page",
        "bad week": "/?week=2026-W99",
        "trend": f"/trend?week={NEXT_WEEK}",
        "a flag's blocks": f"/?week={THIS_WEEK}&show=tier%3Ahigh",
    }
    found = {}
    for name, path in pages.items():
        page.goto(base + path)
        found[name] = axe_violations(page)
    page.goto(f"{base}/?week={NEXT_WEEK}")
    page.get_by_role("button", name="Preview changes").click()
    page.locator("#preview").wait_for()
    found["preview"] = axe_violations(page)
    page.locator("details.ev.block > summary").first.click()
    found["pop-up open"] = axe_violations(page)
    page.context.clear_cookies()
    page.goto(base + "/login")
    found["sign-in"] = axe_violations(page)
    assert found == {name: [] for name in found}


def test_dark_mode_follows_the_system_and_stays_readable(
    browser: Any, shared_service: LiveService
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme="dark")
    try:
        tab = context.new_page()
        sign_in(tab, shared_service.base_url, f"/?week={NEXT_WEEK}")
        background = tab.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(27, 28, 31)"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "week-dark.png"), full_page=True)
        assert axe_violations(tab) == []
        tab.goto(shared_service.base_url + "/rules")
        assert axe_violations(tab) == []
    finally:
        context.close()


def test_phone_layout_wraps_long_titles_and_cuts_long_ids(
    browser: Any, hostile: LiveService
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        tab = context.new_page()
        sign_in(tab, hostile.base_url, f"/?week={NEXT_WEEK}")
        width = "() => [document.documentElement.scrollWidth, window.innerWidth]"
        wide, screen = tab.evaluate(width)
        assert wide <= screen, (wide, screen)
        long_block = tab.locator("details.ev.block", has_text=LONG_TITLE[:30]).first
        long_block.locator("summary").click()
        box = long_block.locator(".pop").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= screen
        wide, _ = tab.evaluate(width)
        assert wide <= screen, "an open pop-up with a long title widened the page"
        tab.screenshot(path=str(ARTIFACTS / "week-phone-long.png"), full_page=True)
        # The long calendar id is cut, with the whole id in its title attribute.
        ids = tab.eval_on_selector_all(
            f'.cal-id[title="{LONG_ID}"]',
            "els => els.map(e => [e.scrollWidth > e.clientWidth, e.textContent.trim()])",
        )
        assert ids and all(cut and text == LONG_ID for cut, text in ids)
        show = tab.get_by_role("button", name="Show").bounding_box()
        assert show is not None and show["x"] + show["width"] <= screen
        assert axe_violations(tab) == []
        for path in ("/rules", "/no/such/page"):
            tab.goto(hostile.base_url + path)
            wide, _ = tab.evaluate(width)
            assert wide <= screen, path
    finally:
        context.close()


def test_names_in_other_scripts_are_bidi_isolated(browser: Any, hostile: LiveService) -> None:
    with signed_in_page(browser, hostile.base_url) as tab:
        tab.goto(f"{hostile.base_url}/?week={NEXT_WEEK}&calendar={LONG_ID}")
        isolated = tab.eval_on_selector_all(
            "bdi", f"els => els.filter(e => e.textContent.includes({RTL_NAME!r})).length"
        )
        assert isolated > 0
        loose = tab.evaluate(
            """name => [...document.querySelectorAll('main *')].filter(e =>
                [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.includes(name))
                && !e.closest('bdi')).map(e => e.outerHTML.slice(0, 120))""",
            RTL_NAME,
        )
        assert loose == []


def test_one_time_zone_labelled_and_no_internal_names_on_screen(
    page: Any, shared_service: LiveService
) -> None:
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    heading = page.locator("#week-h").inner_text()
    assert "times in America/New_York" in heading
    text = page.locator("body").inner_text()
    for word in (
        "UTC",
        "+00:00",
        "invalid_grant",
        "BLOCKER_API_TOKEN",
        "poll",
        "Busy ·",
        "(rule '",
    ):
        assert word not in text, word
    plan = shared_service.client.get("/api/plan", params={"week": NEXT_WEEK}).json()
    for block in plan["blocks"]:
        assert block["key"] not in text
    shown_details = page.locator("details.ev.block dt").all_text_contents()
    assert shown_details and "Rule" not in shown_details
    page.goto(f"{shared_service.base_url}/login")
    assert TOKEN not in page.content() and "BLOCKER_API_TOKEN" not in page.content()


def test_grid_keyboard_pop_ups_and_targets(page: Any, shared_service: LiveService) -> None:
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    days = page.eval_on_selector_all(
        "section.day",
        "els => els.map(d => [...d.querySelectorAll('details.ev > summary')].length)",
    )
    first_day = next(i for i, n in enumerate(days) if n >= 2)
    day = page.locator("section.day").nth(first_day)
    summaries = day.locator("details.ev > summary")
    summaries.nth(0).focus()
    page.keyboard.press("ArrowDown")
    focused = "() => document.activeElement.closest('details').dataset.start"
    assert page.evaluate(focused) == summaries.nth(1).evaluate("s => s.parentElement.dataset.start")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.closest('section.day').dataset.date") != (
        day.get_attribute("data-date")
    )
    # Pop-ups: one at a time; Escape and a click outside close them.
    summaries.nth(0).click()
    summaries.nth(1).focus()  # the first pop-up may cover it: open it from the keyboard
    page.keyboard.press("Enter")
    assert page.locator("details.ev[open]").count() == 1
    assert summaries.nth(1).evaluate("s => s.parentElement.open")
    page.keyboard.press("Escape")
    assert page.locator("details.ev[open]").count() == 0
    assert page.evaluate(focused) == summaries.nth(1).evaluate("s => s.parentElement.dataset.start")
    summaries.nth(0).click()
    page.locator("#week-h").click()
    assert page.locator("details.ev[open]").count() == 0
    # WCAG 2.2 target size: every block and control on the page is at least 24 x 24 px.
    small = page.eval_on_selector_all(
        "details.ev > summary, .toolbar button, .toolbar a, .toolbar select, #banner a",
        """els => els.map(e => e.getBoundingClientRect())
            .filter(r => r.width > 0 && (r.width < 24 || r.height < 24))
            .map(r => [Math.round(r.width), Math.round(r.height)])""",
    )
    assert small == []
    # The legend names every colour on the grid; no visible "Busy ·" on the page.
    colours = set(
        page.eval_on_selector_all("details.ev.block", "els => els.map(e => e.dataset.color)")
    )
    legend = set(
        page.eval_on_selector_all(
            "#legend .sw[style]", "els => els.map(e => e.getAttribute('style'))"
        )
    )
    assert {f"background-color: {c};" for c in colours} == legend


def test_now_line_is_drawn_from_the_server_clock(page: Any, shared_service: LiveService) -> None:
    page.goto(f"{shared_service.base_url}/?week={THIS_WEEK}")
    line = page.locator("#now-line")
    assert line.count() == 1
    day = line.evaluate("e => e.closest('section.day').dataset.date")
    assert day == NOW.date().isoformat()
    assert re.search(r"\b12:00\b", line.inner_text())
    first = int(page.locator(".hr").first.inner_text()[:2])
    hours = page.locator(".hr").count()
    top = float(line.evaluate("e => e.style.getPropertyValue('--top')").rstrip("%"))
    assert top == pytest.approx((NOW.hour - first) / hours * 100, abs=0.01)
    assert page.get_by_role("link", name="This week").get_attribute("aria-current") == "page"
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    assert page.locator("#now-line").count() == 0  # next week: no "now" on it


def test_sync_and_preview_show_that_they_are_working(
    page: Any, shared_service: LiveService
) -> None:
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    # Hold the forms on the page (a later listener cancels the submit) to see the busy state.
    page.evaluate(
        "() => document.querySelectorAll('form.busy-form').forEach(f =>"
        " f.addEventListener('submit', e => e.preventDefault()))"
    )
    for button_id, busy in (("#sync-btn", "Syncing…"), ("#preview-btn", "Previewing…")):
        button = page.locator(button_id)
        button.click()
        assert button.inner_text() == busy
        # disabled in a setTimeout after the submit is taken (so the form still sends):
        # wait for it rather than race it
        expect(button).to_be_disabled()
        assert button.evaluate("b => b.form.getAttribute('aria-busy')") == "true"
    runs = shared_service.client.get("/api/runs").json()
    assert not [r for r in runs if not r["dry_run"]]  # nothing was sent: no sync ran
