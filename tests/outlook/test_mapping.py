"""What blocks look like on Outlook and how foreign events are read (privacy included)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from blocker.core.keys import OwnershipTag
from blocker.core.models import TentativeAs
from providers.outlook_mapping import (
    PRESETS,
    PROPERTY_ID,
    category_for,
    event_from_graph,
    nearest_preset,
    parse_tag,
    tag_value,
)
from tests.fakes.microsoft.graph import FakeGraph
from tests.outlook.helpers import WEEK, at, calendar, draft


@pytest.mark.parametrize(
    ("color", "preset"),
    [
        ("#E74856", "preset0"),
        ("#DB4437", "preset0"),
        ("#00BCF2", "preset7"),
        ("#4285F4", "preset7"),
        ("#000", "preset14"),
        ("#0b6a0b", "preset19"),
        ("#616161", "preset13"),
        ("preset12", "preset12"),
    ],
)
def test_nearest_preset(color: str, preset: str) -> None:
    assert nearest_preset(color) == preset


def test_every_preset_maps_to_itself_by_colour() -> None:
    for preset, (_, hex_color) in PRESETS.items():
        assert nearest_preset(hex_color) == preset


def test_bad_colour_is_an_error() -> None:
    with pytest.raises(ValueError):
        nearest_preset("blue-ish")


def test_tag_round_trips_keys_with_colons() -> None:
    tag = OwnershipTag(key="renewal:acme:2026-12-08:0", content_hash="0123456789abcdef")
    assert parse_tag(tag_value(tag)) == tag
    assert parse_tag("someone-else:v1:x:y") is None
    later = OwnershipTag("goal/a:b", "abc", 2)  # a later hash scheme keeps its version
    assert tag_value(later) == "csm-blocker:v2:abc:goal/a:b"
    assert parse_tag(tag_value(later)) == later
    assert parse_tag("csm-blocker:vx:abc:k") is None


def test_block_is_quiet_private_tagged_and_coloured(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    made = cal.create(
        draft(
            "focus:2026-12-08:0",
            at(8, 9),
            private=True,
            color="#0B6A0B",
            show_as="free",
            description="created: focus time",
        )
    )
    stored = ms_graph.mailbox.events[made.event_id].data
    assert stored["isReminderOn"] is False
    assert stored["attendees"] == []
    assert stored["sensitivity"] == "private"
    assert stored["showAs"] == "free"
    assert stored["transactionId"] == draft("focus:2026-12-08:0", at(8, 9)).event_id
    name, preset = category_for("#0B6A0B")
    assert stored["categories"] == [name] and preset == "preset19"
    assert {"displayName": name, "color": "preset19"} in [
        {k: c[k] for k in ("displayName", "color")} for c in ms_graph.mailbox.categories
    ]
    (prop,) = stored["singleValueExtendedProperties"]
    assert prop["id"] == PROPERTY_ID and prop["value"].endswith(":focus:2026-12-08:0")
    (seen,) = cal.read(WEEK).events
    assert seen.color == PRESETS["preset19"][1] and seen.transparent


def test_existing_category_is_reused_not_recreated(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    name, preset = category_for("#4285F4")
    ms_graph.mailbox.categories.append({"id": "c1", "displayName": name, "color": preset})
    cal = calendar(ms_graph, graph_http)
    cal.create(draft("a:2026-12-08:0", at(8, 9), color="#4285F4"))
    cal.create(draft("b:2026-12-08:0", at(8, 11), color="#4285F4"))
    # a fresh instance tries to create it (no listing first): 409, taken as "exists"
    assert ms_graph.log.http("POST", "/masterCategories") == 1
    assert ms_graph.log.http("GET", "/masterCategories") == 0
    assert len(ms_graph.mailbox.categories) == 1
    assert ms_graph.log.http("POST", "/events") == 2


def test_foreign_events_keep_only_domains_and_flag_what_does_not_block(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    box = ms_graph.mailbox
    call = box.add_foreign(
        "Acme sync",
        at(8, 14),
        at(8, 15),
        organizer="Jane.Doe@ACME.com",
        attendees=("bob@Acme.COM", "csm@example.com", "x@partner.io"),
        response="accepted",
    )
    free = box.add_foreign("Optional talk", at(8, 16), at(8, 17), show_as="free")
    tentative = box.add_foreign(
        "Maybe", at(9, 10), at(9, 11), show_as="tentative", response="tentativelyAccepted"
    )
    declined = box.add_foreign("No", at(9, 12), at(9, 13), response="declined")
    pending = box.add_foreign("Pending", at(9, 14), at(9, 15), response="notResponded")
    cancelled = box.add_foreign("Called off", at(10, 9), at(10, 10), cancelled=True)
    holiday = box.add_foreign("Holiday", at(11, 0), at(12, 0), all_day=True, show_as="free")
    events = {e.event_id: e for e in calendar(ms_graph, graph_http).read(WEEK).events}

    acme = events[call.id].as_busy()
    assert acme.attendee_domains == ("acme.com", "example.com", "partner.io")
    assert acme.organizer_domain == "acme.com"
    assert acme.response == "accepted" and acme.blocks_time
    assert "@" not in repr(acme)  # no full address crosses the boundary
    assert not events[free.id].as_busy().blocks_time
    assert events[tentative.id].response == "tentative"
    assert events[tentative.id].as_busy().blocks_time  # tentatively held time still counts
    assert events[declined.id].response == "declined"
    assert not events[declined.id].as_busy().blocks_time
    assert events[pending.id].response == "needs_action"
    assert cancelled.id not in events
    day = events[holiday.id]
    assert day.all_day and not day.as_busy().blocks_time
    assert day.start == at(11, 0) and day.end == at(12, 0)


def test_category_created_meanwhile_by_someone_else_is_fine(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    cal.create(draft("a:2026-12-08:0", at(8, 9), color="#4285F4"))  # lists categories
    name, preset = category_for("#E74856")
    ms_graph.mailbox.categories.append({"id": "c9", "displayName": name, "color": preset})
    made = cal.create(draft("b:2026-12-08:0", at(8, 11), color="#E74856"))  # POST -> 409
    assert ms_graph.mailbox.events[made.event_id].data["categories"] == [name]
    assert [c["displayName"] for c in ms_graph.mailbox.categories].count(name) == 1


BERLIN = ZoneInfo("Europe/Berlin")


def _graph_event(show_as: str, response: str, *, all_day: bool = False) -> dict[str, Any]:
    """A Graph event as calendarView returns it (``Prefer: outlook.timezone="UTC"``)."""
    if all_day:  # floating dates: midnight of the local dates
        start, end = "2026-03-30T00:00:00.0000000", "2026-04-01T00:00:00.0000000"
    else:
        start, end = "2026-03-31T08:00:00.0000000", "2026-03-31T09:00:00.0000000"
    return {
        "id": f"{show_as}-{response}-{all_day}",
        "subject": "Offsite" if all_day else "Acme sync",
        "isAllDay": all_day,
        "showAs": show_as,
        "isOrganizer": False,
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
        "organizer": {"emailAddress": {"address": "hr@example.com"}},
        "attendees": [
            {"emailAddress": {"address": "pal@example.com"}, "status": {"response": "declined"}},
            {"emailAddress": {"address": "me@example.com"}, "status": {"response": "none"}},
        ],
        "responseStatus": {"response": response, "time": "2026-03-01T00:00:00Z"},
    }


@pytest.mark.parametrize("show_as", ["busy", "oof", "tentative", "unknown"])
def test_a_busy_all_day_event_blocks_its_whole_days(show_as: str) -> None:
    event = event_from_graph(_graph_event(show_as, "accepted", all_day=True), zone=BERLIN)
    busy = event.as_busy()
    assert busy.all_day and busy.blocks_time, show_as
    assert (busy.start, busy.end) == (
        datetime(2026, 3, 30, tzinfo=BERLIN),
        datetime(2026, 4, 1, tzinfo=BERLIN),
    )


@pytest.mark.parametrize("show_as", ["free", "workingElsewhere"])
def test_a_free_all_day_event_does_not_block(show_as: str) -> None:
    event = event_from_graph(_graph_event(show_as, "accepted", all_day=True), zone=BERLIN)
    assert event.all_day and not event.as_busy().blocks_time


def test_the_owners_response_status_decides_not_an_attendee_line() -> None:
    """A colleague's ``declined`` line listed first is not the owner's answer."""
    kept = event_from_graph(_graph_event("busy", "accepted"), zone=BERLIN)
    assert kept.response == "accepted" and kept.as_busy().blocks_time
    freed = event_from_graph(_graph_event("busy", "declined"), zone=BERLIN)
    assert freed.response == "declined" and not freed.as_busy().blocks_time


@pytest.mark.parametrize(("policy", "blocks"), [("busy", True), ("free", False)])
def test_tentative_counts_as_the_rules_say(policy: TentativeAs, blocks: bool) -> None:
    answered = event_from_graph(
        _graph_event("tentative", "tentativelyAccepted"), zone=BERLIN, tentative=policy
    )
    assert answered.response == "tentative"
    assert answered.as_busy().blocks_time is blocks
    held = event_from_graph(
        _graph_event("tentative", "organizer", all_day=True), zone=BERLIN, tentative=policy
    )
    assert held.as_busy().blocks_time is blocks, "showAs tentative is a tentative hold too"
    accepted = event_from_graph(_graph_event("busy", "accepted"), zone=BERLIN, tentative=policy)
    assert accepted.as_busy().blocks_time
