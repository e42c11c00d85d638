"""Google event labels remembered in the store (blocker/google_state.py), on SQLite and
PostgreSQL: what one process set up, the next one does not read again (issue 16.4)."""

from __future__ import annotations

import httplib2

from blocker.core.keys import content_hash, event_id_for
from blocker.core.models import EventDraft
from blocker.google_state import StoreLabelMemory
from blocker.store import Store
from providers.google import GoogleCalendar
from providers.google_client import CALENDARS_SCOPE, EVENTS_SCOPE, GoogleSettings
from providers.google_retry import Backoff
from tests.fakes.google import FakeGoogle, run_fake_google
from tests.support.clock import TEST_NOW


def test_saved_loaded_by_name_forgotten_and_kept_apart_per_calendar(store: Store) -> None:
    work = StoreLabelMemory(store, "work")
    work.save(
        {"csm-blocker · Focus": ("id-1", "#8e24aa"), "csm-blocker · Admin": ("id-2", "#000000")}
    )
    StoreLabelMemory(store, "home").save({"csm-blocker · Focus": ("id-9", "#ffffff")})
    assert work.load(["csm-blocker · Focus", "csm-blocker · Nope"]) == {
        "csm-blocker · Focus": ("id-1", "#8e24aa")
    }
    work.save({"csm-blocker · Focus": ("id-1", "#039be5")})  # recoloured
    assert work.load(["csm-blocker · Focus"]) == {"csm-blocker · Focus": ("id-1", "#039be5")}
    work.forget(["csm-blocker · Focus"])
    assert work.load(["csm-blocker · Focus", "csm-blocker · Admin"]) == {
        "csm-blocker · Admin": ("id-2", "#000000")
    }
    assert StoreLabelMemory(store, "home").load(["csm-blocker · Focus"]) == {
        "csm-blocker · Focus": ("id-9", "#ffffff")
    }


def _provider(fake: FakeGoogle, token: str, store: Store) -> GoogleCalendar:
    settings = GoogleSettings(
        client_id=fake.oauth.client_id,
        client_secret=fake.oauth.client_secret,
        token_uri=f"{fake.base_url}/token",
        api_root=f"{fake.base_url}/",
        timeout=10,
    )
    return GoogleCalendar(
        settings,
        token,
        http=httplib2.Http(timeout=10, proxy_info=None),
        backoff=Backoff(attempts=2, sleep=lambda s: None, jitter=lambda: 1.0),
        labels=StoreLabelMemory(store, "work"),
    )


def _draft(key: str, hour: int) -> EventDraft:
    start = TEST_NOW.replace(hour=hour, minute=0, second=0, microsecond=0)
    end = start.replace(hour=hour + 1)
    return EventDraft(
        event_id=event_id_for("work", key),
        key=key,
        title=key,
        start=start,
        end=end,
        content_hash=content_hash(key, start, end),
        color="#8E24AA",
        label="Focus",
    )


def test_a_second_process_writes_labelled_blocks_without_reading_the_calendar(
    store: Store,
) -> None:
    with run_fake_google() as fake:
        token = fake.oauth.issue_refresh_token(f"{EVENTS_SCOPE} {CALENDARS_SCOPE}")
        first = _provider(fake, token, store)
        try:
            first.create(_draft("focus/1", 9))
        finally:
            first.close()
        fake.clear_log()
        second = _provider(fake, token, store)
        try:
            made = second.create(_draft("focus/2", 11))
        finally:
            second.close()
        assert [r.method for r in fake.requests()] == ["POST"]
        event = fake.calendar().events[made.event_id]
        assert fake.api.labels.colour_of("owner@example.com", event["eventLabelId"]) == "#8e24aa"
