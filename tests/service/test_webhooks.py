"""Webhooks: forged calls change nothing and cost nothing; verified ones schedule one
debounced rebalance (issue 17.3: bounded bodies and items, secrets checked with the
key before any database work, a rate limit per source, forged items counted, not
logged, the validation token bounded and sent with nosniff)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from blocker.channel_secrets import google_channel_token, graph_client_state, new_graph_nonce
from blocker.store import TokenCipher
from tests.service.conftest import LiveService, make_settings, rules_yaml, start_service, wait_for
from tests.store.pg import fresh_pg_database
from tests.support.clock import ticking_clock

KEY = TokenCipher.generate_key()
NONCE = new_graph_nonce()


@contextmanager
def _memservice(
    tmp_path: Path, *, scheduler: bool = True, **overrides: Any
) -> Iterator[LiveService]:
    (tmp_path / "rules.yaml").write_text(rules_yaml(provider="memory"))
    settings = make_settings(tmp_path, encryption_key=KEY, **overrides)
    live = start_service(settings, start_scheduler=scheduler)
    settings = live.runtime.settings
    expires = ticking_clock() + timedelta(days=2)
    store = live.runtime.store
    store.save_channel(
        "mem", "google", "g-chan", google_channel_token(settings, "g-chan"), expires, "res-1"
    )
    store.save_channel(
        "mem", "outlook", "sub-1", graph_client_state(settings, NONCE), expires, NONCE
    )
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def memservice(tmp_path: Path) -> Iterator[LiveService]:
    with _memservice(tmp_path) as live:
        yield live


def _state(live: LiveService) -> str:
    return graph_client_state(live.runtime.settings, NONCE)


def _webhook_runs(live: LiveService) -> list[object]:
    return [r for r in live.runtime.store.runs("mem", 100) if r.trigger == "webhook"]


def _nothing_triggered(live: LiveService) -> bool:
    return "rebalance:mem" not in live.scheduler.job_ids() and not _webhook_runs(live)


def _google(live: LiveService, **headers: str) -> httpx.Response:
    base = {
        "X-Goog-Channel-ID": "g-chan",
        "X-Goog-Channel-Token": google_channel_token(live.runtime.settings, "g-chan"),
        "X-Goog-Resource-ID": "res-1",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "2",
    }
    base.update(headers)
    return httpx.post(f"{live.base_url}/webhooks/google", headers=base)


def _item(**fields: Any) -> dict[str, Any]:
    return {
        "subscriptionId": "sub-1",
        "changeType": "updated",
        "resource": "me/events/AAA",
        "resourceData": {"id": "AAA"},
        **fields,
    }


@contextmanager
def _queries(live: LiveService) -> Iterator[list[str]]:
    """Every SQL statement the store runs inside the block."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = live.runtime.store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _metric(live: LiveService, name: str, **labels: str) -> float:
    value = live.runtime.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


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
    assert echo.headers["x-content-type-options"] == "nosniff"
    forged = httpx.post(url, json={"value": [_item(clientState="nope")]})
    assert forged.status_code == 202
    assert httpx.post(url, content=b"not json").status_code == 400
    hostile = b"[" * 100_000 + b"]" * 100_000  # deep enough to exhaust the JSON parser
    assert httpx.post(url, content=hostile).status_code == 400
    assert _nothing_triggered(memservice)
    ok = httpx.post(url, json={"value": [_item(clientState=_state(memservice))]})
    assert ok.status_code == 202
    [run] = wait_for(lambda: _webhook_runs(memservice), what="webhook rebalance")
    assert not run.errors
    removed = {
        "subscriptionId": "sub-1",
        "clientState": _state(memservice),
        "lifecycleEvent": "subscriptionRemoved",
    }
    assert httpx.post(url, json={"value": [removed]}).status_code == 202
    assert memservice.runtime.store.find_channel("sub-1") is None


def test_the_validation_token_is_bounded(memservice: LiveService) -> None:
    url = f"{memservice.base_url}/webhooks/microsoft"
    longest = "v" * 1024
    assert httpx.post(url, params={"validationToken": longest}).text == longest
    too_long = httpx.post(url, params={"validationToken": "v" * 1025})
    assert too_long.status_code == 400 and too_long.text != "v" * 1025
    assert httpx.post(url, params={"validationToken": ""}).status_code == 400
    assert httpx.post(url, params={"validationToken": "a\x1b[31mred"}).status_code == 400


def test_forged_notifications_cost_no_database_work_and_no_log_lines(
    memservice: LiveService, caplog: pytest.LogCaptureFixture
) -> None:
    """A burst of 1,000 forged items (the issue: one query and one log line each)."""
    url = f"{memservice.base_url}/webhooks/microsoft"
    forged = [_item(subscriptionId=f"sub-{n}", clientState=f"guess-{n}") for n in range(1000)]
    caplog.set_level(logging.DEBUG)
    with _queries(memservice) as queries:
        for start in range(0, 1000, 100):
            answer = httpx.post(url, json={"value": forged[start : start + 100]})
            assert answer.status_code == 202
        google = _google(memservice, **{"X-Goog-Channel-Token": "v2.forged"})
        assert google.status_code == 401
    assert queries == []
    assert [r for r in caplog.records if r.name.startswith(("blocker", "providers"))] == []
    forged_total = _metric(
        memservice, "blocker_webhook_notifications_total", provider="microsoft", outcome="forged"
    )
    assert forged_total == 1000
    assert (
        _metric(
            memservice, "blocker_webhook_notifications_total", provider="google", outcome="forged"
        )
        == 1
    )
    assert _nothing_triggered(memservice)


def test_items_past_the_cap_are_not_looked_at(tmp_path: Path) -> None:
    with _memservice(tmp_path, webhook_max_items=5) as live:
        url = f"{live.base_url}/webhooks/microsoft"
        items = [_item(clientState=f"guess-{n}") for n in range(5)]
        items += [_item(clientState=_state(live))] * 20  # genuine, but past the cap
        assert httpx.post(url, json={"value": items}).status_code == 202
        counted = "blocker_webhook_notifications_total"
        assert _metric(live, counted, provider="microsoft", outcome="over_cap") == 20
        assert _metric(live, counted, provider="microsoft", outcome="forged") == 5
        assert _metric(live, counted, provider="microsoft", outcome="verified") == 0
        assert _nothing_triggered(live)


def test_oversized_bodies_are_refused_before_they_are_read(tmp_path: Path) -> None:
    with _memservice(tmp_path, webhook_max_body_bytes=4096) as live:
        url = f"{live.base_url}/webhooks/microsoft"
        big = json.dumps({"value": [_item(clientState=_state(live))] * 40}).encode()
        assert len(big) > 4096
        with _queries(live) as queries:
            declared = httpx.post(url, content=big)
            assert declared.status_code == 413
            assert declared.json() == {"detail": "request body larger than 4096 bytes"}

            def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
                for start in range(0, len(big), 1000):
                    yield big[start : start + 1000]

            assert httpx.post(url, content=chunks()).status_code == 413
        assert queries == []
        assert _nothing_triggered(live)
        small = json.dumps({"value": [_item(clientState=_state(live))]})
        assert httpx.post(url, content=small).status_code == 202


def test_each_source_is_rate_limited(tmp_path: Path) -> None:
    """The app's clock is frozen in these tests: a bucket of 3 never refills."""
    with _memservice(tmp_path, webhook_rate_per_minute=3) as live:
        url = f"{live.base_url}/webhooks/microsoft"
        for _ in range(3):
            assert httpx.post(url, json={"value": []}).status_code == 202
        limited = httpx.post(url, json={"value": []})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "20"
        assert _google(live).status_code == 429
        # Another address (127.0.0.2 is loopback too) has its own bucket.
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=other) as client:
            assert client.post(url, json={"value": []}).status_code == 202
        assert (
            _metric(
                live,
                "blocker_webhook_requests_total",
                provider="microsoft",
                outcome="rate_limited",
            )
            == 1
        )


def test_secrets_of_the_old_scheme_are_refused(memservice: LiveService) -> None:
    """Channels opened before secrets carried their MAC are replaced at renewal (the
    e2e tests cover that); until then their notifications are refused unread."""
    store = memservice.runtime.store
    expires = ticking_clock() + timedelta(days=1)
    store.save_channel("mem", "outlook", "sub-old", "a" * 64, expires, "oldnonce")
    url = f"{memservice.base_url}/webhooks/microsoft"
    with _queries(memservice) as queries:
        old = _item(subscriptionId="sub-old", clientState="a" * 64)
        assert httpx.post(url, json={"value": [old]}).status_code == 202
    assert queries == []
    assert _nothing_triggered(memservice)


@pytest.mark.postgres
def test_a_nul_in_the_subscription_id_is_no_server_error(tmp_path: Path) -> None:
    """PostgreSQL refuses NUL in text: it used to be a 500 from the public webhook."""
    with (
        fresh_pg_database() as url,
        _memservice(tmp_path, scheduler=False, database_url=url) as live,
    ):
        hook = f"{live.base_url}/webhooks/microsoft"
        for sub in ("sub\x00-1", "x" * 300, "sub-1\n"):
            item = _item(subscriptionId=sub, clientState=_state(live))
            assert httpx.post(hook, json={"value": [item]}).status_code == 202, sub
        counted = "blocker_webhook_notifications_total"
        assert _metric(live, counted, provider="microsoft", outcome="forged") == 3
        ok = httpx.post(hook, json={"value": [_item(clientState=_state(live))]})
        assert ok.status_code == 202
        assert _metric(live, counted, provider="microsoft", outcome="verified") == 1
