"""The Google fake's recurring series as the Calendar API documents them, through the real
google-api-python-client (what providers/google.py reads is covered by the contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from googleapiclient.errors import HttpError

from blocker.core.models import Interval
from providers.google import GoogleCalendar
from tests.fakes.google import FakeGoogle, recurrence

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


def window(**extra: Any) -> dict[str, Any]:
    return {"calendarId": "primary", "timeMin": at(23, 0).isoformat(),
            "timeMax": at(30, 0).isoformat(), **extra}  # fmt: skip


@pytest.fixture
def series(fake: FakeGoogle) -> dict[str, Any]:
    """Daily 09:30-09:45 Berlin from Monday 16 March; the 24th moved, the 25th cancelled."""
    master = recurrence.add_series(fake, at(16, 9, 30), at(16, 9, 45), "FREQ=DAILY")
    recurrence.move_instance(fake, master["id"], at(24, 9, 30), at(24, 14), at(24, 14, 15))
    recurrence.cancel_instance(fake, master["id"], at(25, 9, 30))
    return master


def test_single_events_false_returns_the_series_its_exception_and_its_cancelled_instance(
    provider: GoogleCalendar, series: dict[str, Any]
) -> None:
    items = provider.service.events().list(**window(singleEvents=False)).execute()["items"]
    by_id = {i["id"]: i for i in items}
    moved = recurrence.instance_id(series["id"], at(24, 9, 30))
    cancelled = recurrence.instance_id(series["id"], at(25, 9, 30))
    assert set(by_id) == {series["id"], moved, cancelled}
    assert by_id[series["id"]]["recurrence"] == ["RRULE:FREQ=DAILY"]
    assert by_id[moved]["recurringEventId"] == series["id"]
    assert by_id[moved]["originalStartTime"]["dateTime"] == at(24, 9, 30).isoformat()
    assert by_id[cancelled]["status"] == "cancelled"
    assert moved == f"{series['id']}_20260324T083000Z"


def test_single_events_true_never_returns_the_series_and_hides_cancelled_instances(
    provider: GoogleCalendar, series: dict[str, Any]
) -> None:
    listed = provider.service.events().list(**window(singleEvents=True, orderBy="startTime"))
    items = listed.execute()["items"]
    assert series["id"] not in {i["id"] for i in items}
    assert all(i["recurringEventId"] == series["id"] and "recurrence" not in i for i in items)
    assert [i["start"]["dateTime"] for i in items][:2] == [
        at(23, 9, 30).isoformat(),
        at(24, 14).isoformat(),
    ]
    assert len(items) == 6 and all(i["iCalUID"] == series["iCalUID"] for i in items)
    deleted = provider.service.events().list(**window(singleEvents=True, showDeleted=True))
    statuses = sorted(i["status"] for i in deleted.execute()["items"])
    assert statuses == ["cancelled"] + ["confirmed"] * 6


def test_instances_lists_exceptions_in_place_and_cancelled_ones_only_when_asked(
    provider: GoogleCalendar, series: dict[str, Any]
) -> None:
    instances = provider.service.events().instances
    args = {"calendarId": "primary", "eventId": series["id"],
            "timeMin": at(23, 0).isoformat(), "timeMax": at(26, 0).isoformat()}  # fmt: skip
    shown = [i["start"]["dateTime"] for i in instances(**args).execute()["items"]]
    assert shown == [at(23, 9, 30).isoformat(), at(24, 14).isoformat()]
    everything = instances(**args, showDeleted=True).execute()["items"]
    assert [i["status"] for i in everything] == ["confirmed", "confirmed", "cancelled"]


def test_an_instance_id_reads_writes_and_deletes_like_an_event(
    provider: GoogleCalendar, fake: FakeGoogle, series: dict[str, Any]
) -> None:
    events = provider.service.events()
    thursday = recurrence.instance_id(series["id"], at(26, 9, 30))
    got = events.get(calendarId="primary", eventId=thursday).execute()
    assert got["recurringEventId"] == series["id"] and got["start"]["dateTime"].startswith(
        "2026-03-26T09:30"
    )
    events.patch(calendarId="primary", eventId=thursday, body={"summary": "Retro"}).execute()
    assert fake.calendar().events[thursday]["summary"] == "Retro"
    events.delete(calendarId="primary", eventId=thursday).execute()
    assert fake.calendar().events[thursday]["status"] == "cancelled"
    never = f"{series['id']}_20260326T093000Z"  # 09:30 UTC is not an instance
    with pytest.raises(HttpError) as missing:
        events.get(calendarId="primary", eventId=never).execute()
    assert missing.value.resp.status == 404


def test_deleting_the_series_cancels_every_instance_in_a_sync_read(
    provider: GoogleCalendar, fake: FakeGoogle, series: dict[str, Any]
) -> None:
    first = provider.read(_interval())
    assert len(first.events) == 6
    provider.service.events().delete(calendarId="primary", eventId=series["id"]).execute()
    changes = provider.read(_interval(), first.sync_token)
    assert {e.event_id for e in first.events} <= set(changes.removed), "the exception too"
    assert changes.events == ()
    assert provider.read(_interval()).events == ()


def test_a_series_without_its_time_zone_is_refused(provider: GoogleCalendar) -> None:
    body = {"summary": "Weekly", "recurrence": ["RRULE:FREQ=WEEKLY"],
            "start": {"dateTime": at(23, 10).isoformat()},
            "end": {"dateTime": at(23, 11).isoformat()}}  # fmt: skip
    with pytest.raises(HttpError) as refused:
        provider.service.events().insert(calendarId="primary", body=body).execute()
    assert refused.value.resp.status == 400
    assert "time zone" in refused.value.reason.lower()


def _interval() -> Interval:
    return Interval(at(23, 0), at(30, 0))
