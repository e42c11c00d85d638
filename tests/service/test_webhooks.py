"""Webhooks: forged calls change nothing; verified ones schedule one debounced rebalance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import LiveService, make_settings, rules_yaml, start_service, wait_for
from tests.support.clock import ticking_clock

SECRET = "channel-secret-1234"


@pytest.fixture
def memservice(tmp_path: Path) -> Iterator[LiveService]:
    (tmp_path / "rules.yaml").write_text(rules_yaml(provider="memory"))
    live = start_service(make_settings(tmp_path))
    expires = ticking_clock() + timedelta(days=2)
    live.runtime.store.save_channel("mem", "google", "g-chan", SECRET, expires, "res-1")
    live.runtime.store.save_channel("mem", "outlook", "sub-1", SECRET, expires)
    try:
        yield live
    finally:
        live.stop()


def _webhook_runs(live: LiveService) -> list[object]:
    return [r for r in live.runtime.store.runs("mem", 100) if r.trigger == "webhook"]


def _nothing_triggered(live: LiveService) -> bool:
    return "rebalance:mem" not in live.scheduler.job_ids() and not _webhook_runs(live)


def _google(live: LiveService, **headers: str) -> httpx.Response:
    base = {
        "X-Goog-Channel-ID": "g-chan",
        "X-Goog-Channel-Token": SECRET,
        "X-Goog-Resource-ID": "res-1",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "2",
    }
    base.update(headers)
    return httpx.post(f"{live.base_url}/webhooks/google", headers=base)


def test_google_notifications_are_verified(memservice: LiveService) -> None:
    assert _google(memservice, **{"X-Goog-Channel-Token": "forged"}).status_code == 401
    assert _google(memservice, **{"X-Goog-Channel-ID": "other"}).status_code == 401
    assert _google(memservice, **{"X-Goog-Resource-ID": "res-2"}).status_code == 401
    assert _google(memservice, **{"X-Goog-Resource-State": "sync"}).status_code == 200
    assert _nothing_triggered(memservice)
    assert _google(memservice).status_code == 200
    [run] = wait_for(lambda: _webhook_runs(memservice), what="webhook rebalance")
    assert not run.errors


def test_graph_validation_and_client_state(memservice: LiveService) -> None:
    url = f"{memservice.base_url}/webhooks/microsoft"
    echo = httpx.post(url, params={"validationToken": "abc 123"})
    assert echo.status_code == 200 and echo.text == "abc 123"
    assert echo.headers["content-type"].startswith("text/plain")
    item = {
        "subscriptionId": "sub-1",
        "changeType": "updated",
        "resource": "me/events/AAA",
        "resourceData": {"id": "AAA"},
    }
    forged = httpx.post(url, json={"value": [{**item, "clientState": "nope"}]})
    assert forged.status_code == 202
    assert httpx.post(url, content=b"not json").status_code == 400
    hostile = b"[" * 100_000 + b"]" * 100_000  # deep enough to exhaust the JSON parser
    assert httpx.post(url, content=hostile).status_code == 400
    assert _nothing_triggered(memservice)
    ok = httpx.post(url, json={"value": [{**item, "clientState": SECRET}]})
    assert ok.status_code == 202
    [run] = wait_for(lambda: _webhook_runs(memservice), what="webhook rebalance")
    assert not run.errors
    removed = {
        "subscriptionId": "sub-1",
        "clientState": SECRET,
        "lifecycleEvent": "subscriptionRemoved",
    }
    assert httpx.post(url, json={"value": [removed]}).status_code == 202
    assert memservice.runtime.store.find_channel("sub-1") is None
