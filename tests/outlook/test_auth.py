"""The auth-code flow through real msal against the HTTPS identity fake."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from blocker.core.errors import ReconnectRequired, TransientError
from providers.outlook_auth import (
    SCOPES,
    MicrosoftAuth,
    account_of,
    colours_granted,
    granted_scopes,
)
from tests.fakes.microsoft.identity import FakeIdentity
from tests.fakes.microsoft.signin import REDIRECT, auth_for, callback, sign_in


def test_start_asks_for_calendar_scope_with_pkce(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    flow = auth_for(ms_identity, ms_session).start()
    query = parse_qs(urlsplit(flow["auth_uri"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_mode"] == ["form_post"]
    assert "Calendars.ReadWrite" in query["scope"][0].split()
    assert "MailboxSettings.ReadWrite" in query["scope"][0].split()  # colours (categories)
    assert "offline_access" in query["scope"][0].split()
    assert query["redirect_uri"] == [REDIRECT]
    assert flow["state"] == query["state"][0]


def test_full_flow_then_refresh_then_cached_token(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    ms_identity.state.expires_in = 60  # msal treats < 5 min left as expired
    auth = auth_for(ms_identity, ms_session)
    blob = sign_in(auth, ms_session)
    account = account_of(blob)
    assert account is not None and account["username"] == ms_identity.state.user.email
    assert ms_identity.state.grants()["authorization_code"] == 1

    ms_identity.state.expires_in = 3600
    token, refreshed = auth.access_token(blob)
    assert ms_identity.state.grants()["refresh_token"] == 1
    assert ms_identity.state.token_valid(token)
    assert refreshed is not None and refreshed != blob  # the caller must store this

    again, unchanged = auth.access_token(refreshed)
    assert again == token  # served from the cache
    assert unchanged is None  # nothing to write back
    assert ms_identity.state.grants()["refresh_token"] == 1


def test_refresh_tokens_rotate_and_the_new_cache_must_be_kept(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    ms_identity.state.expires_in = 60
    auth = auth_for(ms_identity, ms_session)
    blob = sign_in(auth, ms_session)
    _, new_blob = auth.access_token(blob)
    assert new_blob is not None
    _, newer = auth.access_token(new_blob)  # the rotated refresh token works
    assert newer is not None
    with pytest.raises(ReconnectRequired):  # the old one was consumed by rotation
        auth.access_token(blob)


def test_revoked_grant_means_reconnect(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    ms_identity.state.expires_in = 60
    auth = auth_for(ms_identity, ms_session)
    blob = sign_in(auth, ms_session)
    ms_identity.state.user.revoked = True
    with pytest.raises(ReconnectRequired):
        auth.access_token(blob)


def test_forged_state_on_callback_is_refused(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    auth = auth_for(ms_identity, ms_session)
    flow = auth.start()
    _, params = callback(flow, ms_session)
    params["state"] = "forged"
    with pytest.raises(ReconnectRequired):
        auth.finish(flow, params)
    assert ms_identity.state.grants()["authorization_code"] == 0


def test_wrong_pkce_verifier_is_refused(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    auth = auth_for(ms_identity, ms_session)
    flow = auth.start()
    _, params = callback(flow, ms_session)
    flow = {**flow, "code_verifier": "x" * 43}
    with pytest.raises(ReconnectRequired, match="invalid_grant"):
        auth.finish(flow, params)


def test_empty_cache_means_reconnect(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    with pytest.raises(ReconnectRequired):
        auth_for(ms_identity, ms_session).access_token(b"")


def test_untrusted_certificate_is_an_outage_not_a_reconnect(ms_identity: FakeIdentity) -> None:
    """Without the test CA, TLS fails: msal never talks to the fake, and we say 'try later'."""
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(TransientError):
        auth_for(ms_identity, session).start()
    session.close()


def test_token_getter_reuses_token_and_saves_only_changes(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    ms_identity.state.expires_in = 60
    auth = auth_for(ms_identity, ms_session)
    store = {"blob": sign_in(auth, ms_session)}
    ms_identity.state.expires_in = 3600
    saves: list[bytes] = []
    now = [0.0]

    def save(blob: bytes) -> None:
        saves.append(blob)
        store["blob"] = blob

    get = auth.token_getter(lambda: store["blob"], save, clock=lambda: now[0])
    first = get()
    assert ms_identity.state.token_valid(first)
    assert len(saves) == 1  # the refresh changed the cache: saved once
    discoveries = ms_identity.state.count("openid-configuration")
    assert get() == first
    assert ms_identity.state.count("openid-configuration") == discoveries  # msal not asked
    now[0] = 3600.0  # past the held token's lifetime minus the margin
    assert get() == first  # msal asked again, answered from its cache
    assert ms_identity.state.count("openid-configuration") == discoveries + 1
    assert len(saves) == 1  # unchanged cache: nothing written back


def _renew(auth: MicrosoftAuth, blob: bytes) -> tuple[str, bytes]:
    token, new_blob = auth.access_token(blob)
    assert new_blob is not None, "a refresh happened"
    return token, new_blob


def test_consent_is_additive_and_renewal_asks_only_for_calendars(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    ms_identity.state.expires_in = 60  # every use refreshes
    auth = auth_for(ms_identity, ms_session)
    blob = sign_in(auth, ms_session)
    assert granted_scopes(blob) == {"calendars.readwrite", "mailboxsettings.readwrite"} | {
        "openid",
        "profile",
    }
    assert colours_granted(blob) is True
    token, blob = _renew(auth, blob)
    # the renewed token still carries what was consented, though only calendars was asked
    assert ms_identity.state.token_scopes(token) == {
        "calendars.readwrite",
        "mailboxsettings.readwrite",
    }
    assert colours_granted(blob) is True


def test_a_connection_made_without_mailbox_settings_keeps_working_uncoloured(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    """A connection from before colours needed MailboxSettings.ReadWrite: renewing it
    must not ask for a scope never consented (that is consent_required: a reconnect)."""
    ms_identity.state.expires_in = 60
    old = auth_for(ms_identity, ms_session, scopes=SCOPES)
    blob = sign_in(old, ms_session)
    assert colours_granted(blob) is False
    token, blob = _renew(auth_for(ms_identity, ms_session), blob)  # today's settings
    assert ms_identity.state.token_scopes(token) == {"calendars.readwrite"}
    assert colours_granted(blob) is False
    assert ms_identity.state.grants()["refresh_token"] == 1


def test_asking_a_renewal_for_a_scope_never_consented_is_reconnect_required(
    ms_identity: FakeIdentity, ms_session: requests.Session
) -> None:
    """The identity fake is as strict as the platform (AADSTS65001)."""
    ms_identity.state.expires_in = 60
    blob = sign_in(auth_for(ms_identity, ms_session, scopes=SCOPES), ms_session)
    greedy = auth_for(ms_identity, ms_session, token_scopes=("MailboxSettings.ReadWrite",))
    with pytest.raises(ReconnectRequired):
        greedy.access_token(blob)
