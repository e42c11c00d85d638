"""Connecting a calendar once, framework-free: web routes and CLI share it.

The dance: :meth:`Connector.start` asks the kind's sign-in
(:class:`blocker.connections.ConnectFlow`, registered with the kind) for the
authorization URL and keeps what the callback needs (Google: the PKCE
``code_verifier``; Microsoft: msal's flow dict) in a short-lived server-side map
keyed by ``state``; the callback hands back ``state`` and the code, and
:meth:`Connector.finish` redeems them only for a state this process issued in the
last few minutes (one use each). The tokens are stored encrypted
in the calendar's connection, and the push channel (Google ``events.watch`` /
Graph subscription) is opened; when push cannot be had (no public https URL,
say) the connection says so and the fallback poll keeps the calendar in step.

The pending flows live in memory: an abandoned sign-in leaves nothing behind,
and the flow must survive only minutes. One process serves a given callback
(the CLI's loopback server, or the single web process).
"""

from __future__ import annotations

import html
import logging
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from blocker.connections import close_channel, connectable_kind, open_channel
from blocker.connections.kind import ConnectError, ConnectFlow, Kept, callback_url
from blocker.core.errors import BlockerError, RulesError
from blocker.members import MemberRuntime, parse_store_key, scope_for_user
from blocker.runtime import Runtime
from blocker.settings import Settings

log = logging.getLogger("blocker.connect")

FLOW_TTL_SECONDS = 600.0


class UnknownState(ConnectError):
    """A callback whose ``state`` we did not issue, or issued too long ago."""


@dataclass(frozen=True, slots=True)
class PendingFlow:
    """What the callback of one sign-in needs; never leaves the server."""

    provider: str
    calendar_id: str
    redirect_uri: str
    expires_at: float
    kept: Kept = field(default_factory=dict)
    """What the kind's ``finish`` needs (a PKCE verifier, msal's flow dict)."""
    owner: int | None = None
    """The user whose scope started it (None: the shared runtime, the template's
    calendars): the callback finishes in that scope and no other."""


class FlowStore:
    """Pending sign-ins keyed by ``state``: expire after ``ttl`` seconds, usable once."""

    def __init__(
        self, ttl: float = FLOW_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._flows: dict[str, PendingFlow] = {}
        self._lock = threading.Lock()

    def deadline(self) -> float:
        return self._clock() + self.ttl

    def put(self, state: str, flow: PendingFlow) -> None:
        with self._lock:
            now = self._clock()
            for key in [k for k, f in self._flows.items() if f.expires_at <= now]:
                del self._flows[key]
            self._flows[state] = flow

    def take(self, state: str | None, provider: str) -> PendingFlow:
        """The flow issued for ``state``, removed; UnknownState if none is valid."""
        with self._lock:
            flow = self._flows.pop(state, None) if state else None
        if flow is None or flow.provider != provider:
            raise UnknownState("unknown sign-in state: this link was not issued here or was used")
        if flow.expires_at <= self._clock():
            raise UnknownState("the sign-in took too long and expired")
        return flow

    def __len__(self) -> int:
        with self._lock:
            return len(self._flows)


@dataclass(frozen=True, slots=True)
class Connected:
    """The outcome of a sign-in: stored, and whether push notifications will come."""

    calendar_id: str
    provider: str
    account: str
    push: bool
    note: str = ""


@dataclass
class Connector:
    """Starts and finishes sign-ins for one runtime (see module docstring)."""

    runtime: Runtime
    flows: FlowStore = field(default_factory=FlowStore)

    # -- which calendar ------------------------------------------------------------------

    def calendar_for(
        self, provider: str, calendar_id: str | None, scope: Runtime | None = None
    ) -> str:
        """The rules' calendar to connect (its store key): the one named (by its id in
        the user's rules), else the first of ``provider``."""
        runtime = scope or self.runtime
        matching = [c.id for c in runtime.rules.calendars if c.provider == provider]
        if calendar_id is None:
            if not matching:
                raise ConnectError(
                    f"the rules list no {provider} calendar",
                    hint=f"add one under `calendars:` with `provider: {provider}`",
                )
            return matching[0]
        key = key_of(runtime, calendar_id)
        if key is None:
            raise ConnectError(f"the rules list no calendar {calendar_id!r}")
        cal = runtime.calendar(key)
        if cal.provider != provider:
            raise ConnectError(f"calendar {calendar_id!r} is a {cal.provider} calendar")
        return key

    # -- the sign-in, whichever kind ----------------------------------------------------

    def start(
        self,
        provider: str,
        calendar_id: str | None = None,
        redirect_uri: str | None = None,
        *,
        scope: Runtime | None = None,
    ) -> str:
        """The URL to send the user to; the callback must come back within the TTL.
        ``scope``: the signed-in user's (default: the shared runtime)."""
        runtime = scope or self.runtime
        flow = _flow(provider)
        target = self.calendar_for(provider, calendar_id, runtime)
        redirect = redirect_uri or callback_url(runtime.settings, flow.callback)
        url, state, kept = flow.start(runtime, target, redirect)
        pending = PendingFlow(
            provider, target, redirect, self.flows.deadline(), kept, owner_of(runtime)
        )
        self.flows.put(state, pending)
        return url

    def finish(
        self, provider: str, params: Mapping[str, str], *, caller: Runtime | None = None
    ) -> Connected:
        """Redeem the callback (its query or form) for ``state`` issued here, store the
        tokens encrypted, open push: in the scope that started it, whoever calls back.

        ``caller``: the scope of a session the callback came with; a sign-in started
        by someone else is refused (and used up) rather than finished into it.
        """
        flow = self.flows.take(params.get("state"), provider)
        if caller is not None and owner_of(caller) != flow.owner:
            log.warning("a %s sign-in came back in another user's browser: refused", provider)
            raise UnknownState("this sign-in was started by someone else: start it again")
        runtime = self.scope_of(flow.owner)
        blob, account = _flow(provider).finish(
            runtime, flow.calendar_id, flow.redirect_uri, flow.kept, params
        )
        return self.store(flow.calendar_id, provider, blob, account, scope=runtime)

    def scope_of(self, owner: int | None) -> Runtime:
        """The runtime a pending sign-in of ``owner`` finishes in (now, not when it
        started: a user disabled meanwhile gets nothing connected)."""
        if owner is None:
            return self.runtime
        user = self.runtime.store.team_user_by_id(owner)
        try:
            scope = scope_for_user(self.runtime, user) if user is not None else None
        except RulesError as exc:
            raise ConnectError(f"your rules no longer fit the team template: {exc}") from exc
        if scope is None:
            raise ConnectError("this account can no longer connect calendars here")
        return scope

    # -- storing, push, disconnecting ----------------------------------------------------

    def store(
        self,
        calendar_id: str,
        provider: str,
        blob: bytes,
        account: str,
        *,
        scope: Runtime | None = None,
    ) -> Connected:
        """Save the tokens (encrypted by the store) under the calendar's store key, owned
        by the scope's user; mark connected, (re)open push."""
        runtime = scope or self.runtime
        cal = runtime.calendar(calendar_id)
        if cal.provider != provider:
            raise ConnectError(f"calendar {calendar_id!r} is a {cal.provider} calendar")
        runtime.store.upsert_connection(
            calendar_id,
            user_email=runtime.owner_email(),
            provider=cal.provider,
            account_label=account,
            provider_calendar_id=cal.calendar,
            tokens=blob,
            user_timezone=runtime.rules.timezone,
        )
        for old in runtime.store.channels_for(calendar_id):
            close_channel(runtime, old)
        try:
            channel = open_channel(runtime, calendar_id)
        except BlockerError as exc:
            note = f"push notifications unavailable ({exc.user_message()}); polling instead"
            log.warning("calendar %s: %s", calendar_id, note)
            runtime.store.set_connection_status(calendar_id, "connected", note)
            return Connected(calendar_id, provider, account, push=False, note=note)
        log.info("calendar %s connected; push channel %s", calendar_id, channel.channel_id)
        return Connected(calendar_id, provider, account, push=True)

    def disconnect(self, calendar_id: str, *, scope: Runtime | None = None) -> None:
        """Stop push, forget the tokens, mark the connection disconnected."""
        runtime = scope or self.runtime
        runtime.calendar(calendar_id)  # unknown ids fail here
        with runtime.lock(calendar_id):
            for channel in runtime.store.channels_for(calendar_id):
                close_channel(runtime, channel)
            if runtime.store.get_connection(calendar_id) is not None:
                runtime.store.disconnect(calendar_id)


def owner_of(runtime: Runtime) -> int | None:
    """Whose calendars ``runtime`` acts on: a member's user id, None for the shared one."""
    return runtime.user.id if isinstance(runtime, MemberRuntime) else None


def key_of(runtime: Runtime, calendar_id: str) -> str | None:
    """The store key of the calendar a user names (``work`` or its key ``u7~work``) in
    ``runtime``'s rules; None when their rules do not list it."""
    ids = runtime.calendar_ids()
    if calendar_id in ids:
        return calendar_id
    for key in ids:
        parsed = parse_store_key(key)
        if parsed is not None and parsed[1] == calendar_id:
            return key
    return None


def shown_id(calendar_id: str) -> str:
    """A calendar as its user knows it: ``u7~work`` is ``work`` (the store key is ours)."""
    parsed = parse_store_key(calendar_id)
    return calendar_id if parsed is None else parsed[1]


# -- the terminal: `blocker connect <kind>` ---------------------------------------------


_PAGE = (
    "<!doctype html><title>csm-blocker</title><p>{message}</p>"
    "<p>You can close this window and go back to the terminal.</p>"
)


class _Catcher(BaseHTTPRequestHandler):
    """Accepts the one redirect (GET query or form POST) on the callback path."""

    server: _LoopbackServer

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        self._accept(split.path, split.query)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        self._accept(urlsplit(self.path).path, body)

    def _accept(self, path: str, encoded: str) -> None:
        if path != self.server.path:
            self.send_error(404)
            return
        params = {k: v[0] for k, v in parse_qs(encoded, keep_blank_values=True).items()}
        self.server.params = params
        message = "Signed in." if "error" not in params else "Sign-in was refused."
        page = _PAGE.format(message=html.escape(message)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("loopback: " + format, *args)


class _LoopbackServer(HTTPServer):
    """A one-shot HTTP server on 127.0.0.1 that waits for the OAuth redirect."""

    def __init__(self, path: str, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Catcher)
        self.path = path
        self.params: dict[str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.path}"

    def wait(self, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while self.params is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConnectError(f"no answer from the browser within {timeout:.0f} s")
            self.timeout = min(left, 1.0)
            self.handle_request()
        return self.params


def _flow(provider: str) -> ConnectFlow:
    """The sign-in of the kind ``provider`` (a SettingsError naming those that have one)."""
    flow = connectable_kind(provider).connect
    assert flow is not None
    return flow


def connect_from_terminal(
    settings: Settings,
    config_path: Path | None,
    provider: str,
    calendar_id: str | None,
    *,
    port: int = 0,
    timeout: float = FLOW_TTL_SECONDS,
    open_browser: Callable[[str], bool] = webbrowser.open,
    say: Callable[[str], None] = print,
) -> Connected:
    """Sign in from a terminal: print the URL, open the browser, catch the redirect.

    The redirect comes back to a one-shot server on ``127.0.0.1:port`` (a free
    port by default; register ``http://127.0.0.1:PORT/oauth/...`` with the
    OAuth client if it insists on exact URIs, and pass that port).
    """
    flow = _flow(provider)
    runtime = Runtime.open(settings, config_path)
    server = _LoopbackServer(flow.callback, port)
    try:
        connector = Connector(runtime)
        url = connector.start(provider, calendar_id, server.url)
        say(f"Open this address to connect {provider}:\n{url}")
        try:
            open_browser(url)
        except webbrowser.Error:
            say("(could not open a browser; open the address yourself)")
        result = connector.finish(provider, server.wait(timeout))
        say(f"Connected calendar {result.calendar_id!r}.")
        if result.note:
            say(result.note)
        return result
    finally:
        server.server_close()
        runtime.close()


__all__ = [
    "ConnectError",
    "Connected",
    "Connector",
    "FlowStore",
    "PendingFlow",
    "UnknownState",
    "connect_from_terminal",
    "key_of",
    "owner_of",
    "shown_id",
]
