"""Exact colours through event labels (issue 16.4): the provider on the real client
against the fake's label rules (tests/fakes/google/labels.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from blocker.core.models import EventDraft, Interval
from providers.base import Write
from providers.google import GoogleCalendar
from providers.google_client import (
    CALENDARS_SCOPE,
    EVENTS_SCOPE,
    GoogleSettings,
    build_credentials,
)
from providers.google_labels import CAPABILITY, InMemoryLabels, label_id
from providers.google_mapping import nearest_color_id
from tests.fakes.google import FakeGoogle
from tests.google.conftest import MONDAY, Sleeper, draft, make_provider

OWNER = "owner@example.com"
"""The fake's primary calendar id (labels are kept per calendar id)."""
USER_LABEL = {"id": str(uuid.UUID(int=1)), "name": "Gym", "backgroundColor": "#123456"}


class Refusals(list[tuple[str, str]]):
    def __call__(self, capability: str, reason: str) -> None:
        self.append((capability, reason))


@pytest.fixture
def refusals() -> Refusals:
    return Refusals()


@pytest.fixture
def memory() -> InMemoryLabels:
    return InMemoryLabels()


def labelled(
    settings: GoogleSettings,
    token: str,
    sleeper: Sleeper,
    memory: InMemoryLabels,
    refusals: Refusals,
) -> GoogleCalendar:
    return make_provider(
        settings, token, sleeper, labels=memory, on_refused=refusals, time_zone="Europe/Berlin"
    )


@pytest.fixture
def owner_token(fake: FakeGoogle) -> str:
    return fake.oauth.issue_refresh_token(f"{EVENTS_SCOPE} {CALENDARS_SCOPE}")


@pytest.fixture
def cal(
    settings: GoogleSettings,
    owner_token: str,
    sleeper: Sleeper,
    memory: InMemoryLabels,
    refusals: Refusals,
) -> Iterator[GoogleCalendar]:
    provider = labelled(settings, owner_token, sleeper, memory, refusals)
    yield provider
    provider.close()


def coloured(key: str, colour: str, label: str, hour: int = 9) -> EventDraft:
    return draft(key, hour=hour, color=colour, label=label)


WEEK = [
    coloured("focus/1", "#8E24AA", "Focus", 9),
    coloured("focus/2", "#8E24AA", "Focus", 11),
    coloured("acct/1", "#D50000", "Accounts · High", 14),
    coloured("acct/2", "#0B8043", "Accounts · Low", 16),
]


def creates(drafts: list[EventDraft]) -> list[Write]:
    return [Write("create", draft=d) for d in drafts]


def shown_colour(fake: FakeGoogle, event: dict[str, object]) -> str | None:
    """The colour Google Calendar paints ``event`` in: its label's, else its colorId's."""
    label = fake.api.labels.colour_of(OWNER, str(event.get("eventLabelId")))
    if label is not None:
        return label
    palette = {"9": "#5484ed"}  # the colorId default of the fake's palette, for the message
    return palette.get(str(event.get("colorId")), f"colorId {event.get('colorId')}")


def calendar_calls(fake: FakeGoogle) -> list[tuple[str, int]]:
    return [
        (r.method, r.status)
        for r in fake.requests()
        if r.path.rstrip("/").endswith(f"calendars/{OWNER}") or r.path.endswith("calendars/primary")
    ]


def test_each_block_shows_its_rules_exact_hex_through_one_label_per_colour(
    cal: GoogleCalendar, fake: FakeGoogle, refusals: Refusals
) -> None:
    fake.clear_log()
    results = cal.write_batch(creates(WEEK))
    assert all(not isinstance(r, Exception) for r in results), results
    for d in WEEK:
        event = fake.calendar().events[d.event_id]
        assert shown_colour(fake, event) == d.color.lower(), (d.key, event)
    names = sorted(lab["name"] for lab in fake.api.labels.of(OWNER).labels)
    assert names == [
        "csm-blocker · Accounts · High",
        "csm-blocker · Accounts · Low",
        "csm-blocker · Focus",
    ]
    # set up with one read and one write of the calendar, then the events in one batch
    assert calendar_calls(fake) == [("GET", 200), ("PATCH", 200)]
    assert len(fake.requests()) == 3
    assert refusals == []


def test_labels_are_set_up_once_then_writes_cost_what_they_did(
    settings: GoogleSettings,
    owner_token: str,
    sleeper: Sleeper,
    cal: GoogleCalendar,
    fake: FakeGoogle,
    memory: InMemoryLabels,
    refusals: Refusals,
) -> None:
    cal.write_batch(creates(WEEK[:2]))
    fake.clear_log()
    cal.write_batch(creates([coloured("focus/3", "#8E24AA", "Focus", 18)]))
    assert calendar_calls(fake) == [] and len(fake.requests()) == 1
    # another process with the same memory (the store, in the product) reads nothing either
    other = labelled(settings, owner_token, sleeper, memory, refusals)
    try:
        fake.clear_log()
        other.write_batch(creates([coloured("focus/4", "#8E24AA", "Focus", 20)]))
        assert calendar_calls(fake) == [] and len(fake.requests()) == 1
    finally:
        other.close()
    # a label the memory lacks (a new rule) costs one read and one write, once
    fake.clear_log()
    cal.write_batch(creates([coloured("new/1", "#F4511E", "Renewals", 7)]))
    assert calendar_calls(fake) == [("GET", 200), ("PATCH", 200)]


def test_the_users_own_labels_survive_untouched_and_in_place(
    cal: GoogleCalendar, fake: FakeGoogle
) -> None:
    theirs = [USER_LABEL, {"id": str(uuid.UUID(int=2)), "backgroundColor": "#ABCDEF"}]
    fake.api.labels.user_sets(OWNER, theirs)
    cal.write_batch(creates(WEEK))
    after = fake.api.labels.of(OWNER).labels
    assert after[:2] == theirs
    assert len(after) == 5


def test_a_rule_colour_change_recolours_our_label_and_keeps_its_id(
    cal: GoogleCalendar, fake: FakeGoogle
) -> None:
    fake.api.labels.user_sets(OWNER, [USER_LABEL])
    first = cal.create(coloured("focus/1", "#8E24AA", "Focus"))
    old_label = fake.calendar().events[first.event_id]["eventLabelId"]
    second = cal.create(coloured("focus/2", "#039BE5", "Focus", 13))
    labels = {lab["id"]: lab for lab in fake.api.labels.of(OWNER).labels}
    assert fake.calendar().events[second.event_id]["eventLabelId"] == old_label
    assert labels[old_label]["backgroundColor"] == "#039be5"
    assert labels[USER_LABEL["id"]] == USER_LABEL
    assert len(labels) == 2


def test_a_concurrent_change_of_the_labels_412_is_read_again_and_merged_once_more(
    cal: GoogleCalendar, fake: FakeGoogle
) -> None:
    fake.api.labels.user_sets(OWNER, [USER_LABEL])
    added_meanwhile = {"id": str(uuid.UUID(int=3)), "name": "Board", "backgroundColor": "#000000"}
    fake.api.labels.race_next_read(OWNER, [USER_LABEL, added_meanwhile])
    fake.clear_log()
    cal.write_batch(creates(WEEK[:1]))
    assert calendar_calls(fake) == [("GET", 200), ("PATCH", 412), ("GET", 200), ("PATCH", 200)]
    after = fake.api.labels.of(OWNER).labels
    assert after[:2] == [USER_LABEL, added_meanwhile]
    assert after[2]["id"] == label_id("csm-blocker · Focus")
    event = fake.calendar().events[WEEK[0].event_id]
    assert shown_colour(fake, event) == "#8e24aa"


def test_not_the_owner_blocks_get_the_nearest_color_id_and_the_reason_is_told(
    cal: GoogleCalendar, fake: FakeGoogle, refusals: Refusals
) -> None:
    fake.calendar().access_role = "writer"
    cal.read(Interval(MONDAY, MONDAY + timedelta(days=7)))  # events.list says accessRole
    fake.clear_log()
    cal.write_batch(creates(WEEK))
    assert calendar_calls(fake) == [] and len(fake.requests()) == 1
    for d in WEEK:
        event = fake.calendar().events[d.event_id]
        assert "eventLabelId" not in event
        assert event["colorId"] == nearest_color_id(d.color)
    [(capability, reason)] = refusals
    assert capability == CAPABILITY and "writer" in reason
    fake.clear_log()
    cal.write_batch(creates([coloured("later", "#8E24AA", "Focus", 20)]))
    assert calendar_calls(fake) == [] and len(refusals) == 1  # told once, not retried


def test_without_a_read_first_the_owner_only_refusal_comes_from_google(
    cal: GoogleCalendar, fake: FakeGoogle, refusals: Refusals
) -> None:
    fake.calendar().access_role = "writer"
    cal.write_batch(creates(WEEK[:1]))
    assert calendar_calls(fake) == [("GET", 200), ("PATCH", 403)]
    assert fake.calendar().events[WEEK[0].event_id]["colorId"] == nearest_color_id("#8E24AA")
    [(capability, reason)] = refusals
    assert capability == CAPABILITY and "owner" in reason


def test_a_grant_without_a_calendar_scope_does_not_try(
    settings: GoogleSettings,
    fake: FakeGoogle,
    sleeper: Sleeper,
    memory: InMemoryLabels,
    refusals: Refusals,
) -> None:
    token = fake.oauth.issue_refresh_token(EVENTS_SCOPE)
    granted = build_credentials(settings, token, [EVENTS_SCOPE])  # an older connection
    provider = make_provider(
        settings, token, sleeper, labels=memory, on_refused=refusals, credentials=granted
    )
    try:
        provider.write_batch(creates(WEEK[:1]))
    finally:
        provider.close()
    assert calendar_calls(fake) == []
    [(capability, reason)] = refusals
    assert capability == CAPABILITY and "connect the calendar again" in reason


def test_the_200_label_cap_falls_back_without_writing_the_calendar(
    cal: GoogleCalendar, fake: FakeGoogle, refusals: Refusals
) -> None:
    theirs = [
        {"id": str(uuid.UUID(int=100 + i)), "name": f"L{i}", "backgroundColor": "#101010"}
        for i in range(199)
    ]
    fake.api.labels.user_sets(OWNER, theirs)
    cal.write_batch(creates(WEEK))  # three labels needed, one place left
    assert calendar_calls(fake) == [("GET", 200)]
    assert fake.api.labels.of(OWNER).labels == theirs
    [(capability, reason)] = refusals
    assert capability == CAPABILITY and "200" in reason
    assert all("eventLabelId" not in fake.calendar().events[d.event_id] for d in WEEK)


def test_a_label_the_user_deleted_is_set_up_again(
    cal: GoogleCalendar, fake: FakeGoogle, refusals: Refusals
) -> None:
    cal.write_batch(creates(WEEK[:1]))
    fake.api.labels.user_sets(OWNER, [USER_LABEL])  # our label deleted in the UI
    moved = coloured("focus/9", "#8E24AA", "Focus", 15)
    event = cal.create(moved)  # Google refuses the unknown label id: nearest colorId
    assert fake.calendar().events[event.event_id]["colorId"] == nearest_color_id("#8E24AA")
    fake.clear_log()
    again = cal.create(coloured("focus/10", "#8E24AA", "Focus", 17))
    assert calendar_calls(fake) == [("GET", 200), ("PATCH", 200)]
    assert shown_colour(fake, fake.calendar().events[again.event_id]) == "#8e24aa"
    assert fake.api.labels.of(OWNER).labels[0] == USER_LABEL
    assert refusals == []


def test_an_update_keeps_the_label(cal: GoogleCalendar, fake: FakeGoogle) -> None:
    made = cal.create(WEEK[0])
    moved = coloured("focus/1", "#8E24AA", "Focus", 10)
    cal.update(made, moved)
    event = fake.calendar().events[made.event_id]
    assert shown_colour(fake, event) == "#8e24aa" and event["start"]["dateTime"].startswith(
        (MONDAY + timedelta(hours=10)).isoformat()[:16]
    )


def test_a_long_lived_provider_tries_again_once_the_recorded_refusal_lapses(
    settings: GoogleSettings,
    owner_token: str,
    sleeper: Sleeper,
    fake: FakeGoogle,
    memory: InMemoryLabels,
    refusals: Refusals,
) -> None:
    recorded: list[str] = []

    def refused(capability: str, reason: str) -> None:
        refusals(capability, reason)
        recorded.append(reason)  # what the store's fallback record would hold

    provider = make_provider(
        settings,
        owner_token,
        sleeper,
        labels=memory,
        on_refused=refused,
        labels_allowed=lambda: not recorded,
    )
    try:
        fake.calendar().access_role = "writer"
        provider.read(Interval(MONDAY, MONDAY + timedelta(days=7)))
        provider.write_batch(creates(WEEK[:1]))
        assert len(refusals) == 1 and calendar_calls(fake) == []
        fake.calendar().access_role = "owner"  # the calendar is handed over
        provider.read(Interval(MONDAY, MONDAY + timedelta(days=7)))
        provider.write_batch(creates(WEEK[1:2]))
        assert calendar_calls(fake) == [], "the record stands: no attempt"
        recorded.clear()  # a week on, the factory drops the record
        provider.write_batch(creates(WEEK[2:3]))
        event = fake.calendar().events[WEEK[2].event_id]
        assert shown_colour(fake, event) == WEEK[2].color.lower()
        assert len(refusals) == 1
    finally:
        provider.close()
