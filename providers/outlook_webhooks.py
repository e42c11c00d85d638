"""Graph change notifications: subscriptions and verifying what arrives on the webhook.

Webhooks only trigger a sync (incremental reads are the truth), so all this module
must get right is: the subscription handshake (Graph POSTs ``?validationToken=``
and wants it echoed as text/plain within 10 s: see :func:`validation_token`),
renewing before ``expirationDateTime``, and refusing notifications whose
``clientState`` does not match what we set (compared in constant time).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from blocker.core.clock import system_clock
from blocker.core.errors import EventNotFound
from providers.outlook_graph import GraphClient

log = logging.getLogger(__name__)

NotificationKind = Literal["change", "reauthorizationRequired", "missed", "subscriptionRemoved"]
LIFECYCLE_EVENTS = frozenset({"reauthorizationRequired", "missed", "subscriptionRemoved"})
DEFAULT_LIFETIME = timedelta(days=2)
"""Event subscriptions last at most 10,080 minutes; renew well before."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    resource: str
    expires_at: datetime
    client_state: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """One verified notification: a change to act on or a lifecycle event."""

    subscription_id: str
    kind: NotificationKind
    change_type: str | None = None
    resource: str | None = None
    event_id: str | None = None


def _graph_datetime(value: str) -> datetime:
    """Graph writes 7 fractional digits; Python reads at most 6."""
    text = re.sub(r"\.(\d{1,6})\d*", r".\1", value.replace("Z", "+00:00"))
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _expiry(now: datetime, lifetime: timedelta) -> str:
    return (now + lifetime).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _subscription(body: Mapping[str, Any]) -> Subscription:
    return Subscription(
        id=str(body["id"]),
        resource=str(body.get("resource", "")),
        expires_at=_graph_datetime(str(body["expirationDateTime"])),
        client_state=body.get("clientState"),
    )


def create_subscription(
    graph: GraphClient,
    *,
    notification_url: str,
    client_state: str,
    resource: str = "/me/events",
    change_type: str = "created,updated,deleted",
    lifecycle_url: str | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
    now: datetime | None = None,
) -> Subscription:
    """Create a subscription; Graph validates ``notification_url`` before answering."""
    body: dict[str, Any] = {
        "changeType": change_type,
        "notificationUrl": notification_url,
        "resource": resource,
        "expirationDateTime": _expiry(now or system_clock(), lifetime),
        "clientState": client_state,
    }
    if lifecycle_url:
        body["lifecycleNotificationUrl"] = lifecycle_url
    return _subscription(graph.json("POST", "/subscriptions", json=body))


def renew_subscription(
    graph: GraphClient,
    subscription_id: str,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    now: datetime | None = None,
) -> Subscription:
    body = {"expirationDateTime": _expiry(now or system_clock(), lifetime)}
    return _subscription(graph.json("PATCH", f"/subscriptions/{subscription_id}", json=body))


def delete_subscription(graph: GraphClient, subscription_id: str) -> None:
    """Delete; a subscription that is gone already counts as deleted."""
    try:
        graph.request("DELETE", f"/subscriptions/{subscription_id}")
    except EventNotFound:
        return


def validation_token(query_params: Mapping[str, str]) -> str | None:
    """The token to echo (200, text/plain) when Graph is validating the endpoint."""
    token = query_params.get("validationToken")
    return str(token) if token is not None else None


def parse_notifications(
    body: bytes | str | Mapping[str, Any],
    lookup_client_state: Callable[[str], str | None],
) -> list[Notification]:
    """Verified notifications from one webhook POST; forged or unknown ones are dropped.

    ``lookup_client_state(subscription_id)`` returns the clientState we set for it
    (None if we do not know the subscription).
    """
    data: Any = json.loads(body) if isinstance(body, (bytes, str)) else body
    items = data.get("value", []) if isinstance(data, Mapping) else []
    verified: list[Notification] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        sub_id = str(item.get("subscriptionId", ""))
        expected = lookup_client_state(sub_id) if sub_id else None
        given = item.get("clientState")
        if (
            expected is None
            or not isinstance(given, str)
            or not hmac.compare_digest(given.encode(), expected.encode())
        ):
            log.warning("dropped a Graph notification with a wrong clientState for %r", sub_id)
            continue
        lifecycle = item.get("lifecycleEvent")
        if lifecycle in LIFECYCLE_EVENTS:
            verified.append(Notification(sub_id, lifecycle))
            continue
        resource_data = item.get("resourceData") or {}
        verified.append(
            Notification(
                subscription_id=sub_id,
                kind="change",
                change_type=item.get("changeType"),
                resource=item.get("resource"),
                event_id=resource_data.get("id") if isinstance(resource_data, Mapping) else None,
            )
        )
    return verified


__all__ = [
    "Notification",
    "Subscription",
    "create_subscription",
    "delete_subscription",
    "parse_notifications",
    "renew_subscription",
    "validation_token",
]
