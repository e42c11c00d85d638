"""One deployment where members connect their own Google and Outlook calendars.

The real app on a loopback port with its scheduler; sign-in through the fake OpenID
providers, Google's sharing its token registry with the fake Google Calendar (one
OAuth client for both, as on one Google Cloud project) and Microsoft's sharing consent
and tokens with the fake identity platform msal renews at (one Entra app); Outlook
through msal against that fake (TLS) and the fake Graph. Ann is the first admin (the
template's calendar is a local file); Bob's overlay lists an Outlook calendar
``work``, Cara's a Google calendar ``work`` (the same id on purpose).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from blocker.core.weeks import next_week, week_dates
from blocker.members import scope_for_calendar
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store import Store, TokenCipher
from blocker.web.app import create_app
from tests.fakes.google import FakeGoogle, run_fake_google
from tests.fakes.microsoft.fixtures import ms_graph, ms_identity, ms_session, ms_tls
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.identity import FakeIdentity, form_fields
from tests.fakes.microsoft.server import TLSFiles
from tests.fakes.oidc import FakeOidc, FakePerson, running_idp
from tests.members.conftest import Person, ics
from tests.support.clock import TEST_NOW, ticking_clock
from tests.support.deployment import google_settings, graph_settings
from tests.support.rules import rules_yaml
from tests.support.server import RunningServer, base_url_of, loopback_socket, start_server

__all__ = ["ms_graph", "ms_identity", "ms_session", "ms_tls"]

TOKEN = "t0ken-for-the-connect-members-tests-Qw7"
TIMEZONE = "America/New_York"
WEEK = next_week(TEST_NOW.date())
OVERLAY = """\
owner:
  name: {name}
  email: {email}
calendars:
  - {{id: work, provider: {provider}, calendar: primary}}
"""


@dataclass
class Deployment:
    base_url: str
    app: Any
    server: RunningServer
    folder: Path
    google: FakeGoogle
    google_idp: FakeOidc
    microsoft_idp: FakeOidc
    identity: FakeIdentity
    graph: FakeGraph
    ms_session: requests.Session
    ann: Person
    bob: Person
    cara: Person

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def store(self) -> Store:
        return self.runtime.store

    def scope(self, key: str) -> Runtime:
        scope = scope_for_calendar(self.runtime, key)
        assert scope is not None, key
        return scope

    def person(self, email: str) -> FakePerson:
        """The one identity ``email`` signs in as, at Google and at Microsoft."""
        return self.people.setdefault(email, FakePerson(email))

    @contextmanager
    def browser(
        self, person: Person | str, calendar: str = "0", provider: str = "google"
    ) -> Iterator[httpx.Client]:
        """A browser signed in with ``provider`` as ``person`` (``calendar``: the
        sign-in's ``?calendar=``; "0": no calendar access asked)."""
        email = person.email if isinstance(person, Person) else person
        idp = self.google_idp if provider == "google" else self.microsoft_idp
        idp.state.person = self.person(email)
        with httpx.Client(base_url=self.base_url, timeout=60, trust_env=False) as client:
            landed = client.get(
                f"/auth/{provider}/start",
                params={"next": "/", "calendar": calendar},
                follow_redirects=True,
            )
            assert landed.status_code == 200, landed.text
            yield client

    people: dict[str, FakePerson]

    def connect_outlook(self, client: httpx.Client, poster: httpx.Client | None = None) -> Any:
        """``client`` starts /connect/microsoft; the identity platform's form is posted
        back by ``poster`` (default: the same browser). The callback's answer."""
        start = client.get("/connect/microsoft")
        assert start.status_code == 302, start.text
        page = self.ms_session.get(start.headers["location"])
        action, fields = form_fields(page.text)
        assert action == f"{self.base_url}/oauth/microsoft/callback"
        return (poster or client).post("/oauth/microsoft/callback", data=fields)

    def connect_google(self, client: httpx.Client, poster: httpx.Client | None = None) -> Any:
        """``client`` starts /connect/google?calendar=work; the consent's redirect back
        is followed by ``poster`` (default: the same browser)."""
        start = client.get("/connect/google", params={"calendar": "work"})
        assert start.status_code == 302, start.text
        consent = httpx.get(start.headers["location"], trust_env=False)
        assert consent.status_code == 302, consent.text
        back = httpx.URL(consent.headers["location"])
        return (poster or client).get(back.path, params=dict(back.params))


def visible_text(page: str) -> str:
    """What a reader sees of a page: its text and the titles shown on hover (not the
    markup: links and form fields still carry store keys, see the README)."""
    titles = " ".join(re.findall(r'title="([^"]*)"', page))
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body) + " " + titles


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found[1]


@pytest.fixture
def insecure_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Google fake speaks plain http on loopback; oauthlib refuses that unless told."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def deployment(
    tmp_path: Path,
    insecure_oauth: None,
    ms_identity: FakeIdentity,
    ms_graph: FakeGraph,
    ms_tls: TLSFiles,
    ms_session: requests.Session,
) -> Iterator[Deployment]:
    template = rules_yaml(
        ["{id: work, provider: local, path: team.ics}"],
        timezone=TIMEZONE,
        debounce=60,
        max_wait=120,
    )
    (tmp_path / "rules.yaml").write_text(template, encoding="utf-8")
    tuesday = week_dates(WEEK)[1]
    (tmp_path / "team.ics").write_text(ics("Ann team sync", tuesday, 14), encoding="utf-8")
    with (
        run_fake_google(time_zone=TIMEZONE) as google,
        running_idp("google", ticking_clock) as google_idp,
        running_idp("microsoft", ticking_clock) as microsoft_idp,
    ):
        google_idp.state.attach_calendar(google.oauth)
        microsoft_idp.state.attach_graph(ms_identity.state)
        sock = loopback_socket()
        base = base_url_of(sock)
        google_idp.state.redirect_uris.add(f"{base}/auth/google/callback")
        microsoft_idp.state.redirect_uris.add(f"{base}/auth/microsoft/callback")
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'blocker.db'}",
            api_token=TOKEN,
            encryption_key=TokenCipher.generate_key(),
            rules_path=tmp_path / "rules.yaml",
            public_base_url=base,
            signin_google_client_id=google.oauth.client_id,
            signin_google_client_secret=google.oauth.client_secret,
            signin_google_issuer=google_idp.issuer(),
            signin_microsoft_client_id=microsoft_idp.state.client_id,
            signin_microsoft_client_secret=microsoft_idp.state.client_secret,
            signin_microsoft_issuer=microsoft_idp.base_url + "/{tenant}/v2.0",
            **google_settings(google),
            **graph_settings(ms_identity, ms_graph, ms_tls.ca_file),
        )
        app = create_app(settings, clock=ticking_clock, start_scheduler=True)
        server = start_server(app, sock=sock)
        try:
            store = app.state.runtime.store
            ann = Person("ann@team.example", "Ann", "Ann team sync")
            bob = Person("bob@team.example", "Bob", "")
            cara = Person("cara@team.example", "Cara", "")
            ann.user_id = store.add_team_user(ann.email, "admin").id
            for person, provider in ((bob, "outlook"), (cara, "google")):
                person.user_id = store.add_team_user(person.email, "member").id
                overlay = OVERLAY.format(name=person.name, email=person.email, provider=provider)
                store.save_overlay(person.user_id, overlay)
            yield Deployment(
                base, app, server, tmp_path, google, google_idp, microsoft_idp,
                ms_identity, ms_graph, ms_session, ann, bob, cara, people={},
            )  # fmt: skip
        finally:
            server.stop()
