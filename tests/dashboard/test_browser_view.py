"""The week page in headless Chromium against the real app (local .ics, SQLite): reading.

Every figure the page shows is compared with the JSON API that serves the same
week, so the grid and the scorecard cannot drift from the plan and the report.
These tests share one service and must not change its state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.dashboard.conftest import ARTIFACTS, signed_in_page
from tests.dashboard.helpers import number, rgb, sign_in
from tests.service.conftest import NEXT_WEEK, TOKEN, LiveService

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any, shared_service: LiveService) -> Iterator[Any]:
    with signed_in_page(browser, shared_service.base_url) as tab:
        yield tab


def test_week_grid_shows_every_block_on_its_day_in_its_colour(
    page: Any, shared_service: LiveService
) -> None:
    plan = shared_service.client.get("/api/plan", params={"week": NEXT_WEEK}).json()
    assert plan["blocks"], "the example week should plan blocks"
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "week.png"), full_page=True)

    tz = ZoneInfo(plan["timezone"])
    shown = page.eval_on_selector_all(
        "details.ev.block",
        """els => els.map(e => ({
            key: e.dataset.key,
            day: e.closest('section.day').dataset.date,
            bg: getComputedStyle(e).backgroundColor,
        }))""",
    )
    by_key = {row["key"]: row for row in shown}
    assert set(by_key) == {b["key"] for b in plan["blocks"]}
    for block in plan["blocks"]:
        row = by_key[block["key"]]
        day = datetime.fromisoformat(block["start"]).astimezone(tz).date().isoformat()
        assert row["day"] == day, block["key"]
        assert row["bg"] == rgb(block["color"]), block["key"]
    # The user's own meetings are there too, in grey, and never in a rule's colour.
    meetings = page.eval_on_selector_all(
        "details.ev.meeting", "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    assert meetings and set(meetings) == {rgb("#DADCE0")}


def test_block_text_is_readable_on_its_colour(page: Any, shared_service: LiveService) -> None:
    ratios = page.eval_on_selector_all(
        "details.ev > summary",
        """els => els.map(s => {
            const lum = c => {
                const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(Number).map(v => {
                    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const fg = lum(getComputedStyle(s).color);
            const bg = lum(getComputedStyle(s.parentElement).backgroundColor);
            return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        })""",
    )
    assert ratios and min(ratios) >= 4.5


def test_block_details_open_from_the_keyboard(page: Any, shared_service: LiveService) -> None:
    plan = shared_service.client.get("/api/plan", params={"week": NEXT_WEEK}).json()
    block = next(b for b in plan["blocks"] if b["account"] and not b["all_day"])
    summary = page.locator(f'details.ev.block[data-key="{block["key"]}"] > summary')
    summary.focus()
    page.keyboard.press("Enter")
    pop = page.locator(f'details.ev.block[data-key="{block["key"]}"] .pop')
    pop.wait_for(state="visible")
    text = pop.inner_text()
    # The reason as the page says it: without the rule's internal id.
    reason = re.sub(r" \(rule '[^']*'\)", "", block["reason"])
    assert reason and "(rule '" not in text
    for expected in (block["account"], block["tier"], reason, block["show_as"]):
        assert expected in text
    assert f"Q{block['quadrant']}" in text


def test_scorecard_figures_match_the_json_report(page: Any, shared_service: LiveService) -> None:
    report = shared_service.client.get("/api/report", params={"week": NEXT_WEEK}).json()
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    for name, tier in report["tiers"].items():
        row = page.locator(f'#sc-tiers tr[data-tier="{name}"]')
        assert number(row.locator(".share").inner_text()) == pytest.approx(
            tier["share"] * 100, abs=0.051
        )
        assert number(row.locator(".hours").inner_text()) == pytest.approx(
            tier["minutes"] / 60, abs=0.051
        )
        planned_status = row.locator(".status-planned").inner_text()
        assert ("off target" in planned_status) is (not tier["ok"])
    for q, share in report["quadrants"].items():
        cell = page.locator(f'#sc-quadrants tr[data-quadrant="Q{q}"] .share')
        assert number(cell.inner_text()) == pytest.approx(share * 100, abs=0.051)
    for name, cat in report["categories"].items():
        row = page.locator(f'#sc-categories tr[data-category="{name}"]')
        assert number(row.locator(".share").inner_text()) == pytest.approx(
            cat["share"] * 100, abs=0.051
        )
    protected = page.locator("#sc-protected .hours").inner_text()
    assert number(protected) == pytest.approx(report["protected_minutes"] / 60, abs=0.051)
    flags = page.locator("#sc-flags .flag").all_inner_texts()
    assert flags == report["flags"]


def _hours_share(row: Any, prefix: str) -> tuple[float, float]:
    return (
        number(row.locator(f".{prefix}hours").inner_text()),
        number(row.locator(f".{prefix}share").inner_text()),
    )


def test_actual_figures_match_the_json_report(page: Any, shared_service: LiveService) -> None:
    """Every planned-vs-actual figure on the page is the one ``GET /api/report`` serves.

    The service clock's own week (Fri 2026-11-27): actuals are counted up to now, and a
    week still ahead has none to show."""
    week = "2026-W48"
    actual = shared_service.client.get("/api/report", params={"week": week}).json()["actual"]
    assert actual["state"] == "in_progress"
    page.goto(f"{shared_service.base_url}/?week={week}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator("aside.side").screenshot(path=str(ARTIFACTS / "scorecard-actual.png"))
    assert actual["meetings"]["account"] > 0, "the example week should have account meetings"
    approx = {"abs": 0.051}
    tables = (
        ("#sc-tiers", "tier", actual["tiers"], ""),
        ("#sc-categories", "category", actual["categories"], ""),
    )
    for table, attr, rows, prefix in (
        *tables,
        ("#sc-quadrants", "quadrant", actual["quadrants"], "Q"),
    ):
        assert rows, table
        for name, want in rows.items():
            row = page.locator(f'{table} tr[data-{attr}="{prefix}{name}"]')
            planned = _hours_share(row, "")
            shown = _hours_share(row, "actual-")
            assert shown[0] == pytest.approx(want["actual_minutes"] / 60, **approx), name
            assert shown[1] == pytest.approx(want["actual_share"] * 100, **approx), name
            assert planned[0] == pytest.approx(want["planned_minutes"] / 60, abs=0.051), name
            if "ok" in want:
                status = row.locator(".status-actual").inner_text()
                assert ("off target" in status) is (not want["ok"]), name
    for part in ("top", "bottom"):
        shown_rows = page.locator(f"#sc-{part}-accounts tbody tr")
        assert shown_rows.count() == len(actual["accounts"][part])
        for i, want in enumerate(actual["accounts"][part]):
            row = shown_rows.nth(i)
            assert row.get_attribute("data-account") == want["account"]
            assert row.locator(".tier").inner_text() == (want["tier"] or "—")
            assert number(row.locator(".hours").inner_text()) == pytest.approx(
                want["planned_minutes"] / 60, **approx
            )
            assert number(row.locator(".actual-hours").inner_text()) == pytest.approx(
                want["actual_minutes"] / 60, **approx
            )
            assert number(row.locator(".actual-share").inner_text()) == pytest.approx(
                want["actual_share"] * 100, **approx
            )
    meetings = page.eval_on_selector_all(
        "#sc-meetings tr[data-kind]",
        """els => Object.fromEntries(els.map(e =>
            [e.dataset.kind, Number(e.querySelector('.hours').dataset.minutes)]))""",
    )
    assert meetings == actual["meetings"]
    missed = page.eval_on_selector_all("#sc-missed li", "els => els.map(e => e.dataset.account)")
    assert missed == [m["account"] for m in actual["missed_touchpoints"]]
    for m in actual["missed_touchpoints"]:
        text = page.locator(f'#sc-missed li[data-account="{m["account"]}"]').inner_text()
        assert m["cadence"] in text and (m["last_contact"] or "never") in text
    flags = page.locator("#sc-actual-flags .flag").all_inner_texts()
    assert flags == actual["flags"]
    # Planned and Actual head their own columns, for screen readers too.
    groups = page.eval_on_selector_all(
        "#sc-tiers thead th[scope=colgroup]", "els => els.map(e => e.textContent.trim())"
    )
    assert groups == ["Planned", "Actual"]


def test_phone_width_lists_days_without_horizontal_scroll(
    browser: Any, shared_service: LiveService
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        tab = context.new_page()
        sign_in(tab, shared_service.base_url, f"/?week={NEXT_WEEK}")
        tab.screenshot(path=str(ARTIFACTS / "week-phone.png"))
        for path in (f"/?week={NEXT_WEEK}", "/rules"):
            tab.goto(shared_service.base_url + path)
            widths = tab.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (path, widths)
        tab.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
        positions = tab.eval_on_selector_all(
            ".slot", "els => [...new Set(els.map(e => getComputedStyle(e).position))]"
        )
        assert positions == ["static"]  # a list per day, not a positioned grid
        assert not tab.locator(".gutter").is_visible()
    finally:
        context.close()


def test_every_control_is_labelled_and_the_token_never_reaches_the_page(
    page: Any, shared_service: LiveService
) -> None:
    for path in (f"/?week={NEXT_WEEK}", "/rules"):
        page.goto(shared_service.base_url + path)
        unlabelled = page.eval_on_selector_all(
            "input:not([type=hidden]), select, textarea, button",
            """els => els.filter(e => !(e.labels && e.labels.length) &&
                !e.getAttribute('aria-label') && !e.textContent.trim()).map(e => e.outerHTML)""",
        )
        assert unlabelled == []
        assert page.locator("main").count() == 1 and page.locator("nav").count() >= 1
        assert TOKEN not in page.content()
        cookies = page.context.cookies()
        assert all(TOKEN not in c["value"] for c in cookies)
        assert any(c["httpOnly"] for c in cookies)


def test_focus_is_visible_on_controls(page: Any, shared_service: LiveService) -> None:
    page.goto(f"{shared_service.base_url}/?week={NEXT_WEEK}")
    page.get_by_role("button", name="Sync now").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.id, s.outlineStyle, s.outlineWidth]; }"
    )
    assert style[0] == "sync-btn" and style[1] == "solid" and style[2] == "3px"
