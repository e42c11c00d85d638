"""Google end to end: connect through the browser dance, sync, push, defend, reconnect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from blocker import jobs
from blocker.connections import renew_channel
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
from tests.fakes.google import FakeGoogle, run_fake_google
from tests.support.clock import ticking_clock
from tests.support.deployment import google_settings

PUBLIC = "https://blocker.e2e.test"


@pytest.fixture
def google(insecure_oauth: None) -> Iterator[FakeGoogle]:
    with run_fake_google(time_zone=TIMEZONE) as fake:
        yield fake


@pytest.fixture
def service(tmp_path: Path, google: FakeGoogle) -> Iterator[Service]:
    """Public behind https (a proxy): Google accepts the channel address."""
    svc = start_service(tmp_path, "google", public_url=PUBLIC, **google_settings(google))
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def browser(service: Service) -> Iterator[Browser]:
    b = Browser(service)
    yield b
    b.close()


def calendar_calls(google: FakeGoogle) -> list[str]:
    """calendars.get/patch since the log was cleared (event labels, not events)."""
    return [
        r.method for r in google.requests() if r.path.count("/") == 4 and "/calendars/" in r.path
    ]


def connect(browser: Browser) -> None:
    reply = browser.go(f"{browser.service.public_url}/connect/google")
    assert reply.status_code == 303, reply.text
    assert reply.headers["location"] == "/"


def when(event: dict[str, Any]) -> tuple[datetime, datetime]:
    return (
        datetime.fromisoformat(event["start"]["dateTime"]),
        datetime.fromisoformat(event["end"]["dateTime"]),
    )


def deep_work(fake: FakeGoogle) -> list[dict[str, Any]]:
    return sorted(
        (e for e in fake.live_events() if "Deep work" in str(e.get("summary"))),
        key=lambda e: when(e)[0],
    )


def minutes(events: list[dict[str, Any]]) -> float:
    return sum((when(e)[1] - when(e)[0]).total_seconds() / 60 for e in events)


def test_connect_sync_and_defend_a_block(
    service: Service, browser: Browser, google: FakeGoogle
) -> None:
    connect(browser)

    store = service.runtime.store
    assert_connected_and_sealed(service, google.oauth.refresh_tokens)
    [channel] = store.channels_for("work")
    assert google.api.channels[channel.channel_id].address == f"{PUBLIC}/webhooks/google"

    google.clear_log()
    creates = sync_creates(service)
    writes = [r for r in google.requests() if r.method != "GET"]
    assert 1 <= len(writes) <= 2, writes
    assert sum(r.parts for r in writes) == len(creates)
    assert len([e for e in google.live_events()]) == len(creates)
    # each block is painted in its rule's exact colour, through a label (issue 16.4),
    # set up with one read and one write of the calendar
    assert calendar_calls(google) == ["GET", "PATCH"]
    plan = service.runtime.preview("work", service.week).plan
    colours = {b.key: b.color.lower() for b in plan.blocks}
    for event in google.live_events():
        key = event["extendedProperties"]["private"]["csmBlockerKey"]
        shown = google.api.labels.colour_of(google.calendar().id, event.get("eventLabelId"))
        assert shown == colours[key], (key, event.get("eventLabelId"))

    blocks = deep_work(google)
    assert blocks and minutes(blocks) == 120
    target = blocks[0]
    start, end = when(target)

    forged = dict(google.notification_headers(channel.channel_id))
    forged["X-Goog-Channel-Token"] = "forged-token"
    reply = httpx.post(f"{service.base_url}/webhooks/google", headers=forged, trust_env=False)
    assert reply.status_code == 401
    assert "rebalance:work" not in service.scheduler.job_ids()
    assert service.runs("webhook") == []

    google.add_meeting(
        start,
        end,
        "QBR Acme",
        attendees=[{"email": "cfo@acme.example"}],
        organizer="x@acme.example",
    )
    headers = google.notification_headers(channel.channel_id)
    reply = httpx.post(f"{service.base_url}/webhooks/google", headers=headers, trust_env=False)
    assert reply.status_code == 200

    def moved() -> bool:
        event = google.calendar().events[target["id"]]
        return event["status"] != "cancelled" and when(event) != (start, end)

    wait_until_moved(service, moved)
    window = week_window(service.week, TIMEZONE)
    after = [e for e in deep_work(google) if window.start <= when(e)[0] < window.end]
    assert not any(overlaps(when(e), (start, end)) for e in after)
    assert minutes(after) == 120
    assert target["id"] in {e["id"] for e in after}, "moved by PATCH, not delete + create"
    assert calendar_calls(google) == ["GET", "PATCH"], "labels are set up once"


def test_revoked_grant_asks_to_reconnect_and_loses_nothing(
    service: Service, browser: Browser, google: FakeGoogle
) -> None:
    connect(browser)
    assert service.sync()["errors"] == []
    store = service.runtime.store
    mapped = store.mappings("work", service.week)
    assert mapped
    [refresh] = list(google.oauth.refresh_tokens)

    google.oauth.revoke(refresh)
    assert jobs.refresh_tokens(service.runtime) == 0
    conn = store.get_connection("work")
    assert conn is not None and conn.status == "needs_reconnect"
    assert "connect" in conn.status_reason

    assert_refused_and_kept(service, mapped)
    assert len(google.live_events()) == len(mapped)

    connect(browser)  # a new grant; the cached provider must pick it up
    assert_reconnected_in_step(service)


def test_push_unavailable_without_public_https(
    tmp_path: Path, google: FakeGoogle, insecure_oauth: None
) -> None:
    svc = start_service(tmp_path, "google", **google_settings(google))
    browser = Browser(svc)
    try:
        connect(browser)
        conn = svc.runtime.store.get_connection("work")
        assert conn is not None and conn.status == "connected" and conn.has_tokens
        assert "polling" in conn.status_reason
        assert svc.runtime.store.channels_for("work") == []
        assert svc.sync()["errors"] == []
    finally:
        browser.close()
        svc.stop()


def test_callback_state_is_checked(service: Service, google: FakeGoogle) -> None:
    bad = httpx.get(
        f"{service.base_url}/oauth/google/callback",
        params={"state": "made-up", "code": "4/anything"},
        trust_env=False,
    )
    assert bad.status_code == 400 and "state" in bad.json()["detail"]

    with service.api() as api:
        start = api.get("/connect/google")
    assert start.status_code == 302
    consent = httpx.get(start.headers["location"], trust_env=False)
    assert consent.status_code == 302
    callback = consent.headers["location"].replace(PUBLIC, service.base_url)
    assert httpx.get(callback, trust_env=False).status_code == 303
    replay = httpx.get(callback, trust_env=False)
    assert replay.status_code == 400
    assert httpx.get(f"{service.base_url}/connect/google", trust_env=False).status_code == 401


def test_channel_renewal_and_disconnect(
    service: Service, browser: Browser, google: FakeGoogle
) -> None:
    connect(browser)
    store = service.runtime.store
    [old] = store.channels_for("work")
    token = google.api.channels[old.channel_id].token
    assert token is not None
    # The channel now expires within the day: the renewal job replaces it.
    soon = ticking_clock() + timedelta(hours=3)
    store.save_channel("work", "google", old.channel_id, token, soon, old.resource_id)
    assert jobs.renew_channels(service.runtime) == 1
    [new] = store.channels_for("work")
    assert new.channel_id != old.channel_id and new.expires_at > soon + timedelta(days=5)
    assert google.api.channels[old.channel_id].stopped
    assert not google.api.channels[new.channel_id].stopped
    assert jobs.renew_channels(service.runtime) == 0  # nothing due any more
    assert renew_channel(service.runtime, new)  # forced renewal works the same way

    [current] = store.channels_for("work")
    with service.api() as api:
        assert api.post("/api/calendars/nope/disconnect").status_code == 404
        assert api.post("/api/calendars/work/disconnect").status_code == 204
    assert google.api.channels[current.channel_id].stopped
    assert store.channels_for("work") == []
    conn = store.get_connection("work")
    assert conn is not None and conn.status == "disconnected" and not conn.has_tokens
    result = service.sync()
    assert result["ops"] == [] and "not connected" in result["errors"][0]
