"""The dashboard in headless Chromium against the real app: the actions that change state.

Rules edits, sync runs and connection changes each get a fresh service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import signed_in_page
from tests.service.conftest import NEXT_WEEK, LiveService

pytestmark = pytest.mark.browser

SLOW = 45_000
"""ms for a real sync and the page after it (a read, a plan, a report) on a busy machine."""


@pytest.fixture
def page(browser: Any, app_service: LiveService) -> Iterator[Any]:
    with signed_in_page(browser, app_service.base_url) as tab:
        yield tab


def test_invalid_rules_show_the_error_at_its_line_and_change_nothing(
    page: Any, app_service: LiveService
) -> None:
    before = app_service.client.get("/api/rules").text
    bad = before.replace("  - kind: wrap_up\n", "  - kind: wrap_up\n    colour: red\n", 1)
    assert bad != before
    bad_line = bad.splitlines().index("    colour: red") + 1
    page.goto(f"{app_service.base_url}/rules")
    page.get_by_label("Rules YAML").fill(bad)
    page.get_by_role("button", name="Save rules").click()
    page.locator("#problems").wait_for()
    link = page.locator(f'#problems a[href="#L{bad_line}"]')
    assert "colour" in page.locator(f'#problems li[data-line="{bad_line}"]').inner_text()
    assert "err" in (page.locator(f"#L{bad_line}").get_attribute("class") or "")
    # The highlight band sits on the same row as the numbered line in the gutter.
    band = page.locator(f'.marks .mark[data-line="{bad_line}"]').bounding_box()
    gutter = page.locator(f"#L{bad_line}").bounding_box()
    assert band is not None and gutter is not None
    assert abs(band["y"] - gutter["y"]) <= 2
    # The list links to the line; following it selects the line in the editor.
    link.click()
    selected = page.evaluate(
        "() => { const t = document.getElementById('rules-text');"
        " return t.value.substring(t.selectionStart, t.selectionEnd); }"
    )
    assert selected == "    colour: red"
    # The edit is kept in the editor, and nothing was applied anywhere.
    assert page.get_by_label("Rules YAML").input_value() == bad
    assert app_service.client.get("/api/rules").text == before
    assert len(app_service.client.get("/api/rules/versions").json()) == 1


def test_valid_rules_save_and_an_old_version_restores(page: Any, app_service: LiveService) -> None:
    before = app_service.client.get("/api/rules").text
    edited = before.replace("    at: 12:00\n    minutes: 45", "    at: 12:00\n    minutes: 30")
    assert edited != before
    page.goto(f"{app_service.base_url}/rules")
    page.get_by_label("Rules YAML").fill(edited)
    page.get_by_role("button", name="Save rules").click()
    page.locator("#notice").wait_for()
    assert app_service.client.get("/api/rules").text == edited
    versions = app_service.client.get("/api/rules/versions").json()
    assert [v["is_current"] for v in versions] == [True, False]
    old = versions[1]["id"]
    page.get_by_role("button", name=f"Restore version {old}").click()
    page.locator("#notice").wait_for()
    assert app_service.client.get("/api/rules").text == before
    assert page.get_by_label("Rules YAML").input_value() == before


def test_sync_now_records_a_run_and_preview_lists_the_ops(
    page: Any, app_service: LiveService
) -> None:
    page.goto(f"{app_service.base_url}/?week={NEXT_WEEK}")
    page.get_by_role("button", name="Preview changes").click(timeout=SLOW)
    page.locator("#preview").wait_for(timeout=SLOW)
    previewed = page.locator("#preview .ops li").count()
    assert previewed > 0
    assert page.locator('#preview .ops li[data-action="create"]').count() == previewed
    runs_before = app_service.client.get("/api/runs").json()
    assert all(r["dry_run"] for r in runs_before)

    page.get_by_role("button", name="Sync now").click(timeout=SLOW)
    page.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
    assert "Sync finished" in page.locator("#notice").inner_text()
    assert page.locator("#banner").count() == 0
    runs = app_service.client.get("/api/runs").json()
    real = [r for r in runs if not r["dry_run"]]
    assert len(runs) == len(runs_before) + 1 and len(real) == 1
    assert real[0]["week"] == NEXT_WEEK and len(real[0]["ops"]) == previewed
    assert "created" in page.locator("#runs li").first.inner_text()
    # Now the calendar matches the plan: a second preview has nothing to do.
    page.get_by_role("button", name="Preview changes").click(timeout=SLOW)
    page.locator("#preview").wait_for(timeout=SLOW)
    assert page.locator("#preview .ops li").count() == 0


def test_a_local_calendar_is_not_offered_an_oauth_connect(
    page: Any, app_service: LiveService
) -> None:
    """The example rules use a file on disk only: no Google or Microsoft button, no
    "connected" claim for a file, and no reconnect banner."""
    page.goto(f"{app_service.base_url}/?week={NEXT_WEEK}")
    row = page.locator('#connections li[data-calendar="local"]')
    assert row.get_attribute("data-state") == "local"
    assert "a file on this computer" in row.inner_text()
    assert "connected" not in row.inner_text()
    hrefs = page.eval_on_selector_all("#connections a", "els => els.map(a => a.pathname)")
    assert hrefs == []
    assert page.locator("#banner").count() == 0
