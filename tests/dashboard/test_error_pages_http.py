"""Errors answer a browser with a page and a way back, an API client with JSON (issue 19.2)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.service.conftest import NEXT_WEEK, TOKEN, LiveService

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def browser_client(shared_service: LiveService) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=shared_service.base_url, follow_redirects=False, headers={"Accept": BROWSER}
    ) as client:
        answer = client.post("/login", data={"token": TOKEN, "next": "/"})
        assert answer.status_code == 303
        yield client


def _says(answer: httpx.Response) -> str:
    assert answer.headers["content-type"].startswith("text/html"), answer.text[:200]
    match = re.search(r'<p id="error-message">(.*?)</p>', answer.text, re.S)
    assert match, answer.text[:500]
    assert 'id="error-back"' in answer.text  # always a way back
    return match.group(1)


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/no/such/page", 404, "There is no page at /no/such/page."),
        ("/?week=2026-W99", 422, "is not a week. Weeks look like 2026-W49"),
        ("/?week=next-tuesday", 422, "is not a week"),
        ("/?calendar=nope", 404, "There is no calendar &#39;nope&#39; in your rules"),
    ],
)
def test_a_browser_gets_a_page_in_plain_words(
    browser_client: httpx.Client, path: str, status: int, words: str
) -> None:
    answer = browser_client.get(path)
    assert answer.status_code == status
    assert words in _says(answer)
    assert "detail" not in answer.text  # no raw JSON


def test_connect_for_a_calendar_the_rules_do_not_list_is_a_page(
    browser_client: httpx.Client,
) -> None:
    answer = browser_client.get("/connect/google", params={"calendar": "nope"})
    assert answer.status_code in (400, 404)
    text = _says(answer)
    assert text and "{" not in text


def test_api_clients_still_get_json(shared_service: LiveService) -> None:
    client = shared_service.client  # bearer token, Accept */*
    assert client.get("/api/plan", params={"week": "2026-W99"}).json()["detail"]
    assert client.get("/api/plan", params={"calendar": "nope"}).status_code == 404
    assert client.get("/api/plan", params={"calendar": "nope"}).json()["detail"]
    # Even a client that prefers HTML gets JSON from the API.
    api = client.get(
        "/api/plan", params={"calendar": "nope", "week": NEXT_WEEK}, headers={"Accept": BROWSER}
    )
    assert api.headers["content-type"].startswith("application/json")
    with httpx.Client(base_url=shared_service.base_url) as anon:
        json_first = anon.get("/no/such/page", headers={"Accept": "application/json"})
        assert json_first.json() == {"detail": "Not Found"}


def test_a_post_after_the_session_ended_keeps_the_form_and_offers_to_send_it_again(
    shared_service: LiveService,
) -> None:
    with httpx.Client(
        base_url=shared_service.base_url, follow_redirects=False, headers={"Accept": BROWSER}
    ) as client:
        form = {"csrf": "0" * 64, "week": NEXT_WEEK, "calendar": "local"}
        answer = client.post("/preview", data=form)  # no session at all
        assert answer.status_code == 401
        assert "Your session ended, so nothing was done yet" in answer.text
        assert 'name="replay" value="/preview"' in answer.text
        assert f'name="r_week" value="{NEXT_WEEK}"' in answer.text
        assert 'name="r_calendar" value="local"' in answer.text
        signed = client.post(
            "/login",
            data={
                "token": TOKEN,
                "next": f"/?week={NEXT_WEEK}&calendar=local",
                "replay": "/preview",
                "r_week": NEXT_WEEK,
                "r_calendar": "local",
            },
        )
        assert signed.status_code == 200 and "You are signed in again" in signed.text
        assert 'action="/preview"' in signed.text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', signed.text)
        assert csrf
        done = client.post(
            "/preview", data={"csrf": csrf.group(1), "week": NEXT_WEEK, "calendar": "local"}
        )
        assert done.status_code == 200 and 'id="preview"' in done.text
        # An unknown action is never offered again (only Sync, Preview and Save rules).
        odd = client.post("/login", data={"token": TOKEN, "next": "/", "replay": "/logout"})
        assert odd.status_code == 303


def test_report_downloads_need_a_session_and_a_known_format(
    shared_service: LiveService, browser_client: httpx.Client
) -> None:
    with httpx.Client(base_url=shared_service.base_url, follow_redirects=False) as anon:
        answer = anon.get("/report", params={"week": NEXT_WEEK, "format": "csv"})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    odd = browser_client.get("/report", params={"week": NEXT_WEEK, "format": "xlsx"})
    assert odd.status_code == 404 and "xlsx" in _says(odd)


def test_a_form_with_a_stale_csrf_token_says_the_page_was_old(
    browser_client: httpx.Client,
) -> None:
    """The CSRF 403 keeps its own words; other 403s (a role, a token's scope) say why."""
    answer = browser_client.post(
        "/preview", data={"csrf": "0" * 64, "week": NEXT_WEEK, "calendar": "local"}
    )
    assert answer.status_code == 403
    assert "sent from an old page. Nothing was changed" in _says(answer)
    assert "That form has expired" in answer.text and "Not allowed" not in answer.text
