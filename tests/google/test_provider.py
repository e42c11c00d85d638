"""GoogleCalendar through the real google-api-python-client against the loopback fake."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from blocker.core.errors import (
    EventNotFound,
    OwnershipError,
    PreconditionFailed,
    SyncTokenExpired,
)
from blocker.core.models import Interval
from providers.base import Write
from providers.google import GoogleCalendar
from providers.google_mapping import EVENT_PALETTE
from tests.fakes.google import FakeGoogle
from tests.google.conftest import MONDAY, draft

WEEK = Interval(MONDAY, MONDAY + timedelta(days=7))


def test_create_writes_a_quiet_tagged_block(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    made = provider.create(draft("focus-mon", color="#dc2127", private=True))

    stored = fake.calendar().events[made.event_id]
    assert made.owned and made.tag is not None and made.tag.key == "focus-mon"
    assert made.etag == stored["etag"]
    assert stored["extendedProperties"]["private"] == {
        "csmBlockerKey": "focus-mon",
        "csmBlockerHash": made.tag.content_hash,
    }
    assert stored["transparency"] == "opaque"
    assert stored["colorId"] == "11"
    assert stored["visibility"] == "private"
    assert stored["reminders"] == {"useDefault": False}
    assert not stored.get("attendees")
    inserts = fake.requests(method="POST", path_contains="/events")
    assert inserts[-1].query["sendUpdates"] == ["none"]


def test_free_block_is_transparent(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    made = provider.create(draft("admin", show_as="free"))
    assert fake.calendar().events[made.event_id]["transparency"] == "transparent"
    assert made.transparent


def test_create_again_returns_the_existing_event(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    first = provider.create(draft("qbr"))
    second = provider.create(draft("qbr"))

    assert second.event_id == first.event_id and second.etag == first.etag
    assert len(fake.live_events()) == 1
    statuses = [r.status for r in fake.requests()[-2:]]
    assert statuses == [409, 200]  # insert refused, then the existing event fetched


def test_create_after_user_deleted_revives_the_same_id(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    first = provider.create(draft("wrap-up"))
    fake.user_delete(first.event_id)

    again = provider.create(draft("wrap-up"))

    assert again.event_id == first.event_id
    assert fake.calendar().events[first.event_id]["status"] == "confirmed"


def test_update_is_a_conditional_patch(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    made = provider.create(draft("calls", hour=13))
    moved = provider.update(made, draft("calls", hour=15))

    assert moved.event_id == made.event_id
    assert moved.start == MONDAY + timedelta(hours=15)
    assert moved.etag != made.etag
    patch = fake.requests(method="PATCH")[-1]
    assert patch.query["sendUpdates"] == ["none"]

    with pytest.raises(PreconditionFailed):
        provider.update(made, draft("calls", hour=16))  # stale etag
    assert fake.calendar().events[made.event_id]["start"]["dateTime"].startswith("2026-03-02T15:00")


def test_update_after_user_edit_is_refused(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    made = provider.create(draft("calls"))
    fake.user_edit(made.event_id, {"summary": "my own title"})
    with pytest.raises(PreconditionFailed):
        provider.update(made, draft("calls", hour=11))
    assert fake.calendar().events[made.event_id]["summary"] == "my own title"


def test_delete_then_delete_again(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    made = provider.create(draft("lunch", hour=12))
    provider.delete(made)
    assert fake.live_events() == []
    with pytest.raises(EventNotFound):
        provider.delete(made)


def test_foreign_events_are_never_written(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    fake.add_meeting(MONDAY + timedelta(hours=10), MONDAY + timedelta(hours=11), "1:1")
    foreign = provider.read(WEEK).events[0]
    before = len(fake.log)
    with pytest.raises(OwnershipError):
        provider.update(foreign, draft("x"))
    with pytest.raises(OwnershipError):
        provider.delete(foreign)
    with pytest.raises(OwnershipError):
        provider.write_batch([Write("delete", current=foreign)])
    assert len(fake.log) == before


def test_full_read_pages_and_reduces_foreign_events(
    fake: FakeGoogle, settings: object, refresh_token: str, sleeper: object
) -> None:
    from tests.google.conftest import make_provider

    cal = make_provider(settings, refresh_token, sleeper, page_size=2)  # type: ignore[arg-type]
    at = MONDAY + timedelta(hours=9)
    fake.add_meeting(
        at,
        at + timedelta(hours=1),
        "QBR Globex",
        attendees=[
            {"email": "Owner@Example.com", "self": True, "responseStatus": "declined"},
            {"email": "Ann.Smith@GLOBEX.com", "responseStatus": "accepted"},
            {"email": "bob@sub.initech.io"},
            {"email": "room-1@resource.calendar.google.com", "resource": True},
        ],
        organizer="Ann.Smith@Globex.com",
    )
    fake.add_meeting(date(2026, 3, 3), date(2026, 3, 4), "Offsite")
    fake.add_meeting(
        at + timedelta(days=1), at + timedelta(days=1, hours=1), "FYI", transparent=True
    )
    fake.add_meeting(
        at + timedelta(days=2),
        at + timedelta(days=2, hours=8),
        "Office",
        event_type="workingLocation",
    )
    fake.add_meeting(
        at + timedelta(days=3),
        at + timedelta(days=3, hours=1),
        "Call",
        attendees=[
            {"email": "owner@example.com", "self": True, "responseStatus": "accepted"},
            {"email": "x@acme.com"},
        ],
    )
    fake.add_meeting(at - timedelta(days=3), at - timedelta(days=3, hours=-1), "Last week")
    cal.create(draft("mine", day=4))

    result = cal.read(WEEK)

    assert result.complete and not result.incremental and result.sync_token
    pages = fake.requests(method="GET", path_contains="/events")
    assert len(pages) == 3  # 6 events in the week, two per page
    by_title = {e.title: e for e in result.events}
    assert set(by_title) == {"QBR Globex", "Offsite", "FYI", "Office", "Call", "Block mine"}
    qbr = by_title["QBR Globex"]
    assert qbr.response == "declined" and not qbr.as_busy().blocks_time
    assert qbr.attendee_domains == ("globex.com", "sub.initech.io")
    assert qbr.organizer_domain == "globex.com"
    offsite = by_title["Offsite"]
    assert offsite.all_day and offsite.start == MONDAY + timedelta(days=1)
    assert offsite.as_busy().blocks_time, "all-day without transparency is opaque: busy"
    assert not by_title["FYI"].as_busy().blocks_time
    assert not by_title["Office"].as_busy().blocks_time
    call = by_title["Call"]
    assert call.response == "accepted" and call.as_busy().blocks_time
    assert by_title["Block mine"].owned and by_title["Block mine"].color == EVENT_PALETTE["9"]
    assert [e.start for e in result.events] == sorted(e.start for e in result.events)
    cal.close()


def test_incremental_read_reports_changes_and_removals(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    kept = provider.create(draft("a"))
    gone = provider.create(draft("b", hour=11))
    full = provider.read(WEEK)
    assert {e.event_id for e in full.events} == {kept.event_id, gone.event_id}

    fake.user_edit(kept.event_id, {"summary": "renamed"})
    fake.user_delete(gone.event_id)
    new = fake.add_meeting(MONDAY + timedelta(hours=14), MONDAY + timedelta(hours=15), "New")
    since = provider.read(WEEK, sync_token=full.sync_token)

    assert since.incremental and since.complete
    assert {e.event_id: e.title for e in since.events} == {
        kept.event_id: "renamed",
        new["id"]: "New",
    }
    assert since.removed == (gone.event_id,)
    assert since.sync_token and since.sync_token != full.sync_token
    quiet = provider.read(WEEK, sync_token=since.sync_token)
    assert quiet.events == () and quiet.removed == ()
    sync_request = fake.requests(method="GET")[-1]
    assert "timeMin" not in sync_request.query  # Google refuses timeMin with a syncToken


def test_stale_sync_token_then_full_read(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    provider.create(draft("a"))
    token = provider.read(WEEK).sync_token
    fake.expire_sync_tokens()

    with pytest.raises(SyncTokenExpired):
        provider.read(WEEK, sync_token=token)
    again = provider.read(WEEK)
    assert len(again.events) == 1 and again.sync_token
    # Only tokens issued before the expiry are stale: the one the recovering full
    # read handed out works at once, with nothing changed since.
    assert again.sync_token
    quiet = provider.read(WEEK, sync_token=again.sync_token)
    assert quiet.incremental and quiet.events == () and quiet.removed == ()


def test_a_week_of_blocks_is_one_or_two_requests(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    drafts = [draft(f"k{i}", day=i % 5, hour=8 + i // 5, minutes=30) for i in range(40)]
    provider.read(WEEK)  # token refresh happens here, not in the count below
    fake.clear_log()

    results = provider.write_batch([Write("create", draft=d) for d in drafts])

    assert len(fake.requests()) <= 2
    assert all(r is not None and not isinstance(r, Exception) for r in results)
    assert [r.tag.key for r in results if r is not None and not isinstance(r, Exception)
            and r.tag is not None] == [d.key for d in drafts]  # fmt: skip
    assert len(fake.live_events()) == 40


def test_sixty_writes_take_two_batches(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    drafts = [draft(f"k{i}", day=i % 5, hour=8, minutes=5) for i in range(60)]
    provider.read(WEEK)
    fake.clear_log()
    provider.write_batch([Write("create", draft=d) for d in drafts])
    batches = fake.requests(path_contains="/batch/")
    assert [b.parts for b in batches] == [50, 10]


def test_batch_mixes_creates_updates_deletes_with_per_write_errors(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    moved = provider.create(draft("move"))
    stale = provider.create(draft("stale", hour=11))
    doomed = provider.create(draft("doomed", hour=13))
    gone = provider.create(draft("gone", hour=15))
    fake.user_edit(stale.event_id, {"summary": "edited by user"})
    fake.user_delete(gone.event_id)

    results = provider.write_batch(
        [
            Write("create", draft=draft("new", hour=17)),
            Write("update", draft=draft("move", hour=10), current=moved),
            Write("update", draft=draft("stale", hour=12), current=stale),
            Write("delete", current=doomed),
            Write("delete", current=gone),
        ]
    )

    created, updated, conflict, deleted, missing = results
    assert created is not None and not isinstance(created, Exception) and created.owned
    assert updated is not None and not isinstance(updated, Exception)
    assert updated.start == MONDAY + timedelta(hours=10)
    assert isinstance(conflict, PreconditionFailed)
    assert deleted is None
    assert isinstance(missing, EventNotFound)
    assert {e["summary"] for e in fake.live_events()} == {
        "Block new",
        "Block move",
        "edited by user",
    }


def test_batch_create_of_existing_ids_is_idempotent(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    drafts = [draft(f"k{i}", hour=8 + i) for i in range(3)]
    first = provider.write_batch([Write("create", draft=d) for d in drafts])
    second = provider.write_batch([Write("create", draft=d) for d in drafts])
    assert [getattr(r, "event_id", None) for r in first] == [
        getattr(r, "event_id", None) for r in second
    ]
    assert len(fake.live_events()) == 3


def test_focus_time_when_accepted(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    made = provider.create(draft("deep", focus=True, minutes=120))
    stored = fake.calendar().events[made.event_id]
    assert stored["eventType"] == "focusTime"
    assert stored["focusTimeProperties"]["autoDeclineMode"] == (
        "declineOnlyNewConflictingInvitations"
    )
    assert made.owned


def test_focus_time_refused_falls_back_to_an_opaque_event(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    fake.refuse_focus_time()
    results = provider.write_batch(
        [Write("create", draft=draft(f"deep{i}", day=i, focus=True)) for i in range(3)]
    )
    assert all(r is not None and not isinstance(r, Exception) and r.owned for r in results)
    for stored in fake.live_events():
        assert stored["eventType"] == "default"
        assert stored["transparency"] == "opaque"
        assert "focusTimeProperties" not in stored
    assert provider.focus_refused
    fake.clear_log()
    provider.create(draft("deep-later", day=4, focus=True))
    assert [r.status for r in fake.requests()] == [200]  # no second refusal


def test_dedicated_calendar(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    cal_id = provider.create_calendar("Time blocks", "Europe/Berlin")
    dedicated = GoogleCalendar(
        provider.settings,
        credentials=provider.credentials,
        calendar_id=cal_id,
        backoff=provider.backoff,
    )
    made = dedicated.create(draft("deep", focus=True, calendar=cal_id))
    # focusTime exists only on primary calendars: the fallback event lands instead
    assert fake.calendar(cal_id).events[made.event_id]["eventType"] == "default"
    assert fake.live_events() == []
    assert [e.event_id for e in dedicated.read(WEEK).events] == [made.event_id]
    dedicated.close()


def test_palette_matches_the_api(provider: GoogleCalendar) -> None:
    assert provider.palette() == EVENT_PALETTE


def test_an_all_day_focus_block_is_never_sent_as_focus_time(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    """The meeting-free day is an all-day entry: Google refuses all-day focusTime, so it
    is written as an ordinary event at once and focusTime stays on for timed blocks."""
    from dataclasses import replace

    day = draft("free-friday", day=4, focus=True)
    made = provider.create(replace(day, all_day=True, start=day.start, end=day.start))
    assert [r.status for r in fake.requests()] == [200]
    assert fake.calendar().events[made.event_id]["eventType"] == "default"
    assert not provider.focus_refused
    timed = provider.create(draft("deep", day=1, focus=True))
    assert fake.calendar().events[timed.event_id]["eventType"] == "focusTime"


def test_a_refusal_is_reported_once_and_a_standing_one_is_not_retried(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    """The factory persists the refusal (per calendar) and says when to try again."""
    told: list[tuple[str, str]] = []
    provider.on_refused = lambda capability, reason: told.append((capability, reason))
    fake.refuse_focus_time()
    provider.write_batch(
        [Write("create", draft=draft(f"deep{i}", day=i, focus=True)) for i in range(2)]
    )
    assert told == [("focus_time", "Focus time events cannot be created on this calendar.")]

    fresh = GoogleCalendar(
        provider.settings,
        credentials=provider.credentials,
        backoff=provider.backoff,
        focus_allowed=lambda: False,
    )
    fake.clear_log()
    fresh.create(draft("deep-next-week", day=3, focus=True))
    assert [r.status for r in fake.requests()] == [200]  # no doomed focusTime attempt
    fresh.close()


def test_a_dedicated_calendar_never_tries_focus_time(
    provider: GoogleCalendar, fake: FakeGoogle
) -> None:
    cal_id = provider.create_calendar("Time blocks", "Europe/Berlin")
    dedicated = GoogleCalendar(
        provider.settings, credentials=provider.credentials, calendar_id=cal_id
    )
    fake.clear_log()
    dedicated.create(draft("deep", focus=True, calendar=cal_id))
    assert [r.status for r in fake.requests()] == [200]
    dedicated.close()
