"""Push notifications from Google and Microsoft: verify, debounce, answer fast.

Public routes (no bearer token), so every step is bounded and a forged call
costs next to nothing (DESIGN.md principles 9 and 15):

1. a per-source rate limit (``BLOCKER_WEBHOOK_RATE_PER_MINUTE``; 429 past it);
2. the body limit (``BLOCKER_WEBHOOK_MAX_BODY_BYTES``; 413 before parsing);
3. at most ``BLOCKER_WEBHOOK_MAX_ITEMS`` Graph items are looked at;
4. each secret (Google's channel token, Graph's clientState) is checked with the
   key (blocker.channel_secrets) before any database work;
5. only then the store: the channel must exist and its stored hash match.

Forged items are counted in ``blocker_webhook_notifications_total``, never
logged one by one. A verified change only schedules a debounced rebalance
(webhooks are triggers, the read is the truth), so the answer goes back well
within Graph's 3 s.

A channel belongs to one calendar's store key: a bare id is the team template's,
``u<id>~work`` a member's (:func:`blocker.members.scope_for_calendar`). The change
is checked against the rules of that calendar's own scope; a disabled or unknown
member's channel is acknowledged and ignored (logged), like a calendar that left
the rules. The debounced job is keyed by the store key.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from blocker.channel_secrets import google_token_ok, graph_state_ok
from blocker.core.errors import RulesError
from blocker.members import MemberRuntime, scope_for_calendar
from blocker.runtime import Runtime
from blocker.scheduler import BlockerScheduler
from blocker.web.deps import RuntimeDep, SchedulerDep
from blocker.web.limits import RateLimiter, source_of
from blocker.web.schemas import ErrorOut
from providers.google_oauth import ChannelRecord, NotificationRejected, verify_notification
from providers.outlook_webhooks import parse_notifications, validation_token

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
log = logging.getLogger("blocker.webhooks")

MAX_VALIDATION_TOKEN = 1024
"""Graph's validationToken is an opaque string of a few hundred characters at most."""
MAX_ID_LENGTH = 255
"""Channel and subscription ids are stored in 255-character columns."""

_NOSNIFF = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
_REFUSED: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorOut, "description": "body larger than BLOCKER_WEBHOOK_MAX_BODY_BYTES"},
    429: {"model": ErrorOut, "description": "too many calls from this source; see Retry-After"},
}


def _plausible_id(value: object) -> bool:
    """An id we could have stored: a short printable string (no NUL for PostgreSQL)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_LENGTH
        and value.isprintable()
        and value.isascii()
    )


def _throttled(request: Request, runtime: Runtime, provider: str) -> Response | None:
    limiter: RateLimiter = request.app.state.webhook_limiter
    source = source_of(request.client)
    if limiter.allow(source):
        return None
    runtime.metrics.webhook_requests.labels(provider, "rate_limited").inc()
    return JSONResponse(
        {"detail": "too many webhook calls from this address"},
        status_code=429,
        headers={"Retry-After": str(limiter.retry_after(source))},
    )


def _trigger(scheduler: BlockerScheduler | None, runtime: Runtime, calendar_id: str) -> None:
    """Schedule the rebalance of ``calendar_id`` if its own scope (the template's, or
    the member's whose store key it is) still lists it."""
    try:
        scope = scope_for_calendar(_shared(runtime), calendar_id)
    except RulesError as exc:
        log.warning("notification for %s ignored: its rules do not load: %s", calendar_id, exc)
        return
    if scope is None:
        log.info("notification for %s ignored: its user is disabled or unknown", calendar_id)
        return
    if calendar_id not in scope.calendar_ids():
        log.info("notification for %s, which the rules no longer list", calendar_id)
        return
    if scheduler is None or not scheduler.running:
        log.warning("notification for %s dropped: no scheduler runs here", calendar_id)
        return
    scheduler.trigger_rebalance(calendar_id, "webhook")


def _shared(runtime: Runtime) -> Runtime:
    """The shared runtime (a webhook normally has no session; one sent anyway changes
    nothing: the calendar's store key decides the scope)."""
    return runtime.base if isinstance(runtime, MemberRuntime) else runtime


@router.post(
    "/google",
    responses={200: {"description": "accepted"}, 401: {"description": "not our channel"}},
)
def google(request: Request, runtime: RuntimeDep, scheduler: SchedulerDep) -> Response:
    """``events.watch`` notifications: channel id + token must match a channel we opened."""

    refused = _throttled(request, runtime, "google")
    if refused is not None:
        return refused
    headers = {k.lower(): v for k, v in request.headers.items()}
    channel_id = headers.get("x-goog-channel-id", "")
    token = headers.get("x-goog-channel-token")
    items = runtime.metrics.webhook_items
    if not _plausible_id(channel_id) or not google_token_ok(runtime.settings, channel_id, token):
        items.labels("google", "forged").inc()
        runtime.metrics.webhook_requests.labels("google", "refused").inc()
        return Response(status_code=401)
    assert token is not None  # google_token_ok refuses None
    channel = runtime.store.verify_channel(channel_id, token)
    if channel is None:
        items.labels("google", "unknown").inc()
        runtime.metrics.webhook_requests.labels("google", "refused").inc()
        return Response(status_code=401)
    record = ChannelRecord(channel_id, token, channel.calendar_id, channel.resource_id)
    try:
        note = verify_notification(headers, lambda cid: record if cid == channel_id else None)
    except NotificationRejected as exc:  # a genuine token on the wrong resource: rare, say so
        log.warning("rejected a Google notification: %s", exc)
        items.labels("google", "malformed").inc()
        runtime.metrics.webhook_requests.labels("google", "refused").inc()
        return Response(status_code=401)
    items.labels("google", "verified").inc()
    runtime.metrics.webhook_requests.labels("google", "accepted").inc()
    if note is not None:  # None: the initial "sync" message of a new channel
        _trigger(scheduler, runtime, note.calendar_id)
    return Response(status_code=200)


@router.post(
    "/microsoft",
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "the validationToken, echoed (subscription handshake)",
        },
        202: {"description": "accepted (verified items schedule a rebalance)"},
        400: {"model": ErrorOut, "description": "not a Graph notification body"},
        **_REFUSED,
    },
)
async def microsoft(request: Request, runtime: RuntimeDep, scheduler: SchedulerDep) -> Response:
    """Graph subscriptions: echo ``validationToken``; verify each item's clientState."""

    refused = _throttled(request, runtime, "microsoft")
    if refused is not None:
        return refused
    requests = runtime.metrics.webhook_requests
    token = validation_token(request.query_params)
    if token is not None:
        if not 0 < len(token) <= MAX_VALIDATION_TOKEN or not token.isprintable():
            requests.labels("microsoft", "invalid").inc()
            return JSONResponse({"detail": "not a validation token"}, status_code=400)
        requests.labels("microsoft", "validation").inc()
        return PlainTextResponse(token, headers=_NOSNIFF)
    try:
        data: Any = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested deep enough to be hostile
        data = None
    items = data.get("value") if isinstance(data, dict) else None
    if not isinstance(items, list):
        requests.labels("microsoft", "invalid").inc()
        return JSONResponse({"detail": "expected a JSON object with a value list"}, 400)
    counted = runtime.metrics.webhook_items
    limit = runtime.settings.webhook_max_items
    if len(items) > limit:
        counted.labels("microsoft", "over_cap").inc(len(items) - limit)
    candidates: list[dict[str, Any]] = []
    forged = 0
    for item in items[:limit]:
        if (
            isinstance(item, dict)
            and _plausible_id(item.get("subscriptionId"))
            and graph_state_ok(runtime.settings, item.get("clientState"))
        ):
            candidates.append(item)
        else:
            forged += 1
    if forged:
        counted.labels("microsoft", "forged").inc(forged)
    if candidates:
        await run_in_threadpool(_handle_graph, candidates, runtime, scheduler, parse_notifications)
    requests.labels("microsoft", "accepted").inc()
    return Response(status_code=202)


def _handle_graph(
    candidates: list[dict[str, Any]],
    runtime: Runtime,
    scheduler: BlockerScheduler | None,
    parse: Any,
) -> None:
    """Store work for items whose clientState verified with the key (a few at most)."""
    counted = runtime.metrics.webhook_items
    checked: dict[tuple[str, str], bool] = {}
    verified: list[dict[str, Any]] = []
    for item in candidates:
        pair = (str(item["subscriptionId"]), str(item["clientState"]))
        if pair not in checked:
            checked[pair] = runtime.store.verify_channel(*pair) is not None
        if checked[pair]:
            verified.append(item)
        else:
            counted.labels("microsoft", "unknown").inc()
    states = {sub: state for (sub, state), ok in checked.items() if ok}
    notes = parse({"value": verified}, states.get)
    counted.labels("microsoft", "verified").inc(len(notes))
    triggered: set[str] = set()
    for note in notes:
        channel = runtime.store.find_channel(note.subscription_id)
        if channel is None:
            continue
        if note.kind in ("change", "missed"):
            if channel.calendar_id not in triggered:
                triggered.add(channel.calendar_id)
                _trigger(scheduler, runtime, channel.calendar_id)
        elif note.kind == "subscriptionRemoved":
            runtime.store.delete_channel(note.subscription_id)
            log.warning(
                "Graph removed the subscription of %s; polling covers it", channel.calendar_id
            )
        else:  # reauthorizationRequired: the renewal job renews it
            log.info("Graph asks to reauthorize the subscription of %s", channel.calendar_id)
