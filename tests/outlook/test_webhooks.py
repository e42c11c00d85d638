"""Subscriptions (with Graph's validation handshake) and verifying notifications."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from blocker.core.errors import ProviderError
from providers.outlook_auth import (
    create_subscription,
    delete_subscription,
    parse_notifications,
    renew_subscription,
    validation_token,
)
from providers.outlook_graph import GraphClient
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.server import serve
from tests.support.clock import ticking_clock


class Receiver:
    """A tiny webhook endpoint: echoes validation tokens (as our web route must)."""

    def __init__(self, *, echo: bool = True) -> None:
        self.echo = echo
        self.validations: list[str] = []
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        token = validation_token(dict(request.query_params))
        if token is not None:
            self.validations.append(token)
            if self.echo:
                return PlainTextResponse(token)
            return JSONResponse({"ok": True})
        return Response(status_code=202)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with serve(hook.app) as url:
        yield hook, f"{url}/hook"


@pytest.fixture
def graph(ms_graph: FakeGraph, graph_http: httpx.Client) -> GraphClient:
    return GraphClient(
        lambda: "token", root=ms_graph.root, client=graph_http, sleeper=lambda s: None
    )


def test_create_performs_the_validation_handshake(
    receiver: tuple[Receiver, str], graph: GraphClient, ms_graph: FakeGraph
) -> None:
    hook, url = receiver
    now = ticking_clock()
    sub = create_subscription(
        graph, notification_url=url, client_state="s3cret", lifecycle_url=url, now=now
    )
    assert len(hook.validations) == 2  # notification and lifecycle URLs both validated
    assert sub.id in ms_graph.mailbox.subscriptions
    assert sub.client_state == "s3cret" and sub.resource == "/me/events"
    assert timedelta(days=2) - timedelta(seconds=1) <= sub.expires_at - now <= timedelta(days=2)
    renewed = renew_subscription(graph, sub.id, lifetime=timedelta(days=3))
    assert renewed.expires_at > sub.expires_at
    delete_subscription(graph, sub.id)
    assert sub.id not in ms_graph.mailbox.subscriptions
    delete_subscription(graph, sub.id)  # already gone: not an error


def test_endpoint_that_does_not_echo_fails_the_subscription(
    graph: GraphClient, ms_graph: FakeGraph
) -> None:
    hook = Receiver(echo=False)
    with serve(hook.app) as url, pytest.raises(ProviderError, match="validation"):
        create_subscription(graph, notification_url=f"{url}/hook", client_state="s")
    assert hook.validations and ms_graph.mailbox.subscriptions == {}


def test_too_long_a_lifetime_is_refused(receiver: tuple[Receiver, str], graph: GraphClient) -> None:
    with pytest.raises(ProviderError):
        create_subscription(
            graph, notification_url=receiver[1], client_state="s", lifetime=timedelta(days=8)
        )


def test_notifications_are_verified_in_constant_time_and_forgeries_dropped(
    receiver: tuple[Receiver, str], graph: GraphClient, ms_graph: FakeGraph
) -> None:
    sub = create_subscription(graph, notification_url=receiver[1], client_state="s3cret")
    states = {sub.id: "s3cret"}
    genuine = ms_graph.notification(sub.id, "AAMkEvent1", "updated")
    (note,) = parse_notifications(json.dumps(genuine).encode(), states.get)
    assert (note.kind, note.change_type, note.event_id) == ("change", "updated", "AAMkEvent1")

    forged = json.loads(json.dumps(genuine))
    forged["value"][0]["clientState"] = "guess"
    assert parse_notifications(forged, states.get) == []
    missing = json.loads(json.dumps(genuine))
    del missing["value"][0]["clientState"]
    assert parse_notifications(missing, states.get) == []
    unknown = json.loads(json.dumps(genuine))
    unknown["value"][0]["subscriptionId"] = "not-ours"
    assert parse_notifications(unknown, states.get) == []
    mixed = {"value": genuine["value"] + forged["value"]}
    assert len(parse_notifications(mixed, states.get)) == 1


@pytest.mark.parametrize("event", ["reauthorizationRequired", "missed", "subscriptionRemoved"])
def test_lifecycle_events_are_recognised(
    event: str, receiver: tuple[Receiver, str], graph: GraphClient, ms_graph: FakeGraph
) -> None:
    sub = create_subscription(graph, notification_url=receiver[1], client_state="cs")
    (note,) = parse_notifications(
        ms_graph.lifecycle_notification(sub.id, event), {sub.id: "cs"}.get
    )
    assert note.kind == event and note.subscription_id == sub.id
