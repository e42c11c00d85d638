"""The Graph fake's recurring series as Microsoft documents them, over HTTP with httpx
(what providers/outlook_read.py reads is covered by the provider contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.fakes.microsoft import recurrence
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.graph_store import StoredEvent, graph_time

NY = ZoneInfo("America/New_York")
AUTH = {"Authorization": "Bearer any", "Prefer": "odata.maxpagesize=100"}
WINDOW = {"startDateTime": "2027-03-08T05:00:00Z", "endDateTime": "2027-03-20T04:00:00Z"}
"""Monday 8 to Saturday 20 March 2027 in New York: DST starts on Sunday the 14th."""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=NY)


@pytest.fixture
def master(ms_graph: FakeGraph) -> StoredEvent:
    pattern = {"type": "weekly", "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday",
               "friday"], "firstDayOfWeek": "sunday"}  # fmt: skip
    return recurrence.add_series(ms_graph.mailbox, "Stand-up", at(8, 9, 30), at(8, 9, 45), pattern)


def get(graph: FakeGraph, client: httpx.Client, path: str, **params: str) -> httpx.Response:
    return client.get(f"{graph.root}{path}", params=params, headers=AUTH)


def view(graph: FakeGraph, client: httpx.Client) -> list[dict[str, Any]]:
    reply = get(graph, client, "/me/calendarView", **WINDOW)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["value"])


def test_calendar_view_shows_occurrences_at_their_wall_clock_time_never_the_master(
    ms_graph: FakeGraph, graph_http: httpx.Client, master: StoredEvent
) -> None:
    items = view(ms_graph, graph_http)
    assert master.id not in {i["id"] for i in items}
    assert {i["type"] for i in items} == {"occurrence"}
    assert all(i["seriesMasterId"] == master.id and i["recurrence"] is None for i in items)
    starts = [i["start"]["dateTime"] for i in items]
    assert (
        starts[0] == "2027-03-08T14:30:00.0000000" and starts[-1] == "2027-03-19T13:30:00.0000000"
    )
    assert len(items) == 10 and items[5]["originalStart"] == "2027-03-15T13:30:00Z"
    got = get(ms_graph, graph_http, f"/me/events/{master.id}").json()
    assert got["type"] == "seriesMaster" and got["recurrence"]["pattern"]["type"] == "weekly"


def test_an_occurrence_moved_over_http_becomes_an_exception_with_its_own_id(
    ms_graph: FakeGraph, graph_http: httpx.Client, master: StoredEvent
) -> None:
    occurrence = recurrence.occurrence_id(master.id, at(9, 9, 30))
    assert get(ms_graph, graph_http, f"/me/events/{occurrence}").json()["type"] == "occurrence"
    body = {"start": graph_time(at(9, 11)), "end": graph_time(at(9, 11, 15))}
    reply = graph_http.patch(f"{ms_graph.root}/me/events/{occurrence}", json=body, headers=AUTH)
    assert reply.status_code == 200, reply.text
    exception = reply.json()
    assert exception["type"] == "exception" and exception["id"] != occurrence
    assert exception["seriesMasterId"] == master.id
    assert exception["originalStart"] == "2027-03-09T14:30:00Z"
    assert get(ms_graph, graph_http, f"/me/events/{occurrence}").status_code == 404
    items = {i["id"]: i for i in view(ms_graph, graph_http)}
    assert occurrence not in items and items[exception["id"]]["start"]["dateTime"].startswith(
        "2027-03-09T16:00"
    )


def test_delta_reports_a_cancelled_occurrence_removed_and_a_moved_one_as_its_exception(
    ms_graph: FakeGraph, graph_http: httpx.Client, master: StoredEvent
) -> None:
    first = get(ms_graph, graph_http, "/me/calendarView/delta", **WINDOW).json()
    assert {i["type"] for i in first["value"]} == {"occurrence"} and len(first["value"]) == 10
    cancelled = recurrence.occurrence_id(master.id, at(10, 9, 30))
    moved = recurrence.occurrence_id(master.id, at(16, 9, 30))
    assert (
        graph_http.delete(f"{ms_graph.root}/me/events/{cancelled}", headers=AUTH).status_code == 204
    )
    exception = recurrence.move(ms_graph.mailbox, moved, at(16, 15), at(16, 15, 15))

    changes = graph_http.get(first["@odata.deltaLink"], headers=AUTH).json()["value"]

    removed = {i["id"] for i in changes if "@removed" in i}
    assert removed == {cancelled, moved}
    [changed] = [i for i in changes if "@removed" not in i]
    assert changed["id"] == exception.id and changed["type"] == "exception"
    assert len(view(ms_graph, graph_http)) == 9


def test_instances_lists_occurrences_and_exceptions_and_deleting_the_master_removes_them(
    ms_graph: FakeGraph, graph_http: httpx.Client, master: StoredEvent
) -> None:
    exception = recurrence.move(
        ms_graph.mailbox, recurrence.occurrence_id(master.id, at(8, 9, 30)), at(8, 8), at(8, 8, 15)
    )
    ms_graph.mailbox.remove(recurrence.occurrence_id(master.id, at(11, 9, 30)))
    reply = get(ms_graph, graph_http, f"/me/events/{master.id}/instances", **WINDOW)
    items = reply.json()["value"]
    assert [i["type"] for i in items][:2] == ["exception", "occurrence"] and len(items) == 9
    assert items[0]["id"] == exception.id
    first = get(ms_graph, graph_http, "/me/calendarView/delta", **WINDOW).json()
    assert (
        graph_http.delete(f"{ms_graph.root}/me/events/{master.id}", headers=AUTH).status_code == 204
    )
    changes = graph_http.get(first["@odata.deltaLink"], headers=AUTH).json()["value"]
    assert {i["id"] for i in changes if "@removed" in i} == {i["id"] for i in items}
    assert view(ms_graph, graph_http) == []


def test_a_recurrence_graph_would_refuse_is_a_400(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    body = {
        "subject": "Bad",
        "start": {"dateTime": "2027-03-08T09:30:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2027-03-08T09:45:00", "timeZone": "America/New_York"},
        "recurrence": {"pattern": {"type": "weekly", "interval": 1},
                       "range": {"type": "noEnd", "startDate": "2027-03-08"}},
    }  # fmt: skip
    reply = graph_http.post(f"{ms_graph.root}/me/events", json=body, headers=AUTH)
    assert reply.status_code == 400 and "daysOfWeek" in reply.text
    body["recurrence"]["pattern"] = {"type": "daily", "interval": 1}
    reply = graph_http.post(f"{ms_graph.root}/me/events", json=body, headers=AUTH)
    assert reply.status_code == 201 and reply.json()["type"] == "seriesMaster"
