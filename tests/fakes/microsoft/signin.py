"""Connect a user through real msal against the identity fake, as the web routes would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import requests

from providers.outlook_auth import MicrosoftAuth, MicrosoftSettings
from tests.fakes.microsoft.identity import FakeIdentity, form_fields

REDIRECT = "http://127.0.0.1:9/oauth/microsoft/callback"


def auth_for(identity: FakeIdentity, session: requests.Session, **kw: Any) -> MicrosoftAuth:
    """``kw`` overrides MicrosoftSettings fields (``scopes``: what sign-in asks for)."""
    settings = MicrosoftSettings(
        client_id=identity.state.client_id,
        client_secret=identity.state.client_secret,
        redirect_uri=REDIRECT,
        authority=identity.authority(),
    )
    return MicrosoftAuth(replace(settings, **kw), http_client=session)


def callback(flow: dict[str, Any], session: requests.Session) -> tuple[str, dict[str, str]]:
    """Play the browser: open auth_uri, get the form it would POST to our callback."""
    reply = session.get(flow["auth_uri"], allow_redirects=False)
    assert reply.status_code == 200, reply.text
    return form_fields(reply.text)


def sign_in(auth: MicrosoftAuth, session: requests.Session) -> bytes:
    """start -> the browser's trip to authorize -> the form POSTed back -> finish."""
    flow = auth.start()
    action, params = callback(flow, session)
    assert action == REDIRECT, action
    return auth.finish(flow, params)


def connected_getter(identity: FakeIdentity, session: requests.Session) -> Callable[[], str]:
    """A token getter for OutlookCalendar backed by a freshly connected cache blob."""
    auth = auth_for(identity, session)
    store = {"blob": sign_in(auth, session)}
    return auth.token_getter(lambda: store["blob"], lambda blob: store.update(blob=blob))
