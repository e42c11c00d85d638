"""Pure mapping between Google resources and the product's value objects."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from blocker.errors import SettingsError
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
