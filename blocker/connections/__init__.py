"""Build the provider that serves one calendar of the rules, and keep remote ones alive.

Kept apart from the runtime so adding a calendar system is one branch here and
nothing else in the service changes. Google and Outlook calendars are built from
the connection's encrypted tokens in the store (see :mod:`blocker.connect` for
how they get there); this module also renews their push channels and refreshes
their tokens ahead of need, for the jobs in :mod:`blocker.jobs`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from blocker.channel_secrets import (
    google_channel_token,
    graph_client_state,
    is_current_graph_nonce,
    new_graph_nonce,
)
from blocker.core.errors import EventNotFound, ProviderError, ReconnectRequired, SettingsError
from blocker.core.models import EventDraft, Interval, ReadResult, RemoteEvent
from blocker.outlook_state import NOT_GRANTED, StoreOutlookState
from providers.base import CalendarProvider, Write, WriteResult
from providers.google import GoogleCalendar
from providers.google_client import GoogleSettings, credentials_from_token_json
from providers.google_oauth import stop_channel, watch
from providers.google_retry import translate
from providers.local import LocalCalendar
from providers.memory import MemoryCalendar
from providers.outlook import OutlookCalendar
from providers.outlook_auth import (
    SCOPES,
    SIGN_IN_SCOPES,
    MicrosoftAuth,
    MicrosoftSettings,
    colours_granted,
)
from providers.outlook_graph import GraphClient
from providers.outlook_webhooks import create_subscription, delete_subscription, renew_subscription

if TYPE_CHECKING:
    from blocker.runtime import Runtime
    from blocker.settings import Settings
    from blocker.store import Channel
    from providers.google_client import GoogleSettings
    from providers.outlook_auth import MicrosoftAuth
    from providers.outlook_graph import GraphClient

log = logging.getLogger("blocker.connections")

GOOGLE_CHANNEL_TTL = timedelta(days=7)
GRAPH_SUBSCRIPTION_LIFETIME = timedelta(days=2)
GOOGLE_CALLBACK = "/oauth/google/callback"
MICROSOFT_CALLBACK = "/oauth/microsoft/callback"


def build_provider(runtime: Runtime, cal: Any) -> CalendarProvider:
    """A fresh provider for the calendar config ``cal`` (a ``rules`` calendar entry)."""
    kind = cal.provider
    if kind == "memory":
        return MemoryCalendar()
    if kind == "local":
        if not getattr(cal, "path", None):
            raise SettingsError(f"calendar {cal.id!r}: a local calendar needs a `path`")
        busy = [runtime.resolve(b) for b in (getattr(cal, "busy", None) or ())]
        owner = runtime.rules.owner
        return LocalCalendar(
            runtime.resolve(cal.path),
            busy,
            owner_emails=tuple(owner.email),
            owner_domains=tuple(owner.email_domains),
            tentative=owner.tentative,
            limits=runtime.settings.ics_limits(),
        )
    if kind in ("google", "outlook"):
        return StoredConnection(runtime, cal.id, kind, cal.calendar or "primary")
    raise SettingsError(f"calendar {cal.id!r}: unknown provider {kind!r}")


# -- settings of the two OAuth clients -------------------------------------------------


def google_settings(settings: Settings) -> GoogleSettings:

    return GoogleSettings.from_settings(settings)


def callback_url(settings: Settings, path: str) -> str:
    """Where the identity provider sends the browser back (must be registered there)."""
    return settings.public_base_url.rstrip("/") + path


def microsoft_auth(settings: Settings, redirect_uri: str | None = None) -> MicrosoftAuth:
    """msal around the configured client; trusts ``microsoft_ca_bundle`` when it is set.

    The session ignores the environment (``trust_env=False``) when a bundle is
    given, so REQUESTS_CA_BUNDLE cannot silently override the one asked for.
    """
    import requests

    secret = settings.microsoft_client_secret
    if not settings.microsoft_client_id or secret is None:
        raise SettingsError(
            "Microsoft is not configured: BLOCKER_MICROSOFT_CLIENT_ID and "
            "BLOCKER_MICROSOFT_CLIENT_SECRET are needed"
        )
    session: requests.Session | None = None
    if settings.microsoft_ca_bundle is not None:
        session = requests.Session()
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


def _not_connected(calendar_id: str, kind: str) -> ReconnectRequired:
    route = "google" if kind == "google" else "microsoft"
    return ReconnectRequired(
        f"calendar {calendar_id!r} is not connected to {kind}",
        provider=kind,
        hint=f"open /connect/{route}?calendar={calendar_id} or run `blocker connect {kind}`",
    )


def stored_tokens(runtime: Runtime, calendar_id: str, kind: str) -> bytes:
    """The decrypted token blob of a connected calendar; ReconnectRequired when absent."""
    conn = runtime.store.get_connection(calendar_id)
    if conn is None or not conn.has_tokens or conn.status == "disconnected":
        raise _not_connected(calendar_id, kind)
    blob = runtime.store.connection_tokens(calendar_id)
    if not blob:
        raise _not_connected(calendar_id, kind)
    return blob


# -- the remote providers, built from the store ----------------------------------------------


FOCUS_RETRY = timedelta(days=7)
"""A calendar where Google refused focusTime is tried again this long after."""


def focus_time_allowed(runtime: Runtime, calendar_id: str) -> bool:
    """False while Google's refusal of focusTime on this calendar stands (persisted, per
    calendar): a CLI run then does not pay a doomed request; a week on, try again."""
    refused = runtime.store.fallback(calendar_id, "focus_time")
    if refused is None:
        return True
    if runtime.now() - refused.since >= FOCUS_RETRY:
        runtime.store.drop_fallback(calendar_id, "focus_time")
        return True
    return False


def capability_refused(runtime: Runtime, calendar_id: str, capability: str, reason: str) -> None:
    """Persist a provider's refusal; the next run record and the connection say so."""
    what = "focus time" if capability == "focus_time" else capability
    runtime.store.save_fallback(
        calendar_id,
        capability,
        f"Google refused {what} on this calendar ({reason}): blocks are written as "
        "ordinary busy events; tried again in a week",
    )


class StoredConnection(CalendarProvider):
    """A Google/Outlook provider rebuilt whenever the stored connection changes.

    The runtime caches one provider per calendar for the life of the process;
    a reconnect (here or from ``blocker connect`` in another process) replaces
    the tokens in the store, so each read compares the connection's
    ``updated_at`` with the one the inner provider was built from. Outlook's own
    token-cache write-backs are remembered so they do not force a rebuild.
    """

    def __init__(self, runtime: Runtime, calendar_id: str, kind: str, remote_id: str) -> None:
        self.runtime = runtime
        self.calendar_id = calendar_id
        self.kind = kind
        self.remote_id = remote_id
        self.name = kind
        self.capabilities = _capabilities(kind)
        self._inner: CalendarProvider | None = None
        self._seen: datetime | None = None
        self._lock = threading.RLock()

    def current(self) -> CalendarProvider:
        """The inner provider for the tokens stored now (built or rebuilt as needed)."""
        conn = self.runtime.store.get_connection(self.calendar_id)
        if conn is None or not conn.has_tokens or conn.status == "disconnected":
            self._drop()
            raise _not_connected(self.calendar_id, self.kind)
        with self._lock:
            if self._inner is None or conn.updated_at != self._seen:
                self._drop()
                blob = stored_tokens(self.runtime, self.calendar_id, self.kind)
                self._inner = self._build(blob, conn.account_label)
                self._seen = conn.updated_at
            return self._inner

    def _build(self, blob: bytes, account: str) -> CalendarProvider:
        settings = self.runtime.settings
        zone = self.runtime.rules.timezone
        if self.kind == "google":
            return GoogleCalendar.from_token_json(
                google_settings(settings),
                blob,
                calendar_id=self.remote_id,
                time_zone=zone,
                tentative=self.runtime.rules.owner.tentative,
                focus_allowed=partial(focus_time_allowed, self.runtime, self.calendar_id),
                on_refused=partial(capability_refused, self.runtime, self.calendar_id),
            )

        # The tag record and the colour fallback live in the store: every process
        # knows the echoes of our writes, and a refused permission is asked once.
        state = StoreOutlookState(self.runtime.store, self.calendar_id)
        if settings.microsoft_colors and colours_granted(blob) is False:
            state.turn_colours_off(NOT_GRANTED)
        getter = microsoft_auth(settings).token_getter(self._load, self._save)
        return OutlookCalendar(
            getter,
            calendar_id=self.remote_id,
            graph_root=settings.microsoft_graph_root,
            mailbox=account or self.calendar_id,
            zone=ZoneInfo(zone),
            tentative=self.runtime.rules.owner.tentative,
            state=state,
            colours=settings.microsoft_colors,
        )

    def _load(self) -> bytes:
        return stored_tokens(self.runtime, self.calendar_id, self.kind)

    def _save(self, blob: bytes) -> None:
        """msal refreshed: persist the cache, and do not treat our own write as a reconnect."""
        with self._lock:
            self.runtime.store.save_connection_tokens(self.calendar_id, blob)
            conn = self.runtime.store.get_connection(self.calendar_id)
            if conn is not None:
                self._seen = conn.updated_at

    def _drop(self) -> None:
        with self._lock:
            if self._inner is not None:
                try:
                    self._inner.close()
                except ProviderError:
                    log.exception(
                        "closing the %s provider of %s failed", self.kind, self.calendar_id
                    )
            self._inner = None
            self._seen = None

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        return self.current().read(window, sync_token)

    def _create(self, draft: EventDraft) -> RemoteEvent:
        return self.current().create(draft)

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        return self.current().update(current, draft)

    def _delete(self, current: RemoteEvent) -> None:
        self.current().delete(current)

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        return self.current().write_batch(writes)

    def close(self) -> None:
        self._drop()


def _capabilities(kind: str) -> Any:
    if kind == "google":
        return GoogleCalendar.capabilities

    return OutlookCalendar.capabilities


# -- push channels (Google events.watch) and subscriptions (Graph) ------------------------------


def graph_client(runtime: Runtime, calendar_id: str) -> GraphClient:
    """A Graph client for one connected calendar; refreshed tokens are written back."""

    store = runtime.store

    def load() -> bytes:
        return stored_tokens(runtime, calendar_id, "outlook")

    getter = microsoft_auth(runtime.settings).token_getter(
        load, lambda blob: store.save_connection_tokens(calendar_id, blob)
    )
    return GraphClient(getter, root=runtime.settings.microsoft_graph_root)


def _with_google(runtime: Runtime, calendar_id: str, fn: Callable[[Any], Any]) -> Any:
    """Run ``fn(GoogleCalendar)`` on a short-lived provider from the stored tokens."""

    cal = runtime.calendar(calendar_id)
    blob = stored_tokens(runtime, calendar_id, "google")
    provider = GoogleCalendar.from_token_json(
        google_settings(runtime.settings), blob, calendar_id=cal.calendar or "primary"
    )
    try:
        return fn(provider)
    finally:
        provider.close()


def open_google_channel(runtime: Runtime, calendar_id: str) -> Channel:
    """``events.watch`` on the calendar, aimed at ``{public_base_url}/webhooks/google``."""

    address = callback_url(runtime.settings, "/webhooks/google")
    channel_id = str(uuid.uuid4())
    token = google_channel_token(runtime.settings, channel_id)

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

    opened = _with_google(runtime, calendar_id, open_it)
    expires = opened.expiration or runtime.now() + GOOGLE_CHANNEL_TTL
    return runtime.store.save_channel(
        calendar_id, "google", opened.id, token, expires, opened.resource_id
    )


def _graph_resource(remote_id: str | None) -> str:
    if remote_id in (None, "", "primary"):
        return "/me/events"
    return f"/me/calendars/{remote_id}/events"


def open_graph_subscription(runtime: Runtime, calendar_id: str) -> Channel:
    """A Graph subscription to the calendar's events; Graph validates the URL first."""

    cal = runtime.calendar(calendar_id)
    nonce = new_graph_nonce()
    state = graph_client_state(runtime.settings, nonce)
    graph = graph_client(runtime, calendar_id)
    try:
        sub = create_subscription(
            graph,
            notification_url=callback_url(runtime.settings, "/webhooks/microsoft"),
            lifecycle_url=callback_url(runtime.settings, "/webhooks/microsoft"),
            client_state=state,
            resource=_graph_resource(cal.calendar),
            lifetime=GRAPH_SUBSCRIPTION_LIFETIME,
            now=runtime.now(),
        )
    finally:
        graph.close()
    return runtime.store.save_channel(calendar_id, "outlook", sub.id, state, sub.expires_at, nonce)


def open_channel(runtime: Runtime, calendar_id: str) -> Channel:
    """Open the push channel of a connected remote calendar (provider decides how)."""
    kind = runtime.calendar(calendar_id).provider
    if kind == "google":
        return open_google_channel(runtime, calendar_id)
    if kind == "outlook":
        return open_graph_subscription(runtime, calendar_id)
    raise SettingsError(f"calendar {calendar_id!r}: {kind} calendars have no push channels")


def close_channel(runtime: Runtime, channel: Channel) -> None:
    """Stop a channel at the provider (best effort) and forget it here."""
    try:
        if channel.provider == "google" and channel.resource_id:
            _with_google(
                runtime,
                channel.calendar_id,
                lambda p: stop_channel(
                    p.service, channel.channel_id, str(channel.resource_id), backoff=p.backoff
                ),
            )
        elif channel.provider == "outlook":
            graph = graph_client(runtime, channel.calendar_id)
            try:
                delete_subscription(graph, channel.channel_id)
            finally:
                graph.close()
    except ProviderError as exc:
        # It expires on its own; notifications for a forgotten channel are refused.
        log.warning("could not stop channel %s: %s", channel.channel_id, exc.user_message())
    runtime.store.delete_channel(channel.channel_id)


def renew_channel(runtime: Runtime, channel: Any) -> bool:
    """Renew one push channel before it expires; False when the provider has none.

    Google channels cannot be extended: a new one is opened, then the old one
    stopped. Graph subscriptions are extended in place (PATCH); one Graph no
    longer knows is replaced by a new one, and so is one opened with a secret of
    an older scheme (blocker.channel_secrets), which is then stopped.
    """
    kind = getattr(channel, "provider", None)
    if kind == "google":
        open_google_channel(runtime, channel.calendar_id)
        close_channel(runtime, channel)
        return True
    if kind == "outlook":
        return _renew_graph(runtime, channel)
    return False


def _renew_graph(runtime: Runtime, channel: Channel) -> bool:

    if not is_current_graph_nonce(channel.resource_id):
        open_graph_subscription(runtime, channel.calendar_id)
        close_channel(runtime, channel)
        return True
    if channel.resource_id:
        graph = graph_client(runtime, channel.calendar_id)
        try:
            sub = renew_subscription(
                graph,
                channel.channel_id,
                lifetime=GRAPH_SUBSCRIPTION_LIFETIME,
                now=runtime.now(),
            )
        except EventNotFound:
            sub = None
        finally:
            graph.close()
        if sub is not None:
            state = graph_client_state(runtime.settings, channel.resource_id)
            runtime.store.save_channel(
                channel.calendar_id,
                "outlook",
                channel.channel_id,
                state,
                sub.expires_at,
                channel.resource_id,
            )
            return True
    open_graph_subscription(runtime, channel.calendar_id)
    runtime.store.delete_channel(channel.channel_id)
    return True


# -- tokens --------------------------------------------------------------------------------


def refresh_credentials(runtime: Runtime, calendar_id: str) -> bool:
    """Exercise a calendar's refresh token ahead of need; False when it has none.

    A revoked grant raises :class:`ReconnectRequired` here, hours before the
    weekly run would have failed on it. Google: a real refresh. Outlook: msal
    refreshes when its access token is within five minutes of expiry (it offers
    no forced refresh), so a revocation shows within the token's lifetime.
    Runs under the calendar's lock so it never races a sync's own refresh
    (Microsoft rotates refresh tokens).
    """
    cal = runtime.calendar(calendar_id)
    if cal.provider not in ("google", "outlook"):
        return False
    conn = runtime.store.get_connection(calendar_id)
    if conn is None or not conn.has_tokens or conn.status == "disconnected":
        return False
    with runtime.lock(calendar_id):
        blob = stored_tokens(runtime, calendar_id, cal.provider)
        if cal.provider == "google":
            _refresh_google(runtime, blob)
        else:
            _, changed = microsoft_auth(runtime.settings).access_token(blob)
            if changed is not None:
                runtime.store.save_connection_tokens(calendar_id, changed)
    return True


def _refresh_google(runtime: Runtime, blob: bytes) -> None:
    import google_auth_httplib2  # type: ignore[import-untyped]
    import httplib2

    gs = google_settings(runtime.settings)
    credentials = credentials_from_token_json(gs, blob)
    http = httplib2.Http(timeout=gs.timeout)
    try:
        credentials.refresh(google_auth_httplib2.Request(http))  # type: ignore[no-untyped-call]
    except Exception as exc:  # google-auth's tree; translate() maps it onto ours
        raise translate(exc, what="refreshing the Google token") from exc
    finally:
        http.close()


__all__ = [
    "GOOGLE_CALLBACK",
    "MICROSOFT_CALLBACK",
    "StoredConnection",
    "build_provider",
    "callback_url",
    "close_channel",
    "google_settings",
    "graph_client",
    "graph_client_state",
    "microsoft_auth",
    "open_channel",
    "refresh_credentials",
    "renew_channel",
    "stored_tokens",
]
