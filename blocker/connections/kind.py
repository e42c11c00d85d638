"""What one calendar system registers, and the narrow view of the service it gets.

A kind (memory, local, google, outlook) lives in its own module of this package and
hands the registry (:mod:`blocker.connections`) one :class:`ProviderKind`: how to
build its provider, what it can do, how its push channels open, renew and close, how
its credentials are refreshed ahead of need. Kinds see the service only through
:class:`Host`, so none of them imports the runtime (which imports the registry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from blocker.core.errors import BlockerError, ProviderError, ReconnectRequired
from blocker.core.models import Capabilities
from blocker.settings import Settings
from blocker.store import Channel, Connection, Store
from providers.base import CalendarProvider
from rules import Rules

log = logging.getLogger("blocker.connections")


class Host(Protocol):
    """The parts of the service a provider kind uses (``blocker.runtime.Runtime`` has them)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def rules(self) -> Rules: ...
    def now(self) -> datetime: ...
    def resolve(self, path: str | Path) -> Path: ...
    def calendar(self, calendar_id: str) -> Any: ...
    def lock(self, calendar_id: str) -> AbstractContextManager[None]: ...


class ConnectError(BlockerError):
    """The sign-in could not be completed; the user starts it again."""

    hint = "start the connection again from the dashboard or `blocker connect`"


Kept = Mapping[str, Any]
"""What a sign-in keeps on the server between its start and its callback (a PKCE
verifier, msal's flow dict); never sent to the browser."""


@dataclass(frozen=True, slots=True)
class ConnectFlow:
    """One kind's sign-in: the web routes, the CLI and :class:`blocker.connect.Connector`
    run it without knowing which calendar system it is.

    ``start(host, calendar_id, redirect_uri)`` -> (authorization URL, ``state``, what
    the callback needs); ``finish(host, calendar_id, redirect_uri, kept, params)`` ->
    (token blob to store, account label), ``params`` being the callback's query or
    form; it raises :class:`ConnectError` when the user refused.
    """

    callback: str
    """The callback path (``/oauth/<route>/callback``); register it with the client."""
    start: Callable[[Host, str, str], tuple[str, str, Kept]]
    finish: Callable[[Host, str, str, Kept, Mapping[str, str]], tuple[bytes, str]]


@dataclass(frozen=True, slots=True)
class ProviderKind:
    """One calendar system, as the registry knows it.

    ``connect_route``: the ``/connect/<route>`` sign-in of a kind whose tokens live in
    the store (None: nothing to connect); ``connect``: how that sign-in goes.
    ``capabilities``: known before a provider is built (a stored connection answers
    with them while it is not built yet). The channel and refresh hooks are None for
    kinds without push channels or tokens.
    """

    name: str
    build: Callable[[Host, Any], CalendarProvider]
    label: str = ""
    """How the pages and messages name it ("Google", "Microsoft Outlook")."""
    capabilities: Capabilities | None = None
    connect_route: str | None = None
    connect: ConnectFlow | None = None
    needs: tuple[str, ...] = ()
    """The :class:`Settings` fields its calendars cannot work without (the OAuth
    client); a kind with ``connect`` also needs the encryption key for its tokens."""
    open_channel: Callable[[Host, str], Channel] | None = None
    renew_channel: Callable[[Host, Channel], bool] | None = None
    stop_channel: Callable[[Host, Channel], None] | None = None
    refresh: Callable[[Host, str, bytes], None] | None = None


def callback_url(settings: Settings, path: str) -> str:
    """Where the identity provider sends the browser back (must be registered there)."""
    return settings.public_base_url.rstrip("/") + path


def not_connected(calendar_id: str, kind: str, route: str) -> ReconnectRequired:
    return ReconnectRequired(
        f"calendar {calendar_id!r} is not connected to {kind}",
        provider=kind,
        hint=f"open /connect/{route}?calendar={calendar_id} or run `blocker connect {kind}`",
    )


def needs_reconnecting(calendar_id: str, kind: str, route: str, reason: str) -> ReconnectRequired:
    """The calendar's grant was refused earlier: no request is worth making until the
    user connects it again (a new grant marks it connected)."""
    why = f" ({reason})" if reason else ""
    return ReconnectRequired(
        f"calendar {calendar_id!r} needs reconnecting to {kind}{why}",
        provider=kind,
        hint=f"connect it again: open /connect/{route}?calendar={calendar_id} "
        f"or run `blocker connect {kind}`",
    )


class ConnectionStore(Protocol):
    """The store calls a stored connection makes (``blocker.store.Store`` has them)."""

    def get_connection(self, calendar_id: str) -> Connection | None: ...
    def connection_tokens(self, calendar_id: str) -> bytes | None: ...
    def save_connection_tokens(self, calendar_id: str, blob: bytes) -> None: ...


def stored_tokens(store: ConnectionStore, calendar_id: str, kind: str, route: str) -> bytes:
    """The decrypted token blob of a connected calendar; ReconnectRequired when absent."""
    conn = store.get_connection(calendar_id)
    if conn is None or not conn.has_tokens or conn.status == "disconnected":
        raise not_connected(calendar_id, kind, route)
    blob = store.connection_tokens(calendar_id)
    if not blob:
        raise not_connected(calendar_id, kind, route)
    return blob


def forget_channel(
    host: Host, channel: Channel, stop: Callable[[Host, Channel], None] | None
) -> None:
    """Stop a channel at the provider (best effort) and forget it here."""
    try:
        if stop is not None:
            stop(host, channel)
    except ProviderError as exc:
        # It expires on its own; notifications for a forgotten channel are refused.
        log.warning("could not stop channel %s: %s", channel.channel_id, exc.user_message())
    host.store.delete_channel(channel.channel_id)
