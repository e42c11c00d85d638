"""OutlookCalendar against the Graph fake: request economy, idempotency, delta, throttling."""

from __future__ import annotations

import httpx
import pytest
import requests

from blocker.core.errors import (
    RateLimited,
    ReconnectRequired,
    SyncTokenExpired,
    TransientError,
)
from blocker.core.models import RemoteEvent
from providers.base import Write
from providers.outlook import OutlookCalendar
from providers.outlook_mapping import PROPERTY_ID
from providers.outlook_tags import MemoryState
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.graph_store import graph_time
from tests.fakes.microsoft.identity import FakeIdentity
from tests.fakes.microsoft.signin import connected_getter
from tests.outlook.helpers import WEEK, Sleeps, at, calendar, draft, week_of_drafts


def test_a_week_of_40_blocks_takes_one_read_batch_and_two_write_batches(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    ms_graph.mailbox.add_foreign("QBR Globex", at(8, 14), at(8, 15))
    read = cal.read(WEEK)
    assert len(read.events) == 1 and read.sync_token
    drafts = week_of_drafts(40)
    results = cal.write_batch([Write("create", draft=d) for d in drafts])
    assert all(isinstance(r, RemoteEvent) for r in results)
    log = ms_graph.log
    # the read: delta, calendarView and the category list in one sequential $batch
    assert log.batched("GET", "/calendarView/delta") == 1
    assert log.batched("GET") == 3  # delta, calendarView, masterCategories
    assert log.batched("GET", "/masterCategories") == 1
    # the writes: 40 creates fill two batches; the missing category waits for room
    assert log.batched("POST", "/events") == 40
    assert log.batched("POST", "/masterCategories") == 0
    assert log.http("POST", "/$batch") == 1 + 40 // 20
    assert log.http() == 1 + 2, log.counts()
    assert ms_graph.mailbox.owned_count(PROPERTY_ID) == 40
    keys = {e.tag.key for e in cal.read(WEEK).events if e.tag is not None}
    assert keys == {d.key for d in drafts}
    assert log.batched("POST", "/masterCategories") == 1, "created by the next read"
    assert log.http() == 1 + 2 + 1


def test_more_than_20_writes_are_split_into_batches_of_20(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    writes = [Write("create", draft=d) for d in week_of_drafts(40)[:33]]
    results = cal.write_batch(writes)
    assert [r.tag.key for r in results if isinstance(r, RemoteEvent) and r.tag] == [
        w.draft.key for w in writes if w.draft
    ]
    assert ms_graph.log.http("POST", "/$batch") == 2


def test_the_fake_refuses_batches_over_20(ms_graph: FakeGraph, graph_http: httpx.Client) -> None:
    payload = {
        "requests": [
            {"id": str(i), "method": "GET", "url": "/me/outlook/masterCategories"}
            for i in range(21)
        ]
    }
    reply = graph_http.post(
        f"{ms_graph.root}/$batch", json=payload, headers={"Authorization": "Bearer x"}
    )
    assert reply.status_code == 400


def test_lost_create_answer_is_retried_without_a_duplicate(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """The mailbox made the event but the answer was lost (504): the retry reuses it."""
    sleeps = Sleeps()
    cal = calendar(ms_graph, graph_http, sleeper=sleeps)
    ms_graph.throttle(1, status=504, retry_after=None, path_contains="/events", lose=True)
    made = cal.create(draft("focus:2026-12-08:0", at(8, 9)))
    assert ms_graph.log.http("POST", "/events") == 2
    assert len(sleeps) == 1
    owned = [e for e in cal.read(WEEK).events if e.owned]
    assert [e.event_id for e in owned] == [made.event_id]


def test_lost_batch_member_answer_is_retried_without_a_duplicate(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    ms_graph.throttle(2, status=503, retry_after=1, path_contains="/events", lose=True, skip=3)
    drafts = week_of_drafts(10)
    results = cal.write_batch([Write("create", draft=d) for d in drafts])
    assert all(isinstance(r, RemoteEvent) for r in results), results
    assert ms_graph.log.http("POST", "/$batch") == 2  # the second carries the 2 retried
    assert ms_graph.mailbox.owned_count(PROPERTY_ID) == 10


def test_retry_after_is_honoured_then_the_read_succeeds(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    sleeps = Sleeps()
    cal = calendar(ms_graph, graph_http, sleeper=sleeps)
    ms_graph.throttle(2, retry_after=7, path_contains="/calendarView")
    assert cal.read(WEEK).complete
    assert sleeps == [7.0, 7.0]


def test_throttled_batch_members_wait_for_retry_after(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    sleeps = Sleeps()
    cal = calendar(ms_graph, graph_http, sleeper=sleeps)
    cal.write_batch([Write("create", draft=week_of_drafts(1)[0])])  # warms categories
    ms_graph.throttle(3, retry_after=11, path_contains="/calendar/events")
    results = cal.write_batch([Write("create", draft=d) for d in week_of_drafts(6)[1:]])
    assert all(isinstance(r, RemoteEvent) for r in results), results
    assert sleeps == [11.0]
    assert ms_graph.mailbox.owned_count(PROPERTY_ID) == 6


def test_backoff_without_retry_after_grows_and_is_jittered(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    sleeps = Sleeps()
    cal = calendar(ms_graph, graph_http, sleeper=sleeps)
    ms_graph.throttle(4, status=503, retry_after=None, path_contains="/calendarView")
    assert cal.read(WEEK).complete
    assert len(sleeps) == 4
    assert all(0 <= s <= 2**i for i, s in enumerate(sleeps)), sleeps


def test_persistent_throttling_raises_rate_limited_with_the_hint(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http, max_retries=2)
    ms_graph.throttle(10, retry_after=30, path_contains="/calendarView")
    with pytest.raises(RateLimited) as caught:
        cal.read(WEEK)
    assert caught.value.retry_after == 30


def test_a_failing_second_page_fails_the_read_instead_of_cutting_it_short(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http, page_size=5, max_retries=1)
    for hour in range(8, 20):
        ms_graph.mailbox.add_foreign(f"m{hour}", at(9, hour), at(9, hour, 30))
    ms_graph.throttle(5, status=500, path_contains="/calendar/calendarView", skip=1, method="GET")
    with pytest.raises(TransientError):
        cal.read(WEEK)


def test_full_read_follows_pages(ms_graph: FakeGraph, graph_http: httpx.Client) -> None:
    cal = calendar(ms_graph, graph_http, page_size=5)
    for hour in range(8, 20):
        ms_graph.mailbox.add_foreign(f"m{hour}", at(9, hour), at(9, hour, 30))
    read = cal.read(WEEK)
    assert sorted(e.title for e in read.events) == sorted(f"m{h}" for h in range(8, 20))
    # the batched first pages saw more delta pages: the round is finished one page at a
    # time and calendarView read again after it (the batched view may predate its end)
    assert ms_graph.log.batched("GET", "/calendarView/delta") == 1
    assert ms_graph.log.http("GET", "/calendarView/delta") == 2
    assert ms_graph.log.http("GET", "/calendar/calendarView") == 3 + 3 - 1  # +1 batched


def test_delta_pages_removals_and_second_lookup_for_tags(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http, page_size=3)
    made = [cal.create(d) for d in week_of_drafts(4)]
    foreign = ms_graph.mailbox.add_foreign("Sync", at(10, 9), at(10, 10))
    token = cal.read(WEEK).sync_token
    assert token and "$deltatoken" in token
    ms_graph.log.clear()
    for event in made[:3]:
        ms_graph.mailbox.patch(event.event_id, {"subject": "renamed by the user"})
    ms_graph.mailbox.remove(made[3].event_id)
    ms_graph.mailbox.patch(foreign.id, {"isCancelled": True})
    delta = cal.read(WEEK, token)
    assert delta.incremental
    assert {e.event_id for e in delta.events} == {e.event_id for e in made[:3]}
    # delta carries no extended properties; the lookup restores the tags
    assert all(e.tag is not None and e.title == "renamed by the user" for e in delta.events)
    assert set(delta.removed) == {made[3].event_id, foreign.id}
    assert ms_graph.log.http("GET", "/calendarView/delta") == 2  # 5 items, 3 a page
    assert ms_graph.log.http("POST", "/$batch") == 1
    assert ms_graph.log.batched("GET") == 3


def test_expired_delta_token_raises_sync_token_expired(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    token = cal.read(WEEK).sync_token
    assert token
    ms_graph.expire_delta_tokens()
    with pytest.raises(SyncTokenExpired):
        cal.read(WEEK, token)


def test_revoked_refresh_token_surfaces_as_reconnect_required(
    ms_identity: FakeIdentity,
    ms_session: requests.Session,
    ms_graph: FakeGraph,
    graph_http: httpx.Client,
) -> None:
    ms_identity.state.expires_in = 60  # every use needs a refresh
    ms_graph.token_ok = ms_identity.state.token_valid
    cal = OutlookCalendar(
        connected_getter(ms_identity, ms_session), graph_root=ms_graph.root, client=graph_http
    )
    assert cal.read(WEEK).complete
    refreshes = ms_identity.state.grants()["refresh_token"]
    assert refreshes >= 1  # a 60 s token is already "expired" for msal: it refreshed
    ms_identity.state.user.revoked = True
    with pytest.raises(ReconnectRequired):
        cal.read(WEEK)
    assert ms_identity.state.grants()["refresh_token"] == refreshes + 1


def test_graph_401_is_reconnect_required(ms_graph: FakeGraph, graph_http: httpx.Client) -> None:
    ms_graph.token_ok = lambda token: False
    with pytest.raises(ReconnectRequired):
        calendar(ms_graph, graph_http).read(WEEK)


def test_user_move_is_seen_and_stale_etag_refused(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    made = cal.create(draft("focus:2026-12-08:0", at(8, 9)))
    ms_graph.mailbox.patch(
        made.event_id, {"start": graph_time(at(8, 13)), "end": graph_time(at(8, 14))}
    )
    (seen,) = [e for e in cal.read(WEEK).events if e.owned]
    assert seen.start == at(8, 13) and seen.tag is not None
    assert seen.observed_hash != seen.tag.content_hash


def test_whole_batch_replayed_after_a_crash_makes_no_duplicates(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """apply crashed after the batch reached Graph: the next run sends it again."""
    drafts = week_of_drafts(25)
    calendar(ms_graph, graph_http).write_batch([Write("create", draft=d) for d in drafts])
    replay = calendar(ms_graph, graph_http).write_batch([Write("create", draft=d) for d in drafts])
    assert all(isinstance(r, RemoteEvent) for r in replay)
    assert ms_graph.mailbox.owned_count(PROPERTY_ID) == 25
    assert ms_graph.log.batched("POST", "/events") == 50  # every create sent twice, kept once
    # each instance created the missing category; the second was told 409, no duplicate
    assert ms_graph.log.batched("POST", "/masterCategories") == 2
    assert len(ms_graph.mailbox.categories) == 1


def test_echoes_of_our_writes_need_no_lookup_but_user_edits_do(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http)
    ours, edited, created = (cal.create(d) for d in week_of_drafts(3))
    token = cal.read(WEEK).sync_token
    assert token
    moved = draft(ours.tag.key, at(9, 15), title="Moved by us")  # type: ignore[union-attr]
    updated = cal.update(ours, moved)
    ms_graph.mailbox.patch(edited.event_id, {"subject": "renamed by the user"})
    fresh = cal.create(draft("late:2026-12-10:0", at(10, 11)))
    ms_graph.log.clear()

    delta = cal.read(WEEK, token)

    by_id = {e.event_id: e for e in delta.events}
    assert set(by_id) == {ours.event_id, edited.event_id, fresh.event_id}
    assert ms_graph.log.batched("GET") == 1, "only the user's edit is looked up"
    echo = by_id[ours.event_id]
    assert echo.tag == moved.tag and echo.etag == updated.etag
    assert (echo.title, echo.start, echo.end) == ("Moved by us", at(9, 15), at(9, 16))
    assert echo.observed_hash == moved.content_hash, "our echo reads as ours"
    assert by_id[fresh.event_id].tag == fresh.tag
    user = by_id[edited.event_id]
    assert user.tag == edited.tag and user.title == "renamed by the user"
    assert user.observed_hash != user.tag.content_hash  # type: ignore[union-attr]
    assert created.event_id not in by_id

    # A user edit landing on top of our write changes the etag: looked up again.
    ms_graph.mailbox.patch(ours.event_id, {"subject": "the user's now"})
    ms_graph.log.clear()
    again = cal.read(WEEK, delta.sync_token)
    assert [(e.title, e.tag) for e in again.events] == [("the user's now", moved.tag)]
    assert ms_graph.log.batched("GET") == 1


def test_a_fresh_provider_looks_every_change_up(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    writer = calendar(ms_graph, graph_http)
    token = writer.read(WEEK).sync_token
    assert token
    made = [writer.create(d) for d in week_of_drafts(2)]
    ms_graph.log.clear()
    delta = calendar(ms_graph, graph_http).read(WEEK, token)  # another process: no cache
    assert {(e.event_id, e.tag) for e in delta.events} == {(m.event_id, m.tag) for m in made}
    assert ms_graph.log.batched("GET", "/me/events/") == 2
    # the first delta page came with the category list the new instance did not know
    assert ms_graph.log.http() == 2 and ms_graph.log.batched("GET", "/masterCategories") == 1


def test_a_fresh_provider_on_the_same_state_knows_the_echoes(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """The tag record outlives the provider (the store keeps it): another process's
    first incremental read after a run looks none of that run's writes up."""
    state = MemoryState()
    writer = calendar(ms_graph, graph_http, state=state)
    token = writer.read(WEEK).sync_token
    assert token
    made = writer.write_batch([Write("create", draft=d) for d in week_of_drafts(3)])
    moved = writer.update(made[0], draft(made[0].tag.key, at(9, 15)))  # type: ignore[union-attr]
    ms_graph.log.clear()
    delta = calendar(ms_graph, graph_http, state=state).read(WEEK, token)
    assert {(e.event_id, e.tag) for e in delta.events} == {
        (m.event_id, m.tag)
        for m in (moved, *made[1:])  # type: ignore[union-attr]
    }
    assert ms_graph.log.batched("GET", "/me/events/") == 0
    assert ms_graph.log.http() == 1
    # a deleted block leaves the record
    writer.delete(moved)
    assert state.tags([moved.event_id]) == {}
