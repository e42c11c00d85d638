"""Outlook (Microsoft Graph) as a provider kind: built from the stored msal cache,
push channels as Graph subscriptions, tokens refreshed through msal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import requests

from blocker.channel_secrets import graph_client_state, is_current_graph_nonce, new_graph_nonce
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
from blocker.core.errors import EventNotFound, SettingsError
from blocker.outlook_state import NOT_GRANTED, StoreOutlookState
from blocker.settings import Settings
from blocker.store import Channel
from providers.base import CalendarProvider
from providers.outlook import OutlookCalendar
from providers.outlook_auth import (
    SCOPES,
    SIGN_IN_SCOPES,
    MicrosoftAuth,
    MicrosoftSettings,
    account_of,
    colours_granted,
)
from providers.outlook_graph import GraphClient
from providers.outlook_webhooks import create_subscription, delete_subscription, renew_subscription

NAME: Final = "outlook"
ROUTE = "microsoft"
MICROSOFT_CALLBACK = "/oauth/microsoft/callback"
GRAPH_SUBSCRIPTION_LIFETIME = timedelta(days=2)


def microsoft_auth(settings: Settings, redirect_uri: str | None = None) -> MicrosoftAuth:
    """msal around the configured client; trusts ``microsoft_ca_bundle`` when it is set.

    The session ignores the environment (``trust_env=False``) when a bundle is
    given, so REQUESTS_CA_BUNDLE cannot silently override the one asked for.
    """
    secret = settings.microsoft_client_secret
    if not settings.microsoft_client_id or secret is None:
        raise SettingsError(
            "Microsoft is not configured: BLOCKER_MICROSOFT_CLIENT_ID and "
            "BLOCKER_MICROSOFT_CLIENT_SECRET are needed"
        )
    # One session per MicrosoftAuth, which lives for one call or one provider and is
    # never closed: without ``Connection: close`` its pooled TLS connection would stay
    # open until garbage collection (msal builds such a session itself when given none).
    # Sign-in and token renewal are rare, so a handshake each costs nothing that matters.
    session = requests.Session()
    session.headers["Connection"] = "close"
    if settings.microsoft_ca_bundle is not None:
        session.trust_env = False
        session.verify = str(settings.microsoft_ca_bundle)
    ms = MicrosoftSettings(
        client_id=settings.microsoft_client_id,
        client_secret=secret.get_secret_value(),
        redirect_uri=redirect_uri or callback_url(settings, MICROSOFT_CALLBACK),
        authority=settings.microsoft_authority,
        scopes=SIGN_IN_SCOPES if settings.microsoft_colors else SCOPES,
    )
    return MicrosoftAuth(ms, http_client=session)


def _build(host: Host, cal: Any) -> CalendarProvider:
    def inner(
        blob: bytes, account: str, load: Callable[[], bytes], save: Callable[[bytes], None]
    ) -> CalendarProvider:
        settings = host.settings
        # The tag record and the colour fallback live in the store: every process
        # knows the echoes of our writes, and a refused permission is asked once.
        state = StoreOutlookState(host.store, cal.id)
        if settings.microsoft_colors and colours_granted(blob) is False:
            state.turn_colours_off(NOT_GRANTED)
        return OutlookCalendar(
            microsoft_auth(settings).token_getter(load, save),
            calendar_id=cal.calendar or "primary",
            graph_root=settings.microsoft_graph_root,
            mailbox=account or cal.id,
            zone=ZoneInfo(host.rules.timezone),
            tentative=host.rules.owner.tentative,
            state=state,
            colours=settings.microsoft_colors,
        )

    return StoredConnection(host.store, cal.id, NAME, ROUTE, OutlookCalendar.capabilities, inner)


def graph_client(host: Host, calendar_id: str) -> GraphClient:
    """A Graph client for one connected calendar; refreshed tokens are written back."""
    store = host.store

    def load() -> bytes:
        return stored_tokens(store, calendar_id, NAME, ROUTE)

    getter = microsoft_auth(host.settings).token_getter(
        load, lambda blob: store.save_connection_tokens(calendar_id, blob)
    )
    return GraphClient(getter, root=host.settings.microsoft_graph_root)


def _graph_resource(remote_id: str | None) -> str:
    if remote_id in (None, "", "primary"):
        return "/me/events"
    return f"/me/calendars/{remote_id}/events"


def open_graph_subscription(host: Host, calendar_id: str) -> Channel:
    """A Graph subscription to the calendar's events; Graph validates the URL first."""
    cal = host.calendar(calendar_id)
    nonce = new_graph_nonce()
    state = graph_client_state(host.settings, nonce)
    graph = graph_client(host, calendar_id)
    try:
        sub = create_subscription(
            graph,
            notification_url=callback_url(host.settings, "/webhooks/microsoft"),
            lifecycle_url=callback_url(host.settings, "/webhooks/microsoft"),
            client_state=state,
            resource=_graph_resource(cal.calendar),
            lifetime=GRAPH_SUBSCRIPTION_LIFETIME,
            now=host.now(),
        )
    finally:
        graph.close()
    return host.store.save_channel(calendar_id, NAME, sub.id, state, sub.expires_at, nonce)


def _stop(host: Host, channel: Channel) -> None:
    graph = graph_client(host, channel.calendar_id)
    try:
        delete_subscription(graph, channel.channel_id)
    finally:
        graph.close()


def _renew(host: Host, channel: Channel) -> bool:
    """Extended in place (PATCH); one Graph no longer knows is replaced by a new one,
    and so is one opened with a secret of an older scheme (blocker.channel_secrets),
    which is then stopped."""
    if not is_current_graph_nonce(channel.resource_id):
        open_graph_subscription(host, channel.calendar_id)
        forget_channel(host, channel, _stop)
        return True
    if channel.resource_id:
        graph = graph_client(host, channel.calendar_id)
        try:
            sub = renew_subscription(
                graph,
                channel.channel_id,
                lifetime=GRAPH_SUBSCRIPTION_LIFETIME,
                now=host.now(),
            )
        except EventNotFound:
            sub = None
        finally:
            graph.close()
        if sub is not None:
            state = graph_client_state(host.settings, channel.resource_id)
            host.store.save_channel(
                channel.calendar_id,
                NAME,
                channel.channel_id,
                state,
                sub.expires_at,
                channel.resource_id,
            )
            return True
    open_graph_subscription(host, channel.calendar_id)
    host.store.delete_channel(channel.channel_id)
    return True


def _refresh(host: Host, calendar_id: str, blob: bytes) -> None:
    """msal refreshes when its access token is within five minutes of expiry (it offers
    no forced refresh), so a revocation shows within the token's lifetime."""
    _, changed = microsoft_auth(host.settings).access_token(blob)
    if changed is not None:
        host.store.save_connection_tokens(calendar_id, changed)


def _start(host: Host, _calendar_id: str, redirect: str) -> tuple[str, str, Kept]:
    """Microsoft's sign-in URL (auth-code flow, PKCE, form_post); msal's flow stays here."""
    ms_flow = microsoft_auth(host.settings, redirect).start()
    return str(ms_flow["auth_uri"]), str(ms_flow["state"]), {"ms_flow": dict(ms_flow)}


def _finish(
    host: Host, _calendar_id: str, redirect: str, kept: Kept, params: Mapping[str, str]
) -> tuple[bytes, str]:
    """Redeem the (form-posted) callback through msal: its token cache, the mailbox."""
    if "error" in params:
        detail = params.get("error_description") or params["error"]
        raise ConnectError(f"Microsoft sign-in did not complete: {detail}")
    blob = microsoft_auth(host.settings, redirect).finish(kept["ms_flow"], params)
    account = account_of(blob) or {}
    return blob, str(account.get("username", ""))


KIND = ProviderKind(
    name=NAME,
    build=_build,
    label="Microsoft Outlook",
    capabilities=OutlookCalendar.capabilities,
    connect_route=ROUTE,
    connect=ConnectFlow(MICROSOFT_CALLBACK, _start, _finish),
    needs=("microsoft_client_id", "microsoft_client_secret"),
    open_channel=open_graph_subscription,
    renew_channel=_renew,
    stop_channel=_stop,
    refresh=_refresh,
)
