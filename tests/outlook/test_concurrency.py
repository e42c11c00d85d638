"""At most 4 concurrent requests per mailbox, however many threads share it.

No timing: the fake holds every request until released, and the test waits for
the observable state (4 inside the fake, the rest queued in the limiter).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import httpx

from blocker.core.models import ReadResult
from providers.outlook_graph import limiter_for
from tests.fakes.microsoft.graph import FakeGraph
from tests.outlook.helpers import WEEK, calendar


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    for _ in range(2000):
        if condition():
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"never reached: {what}")


def _read_in_threads(
    ms_graph: FakeGraph, graph_http: httpx.Client, mailbox: str | None, n: int
) -> tuple[list[ReadResult], list[threading.Thread]]:
    results: list[ReadResult] = []
    cals = [calendar(ms_graph, graph_http, mailbox=mailbox) for _ in range(n)]
    threads = [threading.Thread(target=lambda c=c: results.append(c.read(WEEK))) for c in cals]
    for thread in threads:
        thread.start()
    return results, threads


def test_eight_readers_of_one_mailbox_never_exceed_four_requests(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    mailbox = f"csm-{uuid.uuid4()}"
    limiter = limiter_for(mailbox)
    ms_graph.hold.clear()
    results, threads = _read_in_threads(ms_graph, graph_http, mailbox, 8)
    _wait_for(lambda: ms_graph.in_flight == 4 and limiter.waiting == 4, "4 in, 4 queued")
    assert ms_graph.max_in_flight == 4
    ms_graph.hold.set()
    for thread in threads:
        thread.join(30)
    assert len(results) == 8 and all(r.complete for r in results)
    assert ms_graph.max_in_flight == 4
    # one $batch read each
    assert ms_graph.concurrency_rejections == 0 and ms_graph.log.http() == 8


def test_without_a_shared_limiter_the_fake_throttles_the_fifth(
    ms_graph: FakeGraph, graph_http: httpx.Client
) -> None:
    """The other side of the test above: the fake really enforces the mailbox limit."""
    ms_graph.hold.clear()
    results, threads = _read_in_threads(ms_graph, graph_http, None, 6)
    _wait_for(lambda: ms_graph.in_flight == 6, "6 in flight")
    ms_graph.hold.set()
    for thread in threads:
        thread.join(30)
    assert len(results) == 6 and all(r.complete for r in results)
    assert ms_graph.max_in_flight >= 6
    assert ms_graph.concurrency_rejections == 2  # the 5th and 6th got 429, then retried
