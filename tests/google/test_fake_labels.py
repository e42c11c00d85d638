"""The fake's event-label rules (tests/fakes/google/labels.py), through the real client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from providers.google import GoogleCalendar
from providers.google_client import CALENDARS_SCOPE, EVENTS_SCOPE, GoogleSettings
from tests.fakes.google import FakeGoogle
from tests.google.conftest import MONDAY, Sleeper, make_provider

OWNER = "owner@example.com"


@pytest.fixture
def api(settings: GoogleSettings, fake: FakeGoogle, sleeper: Sleeper) -> Iterator[Any]:
    token = fake.oauth.issue_refresh_token(f"{EVENTS_SCOPE} {CALENDARS_SCOPE}")
    provider = make_provider(settings, token, sleeper)
    yield provider.service
    provider.close()


def label(n: int, colour: str = "#039be5", name: str | None = "L") -> dict[str, str]:
    out = {"id": str(uuid.UUID(int=n)), "backgroundColor": colour}
    if name is not None:
        out["name"] = name
    return out


def status(request: Any) -> int:
    with pytest.raises(HttpError) as caught:
        request.execute()
    return int(caught.value.resp.status)


def patch_labels(api: Any, labels: list[dict[str, str]], etag: str | None = None) -> Any:
    request = api.calendars().patch(
        calendarId="primary", body={"labelProperties": {"eventLabels": labels}}
    )
    if etag is not None:
        request.headers["If-Match"] = etag
    return request


def event(label_id: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "start": {"dateTime": MONDAY.isoformat()},
        "end": {"dateTime": (MONDAY + timedelta(hours=1)).isoformat()},
        "colorId": "11",
        **extra,
    }
    if label_id is not None:
        body["eventLabelId"] = label_id
    return body


def test_label_list_rules_cap_colour_name_and_uuid(api: Any) -> None:
    assert status(patch_labels(api, [label(i) for i in range(201)])) == 400
    assert patch_labels(api, [label(i) for i in range(200)]).execute()
    assert status(patch_labels(api, [label(1, "blue")])) == 400
    assert status(patch_labels(api, [label(1, "#12345")])) == 400
    assert status(patch_labels(api, [label(1, name="x" * 51)])) == 400
    assert status(patch_labels(api, [{"id": "not-a-uuid", "backgroundColor": "#000000"}])) == 400
    assert status(patch_labels(api, [label(1), label(1)])) == 400
    made = patch_labels(api, [{"backgroundColor": "#000000"}]).execute()
    [generated] = made["labelProperties"]["eventLabels"]
    assert uuid.UUID(generated["id"])  # an id is made when none is given


def test_the_calendar_etag_guards_updates_and_a_patch_without_labels_keeps_them(
    api: Any,
) -> None:
    first = api.calendars().get(calendarId="primary").execute()
    changed = patch_labels(api, [label(1)], first["etag"]).execute()
    assert changed["etag"] != first["etag"]
    assert status(patch_labels(api, [label(2)], first["etag"])) == 412
    kept = api.calendars().patch(calendarId="primary", body={"summary": "Mine"}).execute()
    assert kept["labelProperties"]["eventLabels"] == [label(1)]
    assert [lab["id"] for lab in api.calendars().get(calendarId="primary").execute()[
        "labelProperties"]["eventLabels"]] == [label(1)["id"]]  # fmt: skip


def test_only_the_owner_may_change_labels(api: Any, fake: FakeGoogle) -> None:
    fake.calendar().access_role = "writer"
    assert status(patch_labels(api, [label(1)])) == 403


def test_calendars_need_a_calendar_scope(
    settings: GoogleSettings, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    provider: GoogleCalendar = make_provider(
        settings, fake.oauth.issue_refresh_token(EVENTS_SCOPE), sleeper
    )
    try:
        assert status(provider.service.calendars().get(calendarId="primary")) == 403
        assert status(patch_labels(provider.service, [label(1)])) == 403
    finally:
        provider.close()


def test_event_label_version_decides_between_label_and_color_id(api: Any, fake: FakeGoogle) -> None:
    patch_labels(api, [label(1), label(2, "#33b679")]).execute()
    events = api.events()
    ours = label(1)["id"]
    unknown = str(uuid.UUID(int=9))
    # version 0 (the default): eventLabelId is not processed, colorId is
    plain = events.insert(calendarId="primary", body=event(ours)).execute()
    assert "eventLabelId" not in plain and plain["colorId"] == "11"
    # version 1: the label is set, colorId ignored; an unknown label id is refused
    with_label = events.insert(calendarId="primary", body=event(ours), eventLabelVersion=1)
    made = with_label.execute()
    assert made["eventLabelId"] == ours and "colorId" not in made
    assert fake.api.labels.colour_of(OWNER, made["eventLabelId"]) == "#039be5"
    refused = events.insert(calendarId="primary", body=event(unknown), eventLabelVersion=1)
    assert status(refused) == 400
    # a version-0 patch leaves the label alone; a version-1 patch without it removes it
    kept = events.patch(
        calendarId="primary", eventId=made["id"], body={"eventLabelId": label(2)["id"]}
    ).execute()
    assert kept["eventLabelId"] == ours
    cleared = events.patch(
        calendarId="primary", eventId=made["id"], body={"summary": "x"}, eventLabelVersion=1
    ).execute()
    assert "eventLabelId" not in cleared
