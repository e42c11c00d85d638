"""Graph's documented rules, enforced by the fake and honoured by OutlookCalendar.

Per-member throttling in a ``$batch`` (the mailbox's 4 concurrent slots), 410 on a
delta link whatever its message, and Outlook categories refused without the
MailboxSettings permission. Everything goes through httpx against the fake on
loopback; the injected sleeper records the waits instead of sleeping.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import httpx
import pytest

from blocker.core.errors import EventNotFound, SyncTokenExpired
from blocker.core.models import RemoteEvent
from providers.base import Write
from providers.outlook_graph import Limiter, error_for, limiter_for
from providers.outlook_mapping import PRESETS, PROPERTY_ID, category_for
from providers.outlook_tags import MemoryState
from tests.fakes.microsoft.graph import FakeGraph
from tests.outlook.helpers import WEEK, Sleeps, at, calendar, draft, week_of_drafts

CALENDARS_ONLY = frozenset({"calendars.readwrite"})


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(2000):
        if condition():
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"never reached: {what}")


# -- the mailbox's four concurrent slots, member by member -------------------------------


def test_a_parallel_batch_alone_stays_within_the_mailbox_limit(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """Graph hands Outlook up to four members of a parallel batch at a time."""
    cal = calendar(ms_graph, graph_http)
    results = cal.write_batch([Write("create", draft=d) for d in week_of_drafts(20)])
    assert all(isinstance(r, RemoteEvent) for r in results)
    assert ms_graph.concurrency_rejections == 0
    assert ms_graph.max_slots_in_use == 4
    assert ms_graph.log.http() == 1


def test_members_that_find_the_mailbox_busy_get_429_and_only_they_are_sent_again(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    ms_graph.concurrency_retry_after = 3
    with ms_graph.busy_elsewhere(2) as release:
        # another client holds 2 slots until we have waited once
        sleeps = Sleeps()
        cal = calendar(ms_graph, graph_http, sleeper=lambda s: (sleeps.append(s), release()))
        results = cal.write_batch([Write("create", draft=d) for d in week_of_drafts(20)])
    assert all(isinstance(r, RemoteEvent) for r in results), results
    # waves of 4 members on 2 free slots: 10 ran, 10 came back 429 with Retry-After
    assert ms_graph.concurrency_rejections == 10
    assert sleeps == [3.0], "the members' own Retry-After"
    assert ms_graph.log.http("POST", "/$batch") == 2
    assert ms_graph.log.batched("POST", "/events") == 20, "each create ran once"
    assert ms_graph.mailbox.owned_count(PROPERTY_ID) == 20


def test_a_read_that_finds_the_mailbox_full_waits_and_is_sent_again_whole(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    ms_graph.mailbox.add_foreign("QBR", at(8, 14), at(8, 15))
    with ms_graph.busy_elsewhere(4) as release:
        sleeps = Sleeps()
        cal = calendar(ms_graph, graph_http, sleeper=lambda s: (sleeps.append(s), release()))
        read = cal.read(WEEK)
    assert [e.title for e in read.events] == ["QBR"] and read.sync_token
    # the sequential read's first member was refused, the others never ran (424)
    assert ms_graph.concurrency_rejections == 1 and sleeps == [1.0]
    assert ms_graph.log.http("POST", "/$batch") == 2
    assert ms_graph.log.http() == 2


def _two_writers(
    ms_graph: FakeGraph, graph_http: httpx.Client, limiter: Limiter | None
) -> tuple[list[object], Sleeps]:
    sleeps = Sleeps()

    def sleeper(seconds: float) -> None:  # Retry-After passes while the other one ends
        sleeps.append(seconds)
        _wait_for(lambda: ms_graph.slots_in_use == 0, "the mailbox idle")

    results: list[object] = []
    cals = [
        calendar(ms_graph, graph_http, limiter=limiter, sleeper=sleeper),
        calendar(ms_graph, graph_http, limiter=limiter, sleeper=sleeper),
    ]
    drafts = week_of_drafts(40)
    ms_graph.hold.clear()
    threads = [
        threading.Thread(
            target=lambda c=c, ds=ds: results.extend(
                c.write_batch([Write("create", draft=d) for d in ds])
            )
        )
        for c, ds in zip(cals, (drafts[:20], drafts[20:]), strict=True)
    ]
    for thread in threads:
        thread.start()
    if limiter is not None:
        _wait_for(lambda: ms_graph.in_flight == 1 and limiter.waiting == 1, "1 in, 1 queued")
    else:
        _wait_for(lambda: ms_graph.in_flight == 2, "both in flight")
    ms_graph.hold.set()
    for thread in threads:
        thread.join(30)
    return results, sleeps


def test_two_parallel_batches_sharing_the_mailbox_limiter_run_one_after_the_other(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """A parallel batch takes all four of the mailbox's slots in the limiter too."""
    results, sleeps = _two_writers(ms_graph, graph_http, limiter_for(f"csm-{uuid.uuid4()}"))
    assert len(results) == 40 and all(isinstance(r, RemoteEvent) for r in results)
    assert ms_graph.concurrency_rejections == 0 and sleeps == []
    assert ms_graph.max_slots_in_use == 4


def test_without_the_shared_limiter_the_second_batch_is_throttled_member_by_member(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """The other side of the test above: the fake really enforces the mailbox limit."""
    results, sleeps = _two_writers(ms_graph, graph_http, None)
    assert len(results) == 40 and all(isinstance(r, RemoteEvent) for r in results)
    assert ms_graph.concurrency_rejections == 20  # every member of the later batch
    assert sleeps == [1.0]
    assert ms_graph.mailbox.owned_count(PROPERTY_ID) == 40


# -- 410 on a delta link, whatever it says ---------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (410, "syncStateNotFound", "The sync state generation is not found."),
        (410, "", "Gone"),  # a reset: a bare 410 with a Location header
        (410, "ErrorMailboxMoved", "The mailbox was moved to another database."),
        (400, "syncStateNotFound", "Token expired."),  # "a 40X-series error"
    ],
)
def test_a_gone_delta_state_is_sync_token_expired_by_status_and_code(
    ms_graph: FakeGraph, graph_http: httpx.Client, status: int, code: str, message: str
) -> None:
    cal = calendar(ms_graph, graph_http)
    token = cal.read(WEEK).sync_token
    assert token
    ms_graph.expire_delta_tokens(status=status, code=code, message=message)
    with pytest.raises(SyncTokenExpired):
        cal.read(WEEK, token)
    fresh = calendar(ms_graph, graph_http)  # the first delta page rides with the categories
    with pytest.raises(SyncTokenExpired):
        fresh.read(WEEK, token)


def test_410_means_start_over_only_on_a_delta_link() -> None:
    body = {"error": {"code": "", "message": "no sync here"}}
    assert isinstance(error_for(410, {}, body, delta=True), SyncTokenExpired)
    assert isinstance(error_for(410, {}, body), EventNotFound)
    coded = {"error": {"code": "SyncStateNotFound", "message": "Gone"}}
    assert isinstance(error_for(404, {}, coded), SyncTokenExpired)


# -- categories need MailboxSettings ---------------------------------------------------------


def test_without_mailbox_settings_categories_are_403_and_blocks_go_uncoloured_once(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    ms_graph.token_scopes = lambda token: CALENDARS_ONLY
    state = MemoryState()
    told: list[str] = []
    remember = state.turn_colours_off

    def turn_off(reason: str) -> None:
        told.append(reason)
        remember(reason)

    state.turn_colours_off = turn_off  # type: ignore[method-assign]
    cal = calendar(ms_graph, graph_http, state=state)
    assert cal.colours
    cal.read(WEEK)  # the category list in the read's batch: 403
    assert not cal.colours and len(told) == 1 and "MailboxSettings" in told[0]
    ms_graph.log.clear()
    drafts = week_of_drafts(3)
    drafts = [draft(d.key, d.start, 30, color="#D50000") for d in drafts]
    results = cal.write_batch([Write("create", draft=d) for d in drafts])
    assert all(isinstance(r, RemoteEvent) and r.color is None for r in results)
    assert ms_graph.log.batched("POST", "/masterCategories") == 0
    assert all(e.data["categories"] == [] for e in ms_graph.mailbox.events.values())
    cal.read(WEEK)
    assert ms_graph.log.batched("GET", "/masterCategories") == 0, "not asked again"
    # a new instance on the same state (another process, the store) does not ask either
    again = calendar(ms_graph, graph_http, state=state)
    assert not again.colours
    again.read(WEEK)
    assert ms_graph.log.batched("GET", "/masterCategories") == 0 and len(told) == 1


def test_with_mailbox_settings_read_only_the_creation_is_refused_the_same_way(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    ms_graph.token_scopes = lambda token: CALENDARS_ONLY | {"mailboxsettings.read"}
    cal = calendar(ms_graph, graph_http)
    cal.read(WEEK)
    assert cal.colours, "listing is allowed"
    [made] = cal.write_batch([Write("create", draft=draft("a:0", at(8, 9), color="#D50000"))])
    assert isinstance(made, RemoteEvent)
    assert not cal.colours and ms_graph.mailbox.categories == []
    single = cal.create(draft("b:0", at(8, 11), color="#D50000"))
    assert ms_graph.log.http("POST", "/masterCategories") == 0 and single.color is None


def test_with_the_permission_blocks_carry_their_category(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    ms_graph.token_scopes = lambda token: CALENDARS_ONLY | {"mailboxsettings.readwrite"}
    cal = calendar(ms_graph, graph_http)
    cal.read(WEEK)
    cal.write_batch([Write("create", draft=draft("a:0", at(8, 9), color="#D50000"))])
    [event] = [e for e in cal.read(WEEK).events if e.tag]
    assert cal.colours and event.color == PRESETS[category_for("#D50000")[1]][1]


def test_colours_off_never_touches_categories(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    cal = calendar(ms_graph, graph_http, colours=False)
    cal.read(WEEK)
    cal.write_batch([Write("create", draft=draft("a:0", at(8, 9), color="#D50000"))])
    assert sum(1 for _, path, _ in ms_graph.log.entries if "masterCategories" in path) == 0
