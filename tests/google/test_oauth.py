"""Connect flow (authorize -> redirect -> code exchange) and push channels against the fake."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httplib2
import httpx
import pytest

from blocker.core.errors import ReconnectRequired
from blocker.core.models import Interval
from providers.google import GoogleCalendar
from providers.google_client import CALENDAR_SCOPE, CALENDARS_SCOPE, EVENTS_SCOPE, GoogleSettings
from providers.google_oauth import (
    ChannelRecord,
    NotificationRejected,
    authorization_url,
    exchange_code,
    stop_channel,
    verify_notification,
    watch,
)
from providers.google_retry import Backoff
from tests.fakes.google import FakeGoogle
from tests.google.conftest import MONDAY, draft

REDIRECT = "http://127.0.0.1:8000/oauth/google/callback"
WEEK = Interval(MONDAY, MONDAY + timedelta(days=7))


@pytest.fixture
def insecure_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake speaks plain http on loopback; oauthlib refuses that unless told."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def consent(url: str) -> dict[str, str]:
    """Play the browser: open the consent URL, read the redirect back to us."""
    reply = httpx.get(url, follow_redirects=False, trust_env=False)
    assert reply.status_code == 302, reply.text
    location = reply.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_authorization_url_asks_offline_consent_with_pkce(
    settings: GoogleSettings, insecure_ok: None
) -> None:
    url, state, verifier = authorization_url(settings, REDIRECT)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(settings.auth_uri)
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["state"] == state and query["redirect_uri"] == REDIRECT
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] != verifier
    assert query["scope"].split() == [EVENTS_SCOPE, CALENDARS_SCOPE]  # labels: 16.4
    dedicated = authorization_url(settings, REDIRECT, dedicated_calendar=True)[0]
    scopes = parse_qs(urlsplit(dedicated).query)["scope"][0].split()
    assert scopes == [EVENTS_SCOPE, CALENDAR_SCOPE]


def test_full_connect_flow_gives_working_credentials(
    settings: GoogleSettings, fake: FakeGoogle, insecure_ok: None
) -> None:
    url, state, verifier = authorization_url(settings, REDIRECT)
    back = consent(url)
    assert back["state"] == state

    token_json = exchange_code(settings, REDIRECT, back["code"], back["state"], verifier)

    info = json.loads(token_json)
    assert info["refresh_token"] in fake.oauth.refresh_tokens
    assert info["scopes"] == [EVENTS_SCOPE, CALENDARS_SCOPE]
    cal = GoogleCalendar.from_token_json(
        settings, token_json, http=httplib2.Http(timeout=10, proxy_info=None)
    )
    made = cal.create(draft("connected"))
    assert [e.event_id for e in cal.read(WEEK).events] == [made.event_id]
    cal.close()


def test_wrong_code_verifier_is_refused(
    settings: GoogleSettings, fake: FakeGoogle, insecure_ok: None
) -> None:
    url, state, _verifier = authorization_url(settings, REDIRECT)
    back = consent(url)
    _, _, other_verifier = authorization_url(settings, REDIRECT)
    with pytest.raises(ReconnectRequired):
        exchange_code(settings, REDIRECT, back["code"], state, other_verifier)
    assert fake.oauth.refresh_tokens == {}


def test_a_code_works_once(settings: GoogleSettings, insecure_ok: None) -> None:
    url, state, verifier = authorization_url(settings, REDIRECT)
    back = consent(url)
    exchange_code(settings, REDIRECT, back["code"], state, verifier)
    with pytest.raises(ReconnectRequired):
        exchange_code(settings, REDIRECT, back["code"], state, verifier)


HOOK = "https://blocker.example/webhooks/google"


def test_watch_then_verify_notifications(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    channel = watch(provider.service, "primary", HOOK, "chan-1", "s3cret", ttl=timedelta(hours=1))
    assert channel.id == "chan-1" and channel.resource_id and channel.token == "s3cret"
    assert channel.expiration is not None
    record = ChannelRecord("chan-1", "s3cret", "primary", channel.resource_id)
    lookup = {"chan-1": record}.get

    assert verify_notification(fake.notification_headers("chan-1", "sync"), lookup) is None
    note = verify_notification(fake.notification_headers("chan-1", "exists"), lookup)
    assert note is not None and note.calendar_id == "primary"
    assert note.resource_state == "exists" and note.message_number == 2

    forged = dict(fake.notification_headers("chan-1"), **{"X-Goog-Channel-Token": "guess"})
    with pytest.raises(NotificationRejected):
        verify_notification(forged, lookup)
    unknown = dict(fake.notification_headers("chan-1"), **{"X-Goog-Channel-ID": "chan-2"})
    with pytest.raises(NotificationRejected):
        verify_notification(unknown, lookup)
    with pytest.raises(NotificationRejected):
        verify_notification({}, lookup)
    lower = {k.lower(): v for k, v in fake.notification_headers("chan-1").items()}
    assert verify_notification(lower, lookup) is not None

    stop_channel(provider.service, channel.id, channel.resource_id)
    assert fake.api.channels["chan-1"].stopped
    stop_channel(provider.service, channel.id, channel.resource_id)  # already gone: fine


def test_watch_retries_a_rate_limit(provider: GoogleCalendar, fake: FakeGoogle) -> None:
    waits: list[float] = []
    fake.fail_next(1, 429, retry_after=2)
    channel = watch(
        provider.service, "primary", HOOK, "chan-9", "t", 600, backoff=Backoff(sleep=waits.append)
    )
    assert channel.id == "chan-9" and waits == [2.0]
