"""Settings, credentials and the Calendar v3 service object, with every edge injectable.

The service is built from the discovery document the client package ships
(no network fetch) with its ``rootUrl`` replaced by ``settings.api_root``:
``api_endpoint`` alone would leave batch requests aimed at the real host,
because the batch URI is derived from ``rootUrl``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from pydantic import SecretStr

from blocker.core.errors import SettingsError

EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
CALENDARS_SCOPE = "https://www.googleapis.com/auth/calendar.calendars"
"""calendars.get/patch, for event labels (discovery document ``scopes`` of those methods)."""
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_API_ROOT = "https://www.googleapis.com/"


class GoogleConfig(Protocol):
    """The Google part of the service settings (``blocker.settings.Settings`` has it);
    a protocol so this adapter does not import the layer above it."""

    @property
    def google_client_id(self) -> str | None: ...
    @property
    def google_client_secret(self) -> SecretStr | None: ...
    @property
    def google_auth_uri(self) -> str: ...
    @property
    def google_token_uri(self) -> str: ...
    @property
    def google_api_root(self) -> str: ...


@dataclass(frozen=True, slots=True)
class GoogleSettings:
    """The OAuth client and the endpoints; defaults are Google's, tests aim them at a fake."""

    client_id: str
    client_secret: str
    auth_uri: str = GOOGLE_AUTH_URI
    token_uri: str = GOOGLE_TOKEN_URI
    api_root: str = GOOGLE_API_ROOT
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: GoogleConfig) -> GoogleSettings:
        """The Google part of the service settings; refuses when the client is not set."""
        secret = settings.google_client_secret
        if not settings.google_client_id or secret is None:
            raise SettingsError(
                "Google is not configured: BLOCKER_GOOGLE_CLIENT_ID and "
                "BLOCKER_GOOGLE_CLIENT_SECRET are needed"
            )
        return cls(
            client_id=settings.google_client_id,
            client_secret=secret.get_secret_value(),
            auth_uri=settings.google_auth_uri,
            token_uri=settings.google_token_uri,
            api_root=settings.google_api_root,
        )

    def scopes(self, dedicated_calendar: bool = False) -> list[str]:
        """Narrowest scopes: events, plus calendar properties for event labels (the
        rules' exact colours, :mod:`providers.google_labels`); ``calendar`` only to
        create a dedicated calendar (it covers both)."""
        return (
            [EVENTS_SCOPE, CALENDAR_SCOPE]
            if dedicated_calendar
            else [EVENTS_SCOPE, CALENDARS_SCOPE]
        )


def build_credentials(
    settings: GoogleSettings, refresh_token: str, scopes: list[str] | None = None
) -> Credentials:
    """Credentials that fetch their access token from ``settings.token_uri`` on first use.

    ``Credentials.from_authorized_user_info`` would assume Google's token URI; this
    keeps it configurable so tests and private deployments can point elsewhere.
    """
    return Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=refresh_token,
        token_uri=settings.token_uri,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=scopes or settings.scopes(),
    )


def credentials_from_token_json(settings: GoogleSettings, data: bytes | str) -> Credentials:
    """Rebuild credentials from what :func:`providers.google_oauth.exchange_code` returned."""
    info = json.loads(data)
    return build_credentials(settings, str(info["refresh_token"]), list(info.get("scopes") or []))


def discovery_document(api_root: str) -> dict[str, Any]:
    """The packaged calendar v3 discovery document, re-rooted at ``api_root``."""
    path = resources.files("googleapiclient") / "discovery_cache/documents/calendar.v3.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    root = api_root if api_root.endswith("/") else api_root + "/"
    document["rootUrl"] = root
    document["baseUrl"] = root + document["servicePath"]
    document.pop("mtlsRootUrl", None)
    return document


def build_service(
    settings: GoogleSettings, credentials: Credentials, http: httplib2.Http | None = None
) -> Any:
    """A ``calendar`` v3 Resource whose requests (batch included) go to ``settings.api_root``.

    ``http`` is the transport; a fresh ``httplib2.Http`` with the configured
    timeout by default. It is wrapped so a 401 refreshes the token and retries.
    """
    transport = http if http is not None else httplib2.Http(timeout=settings.timeout)
    authed = google_auth_httplib2.AuthorizedHttp(credentials, http=transport)
    return build_from_document(discovery_document(settings.api_root), http=authed)


__all__ = [
    "CALENDARS_SCOPE",
    "CALENDAR_SCOPE",
    "EVENTS_SCOPE",
    "GoogleSettings",
    "build_credentials",
    "build_service",
    "credentials_from_token_json",
    "discovery_document",
]
