"""Google Calendar as a provider kind: built from the stored OAuth tokens, push
channels through ``events.watch``, refresh tokens exercised ahead of need."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import partial
from typing import Any, Final

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2

from blocker.channel_secrets import google_channel_token
from blocker.connections.kind import (
    ConnectError,
    ConnectFlow,
    Host,
    Kept,
    ProviderKind,
    forget_channel,
    stored_tokens,
)
from blocker.connections.kind import callback_url as callback_url
from blocker.connections.stored import StoredConnection
from blocker.google_state import StoreLabelMemory
from blocker.settings import Settings
from blocker.store import Channel
from providers.base import CalendarProvider
from providers.google import GoogleCalendar
from providers.google_client import GoogleSettings, credentials_from_token_json
from providers.google_labels import CAPABILITY as LABELS
from providers.google_oauth import authorization_url, exchange_code, stop_channel, watch
from providers.google_retry import translate

NAME: Final = "google"
ROUTE = "google"
GOOGLE_CALLBACK = "/oauth/google/callback"
GOOGLE_CHANNEL_TTL = timedelta(days=7)
FOCUS_RETRY = timedelta(days=7)
"""A calendar where Google refused focusTime (or event labels) is tried again this long after."""


def google_settings(settings: Settings) -> GoogleSettings:
    return GoogleSettings.from_settings(settings)


def capability_allowed(host: Host, calendar_id: str, capability: str) -> bool:
    """False while a refusal of ``capability`` on this calendar stands (persisted, per
    calendar): a CLI run then does not pay a doomed request; a week on, try again."""
    refused = host.store.fallback(calendar_id, capability)
    if refused is None:
        return True
    if host.now() - refused.since >= FOCUS_RETRY:
        host.store.drop_fallback(calendar_id, capability)
        return True
    return False


def focus_time_allowed(host: Host, calendar_id: str) -> bool:
    """:func:`capability_allowed` for Google's focusTime."""
    return capability_allowed(host, calendar_id, "focus_time")


def capability_refused(host: Host, calendar_id: str, capability: str, reason: str) -> None:
    """Persist a provider's refusal; the next run record and the connection say so."""
    if capability == LABELS:
        message = (
            f"Google event labels are off for this calendar ({reason}): blocks get the "
            "nearest of Google's 11 event colours instead of the rule's exact colour; "
            "tried again in a week"
        )
    else:
        what = "focus time" if capability == "focus_time" else capability
        message = (
            f"Google refused {what} on this calendar ({reason}): blocks are written as "
            "ordinary busy events; tried again in a week"
        )
    host.store.save_fallback(calendar_id, capability, message)


def _build(host: Host, cal: Any) -> CalendarProvider:
    def inner(
        blob: bytes, _account: str, _load: Callable[[], bytes], _save: Callable[[bytes], None]
    ) -> CalendarProvider:
        return GoogleCalendar.from_token_json(
            google_settings(host.settings),
            blob,
            calendar_id=cal.calendar or "primary",
            time_zone=host.rules.timezone,
            tentative=host.rules.owner.tentative,
            focus_allowed=partial(focus_time_allowed, host, cal.id),
            on_refused=partial(capability_refused, host, cal.id),
            labels=StoreLabelMemory(host.store, cal.id),
            labels_allowed=partial(capability_allowed, host, cal.id, LABELS),
        )

    return StoredConnection(host.store, cal.id, NAME, ROUTE, GoogleCalendar.capabilities, inner)


def _with_google(host: Host, calendar_id: str, fn: Callable[[Any], Any]) -> Any:
    """Run ``fn(GoogleCalendar)`` on a short-lived provider from the stored tokens."""
    cal = host.calendar(calendar_id)
    blob = stored_tokens(host.store, calendar_id, NAME, ROUTE)
    provider = GoogleCalendar.from_token_json(
        google_settings(host.settings), blob, calendar_id=cal.calendar or "primary"
    )
    try:
        return fn(provider)
    finally:
        provider.close()


def open_google_channel(host: Host, calendar_id: str) -> Channel:
    """``events.watch`` on the calendar, aimed at ``{public_base_url}/webhooks/google``."""
    address = callback_url(host.settings, "/webhooks/google")
    channel_id = str(uuid.uuid4())
    token = google_channel_token(host.settings, channel_id)

    def open_it(provider: Any) -> Any:
        return watch(
            provider.service,
            provider.calendar_id,
            address,
            channel_id,
            token,
            GOOGLE_CHANNEL_TTL,
            backoff=provider.backoff,
        )

    opened = _with_google(host, calendar_id, open_it)
    expires = opened.expiration or host.now() + GOOGLE_CHANNEL_TTL
    return host.store.save_channel(calendar_id, NAME, opened.id, token, expires, opened.resource_id)


def _stop(host: Host, channel: Channel) -> None:
    if not channel.resource_id:
        return
    resource_id = channel.resource_id
    _with_google(
        host,
        channel.calendar_id,
        lambda p: stop_channel(p.service, channel.channel_id, resource_id, backoff=p.backoff),
    )


def _renew(host: Host, channel: Channel) -> bool:
    """Google channels cannot be extended: a new one is opened, then the old one stopped."""
    open_google_channel(host, channel.calendar_id)
    forget_channel(host, channel, _stop)
    return True


def _refresh(host: Host, _calendar_id: str, blob: bytes) -> None:
    """A real refresh: a revoked grant raises ReconnectRequired now, not at the next run."""
    gs = google_settings(host.settings)
    credentials = credentials_from_token_json(gs, blob)
    http = httplib2.Http(timeout=gs.timeout)
    try:
        credentials.refresh(google_auth_httplib2.Request(http))  # type: ignore[no-untyped-call]
    except Exception as exc:  # google-auth's tree; translate() maps it onto ours
        raise translate(exc, what="refreshing the Google token") from exc
    finally:
        http.close()


def _dedicated(host: Host, calendar_id: str) -> bool:
    """A calendar other than the primary one: sign-in also asks to read calendars."""
    return host.calendar(calendar_id).calendar not in (None, "", "primary")


def _start(host: Host, calendar_id: str, redirect: str) -> tuple[str, str, Kept]:
    """Google's consent URL (offline access, PKCE); the verifier stays here."""
    url, state, verifier = authorization_url(
        google_settings(host.settings), redirect, dedicated_calendar=_dedicated(host, calendar_id)
    )
    return url, state, {"code_verifier": verifier}


def _finish(
    host: Host, calendar_id: str, redirect: str, kept: Kept, params: Mapping[str, str]
) -> tuple[bytes, str]:
    """Redeem the callback's code (with the PKCE verifier) for the refresh token."""
    code, error = params.get("code"), params.get("error")
    if error or not code:
        raise ConnectError(f"Google sign-in did not complete: {error or 'no code returned'}")
    blob = exchange_code(
        google_settings(host.settings),
        redirect,
        code,
        params.get("state", ""),
        str(kept["code_verifier"]),
        dedicated_calendar=_dedicated(host, calendar_id),
    )
    return blob, ""


KIND = ProviderKind(
    name=NAME,
    build=_build,
    label="Google",
    capabilities=GoogleCalendar.capabilities,
    connect_route=ROUTE,
    connect=ConnectFlow(GOOGLE_CALLBACK, _start, _finish),
    needs=("google_client_id", "google_client_secret"),
    open_channel=open_google_channel,
    renew_channel=_renew,
    stop_channel=_stop,
    refresh=_refresh,
)
