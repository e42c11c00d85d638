"""Hostile API clients (issue 17): bounded bodies, no 500 for odd input, one 422 shape,
bounded rules history, the API's description and the metrics behind a token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import (
    TOKEN,
    LiveService,
    make_settings,
    rules_yaml,
    start_service,
)
from tests.store.pg import fresh_pg_database

YAML = {"Content-Type": "application/yaml"}
METRICS_TOKEN = "m3trics-scrape-t0ken-42"


@contextmanager
def _service(workdir: Path, **overrides: Any) -> Iterator[LiveService]:
    live = start_service(make_settings(workdir, **overrides), start_scheduler=False)
    try:
        yield live
    finally:
        live.stop()


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(workdir: Path) -> None:
    with _service(workdir, api_max_body_bytes=4096) as live:
        before = live.client.get("/api/rules").text
        big = before + "# padding\n" * 500
        declared = live.client.put("/api/rules", content=big, headers=YAML)
        assert declared.status_code == 413
        assert declared.json() == {"detail": "request body larger than 4096 bytes"}

        def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it is read
            data = big.encode()
            for start in range(0, len(data), 512):
                yield data[start : start + 512]

        chunked = live.client.put("/api/rules", content=chunks(), headers=YAML)
        assert chunked.status_code == 413
        assert live.client.get("/api/rules").text == before
        assert len(live.client.get("/api/rules/versions").json()) == 1
        sync = live.client.post("/api/sync", content=b'{"dry_run": true' + b" " * 5000 + b"}")
        assert sync.status_code == 413


def test_a_rules_body_that_is_not_utf8_is_a_located_422(service: LiveService) -> None:
    body = b"timezone: America/New_York\nowner:\n  name: Caf\xe9\n"
    answer = service.client.put("/api/rules", content=body, headers=YAML)
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert (problem["line"], problem["column"]) == (3, 12)
    assert problem["message"] == (
        "the rules are not UTF-8 text (byte 0xe9): save the file as UTF-8"
    )


def test_deeply_nested_yaml_is_a_422_not_a_crash(service: LiveService) -> None:
    before = service.client.get("/api/rules").text
    for hostile in ("a: " + "[" * 50_000 + "]" * 50_000, "a: " + "{a: " * 5000 + "1" + "}" * 5000):
        answer = service.client.put("/api/rules", content=hostile, headers=YAML)
        assert answer.status_code == 422
        [problem] = answer.json()["problems"]
        assert "nest" in problem["message"] and (problem["line"], problem["column"]) >= (1, 1)
    assert service.client.get("/api/rules").text == before


def test_every_422_carries_a_list_of_errors(service: LiveService) -> None:
    """The schema declares ``detail`` a list (FastAPI's shape); it was sent as a string."""
    for answer in (
        service.client.get("/api/plan", params={"week": "2026-W99"}),
        service.client.get("/api/report", params={"week": "soon"}),
        service.client.post("/api/sync", json={"week": "soon"}),
        service.client.post("/api/rules/versions/99999999999999999999/restore"),
        service.client.get("/api/runs", params={"calendar": "a\x00b"}),
    ):
        assert answer.status_code == 422, answer.request.url
        detail = answer.json()["detail"]
        assert isinstance(detail, list) and detail, answer.text
        assert all({"loc", "msg", "type"} <= set(item) for item in detail)
    week = service.client.get("/api/plan", params={"week": "2026-W99"}).json()["detail"]
    assert week[0]["loc"] == ["query", "week"] and "2026-W99" in week[0]["msg"]


def test_a_refused_input_is_echoed_short(service: LiveService) -> None:
    answer = service.client.post("/api/sync", json={"week": "w" * 5000})
    assert answer.status_code == 422
    assert len(answer.text) < 1000


@pytest.mark.postgres
def test_a_nul_in_a_query_is_a_422_on_postgresql(workdir: Path) -> None:
    """PostgreSQL refuses NUL in text; ``/api/runs?calendar=%00`` was a 500."""
    with fresh_pg_database() as url, _service(workdir, database_url=url) as live:
        for calendar in ("\x00", "local\x00"):
            answer = live.client.get("/api/runs", params={"calendar": calendar})
            assert answer.status_code == 422, calendar
        assert live.client.get("/api/runs", params={"calendar": "local"}).json() == []
        forged = live.client.post("/api/sync", json={"calendar": "lo\x00cal", "dry_run": True})
        assert forged.status_code == 422


def test_identical_saves_make_no_version_and_only_the_last_are_kept(workdir: Path) -> None:
    with _service(workdir, rules_versions_kept=3) as live:
        first = live.client.get("/api/rules/versions").json()[0]["id"]
        again = live.client.put("/api/rules", content=live.client.get("/api/rules").text)
        assert again.status_code == 200 and again.json()["version"] == first
        saved = []
        for minute in range(10, 15):
            text = rules_yaml(lunch_at=f"12:{minute}")
            answer = live.client.put("/api/rules", content=text, headers=YAML)
            assert answer.status_code == 200, answer.text
            saved.append(answer.json()["version"])
        versions = live.client.get("/api/rules/versions").json()
        assert [v["id"] for v in versions] == saved[:-4:-1]
        assert [v["is_current"] for v in versions] == [True, False, False]
        gone = live.client.post(f"/api/rules/versions/{first}/restore")
        assert gone.status_code == 404 and gone.json() == {"detail": f"no rules version {first}"}


def test_the_api_description_needs_the_token_and_loads_no_third_party_script(
    service: LiveService,
) -> None:
    base = service.base_url
    assert httpx.get(f"{base}/openapi.json").status_code == 401
    assert service.client.get("/openapi.json").json()["info"]["title"] == "csm-blocker"
    assert httpx.get(f"{base}/redoc").status_code == 404
    docs = httpx.get(f"{base}/docs")
    assert docs.status_code == 303 and docs.headers["location"].startswith("/login?next=")
    with httpx.Client(base_url=base, follow_redirects=False) as browser:
        assert browser.post("/login", data={"token": TOKEN}).status_code == 303
        page = browser.get("/docs")
        assert page.status_code == 200
        assert "PUT /api/rules" in page.text and "/openapi.json" in page.text
        assert "<script" not in page.text.lower()
        assert re.search(r"(src|href)=\"https?://", page.text) is None
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert browser.get("/openapi.json").status_code == 200  # the session opens it too


def test_metrics_can_be_put_behind_their_own_token(workdir: Path) -> None:
    with _service(workdir) as live:
        assert httpx.get(f"{live.base_url}/metrics").status_code == 200  # open by default
    with _service(workdir, metrics_token=METRICS_TOKEN) as live:
        url = f"{live.base_url}/metrics"
        assert httpx.get(url).status_code == 401
        api_token = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert api_token.status_code == 401
        scrape = httpx.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert scrape.status_code == 200 and "blocker_runs" in scrape.text
