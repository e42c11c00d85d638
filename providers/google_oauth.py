"""Connecting a Google account and receiving its push notifications, framework-free.

The web routes (/connect/google, /oauth/google/callback, /webhooks/google) and
``blocker connect`` call these functions; they keep ``state`` and the PKCE
``code_verifier`` between the two halves of the OAuth dance, and look channels
up in their own store for :func:`verify_notification`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from google_auth_oauthlib.flow import Flow

from blocker.core.errors import ProviderError, ReconnectRequired
from providers.google_client import GoogleSettings
from providers.google_retry import PROVIDER, Backoff, call


class NotificationRejected(ProviderError):
    """A webhook call that is not from a channel we opened (unknown id or wrong token)."""

    hint = "ignore it: the request did not come from a channel csm-blocker opened"


@dataclass(frozen=True, slots=True)
class Channel:
    """An open push channel on one calendar's events."""

    id: str
    resource_id: str
    calendar_id: str
    token: str
    expiration: datetime | None


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """What the store keeps per channel to verify notifications."""

    channel_id: str
    token: str
    calendar_id: str
    resource_id: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified "something changed" for one calendar: debounce, then sync."""

    channel_id: str
    calendar_id: str
    resource_state: Literal["exists", "not_exists"]
    message_number: int | None


def _client_config(settings: GoogleSettings) -> dict[str, Any]:
    return {
        "web": {
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
            "auth_uri": settings.auth_uri,
            "token_uri": settings.token_uri,
        }
    }


def authorization_url(
    settings: GoogleSettings,
    redirect_uri: str,
    *,
    dedicated_calendar: bool = False,
    login_hint: str | None = None,
) -> tuple[str, str, str]:
    """Start the consent flow: ``(url to send the user to, state, code_verifier)``.

    ``access_type=offline`` + ``prompt=consent`` make Google return a refresh
    token every time; keep ``state`` and ``code_verifier`` for the callback.
    """
    flow = Flow.from_client_config(
        _client_config(settings),
        scopes=settings.scopes(dedicated_calendar),
        redirect_uri=redirect_uri,
        autogenerate_code_verifier=True,
    )
    extra = {"login_hint": login_hint} if login_hint else {}
    url, state = flow.authorization_url(access_type="offline", prompt="consent", **extra)
    verifier = flow.code_verifier
    assert verifier is not None, "Flow generates a PKCE verifier"
    return str(url), str(state), str(verifier)


def exchange_code(
    settings: GoogleSettings,
    redirect_uri: str,
    code: str,
    state: str,
    code_verifier: str,
    *,
    dedicated_calendar: bool = False,
) -> bytes:
    """Finish the flow: the refresh token (+ granted scopes, token URI) as JSON bytes.

    Store the result encrypted; :meth:`GoogleCalendar.from_token_json` rebuilds
    credentials from it. Raises :class:`ReconnectRequired` when Google refuses
    the code or returns no refresh token.
    """
    flow = Flow.from_client_config(
        _client_config(settings),
        scopes=settings.scopes(dedicated_calendar),
        redirect_uri=redirect_uri,
        state=state,
        code_verifier=code_verifier,
        autogenerate_code_verifier=False,
    )
    try:
        token: Mapping[str, Any] = flow.fetch_token(code=code)
    except Exception as exc:  # oauthlib raises its own tree; all mean "connect again"
        raise ReconnectRequired(
            f"Google did not accept the authorization code: {exc}", provider=PROVIDER
        ) from exc
    refresh = token.get("refresh_token")
    if not refresh:
        raise ReconnectRequired("Google returned no refresh token", provider=PROVIDER)
    scope = token.get("scope") or settings.scopes(dedicated_calendar)
    scopes = scope.split() if isinstance(scope, str) else [str(s) for s in scope]
    payload = {"refresh_token": refresh, "scopes": scopes, "token_uri": settings.token_uri}
    return json.dumps(payload).encode()


def watch(
    service: Any,
    calendar_id: str,
    address: str,
    channel_id: str,
    token: str,
    ttl: timedelta | int = timedelta(days=7),
    *,
    backoff: Backoff | None = None,
) -> Channel:
    """Open a push channel on ``calendar_id``'s events; renew before ``expiration``."""
    seconds = int(ttl.total_seconds()) if isinstance(ttl, timedelta) else int(ttl)
    body = {
        "id": channel_id,
        "type": "web_hook",
        "address": address,
        "token": token,
        "params": {"ttl": str(seconds)},
    }
    reply: dict[str, Any] = call(
        lambda: service.events().watch(calendarId=calendar_id, body=body).execute(),
        backoff or Backoff(),
        what=f"watching {calendar_id}",
    )
    expiration = reply.get("expiration")
    return Channel(
        id=str(reply["id"]),
        resource_id=str(reply["resourceId"]),
        calendar_id=calendar_id,
        token=token,
        expiration=datetime.fromtimestamp(int(expiration) / 1000, UTC) if expiration else None,
    )


def stop_channel(
    service: Any, channel_id: str, resource_id: str, *, backoff: Backoff | None = None
) -> None:
    """Close a channel; one Google no longer knows counts as closed."""
    body = {"id": channel_id, "resourceId": resource_id}
    try:
        call(
            lambda: service.channels().stop(body=body).execute(),
            backoff or Backoff(),
            what=f"stopping channel {channel_id}",
        )
    except ProviderError as exc:
        cause = exc.__cause__
        status = getattr(getattr(cause, "resp", None), "status", None)
        if status != 404:
            raise


def verify_notification(
    headers: Mapping[str, str], lookup: Callable[[str], ChannelRecord | None]
) -> Notification | None:
    """Check a webhook call against the channel we opened; None for the initial ``sync``.

    Raises :class:`NotificationRejected` for an unknown channel, a wrong token or
    a different resource: answer such calls without syncing anything.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    channel_id = lower.get("x-goog-channel-id", "")
    record = lookup(channel_id) if channel_id else None
    if record is None:
        raise NotificationRejected(f"unknown channel {channel_id!r}", provider=PROVIDER)
    token = lower.get("x-goog-channel-token", "")
    if not hmac.compare_digest(token.encode(), record.token.encode()):
        raise NotificationRejected(f"wrong token for channel {channel_id!r}", provider=PROVIDER)
    resource = lower.get("x-goog-resource-id")
    if record.resource_id is not None and resource != record.resource_id:
        raise NotificationRejected(f"wrong resource for channel {channel_id!r}", provider=PROVIDER)
    state = lower.get("x-goog-resource-state", "")
    if state == "sync":
        return None
    if state not in ("exists", "not_exists"):
        raise NotificationRejected(f"unexpected resource state {state!r}", provider=PROVIDER)
    number = lower.get("x-goog-message-number", "")
    return Notification(
        channel_id=channel_id,
        calendar_id=record.calendar_id,
        resource_state="exists" if state == "exists" else "not_exists",
        message_number=int(number) if number.isdigit() else None,
    )


__all__ = [
    "Channel",
    "ChannelRecord",
    "Notification",
    "NotificationRejected",
    "authorization_url",
    "exchange_code",
    "stop_channel",
    "verify_notification",
    "watch",
]
