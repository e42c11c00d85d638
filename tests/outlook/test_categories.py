"""Colour categories cost no requests of their own: listed by reads, created in free members
of write batches (or of the next read), refused without MailboxSettings: then uncoloured."""

from __future__ import annotations

import math
from datetime import timedelta

import httpx

from blocker.core.models import EventDraft, RemoteEvent
from providers.base import Write
from providers.outlook import OutlookCalendar
from providers.outlook_graph import GraphClient, SubRequest
from providers.outlook_mapping import PRESETS, category_for
from tests.fakes.microsoft.graph import FakeGraph
from tests.outlook.helpers import WEEK, Sleeps, at, calendar, draft

COLOURS = [PRESETS[f"preset{i}"][1] for i in range(10)]


def sixty_blocks(colours: list[str] = COLOURS, hour: int = 8, count: int = 60) -> list[EventDraft]:
    """60 half-hour blocks, 12 a weekday, colours in turn (every colour in each 20)."""
    out = []
    for i in range(count):
        day, slot = divmod(i, 12)
        start = at(7 + day, hour) + timedelta(minutes=30 * slot)
        out.append(draft(f"r{i}:{day}:{slot}", start, 30, color=colours[i % len(colours)]))
    return out


def apply_in_chunks(cal: OutlookCalendar, writes: list[Write]) -> list[object]:
    """What blocker.apply does: one write_batch per capabilities.batch_size writes."""
    size = cal.capabilities.batch_size
    results: list[object] = []
    for start in range(0, len(writes), size):
        results.extend(cal.write_batch(writes[start : start + size]))
    return results


def category_requests(graph: FakeGraph) -> int:
    return sum(1 for _, path, _ in graph.log.entries if "masterCategories" in path)


def test_first_sync_of_63_blocks_in_10_colours_takes_five_requests(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    assert len({category_for(c) for c in COLOURS}) == 10
    cal = calendar(ms_graph, graph_http)
    read = cal.read(WEEK)
    drafts = sixty_blocks(count=63)
    results = apply_in_chunks(cal, [Write("create", draft=d) for d in drafts])
    assert all(isinstance(r, RemoteEvent) for r in results), results
    log = ms_graph.log
    # 1 read $batch + ceil(63 / 20) write batches: the three full ones leave no member
    # free, the categories ride in the last one (3 writes + 10 creations)
    assert log.http() == 1 + math.ceil(63 / 20) == 5, log.counts()
    assert log.http("POST", "/$batch") == log.http()
    assert log.batched("POST", "/masterCategories") == 10
    assert log.batched("POST", "/events") == 63
    made = {c["displayName"]: c["color"] for c in ms_graph.mailbox.categories}
    assert made == dict(category_for(c) for c in COLOURS)
    # the colours read back through the categories the read knows
    again = {e.tag.key: e.color for e in cal.read(WEEK, None).events if e.tag}
    assert again == {d.key: PRESETS[category_for(d.color)[1]][1] for d in drafts}
    assert read.sync_token


def test_categories_that_find_no_free_member_ride_in_the_next_read(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    token = cal.read(WEEK).sync_token
    assert token
    drafts = sixty_blocks()  # three full write batches: no member left for a category
    apply_in_chunks(cal, [Write("create", draft=d) for d in drafts])
    assert ms_graph.log.http() == 1 + 3 and ms_graph.mailbox.categories == []
    ms_graph.log.clear()
    changes = cal.read(WEEK, token)  # the next run's read, incremental: still one request
    assert ms_graph.log.http() == 1 and ms_graph.log.batched("POST", "/masterCategories") == 10
    assert len(changes.events) == 60
    assert len(ms_graph.mailbox.categories) == 10
    ms_graph.log.clear()
    painted = {e.tag.key: e.color for e in cal.read(WEEK).events if e.tag}
    assert painted == {d.key: PRESETS[category_for(d.color)[1]][1] for d in drafts}
    assert category_requests(ms_graph) == 0


def test_a_second_run_makes_no_category_requests(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    cal.read(WEEK)
    first = apply_in_chunks(cal, [Write("create", draft=d) for d in sixty_blocks(count=63)])
    ms_graph.log.clear()
    read = cal.read(WEEK)
    current = {e.tag.key: e for e in read.events if e.tag}
    moved = [Write("update", draft=d, current=current[d.key]) for d in sixty_blocks(hour=9)[:25]]
    results = apply_in_chunks(cal, moved)
    assert all(isinstance(r, RemoteEvent) for r in results) and len(first) == 63
    assert category_requests(ms_graph) == 0, ms_graph.log.counts()
    assert ms_graph.log.http() == 1 + 2  # the read, then 25 updates in two batches


def test_a_fresh_instance_lists_categories_inside_its_read_and_creates_none(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    first = calendar(ms_graph, graph_http)
    first.read(WEEK)
    apply_in_chunks(first, [Write("create", draft=d) for d in sixty_blocks()[:20]])
    ms_graph.log.clear()
    second = calendar(ms_graph, graph_http)
    read = second.read(WEEK)
    assert len([e for e in read.events if e.tag]) == 20
    apply_in_chunks(second, [Write("create", draft=d) for d in sixty_blocks()[20:40]])
    assert ms_graph.log.batched("GET", "/masterCategories") == 1  # inside the read batch
    assert ms_graph.log.batched("POST", "/masterCategories") == 0
    assert ms_graph.log.http() == 2


def test_a_category_made_by_someone_else_meanwhile_is_a_409_and_kept(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    cal.read(WEEK)  # lists the (empty) master list
    name, preset = category_for(COLOURS[3])
    ms_graph.mailbox.categories.append({"id": "other", "displayName": name, "color": "preset24"})
    drafts = sixty_blocks()[:10]
    results = cal.write_batch([Write("create", draft=d) for d in drafts])
    assert all(isinstance(r, RemoteEvent) for r in results), results
    assert ms_graph.log.batched("POST", "/masterCategories") == 10  # one of them answered 409
    names = [c["displayName"] for c in ms_graph.mailbox.categories]
    assert sorted(names) == sorted({category_for(c)[0] for c in COLOURS})
    # the 409 makes the next full read list again: it learns the other client's preset
    ms_graph.log.clear()
    seen = {e.tag.key: e.color for e in cal.read(WEEK).events if e.tag}
    assert ms_graph.log.batched("GET", "/masterCategories") == 1
    assert seen[drafts[3].key] == PRESETS["preset24"][1] != PRESETS[preset][1]
    cal.write_batch([Write("create", draft=d) for d in sixty_blocks()[10:20]])
    assert ms_graph.log.batched("POST", "/masterCategories") == 0
    ms_graph.log.clear()
    cal.read(WEEK)
    assert category_requests(ms_graph) == 0


def test_a_failed_category_creation_leaves_the_events_written_and_is_retried(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    ms_graph.throttle(1, status=500, retry_after=None, path_contains="/masterCategories")
    made = cal.write_batch([Write("create", draft=draft("a:0", at(8, 9), color=COLOURS[0]))])
    assert isinstance(made[0], RemoteEvent) and ms_graph.mailbox.categories == []
    again = cal.write_batch([Write("create", draft=draft("b:0", at(8, 11), color=COLOURS[0]))])
    assert isinstance(again[0], RemoteEvent)
    assert [c["displayName"] for c in ms_graph.mailbox.categories] == [category_for(COLOURS[0])[0]]
    assert ms_graph.log.batched("POST", "/masterCategories") == 2


def test_the_fake_runs_a_sequential_batch_in_order_and_fails_the_rest_with_424(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    create = {
        "method": "POST",
        "url": "/me/outlook/masterCategories",
        "body": {"displayName": "x", "color": "preset1"},
        "headers": {"Content-Type": "application/json"},
    }
    payload = {
        "requests": [
            # listed last, but each runs after the one it depends on
            {"id": "c", "method": "GET", "url": "/me/events/missing", "dependsOn": ["b"]},
            {"id": "a", **create},
            {"id": "b", "method": "GET", "url": "/me/outlook/masterCategories", "dependsOn": ["a"]},
            {"id": "d", "method": "GET", "url": "/me/outlook/masterCategories", "dependsOn": ["c"]},
        ]
    }
    auth = {"Authorization": "Bearer x"}
    reply = graph_http.post(f"{ms_graph.root}/$batch", json=payload, headers=auth)
    assert reply.status_code == 400, "listed out of order: not 'each on the one before'"
    payload["requests"] = [payload["requests"][i] for i in (1, 2, 0, 3)]
    reply = graph_http.post(f"{ms_graph.root}/$batch", json=payload, headers=auth)
    answers = {r["id"]: r for r in reply.json()["responses"]}
    assert answers["a"]["status"] == 201
    assert [c["displayName"] for c in answers["b"]["body"]["value"]] == ["x"]
    assert (answers["c"]["status"], answers["d"]["status"]) == (404, 424)
    cycle = {"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["9"]}]}
    assert graph_http.post(f"{ms_graph.root}/$batch", json=cycle, headers=auth).status_code == 400


def test_the_fake_refuses_a_batch_neither_sequential_nor_parallel(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """What the product sent until issue 16: delta, then the view after it, then the
    category list with no dependsOn. Graph: "Batch should be either fully sequential
    or fully parallel" (https://learn.microsoft.com/graph/json-batching)."""
    auth = {"Authorization": "Bearer x"}
    window = "startDateTime=2026-12-07T05:00:00Z&endDateTime=2026-12-14T05:00:00Z"
    view = f"/me/calendar/calendarView?{window}"
    mixed = {
        "requests": [
            {"id": "1", "method": "GET", "url": view.replace("calendarView", "calendarView/delta")},
            {"id": "2", "method": "GET", "url": view, "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": "/me/outlook/masterCategories"},
        ]
    }
    reply = graph_http.post(f"{ms_graph.root}/$batch", json=mixed, headers=auth)
    assert reply.status_code == 400
    assert "sequential" in reply.json()["error"]["message"]
    mixed["requests"][2]["dependsOn"] = ["1"]  # two on the first: not a chain either
    assert graph_http.post(f"{ms_graph.root}/$batch", json=mixed, headers=auth).status_code == 400
    mixed["requests"][2]["dependsOn"] = ["2"]
    assert graph_http.post(f"{ms_graph.root}/$batch", json=mixed, headers=auth).status_code == 200


def test_a_failure_ends_a_sequential_batch_but_a_throttled_member_resumes_it(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    sleeps = Sleeps()
    client = GraphClient(lambda: "t", root=ms_graph.root, client=graph_http, sleeper=sleeps)
    listing = SubRequest("GET", "/me/outlook/masterCategories")
    missing = SubRequest("GET", "/me/events/missing")
    answers = client.batch([listing, missing, listing], sequential=True)
    assert [a.status for a in answers] == [200, 404, 424]  # the 424 is final: no resend
    assert ms_graph.log.http("POST", "/$batch") == 1
    ms_graph.log.clear()
    ms_graph.throttle(1, retry_after=9, path_contains="/masterCategories", skip=1)
    answers = client.batch([listing] * 4, sequential=True)
    assert [a.status for a in answers] == [200] * 4
    assert sleeps == [9.0]
    assert ms_graph.log.http("POST", "/$batch") == 2  # the second: the throttled and the rest
    assert ms_graph.log.batched("GET", "/masterCategories") == 2 + 3
    subs = [missing] + [listing] * 21
    assert [a.status for a in client.batch(subs, sequential=True)] == [404] + [424] * 21
    assert ms_graph.log.http("POST", "/$batch") == 3, "a chain that failed sends no more"


def test_a_failed_delta_member_falls_back_to_one_request_at_a_time(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http, max_retries=0)
    ms_graph.mailbox.add_foreign("QBR", at(8, 14), at(8, 15))
    ms_graph.throttle(1, status=500, retry_after=None, path_contains="/calendarView/delta")
    read = cal.read(WEEK)
    assert [e.title for e in read.events] == ["QBR"] and read.sync_token
    # the batched view depended on the failed delta: 424, never run
    assert ms_graph.log.batched("GET", "/calendar/calendarView") == 1  # the delta only
    assert ms_graph.log.http("GET", "/calendarView/delta") == 1
    assert ms_graph.log.http("GET", "/calendar/calendarView") == 2  # delta + view, in order
