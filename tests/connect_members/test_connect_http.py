"""Members connect their own calendars over HTTP, with the real client libraries
(google-auth-oauthlib, msal) against the fakes: stored under their store key, owned by
their user row, finished only in the scope that started the sign-in."""

from __future__ import annotations

import json

import httpx

from blocker.members import store_key
from tests.connect_members.conftest import WEEK, Deployment, csrf_of, visible_text


def has_tokens(d: Deployment, key: str) -> bool:
    conn = d.store.get_connection(key)
    return conn is not None and conn.has_tokens


def template_untouched(d: Deployment) -> bool:
    """The template's calendar is still the local file it was, with no tokens."""
    conn = d.store.get_connection("work")
    return conn is None or (conn.provider == "local" and not conn.has_tokens)


def test_a_member_connects_outlook_into_their_own_scope(deployment: Deployment) -> None:
    d, bob = deployment, deployment.bob
    with d.browser(bob) as browser:
        done = d.connect_outlook(browser)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/"
        page = visible_text(browser.get("/").text)
    conn = d.store.get_connection(bob.key)
    assert conn is not None and conn.status == "connected" and conn.has_tokens
    assert bob.key == store_key(bob.user_id, "work")
    owner = d.store.team_user_by_id(bob.user_id)
    assert owner is not None and conn.user_hash == owner.email_hash  # Bob's user row
    assert conn.account_label == d.identity.state.user.email
    # the Graph subscription was opened for Bob's calendar, through his scope
    [channel] = d.store.channels_for(bob.key)
    assert channel.channel_id in d.graph.mailbox.subscriptions
    # nobody else's calendar was touched
    assert template_untouched(d)
    assert not has_tokens(d, d.cara.key)
    # his page names his calendar as he does, never by its store key
    assert f"u{bob.user_id}~" not in page
    assert "Disconnect" in page


def test_a_member_connects_google_into_their_own_scope(deployment: Deployment) -> None:
    d, cara = deployment, deployment.cara
    with d.browser(cara) as browser:
        done = d.connect_google(browser)
        assert done.status_code == 303, done.text
    conn = d.store.get_connection(cara.key)
    assert conn is not None and conn.status == "connected" and conn.has_tokens
    owner = d.store.team_user_by_id(cara.user_id)
    assert owner is not None and conn.user_hash == owner.email_hash
    blob = json.loads(d.store.connection_tokens(cara.key) or b"{}")
    assert blob["refresh_token"] in d.google.oauth.refresh_tokens
    # her first sync writes her week on her Google calendar
    outcome = d.scope(cara.key).sync(None, cara.key, WEEK, trigger="api")
    assert not outcome.errors and d.google.live_events()
    assert not has_tokens(d, d.bob.key)


def test_a_sign_in_started_by_bob_cannot_finish_in_caras_scope(deployment: Deployment) -> None:
    d, bob, cara = deployment, deployment.bob, deployment.cara
    with d.browser(bob) as bobs, d.browser(cara) as caras:
        refused = d.connect_outlook(bobs, poster=caras)
        assert refused.status_code == 400
        assert "started by someone else" in refused.text
        # used up, and nothing stored for anyone
        for key in (bob.key, cara.key):
            assert not has_tokens(d, key)
        assert template_untouched(d)
        # a sign-in coming back without a session (as a browser's cross-site redirect
        # does) finishes in the scope of the one who started it: Bob's
        with httpx.Client(base_url=d.base_url, trust_env=False, timeout=60) as anonymous:
            done = d.connect_outlook(bobs, poster=anonymous)
        assert done.status_code == 303, done.text
    assert has_tokens(d, bob.key)
    assert not has_tokens(d, cara.key)
    assert template_untouched(d)


def test_a_member_disconnects_their_own_calendar_and_no_one_elses(deployment: Deployment) -> None:
    d, bob, cara = deployment, deployment.bob, deployment.cara
    with d.browser(cara) as caras:
        assert d.connect_google(caras).status_code == 303
    with d.browser(bob) as browser:
        assert d.connect_outlook(browser).status_code == 303
        csrf = csrf_of(browser.get("/").text)
        for theirs in (cara.key, "nope"):
            answer = browser.post("/calendars/disconnect", data={"calendar": theirs, "csrf": csrf})
            assert answer.status_code == 404, theirs
        done = browser.post("/calendars/disconnect", data={"calendar": "work", "csrf": csrf})
        assert done.status_code == 303
    mine = d.store.get_connection(bob.key)
    assert mine is not None and mine.status == "disconnected"
    assert d.store.channels_for(bob.key) == []
    hers = d.store.get_connection(cara.key)
    assert hers is not None and hers.status == "connected"
