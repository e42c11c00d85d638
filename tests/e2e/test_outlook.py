"""Outlook end to end: msal over HTTPS (trustme CA) against the identity fake, the fake
Graph validating the service's webhook, batched sync, push-triggered defence, reconnect."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from blocker import jobs
from blocker.core.weeks import week_window
from tests.e2e.conftest import (
    TIMEZONE,
    Browser,
    Service,
    assert_connected_and_sealed,
    assert_reconnected_in_step,
    assert_refused_and_kept,
    overlaps,
    start_service,
    sync_creates,
    wait_until_moved,
)
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.graph_store import StoredEvent
from tests.fakes.microsoft.identity import FakeIdentity, form_fields
from tests.fakes.microsoft.server import TLSFiles
from tests.support.clock import ticking_clock


@pytest.fixture
def service(
    tmp_path: Path, ms_identity: FakeIdentity, ms_graph: FakeGraph, ms_tls: TLSFiles
) -> Iterator[Service]:
    ms_graph.token_ok = ms_identity.state.token_valid  # Graph honours revocation too
    ms_graph.token_scopes = ms_identity.state.token_scopes  # and the scopes consented
    svc = start_service(
        tmp_path,
        "outlook",
        microsoft_client_id=ms_identity.state.client_id,
        microsoft_client_secret=ms_identity.state.client_secret,
        microsoft_authority=ms_identity.authority(),
        microsoft_graph_root=ms_graph.root,
        microsoft_ca_bundle=ms_tls.ca_file,
    )
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def browser(service: Service, ms_tls: TLSFiles) -> Iterator[Browser]:
    b = Browser(service, verify=ssl.create_default_context(cafile=str(ms_tls.ca_file)))
    yield b
    b.close()


def connect(browser: Browser) -> None:
    """The sign-in page answers with a form that the browser POSTs back to the service."""
    page = browser.go(f"{browser.service.base_url}/connect/microsoft")
    assert page.status_code == 200, page.text
    action, fields = form_fields(page.text)
    assert action == f"{browser.service.public_url}/oauth/microsoft/callback"
    done = browser.go(action, method="POST", data=fields)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/"


def deep_work(graph: FakeGraph, service: Service) -> list[StoredEvent]:
    window = week_window(service.week, TIMEZONE)
    with graph.mailbox.lock:
        events = [
            e
            for e in graph.mailbox.events.values()
            if "Deep work" in str(e.data.get("subject"))
            and not e.data.get("isCancelled")
            and window.start <= e.start < window.end
        ]
    return sorted(events, key=lambda e: e.start)


def minutes(events: list[StoredEvent]) -> float:
    return sum((e.end - e.start).total_seconds() / 60 for e in events)


def notify(service: Service, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{service.base_url}/webhooks/microsoft", json=body, trust_env=False)


def test_connect_sync_and_defend_a_block(
    service: Service, browser: Browser, ms_identity: FakeIdentity, ms_graph: FakeGraph
) -> None:
    validations = ms_graph.log.http("POST", "/subscriptions")
    connect(browser)

    store = service.runtime.store
    conn = assert_connected_and_sealed(service, ms_identity.state.refresh_tokens)
    assert conn.account_label == ms_identity.state.user.email
    [channel] = store.channels_for("work")
    sub = ms_graph.mailbox.subscriptions[channel.channel_id]
    assert sub["notificationUrl"] == f"{service.public_url}/webhooks/microsoft"
    assert ms_graph.log.http("POST", "/subscriptions") == validations + 1

    ms_graph.log.clear()
    creates = sync_creates(service)
    reads = ms_graph.log.batched("GET", "/calendarView/delta")  # a full read is one $batch
    writes = ms_graph.log.http("POST", "/$batch") - reads
    writes += ms_graph.log.http("PATCH", "/events") + ms_graph.log.http("POST", "/events")
    assert 1 <= writes <= 2, ms_graph.log.counts()
    assert ms_graph.log.batched("POST", "/events") == len(creates)

    blocks = deep_work(ms_graph, service)
    assert blocks and minutes(blocks) == 120
    target = blocks[0]
    start, end = target.start, target.end

    forged = ms_graph.notification(channel.channel_id, target.id)
    forged["value"][0]["clientState"] = "forged-state"
    assert notify(service, forged).status_code == 202
    assert "rebalance:work" not in service.scheduler.job_ids()
    assert service.runs("webhook") == []

    meeting = ms_graph.mailbox.add_foreign(
        "QBR Acme", start, end, organizer="cfo@acme.example", attendees=("cfo@acme.example",)
    )
    assert notify(service, ms_graph.notification(channel.channel_id, meeting.id)).status_code == 202

    def moved() -> bool:
        event = ms_graph.mailbox.events.get(target.id)
        return event is not None and (event.start, event.end) != (start, end)

    wait_until_moved(service, moved)
    after = deep_work(ms_graph, service)
    assert not any(overlaps((e.start, e.end), (start, end)) for e in after)
    assert minutes(after) == 120
    assert target.id in {e.id for e in after}, "moved by PATCH, not delete + create"


def test_validation_handshake_is_answered(service: Service) -> None:
    url = f"{service.base_url}/webhooks/microsoft"
    echo = httpx.post(url, params={"validationToken": "Validation: ping 42"}, trust_env=False)
    assert echo.status_code == 200 and echo.text == "Validation: ping 42"
    assert echo.headers["content-type"].startswith("text/plain")


def test_revoked_grant_asks_to_reconnect_and_loses_nothing(
    service: Service, browser: Browser, ms_identity: FakeIdentity, ms_graph: FakeGraph
) -> None:
    connect(browser)
    assert service.sync()["errors"] == []
    store = service.runtime.store
    mapped = store.mappings("work", service.week)
    assert mapped
    owned = len(ms_graph.mailbox.events)

    ms_identity.state.user.revoked = True
    ms_identity.state.access_tokens.clear()  # what msal holds is expired too
    ms_identity.state.expires_in = 0
    assert_refused_and_kept(service, mapped)
    conn = store.get_connection("work")
    assert conn is not None and conn.status == "needs_reconnect"
    assert len(ms_graph.mailbox.events) == owned
    assert jobs.rebalance(service.runtime, "work") == []  # jobs wait for the user

    ms_identity.state.user.revoked = False
    ms_identity.state.expires_in = 3600
    connect(browser)
    assert_reconnected_in_step(service)


def test_subscription_renewal_and_disconnect(
    service: Service, browser: Browser, ms_graph: FakeGraph
) -> None:
    connect(browser)
    store = service.runtime.store
    [old] = store.channels_for("work")
    before = ms_graph.mailbox.subscriptions[old.channel_id]["expirationDateTime"]
    state = ms_graph.mailbox.subscriptions[old.channel_id]["clientState"]
    soon = ticking_clock() + timedelta(hours=2)
    store.save_channel("work", "outlook", old.channel_id, state, soon, old.resource_id)

    assert jobs.renew_channels(service.runtime) == 1
    [renewed] = store.channels_for("work")
    assert renewed.channel_id == old.channel_id, "extended in place (PATCH)"
    assert renewed.expires_at > soon + timedelta(hours=12)
    assert ms_graph.mailbox.subscriptions[old.channel_id]["expirationDateTime"] >= before
    assert store.verify_channel(old.channel_id, state) is not None, "same clientState"

    with service.api() as api:
        assert api.post("/api/calendars/work/disconnect").status_code == 204
    assert old.channel_id not in ms_graph.mailbox.subscriptions
    assert store.channels_for("work") == []
    conn = store.get_connection("work")
    assert conn is not None and conn.status == "disconnected" and not conn.has_tokens


def test_a_subscription_with_a_secret_of_the_old_scheme_is_replaced_at_renewal(
    service: Service, browser: Browser, ms_graph: FakeGraph
) -> None:
    """Issue 17.3: clientStates now carry a MAC checked before any database work; one
    made before (a bare HMAC of a stored nonce) cannot be renewed in place (PATCH keeps
    the clientState), so renewal opens a new subscription and deletes the old one."""
    connect(browser)
    store = service.runtime.store
    [current] = store.channels_for("work")
    old_state = "0" * 64  # what the old scheme stored: hex HMAC, nonce without "v2."
    ms_graph.mailbox.subscriptions[current.channel_id]["clientState"] = old_state
    soon = ticking_clock() + timedelta(hours=2)
    store.save_channel("work", "outlook", current.channel_id, old_state, soon, "oldNonce")
    old = store.find_channel(current.channel_id)
    assert old is not None

    assert jobs.renew_channels(service.runtime) == 1
    [renewed] = store.channels_for("work")
    assert renewed.channel_id != old.channel_id, "replaced, not extended"
    assert old.channel_id not in ms_graph.mailbox.subscriptions, "the old one is deleted"
    state = ms_graph.mailbox.subscriptions[renewed.channel_id]["clientState"]
    assert state.startswith("v2.") and store.verify_channel(renewed.channel_id, state)
    assert renewed.resource_id is not None and state.startswith(renewed.resource_id + ".")
