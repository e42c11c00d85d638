"""Push notifications from Google and Microsoft: verify, debounce, answer fast.

Public routes (no bearer token): each call is verified against the channel we
opened — Google's channel token, Graph's clientState — by the store's hashed
secret; forged calls change nothing. A verified change only schedules a
debounced rebalance (DESIGN.md principle 9: webhooks are triggers, the read is
the truth), so the answer goes back well within Graph's 3 s.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from blocker.runtime import Runtime
from blocker.scheduler import BlockerScheduler
from blocker.web.deps import RuntimeDep, SchedulerDep

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
log = logging.getLogger("blocker.webhooks")


def _trigger(scheduler: BlockerScheduler | None, runtime: Runtime, calendar_id: str) -> None:
    if calendar_id not in runtime.calendar_ids():
        log.info("notification for %s, which the rules no longer list", calendar_id)
        return
    if scheduler is None or not scheduler.running:
        log.warning("notification for %s dropped: no scheduler runs here", calendar_id)
        return
    scheduler.trigger_rebalance(calendar_id, "webhook")


@router.post("/google", responses={200: {"description": "accepted"}, 401: {}})
def google(request: Request, runtime: RuntimeDep, scheduler: SchedulerDep) -> Response:
    """``events.watch`` notifications: channel id + token must match a stored channel."""
    from providers.google_oauth import ChannelRecord, NotificationRejected, verify_notification

    headers = {k.lower(): v for k, v in request.headers.items()}
    channel_id = headers.get("x-goog-channel-id", "")
    token = headers.get("x-goog-channel-token")
    channel = runtime.store.verify_channel(channel_id, token) if channel_id else None
    if channel is None or token is None:
        log.warning("rejected a Google notification for channel %r", channel_id)
        return Response(status_code=401)
    record = ChannelRecord(channel_id, token, channel.calendar_id, channel.resource_id)
    try:
        note = verify_notification(headers, lambda cid: record if cid == channel_id else None)
    except NotificationRejected as exc:
        log.warning("rejected a Google notification: %s", exc)
        return Response(status_code=401)
    if note is not None:  # None: the initial "sync" message of a new channel
        _trigger(scheduler, runtime, note.calendar_id)
    return Response(status_code=200)


@router.post(
    "/microsoft",
    responses={200: {"content": {"text/plain": {}}}, 202: {"description": "accepted"}},
)
async def microsoft(request: Request, runtime: RuntimeDep, scheduler: SchedulerDep) -> Response:
    """Graph subscriptions: echo ``validationToken``; verify each item's clientState."""
    from providers.outlook_webhooks import parse_notifications, validation_token

    token = validation_token(request.query_params)
    if token is not None:
        return PlainTextResponse(token)
    try:
        data: Any = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested deep enough to be hostile
        return Response(status_code=400)
    await run_in_threadpool(_handle_graph, data, runtime, scheduler, parse_notifications)
    return Response(status_code=202)


def _handle_graph(
    data: Any, runtime: Runtime, scheduler: BlockerScheduler | None, parse: Any
) -> None:
    items = data.get("value", []) if isinstance(data, dict) else []
    verified: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        sub_id, state = str(item.get("subscriptionId", "")), item.get("clientState")
        if isinstance(state, str) and runtime.store.verify_channel(sub_id, state) is not None:
            verified[sub_id] = state
    for note in parse(data, verified.get):
        channel = runtime.store.find_channel(note.subscription_id)
        if channel is None:
            continue
        if note.kind in ("change", "missed"):
            _trigger(scheduler, runtime, channel.calendar_id)
        elif note.kind == "subscriptionRemoved":
            runtime.store.delete_channel(note.subscription_id)
            log.warning(
                "Graph removed the subscription of %s; polling covers it", channel.calendar_id
            )
        else:  # reauthorizationRequired: the renewal job renews it
            log.info("Graph asks to reauthorize the subscription of %s", channel.calendar_id)
