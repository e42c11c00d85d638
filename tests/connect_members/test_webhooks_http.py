"""Push notifications for members' calendars: a Graph or Google notification for a
channel stored under ``u<id>~work`` schedules the rebalance of that calendar, checked
against its own scope; forged and unknown channels are refused as before, and a
disabled member's notifications are acknowledged and ignored.

The debounced job is keyed by the store key; the scheduler's entry point
(``blocker.scheduler.run_job``) resolves a store key's scope: run through it, the
rebalance replans Bob's calendar in Bob's scope only.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest

from blocker.channel_secrets import google_channel_token
from blocker.core.weeks import week_window
from blocker.scheduler import run_job
from tests.connect_members.conftest import TIMEZONE, WEEK, Deployment


def notify_graph(d: Deployment, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{d.base_url}/webhooks/microsoft", json=body, trust_env=False)


def jobs_of(d: Deployment) -> list[str]:
    ids: list[str] = d.app.state.scheduler.job_ids()
    return ids


def bob_connected_and_planned(d: Deployment) -> str:
    """Bob connects Outlook and syncs his week; his subscription's id."""
    with d.browser(d.bob) as browser:
        assert d.connect_outlook(browser).status_code == 303
    outcome = d.scope(d.bob.key).sync(None, d.bob.key, WEEK, trigger="api")
    assert not outcome.errors
    [channel] = d.store.channels_for(d.bob.key)
    return channel.channel_id


def deep_work(d: Deployment) -> list[Any]:
    window = week_window(WEEK, TIMEZONE)
    with d.graph.mailbox.lock:
        found = [
            e
            for e in d.graph.mailbox.events.values()
            if "Deep work" in str(e.data.get("subject"))
            and not e.data.get("isCancelled")
            and window.start <= e.start < window.end
        ]
    return sorted(found, key=lambda e: e.start)


def test_a_notification_for_bobs_calendar_replans_bobs_calendar_only(
    deployment: Deployment,
) -> None:
    d, bob, cara = deployment, deployment.bob, deployment.cara
    with d.browser(cara) as caras:
        assert d.connect_google(caras).status_code == 303
    sub = bob_connected_and_planned(d)
    [target] = deep_work(d)[:1]
    start, end = target.start, target.end
    meeting = d.graph.mailbox.add_foreign(
        "QBR Acme", start, end, organizer="cfo@acme.example", attendees=("cfo@acme.example",)
    )
    runs_before = {key: len(d.store.runs(key, 50)) for key in ("work", cara.key)}

    assert notify_graph(d, d.graph.notification(sub, meeting.id)).status_code == 202

    scheduled = jobs_of(d)
    assert f"rebalance:{bob.key}" in scheduled
    assert "rebalance:work" not in scheduled and f"rebalance:{cara.key}" not in scheduled
    # the debounced job, run now through the scheduler's own entry point, which
    # resolves the store key's scope (Bob's)
    sched = d.app.state.scheduler
    run_job("rebalance", sched.scope, bob.key, "webhook")
    ran = [r for r in d.store.runs(bob.key, 10) if r.trigger == "webhook"]
    assert ran and all(not r.errors for r in ran)
    moved = d.graph.mailbox.events[target.id]
    assert (moved.start, moved.end) != (start, end), "the block left the new meeting"
    assert any(r.trigger == "webhook" for r in d.store.runs(bob.key, 10))
    assert {key: len(d.store.runs(key, 50)) for key in ("work", cara.key)} == runs_before


def test_a_google_notification_for_caras_channel_schedules_her_calendar(
    deployment: Deployment,
) -> None:
    d, cara = deployment, deployment.cara
    with d.browser(cara) as caras:
        assert d.connect_google(caras).status_code == 303
    # push needs an https address (the fake Google refuses this loopback one), so the
    # channel is the one events.watch would have opened for her calendar
    settings = d.runtime.settings
    token = google_channel_token(settings, "chan-cara")
    expires = d.runtime.now() + timedelta(days=1)
    d.store.save_channel(cara.key, "google", "chan-cara", token, expires, "res-cara")
    headers = {
        "X-Goog-Channel-ID": "chan-cara",
        "X-Goog-Channel-Token": token,
        "X-Goog-Resource-ID": "res-cara",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "2",
    }
    answer = httpx.post(f"{d.base_url}/webhooks/google", headers=headers, trust_env=False)
    assert answer.status_code == 200
    assert f"rebalance:{cara.key}" in jobs_of(d)
    assert f"rebalance:{d.bob.key}" not in jobs_of(d)


def test_forged_and_unknown_channels_are_refused_as_before(deployment: Deployment) -> None:
    d = deployment
    sub = bob_connected_and_planned(d)
    forged = d.graph.notification(sub, "evt")
    forged["value"][0]["clientState"] = "forged-state"
    assert notify_graph(d, forged).status_code == 202
    unknown = d.graph.notification(sub, "evt")
    unknown["value"][0]["subscriptionId"] = "not-a-subscription-of-ours"
    assert notify_graph(d, unknown).status_code == 202
    assert f"rebalance:{d.bob.key}" not in jobs_of(d)
    settings = d.runtime.settings
    for channel, token in (
        ("chan-x", "v2.forged"),
        ("chan-never-opened", google_channel_token(settings, "chan-never-opened")),
    ):
        headers = {
            "X-Goog-Channel-ID": channel,
            "X-Goog-Channel-Token": token,
            "X-Goog-Resource-ID": "res",
            "X-Goog-Resource-State": "exists",
        }
        answer = httpx.post(f"{d.base_url}/webhooks/google", headers=headers, trust_env=False)
        assert answer.status_code == 401, channel
    assert not [j for j in jobs_of(d) if j.startswith("rebalance:")]


def test_a_disabled_members_notifications_are_ignored(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    d, bob = deployment, deployment.bob
    sub = bob_connected_and_planned(d)
    d.store.set_user_disabled(bob.email, True)
    with caplog.at_level(logging.INFO, logger="blocker.webhooks"):
        assert notify_graph(d, d.graph.notification(sub, "evt")).status_code == 202
    assert f"rebalance:{bob.key}" not in jobs_of(d)
    assert any(bob.key in r.getMessage() and "ignored" in r.getMessage() for r in caplog.records)
