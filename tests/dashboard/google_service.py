"""The real app on a loopback port with one Google calendar, served by the Google fake.

The example rules (config.example.yaml and its accounts) with their calendars
replaced by ``work`` on Google; the fake's OAuth endpoints stand in for Google's
(the browser really goes through its consent redirect), and every request the
service makes to Google is in the fake's log. The service's public URL is its
loopback address, so the OAuth redirect comes back to it. The clock is the
session's ticking clock (the pinned day, moving with real time).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from blocker.connect import Connector
from blocker.store import TokenCipher
from blocker.web.app import create_app
from providers.google_client import EVENTS_SCOPE
from tests.fakes.google import FakeGoogle, run_fake_google
from tests.service.conftest import TOKEN, make_settings
from tests.support.app_state import AppStateAccess
from tests.support.clock import EXAMPLE_TZ, ticking_clock
from tests.support.server import RunningServer, base_url_of, loopback_socket, start_server

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = "work"

__all__ = ["CALENDAR", "GoogleService", "google_service"]


@dataclass
class GoogleService(AppStateAccess):
    """The running app, an API client for it, and the fake Google it talks to."""

    app: FastAPI
    base_url: str
    client: httpx.Client
    server: RunningServer
    google: FakeGoogle

    def connect_backdoor(self) -> str:
        """Store a refresh token as if the user had connected earlier; returns it."""
        refresh = self.google.oauth.issue_refresh_token(EVENTS_SCOPE)
        blob = {
            "refresh_token": refresh,
            "scopes": [EVENTS_SCOPE],
            "token_uri": f"{self.google.base_url}/token",
        }
        Connector(self.runtime).store(CALENDAR, "google", json.dumps(blob).encode(), "")
        return refresh

    def calendar_reads(self) -> int:
        """Requests for events of the calendar since the log was cleared (reads only)."""
        return len(self.google.requests(path_contains="/events", method="GET"))


def _rules(workdir: Path) -> Path:
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\ncalendars:")]
    rules = workdir / "rules.yaml"
    calendars = f"\ncalendars:\n  - {{id: {CALENDAR}, provider: google, calendar: primary}}\n"
    rules.write_text(head + calendars, encoding="utf-8")
    (workdir / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "accounts.csv", workdir / "examples" / "accounts.csv")
    return rules


@contextmanager
def google_service(workdir: Path) -> Iterator[GoogleService]:
    """Fake Google and the service, both on loopback, for one test."""
    with run_fake_google(time_zone=str(EXAMPLE_TZ)) as fake:
        _rules(workdir)
        sock = loopback_socket()
        base = base_url_of(sock)
        settings = make_settings(
            workdir,
            encryption_key=TokenCipher.generate_key(),
            public_base_url=base,
            google_client_id=fake.oauth.client_id,
            google_client_secret=fake.oauth.client_secret,
            google_auth_uri=f"{fake.base_url}/o/oauth2/auth",
            google_token_uri=f"{fake.base_url}/token",
            google_api_root=f"{fake.base_url}/",
        )
        try:
            app = create_app(settings, clock=ticking_clock, start_scheduler=False)
        except BaseException:
            sock.close()
            raise
        server = start_server(app, sock=sock, limit=30.0)
        client = httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
            trust_env=False,
        )
        try:
            yield GoogleService(app, base, client, server, fake)
        finally:
            client.close()
            server.stop()
