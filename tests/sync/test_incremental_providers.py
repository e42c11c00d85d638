"""Incremental sync against the protocol-faithful Google and Microsoft fakes: the real
client libraries on loopback, counted at the fake (DESIGN.md 4.9 and 4.11)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import httplib2
import httpx
import pytest
import requests

from blocker.core.models import RemoteEvent
from blocker.core.weeks import week_window
from blocker.state_memory import MemoryState
from blocker.sync import SyncOutcome, sync_calendar
from providers.base import CalendarProvider
from providers.google import GoogleCalendar
from providers.google_client import EVENTS_SCOPE, GoogleSettings
from providers.google_retry import Backoff
from providers.outlook import OutlookCalendar
from tests.fakes.google import run_fake_google
from tests.fakes.microsoft.fixtures import graph_http, ms_graph, ms_identity, ms_session, ms_tls
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.identity import FakeIdentity
from tests.fakes.microsoft.signin import connected_getter
from tests.providers.test_google import GoogleHarness
from tests.providers.test_outlook import OutlookHarness
from tests.sync.helpers import CAL, NOW, TZ, TZ_NAME, WEEK
from tests.sync.test_sync import base_spec

__all__ = ["graph_http", "ms_graph", "ms_identity", "ms_session", "ms_tls"]


@dataclass
class Fake:
    """A provider, its back door (the harness) and the fake's API request counter.

    ``lookups``: events an incremental read fetched again to learn their tag. Graph's
    delta omits extended properties, so OutlookCalendar looks a changed event up
    (one ``$batch`` per 20) unless it is the echo of its own write; Google's sync
    reads carry the tag, so it never looks anything up.
    """

    harness: GoogleHarness | OutlookHarness
    api_requests: Callable[[], int]
    lookups: Callable[[], int] = lambda: 0

    @property
    def provider(self) -> CalendarProvider:
        return self.harness.provider


@pytest.fixture(params=["google", "outlook"])
def fake(request: pytest.FixtureRequest) -> Iterator[Fake]:
    if request.param == "google":
        with run_fake_google(time_zone=TZ_NAME) as server:
            settings = GoogleSettings(
                client_id=server.oauth.client_id,
                client_secret=server.oauth.client_secret,
                token_uri=f"{server.base_url}/token",
                api_root=f"{server.base_url}/",
            )
            google = GoogleCalendar(
                settings,
                server.oauth.issue_refresh_token(EVENTS_SCOPE),
                http=httplib2.Http(timeout=10, proxy_info=None),
                backoff=Backoff(sleep=lambda seconds: None),
            )
            yield Fake(GoogleHarness(google, server), lambda: len(server.requests()))
            google.close()
        return
    identity: FakeIdentity = request.getfixturevalue("ms_identity")
    session: requests.Session = request.getfixturevalue("ms_session")
    graph: FakeGraph = request.getfixturevalue("ms_graph")
    client: httpx.Client = request.getfixturevalue("graph_http")
    graph.token_ok = identity.state.token_valid
    outlook = OutlookCalendar(
        connected_getter(identity, session),
        graph_root=graph.root,
        client=client,
        zone=TZ,
        sleeper=lambda seconds: None,
    )
    lookups = partial(graph.log.batched, "GET")
    yield Fake(OutlookHarness(outlook, graph), graph.log.http, lookups)
    outlook.close()


def run(fake: Fake, state: MemoryState) -> SyncOutcome:
    return sync_calendar(
        calendar_id=CAL, provider=fake.provider, state=state, spec=base_spec(), now=NOW
    )


def owned(fake: Fake) -> dict[str, RemoteEvent]:
    read = fake.provider.read(week_window(WEEK, TZ_NAME))
    return {e.tag.key: e for e in read.events if e.tag is not None}


def test_a_no_op_resync_is_exactly_one_request(fake: Fake) -> None:
    state = MemoryState()
    first = run(fake, state)
    assert first.applied == 5 and first.errors == ()
    lookups = fake.lookups()
    costs = []
    for _ in range(3):
        before = fake.api_requests()
        again = run(fake, state)
        costs.append(fake.api_requests() - before)
        assert again.ops == () and again.run.extra["incremental"] == 1 and again.complete
    # The first resync reads the echoes of the five writes: it knows their tags
    # (Outlook: from its writes, at the same etag), so it looks none of them up.
    assert costs == [1, 1, 1] and fake.lookups() == lookups
    assert state.pins(CAL, WEEK) == []  # the echoes of our writes are no user edits


def test_a_user_move_after_our_write_is_looked_up_and_kept(fake: Fake) -> None:
    state = MemoryState()
    first = run(fake, state)
    admin = {b.key: b for b in first.plan.blocks}["admin:2026-W10"]
    event_id = state.mappings(CAL, WEEK)[admin.key].event_id
    start, end = admin.start + timedelta(hours=5), admin.end + timedelta(hours=5)
    fake.harness.move(event_id, start, end)  # a new etag: the tag must be looked up
    lookups = fake.lookups()

    edited = run(fake, state)

    assert edited.run.extra["incremental"] == 1 and edited.errors == ()
    [pin] = state.pins(CAL, WEEK)
    assert (pin.key, pin.start, pin.end) == (admin.key, start, end)
    assert [(op.key, op.reason) for op in edited.ops] == [
        (admin.key, "kept your change: you moved it")
    ]
    if isinstance(fake.provider, OutlookCalendar):
        assert fake.lookups() == lookups + 1, "only the user's edit is looked up"
    # the re-tag's echo is our own write: no lookup, no op, one request
    before, lookups = fake.api_requests(), fake.lookups()
    again = run(fake, state)
    assert again.ops == () and again.run.extra["incremental"] == 1
    assert fake.api_requests() - before == 1 and fake.lookups() == lookups
    event = owned(fake)[admin.key]
    assert (event.start, event.end) == (start, end)
    assert event.tag is not None and event.tag.content_hash == event.observed_hash


def test_meeting_then_user_delete_then_stale_token(fake: Fake) -> None:
    state = MemoryState()
    first = run(fake, state)
    review = {b.key: b for b in first.plan.blocks}["account-review:2026-W10"]
    fake.harness.add_foreign(review.start, review.end, title="QBR Globex")
    moved = run(fake, state)
    assert moved.run.extra["incremental"] == 1
    assert [(op.key, op.reason) for op in moved.ops] == [
        (review.key, f"moved: 'QBR Globex' ({review.start:%a %H:%M}) landed on it")
    ]
    assert owned(fake)[review.key].start != review.start and state.pins(CAL, WEEK) == []

    key = "renewal-acme:2026-W10"
    fake.harness.remove(owned(fake)[key].event_id)
    dismissed = run(fake, state)
    assert dismissed.run.extra["incremental"] == 1 and dismissed.ops == ()
    assert [p.key for p in state.pins(CAL, WEEK) if p.dismissed] == [key]

    fake.harness.expire_sync_tokens()
    full = run(fake, state)
    assert full.run.extra["incremental"] == 0 and full.ops == ()
    assert key not in owned(fake)
    before = fake.api_requests()
    assert run(fake, state).run.extra["incremental"] == 1
    assert fake.api_requests() - before == 1
