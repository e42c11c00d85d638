"""The fake Microsoft identity platform is as strict as Microsoft documents consent:
additive, a Graph scope the same short or as its URI, fewer permissions granted than
asked when the user or admin declines some (the token's ``scope`` says which), and a
refresh token only with ``offline_access`` (tests/fakes/microsoft/identity.py)."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import requests

from tests.fakes.microsoft.fixtures import ms_identity, ms_session, ms_tls
from tests.fakes.microsoft.identity import FakeIdentity, IdentityState, User, b64url

__all__ = ["ms_identity", "ms_session", "ms_tls"]

CALENDARS = "https://graph.microsoft.com/Calendars.ReadWrite"
MAILBOX = "https://graph.microsoft.com/MailboxSettings.ReadWrite"
REDIRECT = "http://127.0.0.1:9/auth/microsoft/callback"


def test_consent_is_additive_and_a_scope_counts_short_or_as_its_uri() -> None:
    state, user = IdentityState(), User(oid="u-ann", email="ann@example.com")
    assert state.consent(user, f"openid profile offline_access {CALENDARS}") == [CALENDARS]
    again = state.consent(user, "openid calendars.readwrite MailboxSettings.ReadWrite")
    assert set(again) == {CALENDARS, "MailboxSettings.ReadWrite"}
    token = state.tokens(user, refresh=False)
    assert "refresh_token" not in token
    assert state.token_scopes(token["access_token"]) == {
        "calendars.readwrite",
        "mailboxsettings.readwrite",
    }


def test_declined_permissions_are_left_out_of_the_grant() -> None:
    state = IdentityState()
    user = User(oid="u-bob", email="bob@example.com", declined={"Calendars.ReadWrite"})
    assert state.consent(user, f"openid offline_access {CALENDARS} {MAILBOX}") == [MAILBOX]
    token = state.tokens(user, refresh=True)
    assert CALENDARS not in token["scope"].split() and MAILBOX in token["scope"].split()
    assert state.refresh_tokens[token["refresh_token"]] == "u-bob"


def redeem(identity: FakeIdentity, session: requests.Session, scope: str) -> dict[str, str]:
    """authorize (PKCE S256) then token, as a client that is not msal would."""
    verifier = secrets.token_urlsafe(48)
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    state = identity.state
    reply = session.get(
        identity.authority() + "/oauth2/v2.0/authorize",
        params={
            "client_id": state.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": scope,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s1",
        },
        allow_redirects=False,
    )
    assert reply.status_code == 302, reply.text
    [code] = parse_qs(urlsplit(reply.headers["location"]).query)["code"]
    token = session.post(
        identity.authority() + "/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": state.client_id,
            "client_secret": state.client_secret,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text
    body: dict[str, str] = token.json()
    return body


def test_a_refresh_token_only_with_offline_access(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    online = redeem(ms_identity, ms_session, f"openid profile {CALENDARS}")
    assert "refresh_token" not in online and CALENDARS in online["scope"].split()
    offline = redeem(ms_identity, ms_session, f"openid profile offline_access {CALENDARS}")
    assert offline["refresh_token"] in ms_identity.state.refresh_tokens


def test_renewing_a_declined_scope_needs_consent(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    ms_identity.state.user.declined = {CALENDARS}
    granted = redeem(ms_identity, ms_session, f"openid offline_access {CALENDARS}")
    assert CALENDARS not in granted["scope"].split()
    renewal = ms_session.post(
        ms_identity.authority() + "/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": ms_identity.state.client_id,
            "client_secret": ms_identity.state.client_secret,
            "refresh_token": granted["refresh_token"],
            "scope": "Calendars.ReadWrite offline_access",
        },
    )
    assert renewal.status_code == 400
    assert renewal.json()["suberror"] == "consent_required"
