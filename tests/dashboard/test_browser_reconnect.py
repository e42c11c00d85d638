"""The reconnect journey (issue 19 "Done when"), in headless Chromium against the Google fake.

Google refuses the stored refresh token (``invalid_grant`` at its token endpoint,
as after the user withdrew access); a sync from the page fails; the page asks,
once and in plain words, to reconnect; its button goes through the (fake) consent
redirect and back; then nothing is asked and the page says what the store and the
page's own read of the calendar say. Every state's words are checked against the
store, the run records and the fake's request log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.google_service import CALENDAR, GoogleService, google_service
from tests.dashboard.helpers import sign_in
from tests.support.clock import next_week

pytestmark = pytest.mark.browser

SLOW = 45_000
"""ms for a real sync and the page after it on a busy machine."""
JARGON = (
    "invalid_grant",
    "refresh token",
    "OAuth",
    "Token has been",
    "BLOCKER_",
    "blocker connect",
)


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleService]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks http
    with google_service(tmp_path) as svc:
        yield svc


def _states(page: Any) -> dict[str, str]:
    return dict(
        page.eval_on_selector_all(
            "details.ev.block", "els => els.map(e => [e.dataset.key, e.dataset.state])"
        )
    )


def _events_read(svc: GoogleService) -> list[int]:
    """Statuses of the calendar reads since the log was cleared."""
    return [r.status for r in svc.google.requests(path_contains="/events", method="GET")]


def test_a_refused_token_asks_once_to_reconnect_and_the_consent_flow_clears_it(
    browser: Any, service: GoogleService
) -> None:
    week = next_week()
    old_token = service.connect_backdoor()
    store = service.runtime.store
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, service.base_url, f"/?week={week}")
        page.get_by_role("button", name=re.compile("^Sync now")).first.click(timeout=SLOW)
        page.wait_for_url(lambda url: "synced=ok" in url, timeout=SLOW)
        written = store.mappings(CALENDAR, week)
        assert written and len(service.google.live_events()) == len(written)
        assert page.locator("#banner").count() == 0, page.locator("#banner").text_content()

        # Google withdraws the grant: the token endpoint answers invalid_grant
        service.google.oauth.revoke(old_token)
        service.google.oauth.expire_access_tokens()
        service.google.clear_log()
        page.get_by_role("button", name=re.compile("^Sync now")).first.click(timeout=SLOW)
        page.wait_for_load_state()
        assert "synced=ok" not in page.url
        assert page.locator("#notice").count() == 0  # no success said beside a failure
        refused = [r for r in service.google.log if r.path == "/token"]
        assert refused and {r.status for r in refused} == {400}
        assert 200 not in _events_read(service)  # nothing was read, by the sync or the page

        # the store and the run record say what the page says
        conn = store.get_connection(CALENDAR)
        assert conn is not None and conn.status == "needs_reconnect"
        [last] = [r for r in store.runs(CALENDAR, 5) if not r.dry_run][:1]
        assert last.errors and last.trigger == "api"
        banner = page.locator("#banner li")
        assert banner.count() == 1, banner.all_inner_texts()
        one = page.locator('#banner li[data-action="reconnect"]')
        text = one.inner_text()
        assert f"Calendar {CALENDAR} needs reconnecting" in text
        assert one.get_by_role("link", name="Reconnect").count() == 1
        asks = page.locator("#banner").inner_text() + page.locator("#connections").inner_text()
        for word in JARGON:
            assert word not in asks, word
        assert "invalid_grant" not in page.locator("body").inner_text()  # nor in the run log
        row = page.locator(f'#connections li[data-calendar="{CALENDAR}"]')
        assert row.get_attribute("data-state") == "needs_reconnect"
        assert "needs reconnecting" in row.inner_text()
        # the page's own read failed too: it claims no block is on the calendar
        assert page.locator("details.ev.block").count() == 0
        assert page.locator("#sc-no-data").count() == 1
        assert page.locator(".scorecard .st-ok").count() == 0
        assert len(service.google.live_events()) == len(written)  # nothing lost

        # Reconnect: the fake consent page answers at once and sends the browser back
        service.google.clear_log()
        one.get_by_role("link", name="Reconnect").click()
        page.wait_for_url(f"{service.base_url}/", timeout=SLOW)  # the callback's way back
        page.goto(f"{service.base_url}/?week={week}&calendar={CALENDAR}")
        consent = [r for r in service.google.log if r.path == "/o/oauth2/auth"]
        assert len(consent) == 1 and consent[0].status == 302
        assert old_token not in service.google.oauth.refresh_tokens
        assert len(service.google.oauth.refresh_tokens) == 1  # the new grant

        conn = store.get_connection(CALENDAR)
        assert conn is not None and conn.status == "connected" and conn.has_tokens
        assert page.locator("#banner").count() == 0
        assert row.get_attribute("data-state") == "connected"
        assert re.search(r"(?<!not )connected", row.inner_text())
        # the page's read succeeded, and what it calls "on your calendar" is there
        assert _events_read(service)[-1] == 200
        states = _states(page)
        conflicts = {c.key for c in service.runtime.preview(CALENDAR, week).plan.conflicts}
        assert states and {s for k, s in states.items() if k not in conflicts} == {"synced"}
        assert {k for k in states if k not in conflicts} <= set(written)
        assert page.locator("#sc-no-data").count() == 0
    finally:
        context.close()
