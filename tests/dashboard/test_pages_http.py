"""Sign-in, sessions and CSRF of the browser pages, over plain HTTP (no browser needed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from blocker.web.routes.pages import COOKIE
from tests.service.conftest import NEXT_WEEK, TOKEN, LiveService


@contextmanager
def _signed_in(service: LiveService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service.base_url, follow_redirects=False, timeout=30) as client:
        answer = client.post("/login", data={"token": TOKEN, "next": "/rules"})
        assert answer.status_code == 303 and answer.headers["location"] == "/rules"
        yield client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def test_pages_need_a_session_and_a_wrong_token_is_refused(shared_service: LiveService) -> None:
    with httpx.Client(base_url=shared_service.base_url, follow_redirects=False) as anon:
        for path in (f"/?week={NEXT_WEEK}", "/rules"):
            answer = anon.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?next=")
        wrong = anon.post("/login", data={"token": "not-the-token", "next": "/"})
        assert wrong.status_code == 401 and "not right" in wrong.text
        assert COOKIE not in wrong.headers.get("set-cookie", "")
        anon.cookies.set(COOKIE, "9999999999.deadbeef")
        assert anon.get("/").status_code == 303


def test_session_cookie_is_httponly_strict_and_never_the_token(
    shared_service: LiveService,
) -> None:
    with _signed_in(shared_service) as client:
        cookie = client.cookies.get(COOKIE)
        assert cookie and TOKEN not in cookie
        page = client.get(f"/?week={NEXT_WEEK}")
        assert page.status_code == 200 and TOKEN not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        # The bearer-token API stays bearer-only: the cookie does not open it.
        assert client.get("/api/runs").status_code == 401


def test_posts_without_the_csrf_token_are_refused(shared_service: LiveService) -> None:
    with _signed_in(shared_service) as client:
        text = client.get("/api/rules", headers={"Authorization": f"Bearer {TOKEN}"}).text
        refused = client.post("/rules", data={"csrf": "0" * 64, "text": text})
        assert refused.status_code == 403
        refused = client.post("/sync", data={"csrf": "", "week": NEXT_WEEK, "calendar": "local"})
        assert refused.status_code == 403
        runs = shared_service.client.get("/api/runs").json()
        assert runs == []


def test_sign_in_only_redirects_within_the_site(shared_service: LiveService) -> None:
    with httpx.Client(base_url=shared_service.base_url, follow_redirects=False) as client:
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            answer = client.post("/login", data={"token": TOKEN, "next": target})
            assert answer.headers["location"] == "/", target


def test_a_bad_week_is_refused(shared_service: LiveService) -> None:
    with _signed_in(shared_service) as client:
        assert client.get("/?week=2026-W99").status_code == 422
        assert client.get("/?calendar=nope").status_code == 404


def test_only_the_known_assets_are_served(shared_service: LiveService) -> None:
    with httpx.Client(base_url=shared_service.base_url) as client:
        css = client.get("/static/dashboard.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert client.get("/static/rules.js").status_code == 200
        for name in ("__init__.py", "..%2Freport_html.py", "nope.css"):
            assert client.get(f"/static/{name}").status_code == 404


def test_sign_out_ends_the_session(app_service: LiveService) -> None:
    with _signed_in(app_service) as client:
        page = client.get(f"/?week={NEXT_WEEK}")
        out = client.post("/logout", data={"csrf": _csrf(page.text)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert client.get("/").status_code == 303


@pytest.mark.parametrize("crlf", [True, False])
def test_saved_rules_keep_unix_line_ends(app_service: LiveService, crlf: bool) -> None:
    """Browsers send textarea text with CRLF; the rules file must not change style."""
    with _signed_in(app_service) as client:
        page = client.get("/rules")
        text = app_service.client.get("/api/rules").text.replace(
            "    at: 12:00\n    minutes: 45", "    at: 12:00\n    minutes: 30"
        )
        sent = text.replace("\n", "\r\n") if crlf else text
        saved = client.post("/rules", data={"csrf": _csrf(page.text), "text": sent})
        assert saved.status_code == 303, saved.text[:500]
        assert app_service.client.get("/api/rules").text == text
        assert app_service.runtime.rules_path is not None
        assert app_service.runtime.rules_path.read_bytes() == text.encode()


def test_forged_non_ascii_cookie_and_csrf_are_refused_not_a_server_error(
    shared_service: LiveService,
) -> None:
    # hmac.compare_digest raises TypeError on non-ASCII str: that must mean "refused"
    with httpx.Client(base_url=shared_service.base_url, follow_redirects=False) as anon:
        forged = f"{COOKIE}=1.caf\xe9".encode("latin-1")
        answer = anon.get(f"/?week={NEXT_WEEK}", headers={"Cookie": forged})  # type: ignore[dict-item]
        assert answer.status_code == 303
    with _signed_in(shared_service) as client:
        refused = client.post("/logout", data={"csrf": "caf\xe9"})
        assert refused.status_code == 403


_KEY = re.compile(r"[a-z_]+/\d{4}-\d{2}-\d{2}/\d+")


def _section(html: str, start: str) -> str:
    """The visible text of the list that follows ``start`` (tags dropped)."""
    at = html.index(start)
    body = html[at : html.index("</ul>", at)]
    return re.sub(r"<[^>]+>", "", body)


def test_preview_and_scorecard_name_blocks_by_title_in_local_time(
    app_service: LiveService,
) -> None:
    """Issue 15.5: no internal key in what the page shows, all-day blocks say "all day"."""
    with _signed_in(app_service) as client:
        page = client.get(f"/?week={NEXT_WEEK}")
        form = {"csrf": _csrf(page.text), "week": NEXT_WEEK, "calendar": "local"}
        shown = client.post("/preview", data=form)
        assert shown.status_code == 200, shown.text[:500]
    ops = _section(shown.text, '<ul class="ops">')
    short = _section(shown.text, 'id="sc-shortfall"')
    for text in (ops, short):
        assert not _KEY.search(text), _KEY.search(text)
        assert "00:00–00:00" not in text and "+00:00" not in text
    # The calendar's "Busy · " prefix is not repeated on the page: every block is ours.
    assert "Meeting-free day Fri 04 Dec, all day — created: " in ops
    assert "Focus time</strong>: 225 of 240 min" in shown.text
    assert "Busy ·" not in re.sub(r"<[^>]+>", "", shown.text)
