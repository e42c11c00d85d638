"""Microsoft sign-in with msal, framework-independent (the web layer wires the routes).

``start`` -> redirect the browser to ``flow["auth_uri"]`` and keep the flow dict (it
holds ``state``, the PKCE verifier and the nonce) in the session; ``finish`` with
the callback's query parameters -> a serialized token cache to store encrypted;
``access_token`` reads that cache, refreshes silently when needed and hands back
the new cache blob only when msal changed it. msal's ``acquire_token_silent``
returns None on any failure; ``acquire_token_silent_with_error`` is used instead
so a revoked grant (reconnect needed) is told apart from an outage (try later).

Scopes: sign-in asks for ``Calendars.ReadWrite`` and, when colours are on,
``MailboxSettings.ReadWrite`` (Outlook categories live in the mailbox settings).
Consent on the Microsoft identity platform is additive and a token carries every
scope consented so far, so silent renewal asks only for ``Calendars.ReadWrite``: a
connection made before colours needed the second scope keeps working (asking for
a scope never consented would be ``consent_required``), and :func:`granted_scopes`
tells from the stored cache what it may do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msal
import requests

from blocker.core.errors import ReconnectRequired, SettingsError, TransientError
from providers.outlook_webhooks import (
    Notification,
    Subscription,
    create_subscription,
    delete_subscription,
    parse_notifications,
    renew_subscription,
    validation_token,
)

DEFAULT_AUTHORITY = "https://login.microsoftonline.com/common"
SCOPES = ("Calendars.ReadWrite",)
COLOUR_SCOPE = "MailboxSettings.ReadWrite"
SIGN_IN_SCOPES = (*SCOPES, COLOUR_SCOPE)
PROVIDER = "outlook"
_GRAPH_RESOURCE = "https://graph.microsoft.com/"

# Errors after which only the user can help: the grant is gone or needs consent again.
_RECONNECT_ERRORS = frozenset(
    {"invalid_grant", "interaction_required", "consent_required", "login_required"}
)


@dataclass(frozen=True, slots=True)
class MicrosoftSettings:
    client_id: str
    client_secret: str
    redirect_uri: str
    authority: str = DEFAULT_AUTHORITY
    scopes: tuple[str, ...] = SIGN_IN_SCOPES  # asked for at sign-in (consent)
    token_scopes: tuple[str, ...] = SCOPES  # asked for when renewing silently


class MicrosoftAuth:
    """msal ``ConfidentialClientApplication`` per call, around one user's token cache."""

    def __init__(
        self,
        settings: MicrosoftSettings,
        *,
        http_client: requests.Session | None = None,
        validate_authority: bool = True,
    ) -> None:
        if not settings.client_id or not settings.client_secret:
            raise SettingsError("Microsoft client id and secret are required")
        self.settings = settings
        self._http = http_client
        self._validate = validate_authority

    def _app(self, cache: msal.SerializableTokenCache | None = None) -> Any:
        kwargs: dict[str, Any] = {}
        if self._http is not None:
            kwargs["http_client"] = self._http
        try:
            return msal.ConfidentialClientApplication(
                self.settings.client_id,
                client_credential=self.settings.client_secret,
                authority=self.settings.authority,
                validate_authority=self._validate,
                instance_discovery=False,
                token_cache=cache,
                **kwargs,
            )
        except (ValueError, requests.RequestException, msal.exceptions.MsalServiceError) as exc:
            # Discovery of the authority failed: the identity platform is unreachable.
            raise TransientError(
                f"Microsoft sign-in unavailable: {exc}", provider=PROVIDER
            ) from exc

    def start(self, *, login_hint: str | None = None, state: str | None = None) -> dict[str, Any]:
        """Begin the auth-code flow with PKCE; keep the returned dict until ``finish``.

        ``response_mode=form_post`` (msal's advice, RFC 9700): the code comes back in a
        POSTed form, not in the URL. That POST is cross-site, so a SameSite=Lax session
        cookie does not come with it: keep the flow server-side, keyed by ``flow["state"]``.
        """
        flow: dict[str, Any] = self._app().initiate_auth_code_flow(
            scopes=list(self.settings.scopes),
            redirect_uri=self.settings.redirect_uri,
            login_hint=login_hint,
            state=state,
            response_mode="form_post",
        )
        return flow

    def finish(self, flow: Mapping[str, Any], query_params: Mapping[str, str]) -> bytes:
        """Redeem the callback; returns the serialized token cache to store."""
        cache = msal.SerializableTokenCache()
        try:
            result = self._app(cache).acquire_token_by_auth_code_flow(
                dict(flow), dict(query_params), scopes=list(self.settings.scopes)
            )
        except ValueError as exc:  # state mismatch or a replayed callback
            raise ReconnectRequired(f"Microsoft sign-in failed: {exc}", provider=PROVIDER) from exc
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
            raise TransientError(
                f"Microsoft sign-in unavailable: {exc}", provider=PROVIDER
            ) from exc
        if "error" in result:
            raise ReconnectRequired(
                f"Microsoft sign-in failed: {result.get('error')}: "
                f"{result.get('error_description', '')}",
                provider=PROVIDER,
            )
        return str(cache.serialize()).encode()

    def import_refresh_token(self, refresh_token: str) -> bytes:
        """A token cache built from a refresh token redeemed elsewhere (a sign-in that
        asked for the calendar in its consent), as :meth:`finish` would store it.

        msal's own migration path (``acquire_token_by_refresh_token``): one renewal
        at the authority, whose answer msal files as it files its own, so later
        renewals are msal's as usual. Renewal asks only ``token_scopes``."""
        cache = msal.SerializableTokenCache()
        try:
            result = self._app(cache).acquire_token_by_refresh_token(
                refresh_token, scopes=list(self.settings.token_scopes)
            )
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
            raise _unavailable(exc) from exc
        if "error" in result:
            message = f"{result.get('error')}: {result.get('error_description', '')}"
            if result.get("error") in _RECONNECT_ERRORS:
                raise ReconnectRequired(f"Microsoft grant refused: {message}", provider=PROVIDER)
            raise TransientError(f"Microsoft grant not redeemed: {message}", provider=PROVIDER)
        return str(cache.serialize()).encode()

    def access_token_with_expiry(self, cache_blob: bytes) -> tuple[str, float, bytes | None]:
        """Like :meth:`access_token`, plus the token's lifetime in seconds."""
        cache = msal.SerializableTokenCache()
        if cache_blob:
            cache.deserialize(cache_blob.decode())
        app = self._app(cache)
        accounts = app.get_accounts()
        if not accounts:
            raise ReconnectRequired("no Microsoft account connected", provider=PROVIDER)
        try:
            result = app.acquire_token_silent_with_error(
                list(self.settings.token_scopes), accounts[0]
            )
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
            raise TransientError(
                f"Microsoft sign-in unavailable: {exc}", provider=PROVIDER
            ) from exc
        if result is None:
            raise ReconnectRequired("no usable Microsoft token in the cache", provider=PROVIDER)
        if "error" in result:
            message = f"{result.get('error')}: {result.get('error_description', '')}"
            if result.get("error") in _RECONNECT_ERRORS:
                raise ReconnectRequired(message, provider=PROVIDER)
            raise TransientError(message, provider=PROVIDER)
        changed = cache.has_state_changed
        return (
            str(result["access_token"]),
            float(result.get("expires_in", 0)),
            str(cache.serialize()).encode() if changed else None,
        )

    def access_token(self, cache_blob: bytes) -> tuple[str, bytes | None]:
        """A valid access token and the cache blob to persist (None: unchanged)."""
        token, _, blob = self.access_token_with_expiry(cache_blob)
        return token, blob

    def token_getter(
        self,
        load: Callable[[], bytes],
        save: Callable[[bytes], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        margin: float = 300.0,
    ) -> Callable[[], str]:
        """A getter for ``OutlookCalendar``: reuses the token until ``margin`` before expiry.

        ``save`` is called only when msal changed the cache (a refresh happened).
        """
        lock = threading.Lock()
        held: dict[str, Any] = {}

        def get() -> str:
            with lock:
                if held and clock() < held["until"]:
                    return str(held["token"])
                token, lifetime, blob = self.access_token_with_expiry(load())
                if blob is not None:
                    save(blob)
                held.update(token=token, until=clock() + max(0.0, lifetime - margin))
                return token

        return get


def _unavailable(exc: Exception) -> TransientError:
    return TransientError(f"Microsoft sign-in unavailable: {exc}", provider=PROVIDER)


def granted_scopes(cache_blob: bytes) -> frozenset[str] | None:
    """The Graph scopes (lowercase) of the access tokens in a cache blob; None: none there.

    msal keeps each token under the scopes the token response granted, which on
    the Microsoft identity platform are all those consented, not only those asked.
    """
    cache = msal.SerializableTokenCache()
    cache.deserialize(cache_blob.decode())
    tokens = list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN))
    if not tokens:
        return None
    scopes: set[str] = set()
    for token in tokens:
        for scope in str(token.get("target") or "").split():
            scope = scope.lower()
            scopes.add(scope.removeprefix(_GRAPH_RESOURCE))
    return frozenset(scopes)


def colours_granted(cache_blob: bytes) -> bool | None:
    """Whether the connection may list and create Outlook categories (None: unknown)."""
    scopes = granted_scopes(cache_blob)
    return None if scopes is None else COLOUR_SCOPE.lower() in scopes


def account_of(cache_blob: bytes) -> dict[str, Any] | None:
    """The connected account (``username``, ``home_account_id``) in a cache blob, if any."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(cache_blob.decode())
    accounts: Sequence[dict[str, Any]] = list(cache.search(msal.TokenCache.CredentialType.ACCOUNT))
    return dict(accounts[0]) if accounts else None


__all__ = [
    "COLOUR_SCOPE",
    "DEFAULT_AUTHORITY",
    "SCOPES",
    "SIGN_IN_SCOPES",
    "MicrosoftAuth",
    "MicrosoftSettings",
    "Notification",
    "Subscription",
    "account_of",
    "colours_granted",
    "create_subscription",
    "delete_subscription",
    "granted_scopes",
    "parse_notifications",
    "renew_subscription",
    "validation_token",
]
