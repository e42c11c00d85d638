"""What Google's authorization server does with scopes, offline access and re-consent.

From Google's "Using OAuth 2.0 for Web Server Applications" and "OpenID Connect":

* ``scope``: space-delimited; ``openid``, ``email``, ``profile`` and full scope URLs.
  A scope Google does not know, or one the client may not ask (the Calendar API not
  enabled for it: here, no Calendar fake attached), is ``invalid_scope`` shown to the
  user, not redirected (the fake answers 400 with the error).
* ``access_type``: ``online`` (default) or ``offline``; anything else is
  ``invalid_request``. "The refresh token is only returned the first time the user
  consents" with ``offline``: a later authorization without ``prompt=consent``
  answers without one.
* ``prompt``: space-delimited ``none``, ``consent``, ``select_account``; ``none`` may
  not be combined with another value.
* ``include_granted_scopes=true``: the grant also carries the scopes the user
  granted this client before (incremental authorization).
* Granular consent: the user may untick any scope but ``openid``/``email``/``profile``
  on the consent screen (``OidcState.declined``); the token response's ``scope`` then
  lacks it, and the app must check. Email and profile come back as Google writes
  them: the ``userinfo.email`` / ``userinfo.profile`` URLs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_AUTH = "https://www.googleapis.com/auth/"
IDENTITY = {
    "openid": "openid",
    "email": _AUTH + "userinfo.email",
    "profile": _AUTH + "userinfo.profile",
}
IDENTITY_URLS = frozenset(IDENTITY.values())
CALENDAR_SCOPES = frozenset(
    _AUTH + s
    for s in (
        "calendar",
        "calendar.readonly",
        "calendar.events",
        "calendar.events.readonly",
        "calendar.calendars",
        "calendar.calendars.readonly",
        "calendar.app.created",
    )
)
PROMPTS = frozenset({"none", "consent", "select_account"})


class ConsentRefused(ValueError):
    """The authorize request is invalid: (error code, description)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Consent:
    """What one authorize request was granted."""

    scopes: frozenset[str]
    offline: bool
    refresh: bool
    """Whether the code's token response carries a refresh token."""


def normalised(scope: str, *, calendar_enabled: bool) -> frozenset[str]:
    """The scopes asked, Google's way; ConsentRefused for one Google would refuse."""
    asked: set[str] = set()
    for item in scope.split():
        if item in IDENTITY:
            asked.add(IDENTITY[item])
        elif item in IDENTITY_URLS:
            asked.add(item)
        elif item in CALENDAR_SCOPES:
            if not calendar_enabled:
                raise ConsentRefused("invalid_scope", f"{item} is not enabled for this client")
            asked.add(item)
        else:
            raise ConsentRefused("invalid_scope", f"Some requested scopes were invalid: {item}")
    if "openid" not in asked:
        raise ConsentRefused("invalid_scope", "openid is required")
    return frozenset(asked)


def consent(
    params: dict[str, str],
    *,
    calendar_enabled: bool,
    granted_before: frozenset[str],
    offline_before: bool,
    declined: Iterable[str],
) -> Consent:
    """Decide what the user grants for ``params`` (the authorize query)."""
    asked = normalised(params.get("scope", ""), calendar_enabled=calendar_enabled)
    access_type = params.get("access_type", "online")
    if access_type not in ("online", "offline"):
        raise ConsentRefused("invalid_request", f"Invalid access_type: {access_type}")
    prompts = set(params.get("prompt", "").split())
    if not prompts <= PROMPTS or ("none" in prompts and len(prompts) > 1):
        raise ConsentRefused("invalid_request", f"Invalid prompt: {params.get('prompt')}")
    include = params.get("include_granted_scopes", "false")
    if include not in ("true", "false"):
        raise ConsentRefused("invalid_request", "include_granted_scopes must be true or false")
    granted = {s for s in asked if s in IDENTITY_URLS or s not in set(declined)}
    if include == "true":
        granted |= granted_before
    offline = access_type == "offline"
    refresh = offline and (not offline_before or "consent" in prompts)
    return Consent(frozenset(granted), offline, refresh)


def scope_string(scopes: Iterable[str]) -> str:
    """As Google writes a token response's ``scope``: openid first, then sorted."""
    ordered = sorted(s for s in scopes if s != "openid")
    return " ".join(["openid", *ordered])
