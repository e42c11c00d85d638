"""The fake's own protocol rules, exercised through the real client (service object)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from googleapiclient.errors import HttpError

from providers.google import GoogleCalendar
from tests.fakes.google import FakeGoogle
from tests.google.conftest import MONDAY, draft


def test_sync_token_only_on_the_last_page_and_not_with_time_min(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    for i in range(3):
        fake.add_meeting(MONDAY + timedelta(hours=i), MONDAY + timedelta(hours=i, minutes=30))
    events = provider.service.events()
    first = events.list(calendarId="primary", maxResults=2).execute()
    assert "nextPageToken" in first and "nextSyncToken" not in first
    last = events.list(
        calendarId="primary", maxResults=2, pageToken=first["nextPageToken"]
    ).execute()
    assert "nextPageToken" not in last and last["nextSyncToken"]
    assert len(first["items"]) + len(last["items"]) == 3
    with pytest.raises(HttpError) as caught:
        events.list(
            calendarId="primary", syncToken=last["nextSyncToken"], timeMin=MONDAY.isoformat()
        ).execute()
    assert caught.value.resp.status == 400


def test_private_extended_property_filter_and_show_deleted(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    mine = provider.create(draft("mine"))
    gone = provider.create(draft("gone", hour=11))
    provider.delete(gone)
    fake.add_meeting(MONDAY, MONDAY + timedelta(hours=1), "Foreign")
    events = provider.service.events()
    tagged = events.list(
        calendarId="primary", privateExtendedProperty="csmBlockerKey=mine"
    ).execute()
    assert [e["id"] for e in tagged["items"]] == [mine.event_id]
    assert "nextSyncToken" not in tagged  # filtered lists cannot seed an incremental sync
    with_deleted = events.list(calendarId="primary", showDeleted=True).execute()
    statuses = {e["id"]: e["status"] for e in with_deleted["items"]}
    assert statuses[gone.event_id] == "cancelled"


def test_client_ids_must_be_base32hex(provider: GoogleCalendar) -> None:
    body = {
        "id": "Not_Base32hex!",
        "start": {"dateTime": MONDAY.isoformat()},
        "end": {"dateTime": (MONDAY + timedelta(hours=1)).isoformat()},
    }
    with pytest.raises(HttpError) as caught:
        provider.service.events().insert(calendarId="primary", body=body).execute()
    assert caught.value.resp.status == 400


def test_calendar_list_shows_a_created_calendar(provider: GoogleCalendar) -> None:
    cal_id = provider.create_calendar("Time blocks")
    listed = provider.service.calendarList().list().execute()["items"]
    assert {c["id"]: c["summary"] for c in listed}[cal_id] == "Time blocks"
