"""Dashboard credentials (issue 17.5): sign-out revokes the session on the server, and
wrong tokens are throttled per source address. The app's clock is a hand-moved one."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from blocker.web.app import create_app
from blocker.web.routes.pages import COOKIE, SESSION_SECONDS
from tests.dashboard.conftest import copy_example
from tests.service.conftest import NEXT_WEEK, NOW, TOKEN, LiveService, make_settings
from tests.support.clock import SettableClock as HandClock
from tests.support.server import start_server


@pytest.fixture
def clock() -> HandClock:
    return HandClock(NOW)


@pytest.fixture
def live(tmp_path: Path, clock: HandClock) -> Iterator[LiveService]:
    app = create_app(
        make_settings(copy_example(tmp_path), login_attempts_per_minute=3),
        clock=clock,
        start_scheduler=False,
    )
    server = start_server(app)
    client = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    service = LiveService(app=app, base_url=server.base_url, client=client, server=server)
    try:
        yield service
    finally:
        service.stop()


def _browser(live: LiveService) -> httpx.Client:
    return httpx.Client(base_url=live.base_url, follow_redirects=False, timeout=30)


def _sign_in(client: httpx.Client, token: str = TOKEN) -> httpx.Response:
    return client.post("/login", data={"token": token, "next": "/"})


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match
    return match.group(1)


def test_sign_out_revokes_the_session_for_every_copy_of_the_cookie(live: LiveService) -> None:
    with _browser(live) as browser, _browser(live) as thief:
        assert _sign_in(browser).status_code == 303
        cookie = browser.cookies[COOKIE]
        thief.cookies.set(COOKIE, cookie)
        page = thief.get(f"/?week={NEXT_WEEK}")
        assert page.status_code == 200  # a copy works while the session lives
        out = browser.post("/logout", data={"csrf": _csrf(page.text)})
        assert out.status_code == 303
        # The copy is refused from now on: the server knows the session ended.
        assert thief.get(f"/?week={NEXT_WEEK}").status_code == 303
        assert thief.get("/rules").headers["location"].startswith("/login")
        calendar = live.runtime.calendar_ids()[0]
        form = {"csrf": _csrf(page.text), "week": NEXT_WEEK, "calendar": calendar}
        again = thief.post("/sync", data=form)
        # Refused, nothing run: the sign-in page, keeping the form to send again.
        assert again.status_code == 401 and 'name="replay" value="/sync"' in again.text
        assert not [r for r in live.client.get("/api/runs").json() if not r["dry_run"]]
        assert live.runtime.store.session_revoked(cookie.split(".")[1])
        # Signing in again makes a new session, which works.
        assert _sign_in(browser).status_code == 303
        assert browser.cookies[COOKIE] != cookie
        assert browser.get(f"/?week={NEXT_WEEK}").status_code == 200


def test_sessions_still_end_after_twelve_hours(live: LiveService, clock: HandClock) -> None:
    with _browser(live) as browser:
        _sign_in(browser)
        assert browser.get("/rules").status_code == 200
        clock.now = NOW + timedelta(seconds=SESSION_SECONDS + 1)
        assert browser.get("/rules").status_code == 303


def test_a_cookie_of_the_old_format_is_refused(live: LiveService) -> None:
    key = hmac.new(TOKEN.encode(), b"csm-blocker dashboard session v1", hashlib.sha256).digest()
    issued = str(int(NOW.timestamp()))
    mac = hmac.new(key, f"session:{issued}".encode(), hashlib.sha256).hexdigest()
    with _browser(live) as browser:
        browser.cookies.set(COOKIE, f"{issued}.{mac}")  # unrevokable: no session id
        assert browser.get("/rules").status_code == 303


def test_wrong_tokens_are_throttled_per_source(live: LiveService, clock: HandClock) -> None:
    with _browser(live) as browser:
        for _ in range(3):
            assert _sign_in(browser, "not-the-token").status_code == 401
        # The fourth attempt is not even checked: the right token is refused too.
        for token in ("not-the-token", TOKEN):
            throttled = _sign_in(browser, token)
            assert throttled.status_code == 429
            assert throttled.headers["retry-after"] == "20"
            assert COOKIE not in throttled.headers.get("set-cookie", "")
            assert "try again in 20 seconds" in throttled.text
        # Another address has its own budget.
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=live.base_url, transport=other) as elsewhere:
            assert _sign_in(elsewhere).status_code == 303
        clock.now = NOW + timedelta(seconds=20)  # one attempt back
        assert _sign_in(browser).status_code == 303
    registry = live.runtime.metrics.registry
    counts = {
        outcome: registry.get_sample_value("blocker_sign_ins_total", {"outcome": outcome})
        for outcome in ("ok", "refused", "throttled")
    }
    assert counts == {"ok": 2.0, "refused": 3.0, "throttled": 2.0}
