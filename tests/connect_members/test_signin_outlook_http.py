"""Sign in with Microsoft, the Outlook calendar included in the same consent (one Entra
app for both): a new member's overlay gets an Outlook calendar (versioned, audited),
the grant becomes its connection as msal's token cache, and the first sync plans
their week on the fake Graph, which accepts the tokens the sign-in fake issued (one
identity platform). msal renews them later as its own; a declined calendar permission
signs in without a calendar."""

from __future__ import annotations

import re
from typing import Any

from blocker.core.weeks import week_window
from blocker.members import store_key
from providers.outlook_auth import account_of, granted_scopes
from tests.connect_members.conftest import TIMEZONE, WEEK, Deployment, csrf_of, visible_text
from tests.fakes.microsoft.identity import User

CALENDARS = "https://graph.microsoft.com/Calendars.ReadWrite"
MAILBOX = "https://graph.microsoft.com/MailboxSettings.ReadWrite"


def entra_user(d: Deployment, email: str) -> User:
    """``email`` as the identity platform knows them (consent, declines)."""
    return d.identity.state.user_by_oid(d.person(email).sub, email)


def deep_work(d: Deployment) -> list[Any]:
    """The blocks on the fake Outlook mailbox in the planned week."""
    window = week_window(WEEK, TIMEZONE)
    with d.graph.mailbox.lock:
        return [
            e
            for e in d.graph.mailbox.events.values()
            if "Deep work" in str(e.data.get("subject"))
            and not e.data.get("isCancelled")
            and window.start <= e.start < window.end
        ]


def test_a_new_member_signs_in_with_microsoft_and_gets_their_week_on_outlook(
    deployment: Deployment,
) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    key = store_key(dan.id, "work")
    with d.browser("dan@team.example", calendar="", provider="microsoft") as browser:
        page = browser.get("/").text
    # the one consent granted the calendar (and the colours' mailbox settings)
    assert {CALENDARS, MAILBOX} <= entra_user(d, "dan@team.example").consented
    # the overlay: one new version listing an Outlook calendar, audited
    [version] = d.store.overlay_versions(dan.id)
    assert "{id: work, provider: outlook, calendar: primary}" in version.text
    [entry] = [e for e in d.store.audit_entries() if e.action == "rules.save"]
    assert entry.actor == f"user {dan.fingerprint} at {dan.domain}"
    assert f"version {version.id}" in entry.detail
    # the connection: Dan's, under his store key, holding msal's cache for his account
    conn = d.store.get_connection(key)
    assert conn is not None and conn.status == "connected" and conn.user_hash == dan.email_hash
    assert conn.provider == "outlook"
    blob = d.store.connection_tokens(key) or b""
    account = account_of(blob)
    assert account is not None and account["username"] == "dan@team.example"
    assert "calendars.readwrite" in (granted_scopes(blob) or set())
    # the first sync planned his week on his Outlook calendar
    [run] = d.store.runs(key, 10)
    assert run.trigger == "connect" and not run.errors
    created = [op for op in run.ops if op.action == "create"]
    planned = d.store.mappings(key, WEEK)
    assert len(planned) == len(created) > 0 and deep_work(d)
    assert {m.event_id for m in planned.values()} <= set(d.graph.mailbox.events)
    assert f"u{dan.id}~" not in visible_text(page) and "Deep work" in page


def test_msal_renews_the_grant_after_its_access_token_expires(deployment: Deployment) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    key = store_key(dan.id, "work")
    d.identity.state.expires_in = 60  # msal counts under five minutes left as expired
    with d.browser("dan@team.example", calendar="1", provider="microsoft") as browser:
        before = d.store.connection_tokens(key)
        renewals = d.identity.state.grants()["refresh_token"]
        with d.identity.state.lock:  # every token issued so far has expired at the fake
            for token in d.identity.state.access_tokens:
                d.identity.state.access_tokens[token] = 0.0
        page = browser.get("/", params={"week": WEEK}).text
        done = browser.post("/sync", data={"week": WEEK, "calendar": key, "csrf": csrf_of(page)})
        assert done.status_code in (200, 303), done.text
    assert d.identity.state.grants()["refresh_token"] > renewals  # msal renewed it
    after = d.store.connection_tokens(key)
    assert after is not None and after != before  # and the new cache was stored
    runs = d.store.runs(key, 10)
    assert len(runs) == 2 and not runs[0].errors
    conn = d.store.get_connection(key)
    assert conn is not None and conn.status == "connected"


def test_declining_the_calendar_signs_in_without_it(deployment: Deployment) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    entra_user(d, "dan@team.example").declined = {CALENDARS, MAILBOX}
    with d.browser("dan@team.example", calendar="1", provider="microsoft") as browser:
        assert browser.get("/account").status_code == 200  # signed in all the same
        welcome = browser.get("/")
        assert welcome.status_code == 200 and 'id="welcome-microsoft"' in welcome.text
        # nothing connected: the next sign-in asks again
        again = browser.get("/auth/microsoft/start", params={"next": "/"})
        assert "Calendars.ReadWrite" in again.headers["location"]
    assert entra_user(d, "dan@team.example").consented == set()
    assert d.store.overlay_versions(dan.id) == []
    assert d.store.get_connection(store_key(dan.id, "work")) is None


def test_calendar_0_asks_nothing_and_a_connected_browser_is_not_asked_again(
    deployment: Deployment,
) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    with d.browser("dan@team.example", calendar="0", provider="microsoft"):
        pass
    assert d.store.overlay_versions(dan.id) == []
    assert d.store.get_connection(store_key(dan.id, "work")) is None
    assert d.identity.state.refresh_tokens == {}  # no offline_access asked: none issued
    with d.browser("dan@team.example", calendar="", provider="microsoft") as browser:
        assert d.store.get_connection(store_key(dan.id, "work")) is not None
        again = browser.get("/auth/microsoft/start", params={"next": "/"})
        assert again.status_code == 302
        scope = re.findall(r"scope=([^&]+)", again.headers["location"])[0]
        assert "Calendars.ReadWrite" not in scope and "offline_access" not in scope
        forced = browser.get("/auth/microsoft/start", params={"next": "/", "calendar": "1"})
        assert "Calendars.ReadWrite" in forced.headers["location"]


def test_a_member_with_an_outlook_calendar_gets_it_connected_without_a_new_version(
    deployment: Deployment,
) -> None:
    d, bob = deployment, deployment.bob
    versions = d.store.overlay_versions(bob.user_id)
    with d.browser(bob, calendar="1", provider="microsoft"):
        pass
    assert d.store.overlay_versions(bob.user_id) == versions
    conn = d.store.get_connection(bob.key)
    assert conn is not None and conn.has_tokens and conn.provider == "outlook"
    [run] = d.store.runs(bob.key, 10)
    assert not run.errors and deep_work(d)


def test_a_grant_msal_cannot_redeem_signs_in_and_changes_nothing(
    deployment: Deployment,
) -> None:
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    entra_user(d, "dan@team.example").consent_required = True  # renewal refused
    with d.browser("dan@team.example", calendar="1", provider="microsoft") as browser:
        assert browser.get("/account").status_code == 200
        assert 'id="welcome-microsoft"' in browser.get("/").text
    assert d.identity.state.grants()["refresh_token"] == 1  # msal tried, once
    assert d.store.overlay_versions(dan.id) == []
    assert d.store.get_connection(store_key(dan.id, "work")) is None


def test_a_signed_in_browser_that_comes_back_as_someone_else_changes_nothing(
    deployment: Deployment,
) -> None:
    """Dan is signed in (Google) and clicks "Connect my Outlook calendar", but picks
    Eve's Microsoft account: refused, he stays Dan, and neither of them gains a
    calendar or an overlay version. The same Dan at Microsoft connects as usual."""
    d = deployment
    dan = d.store.add_team_user("dan@team.example", "member")
    eve = d.store.add_team_user("eve@team.example", "member")
    with d.browser("dan@team.example", calendar="0") as browser:
        d.microsoft_idp.state.person = d.person("eve@team.example")
        refused = browser.get(
            "/auth/microsoft/start", params={"next": "/", "calendar": "1"}, follow_redirects=True
        )
        assert refused.status_code == 409, refused.text
        assert "You are signed in as dan@team.example" in refused.text
        assert "eve@team.example" in refused.text and "Nothing was changed" in refused.text
        assert "dan@team.example" in browser.get("/account").text  # still Dan's session
        for who in (dan, eve):
            assert d.store.get_connection(store_key(who.id, "work")) is None
            assert d.store.overlay_versions(who.id) == []
        assert d.store.user_session_count(eve.id) == 0  # Eve was not signed in either
        seen = d.store.team_user_by_id(eve.id)
        assert seen is not None and seen.last_sign_in_at is None  # nor admitted

        d.microsoft_idp.state.person = d.person("dan@team.example")
        again = browser.get(
            "/auth/microsoft/start", params={"next": "/", "calendar": "1"}, follow_redirects=True
        )
        assert again.status_code == 200, again.text
    conn = d.store.get_connection(store_key(dan.id, "work"))
    assert conn is not None and conn.provider == "outlook"
    assert d.store.get_connection(store_key(eve.id, "work")) is None
