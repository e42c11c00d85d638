"""Sign in with Google, calendar included in the same consent: a new member's overlay
gets a Google calendar (versioned, audited), the grant becomes its connection, and
the first sync plans their week on the fake Google Calendar, which accepts the tokens
the sign-in fake issued (one token registry)."""

from __future__ import annotations

import json

from blocker.members import store_key
from providers.google_client import CALENDARS_SCOPE, EVENTS_SCOPE
from tests.connect_members.conftest import Deployment, visible_text


def test_a_new_member_signs_in_and_gets_their_week_on_google(deployment: Deployment) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    key = store_key(dan.id, "work")
    with d.browser("dan@team.example", calendar="") as browser:
        page = browser.get("/").text
    # the consent asked for the calendar, offline
    sub = d.people["dan@team.example"].sub
    assert {EVENTS_SCOPE, CALENDARS_SCOPE} <= d.google_idp.state.granted[sub]
    [refresh] = d.google_idp.state.refresh_tokens
    assert refresh in d.google.oauth.refresh_tokens  # the Calendar fake knows it
    # the overlay: one new version listing the calendar, audited
    [version] = d.store.overlay_versions(dan.id)
    assert "{id: work, provider: google, calendar: primary}" in version.text
    [entry] = [e for e in d.store.audit_entries() if e.action == "rules.save"]
    assert entry.actor == f"user {dan.fingerprint} at {dan.domain}"
    assert f"version {version.id}" in entry.detail
    # the connection: Dan's, under his store key, holding the sign-in's refresh token
    conn = d.store.get_connection(key)
    assert conn is not None and conn.status == "connected" and conn.user_hash == dan.email_hash
    assert json.loads(d.store.connection_tokens(key) or b"{}")["refresh_token"] == refresh
    # the first sync planned his week on his Google calendar
    [run] = d.store.runs(key, 10)
    assert run.trigger == "connect" and not run.errors
    blocks = [e for e in d.google.live_events() if "csmBlockerKey" in str(e)]
    assert len(blocks) == len([op for op in run.ops if op.action == "create"]) > 0
    assert f"u{dan.id}~" not in visible_text(page) and "Deep work" in page


def test_signing_in_again_does_not_ask_for_the_calendar_again(deployment: Deployment) -> None:
    d = deployment
    d.store.add_team_user("dan@team.example", "member")
    with d.browser("dan@team.example", calendar="") as browser:
        again = browser.get("/auth/google/start", params={"next": "/"})
        assert again.status_code == 302
        assert EVENTS_SCOPE not in again.headers["location"]
        assert "access_type" not in again.headers["location"]
    assert len(d.google_idp.state.refresh_tokens) == 1


def test_a_plain_sign_in_connects_nothing(deployment: Deployment) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    with d.browser("dan@team.example", calendar="0") as browser:
        first = browser.get("/")  # no calendar yet: the way to one, not an error
        assert first.status_code == 200, first.text
        assert "/auth/google/start?calendar=1" in first.text
    assert d.store.overlay_versions(dan.id) == []
    assert d.store.get_connection(store_key(dan.id, "work")) is None
    assert d.google_idp.state.refresh_tokens == []


def test_unticking_the_calendar_at_consent_signs_in_without_it(deployment: Deployment) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    d.google_idp.state.declined = {EVENTS_SCOPE, CALENDARS_SCOPE}
    with d.browser("dan@team.example", calendar="1") as browser:
        assert browser.get("/account").status_code == 200  # signed in all the same
    assert d.store.overlay_versions(dan.id) == []
    conn = d.store.get_connection(store_key(dan.id, "work"))
    assert conn is None or not conn.has_tokens


def test_a_member_with_a_google_calendar_gets_it_connected_without_a_new_version(
    deployment: Deployment,
) -> None:
    d, cara = deployment, deployment.cara
    versions = d.store.overlay_versions(cara.user_id)
    with d.browser(cara, calendar="1"):
        pass
    assert d.store.overlay_versions(cara.user_id) == versions
    conn = d.store.get_connection(cara.key)
    assert conn is not None and conn.has_tokens
