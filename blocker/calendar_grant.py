"""A sign-in that also granted calendar access becomes the user's calendar connection.

"Sign in with Google" and "Sign in with Microsoft" may ask for the calendar in the
same consent (:func:`blocker.auth.signin.calendar_scopes`). When the answer carries
a refresh token *and* a calendar scope (Google lets the user untick it; an Entra
user or admin may grant fewer permissions than asked), the grant is stored as the
connection of the user's first calendar of the matching kind, in their scope: as
:func:`google_blob` writes it for Google, as msal's token cache for Outlook
(:func:`outlook_blob`, so msal renews it later as it renews its own). A member whose
rules list no such calendar gets one first: a new version of their overlay adds
``{id: work, provider: <kind>, calendar: primary}`` (validated with the template,
versioned like any save, audited; ``primary`` is Google's primary calendar and
Outlook's default one). Then the calendar's first sync plans next week, so the
dashboard they land on shows it. The template owner's rules are the team's
template: nothing is added to it (their grant connects a calendar of that kind the
template already lists, if any).

Nothing here fails the sign-in itself: a grant that cannot be used is logged and
the user connects from the dashboard as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from blocker.connect import ConnectError, Connector, shown_id
from blocker.connections.outlook import microsoft_auth
from blocker.core.errors import BlockerError
from blocker.core.weeks import next_week
from blocker.members import MemberRuntime, scope_for
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store.teams import TeamUser

log = logging.getLogger("blocker.connect")

__all__ = [
    "KIND_OF_SIGNIN",
    "CalendarGrant",
    "GrantKind",
    "connect_from_signin",
    "google_blob",
    "outlook_blob",
    "with_calendar",
]

GRANTING = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar",
)
"""A Google grant with one of these may write events (blocks)."""
OUTLOOK_GRANTING = "calendars.readwrite"
"""A Microsoft grant with this Graph scope (short or as its URI) may write events."""
GRAPH = "https://graph.microsoft.com/"
TRIGGER = "connect"


@dataclass(frozen=True, slots=True)
class CalendarGrant:
    """What the sign-in connected: the calendar as the user knows it, and its first run."""

    calendar: str
    overlay_version: int | None
    synced: bool


def google_blob(token_uri: str, grant: Mapping[str, Any]) -> bytes | None:
    """The stored form of a Google grant (as :func:`providers.google_oauth.exchange_code`
    writes it); None without a refresh token or without calendar access."""
    refresh = grant.get("refresh_token")
    scopes = str(grant.get("scope") or "").split()
    if not isinstance(refresh, str) or not refresh:
        return None
    if not any(s in scopes for s in GRANTING):
        return None
    payload = {"refresh_token": refresh, "scopes": scopes, "token_uri": token_uri}
    return json.dumps(payload).encode()


def outlook_blob(settings: Settings, grant: Mapping[str, Any]) -> bytes | None:
    """The stored form of a Microsoft grant: msal's token cache, built by msal from
    the refresh token (:meth:`providers.outlook_auth.MicrosoftAuth.import_refresh_token`);
    None without a refresh token or without calendar write access."""
    refresh = grant.get("refresh_token")
    scopes = {s.lower().removeprefix(GRAPH) for s in str(grant.get("scope") or "").split()}
    if not isinstance(refresh, str) or not refresh or OUTLOOK_GRANTING not in scopes:
        return None
    return microsoft_auth(settings).import_refresh_token(refresh)


@dataclass(frozen=True, slots=True)
class GrantKind:
    """The per-provider piece: which calendar kind a sign-in's grant serves (the same
    OAuth client) and how it is stored (None: no calendar access in it)."""

    kind: str
    blob: Callable[[Settings, Mapping[str, Any]], bytes | None]


KIND_OF_SIGNIN = {
    "google": GrantKind("google", lambda s, grant: google_blob(s.google_token_uri, grant)),
    "microsoft": GrantKind("outlook", outlook_blob),
}
"""Identity provider -> what its grant connects."""


def with_calendar(overlay_text: str, calendar_id: str, kind: str) -> str:
    """``overlay_text`` with a calendar ``{id, provider: kind, calendar: primary}``
    appended to its ``calendars`` (comments and order kept)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(overlay_text) if overlay_text.strip() else None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConnectError("your overlay is not a mapping: fix it on the Rules page first")
    calendars = data.get("calendars")
    if calendars is None:
        calendars = CommentedSeq()
        data["calendars"] = calendars
    if not isinstance(calendars, CommentedSeq):
        raise ConnectError("your overlay's `calendars` is not a list: fix it on the Rules page")
    entry = CommentedMap([("id", calendar_id), ("provider", kind), ("calendar", "primary")])
    entry.fa.set_flow_style()
    calendars.append(entry)
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _free_id(scope: Runtime, kind: str) -> str:
    taken = {shown_id(c) for c in scope.calendar_ids()}
    for candidate in ("work", kind, *(f"{kind}-{n}" for n in range(2, 100))):
        if candidate not in taken:
            return candidate
    raise ConnectError("too many calendars in your rules")


def _actor(user: TeamUser) -> str:
    return f"user {user.fingerprint} at {user.domain}"


def _calendar_of(
    base: Runtime, scope: Runtime, user: TeamUser, kind: str
) -> tuple[str, int | None]:
    """The store key of the user's first ``kind`` calendar, adding one to a member's
    overlay when they have none; (key, the new overlay version or None)."""
    for cal in scope.rules.calendars:
        if cal.provider == kind:
            return cal.id, None
    if not isinstance(scope, MemberRuntime):
        raise ConnectError(f"the team template lists no {kind} calendar")
    current = base.store.current_overlay(user.id)
    text = with_calendar(current.text if current else "", _free_id(scope, kind), kind)
    version = scope.update_rules(text)
    base.store.record_audit(
        _actor(user), "rules.save", "overlay", f"version {version} (calendar added at sign-in)"
    )
    for cal in scope.rules.calendars:
        if cal.provider == kind:
            return cal.id, version
    raise ConnectError(f"the new {kind} calendar did not make it into your rules")


def connect_from_signin(
    base: Runtime, connector: Connector, user: TeamUser, email: str, provider: str,
    grant: Mapping[str, Any],
) -> CalendarGrant | None:  # fmt: skip
    """Store the sign-in's calendar grant as ``user``'s connection and plan their next
    week; None when the grant gives no calendar access or cannot be used (logged)."""
    serves = KIND_OF_SIGNIN.get(provider)
    if serves is None or not grant:
        return None
    kind = serves.kind
    try:
        blob = serves.blob(base.settings, grant)
        if blob is None:
            log.info("user %s signed in without granting calendar access", user.fingerprint)
            return None
        scope = scope_for(base, user, email)
        key, version = _calendar_of(base, scope, user, kind)
        connector.store(key, kind, blob, email, scope=scope)
    except BlockerError as exc:
        log.warning("user %s: calendar not connected at sign-in: %s", user.fingerprint, exc)
        return None
    synced = False
    if not base.store.runs(key, 1):
        try:
            scope.sync(None, key, next_week(scope.today()), trigger=TRIGGER)
            synced = True
        except BlockerError as exc:
            log.warning("user %s: first sync of %s failed: %s", user.fingerprint, key, exc)
    return CalendarGrant(shown_id(key), version, synced)
