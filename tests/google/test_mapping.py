"""Pure mapping between Google resources and the product's value objects."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from blocker.core.errors import SettingsError
from blocker.core.models import TentativeAs
from blocker.settings import Settings
from providers.google_client import GoogleSettings, discovery_document
from providers.google_mapping import EVENT_PALETTE, draft_body, nearest_color_id, remote_event
from tests.google.conftest import draft

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("color_id", "hex_color"), sorted(EVENT_PALETTE.items()))
def test_palette_colours_map_to_themselves(color_id: str, hex_color: str) -> None:
    assert nearest_color_id(hex_color.upper()) == color_id


@pytest.mark.parametrize(
    ("color", "expected"),
    [("#4285F4", "9"), ("#0b8043", "10"), ("#d50000", "11"), ("#f6bf26", "5"), ("#fff", "8")],
)
def test_rule_colours_map_to_the_nearest(color: str, expected: str) -> None:
    assert nearest_color_id(color) == expected


def test_unparsable_colour_falls_back_to_blue() -> None:
    assert nearest_color_id("teal") == "9"


def test_all_day_draft_uses_dates_with_exclusive_end() -> None:
    body = draft("holiday", hour=0, minutes=24 * 60, all_day=True)
    out = draft_body(body, focus=False)
    assert out["start"] == {"date": "2026-03-02"} and out["end"] == {"date": "2026-03-03"}


def test_timed_draft_carries_its_zone_and_no_guests() -> None:
    out = draft_body(draft("a"), focus=False)
    assert out["start"] == {"dateTime": "2026-03-02T09:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert out["attendees"] == [] and out["visibility"] == "default"
    assert "eventType" not in out
    patch = draft_body(draft("a"), focus=True, for_patch=True)
    assert "id" not in patch and "eventType" not in patch and "attendees" not in patch


def test_owner_as_organizer_and_out_of_office() -> None:
    resource = {
        "id": "x1",
        "summary": "Vacation",
        "eventType": "outOfOffice",
        "start": {"dateTime": "2026-03-02T08:00:00Z"},
        "end": {"dateTime": "2026-03-02T17:00:00Z"},
        "organizer": {"email": "me@example.com", "self": True},
        "attendees": [
            {"email": "me@example.com", "self": True, "organizer": True},
            {"email": "Guest@Acme.COM"},
        ],
    }
    event = remote_event(resource, BERLIN)
    assert event.start == datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert event.response == "organizer" and event.attendee_domains == ("acme.com",)
    assert event.as_busy().blocks_time, "out of office keeps the planner away"
    assert event.tag is None and not event.owned


def _all_day(event_id: str, first: str, end: str, **fields: object) -> dict[str, object]:
    return {"id": event_id, "start": {"date": first}, "end": {"date": end}, **fields}


def test_an_opaque_all_day_offsite_blocks_both_days_a_transparent_one_does_not() -> None:
    """The API omits ``transparency`` when opaque (its default); the UI sets
    ``transparent`` on all-day notes (holidays, birthdays, reminders)."""
    offsite = remote_event(
        _all_day(
            "o1",
            "2026-03-30",
            "2026-04-01",
            summary="Offsite",
            attendees=[{"email": "me@example.com", "self": True, "responseStatus": "accepted"}],
        ),
        BERLIN,
    ).as_busy()
    assert offsite.all_day and offsite.response == "accepted" and offsite.blocks_time
    assert (offsite.start, offsite.end) == (
        datetime(2026, 3, 30, tzinfo=BERLIN),
        datetime(2026, 4, 1, tzinfo=BERLIN),
    )
    holiday = remote_event(
        _all_day("h1", "2026-04-03", "2026-04-04", transparency="transparent"), BERLIN
    ).as_busy()
    assert holiday.all_day and holiday.transparent and not holiday.blocks_time
    birthday = remote_event(
        _all_day("b1", "2026-04-02", "2026-04-03", eventType="birthday"), BERLIN
    ).as_busy()
    assert not birthday.blocks_time


def test_out_of_office_is_busy_even_if_marked_transparent() -> None:
    away = remote_event(
        _all_day(
            "ooo", "2026-03-30", "2026-04-04", eventType="outOfOffice", transparency="transparent"
        ),
        BERLIN,
    )
    assert away.all_day and not away.transparent and away.as_busy().blocks_time


def _meeting(*attendees: dict[str, object]) -> dict[str, object]:
    return {
        "id": "m1",
        "summary": "Acme sync",
        "start": {"dateTime": "2026-03-31T10:00:00+02:00"},
        "end": {"dateTime": "2026-03-31T11:00:00+02:00"},
        "organizer": {"email": "ann@acme.com"},
        "attendees": list(attendees),
    }


COLLEAGUE_DECLINED = {"email": "pal@example.com", "responseStatus": "declined"}
COLLEAGUE_ACCEPTED = {"email": "pal@example.com", "responseStatus": "accepted"}


def _me(answer: str) -> dict[str, object]:
    return {"email": "me@example.com", "self": True, "responseStatus": answer}


def test_the_self_attendee_decides_not_a_colleague_listed_first() -> None:
    kept = remote_event(_meeting(COLLEAGUE_DECLINED, _me("accepted")), BERLIN).as_busy()
    assert kept.response == "accepted" and kept.blocks_time
    freed = remote_event(_meeting(COLLEAGUE_ACCEPTED, _me("declined")), BERLIN).as_busy()
    assert freed.response == "declined" and not freed.blocks_time


@pytest.mark.parametrize(("policy", "blocks"), [("busy", True), ("free", False)])
def test_tentative_counts_as_the_rules_say(policy: TentativeAs, blocks: bool) -> None:
    event = remote_event(_meeting(COLLEAGUE_DECLINED, _me("tentative")), BERLIN, tentative=policy)
    assert event.response == "tentative"
    assert event.as_busy().blocks_time is blocks
    accepted = remote_event(_meeting(_me("accepted")), BERLIN, tentative=policy)
    assert accepted.as_busy().blocks_time, "only tentative answers follow the policy"


def test_partial_tag_is_not_ownership() -> None:
    resource = {
        "id": "x2",
        "start": {"date": "2026-03-02"},
        "end": {"date": "2026-03-03"},
        "extendedProperties": {"private": {"csmBlockerKey": "k"}},
    }
    event = remote_event(resource, BERLIN)
    assert not event.owned and event.all_day and event.start == datetime(2026, 3, 2, tzinfo=BERLIN)
    assert event.title == ""


def test_discovery_document_is_rerooted_for_batches_too() -> None:
    document = discovery_document("http://127.0.0.1:9")
    assert document["rootUrl"] == "http://127.0.0.1:9/"
    assert document["batchPath"] == "batch/calendar/v3"


def test_google_settings_from_service_settings() -> None:
    key = Fernet.generate_key().decode()
    configured = Settings(
        google_client_id="cid",
        google_client_secret="csecret",
        google_api_root="http://127.0.0.1:1/",
        encryption_key=key,
    )
    google = GoogleSettings.from_settings(configured)
    assert (google.client_id, google.client_secret) == ("cid", "csecret")
    assert google.api_root == "http://127.0.0.1:1/"
    with pytest.raises(SettingsError):
        GoogleSettings.from_settings(Settings(encryption_key=key))
