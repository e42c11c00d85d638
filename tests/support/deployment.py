"""One calendar ``work`` on a fake Google or Graph, connected as the product connects
it: the setup the request-counting tests (tests/sync/test_one_read.py) and the
requests benchmark (benchmarks/requests.py) share, so they count the same thing.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from blocker.connect import Connector
from blocker.runtime import Runtime
from blocker.store import TokenCipher
from providers.google_client import EVENTS_SCOPE
from tests.fakes.google import FakeGoogle
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.identity import FakeIdentity, form_fields

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = "work"
CALLBACK = "http://127.0.0.1:9/oauth/microsoft/callback"


def example_rules(folder: Path, provider: str) -> Path:
    """The example rules and accounts in ``folder``, with one calendar ``work``."""
    text = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
    head = text[: text.index("\ncalendars:")]
    rules = folder / "rules.yaml"
    rules.write_text(
        head + f"\ncalendars:\n  - {{id: {CALENDAR}, provider: {provider}}}\n", encoding="utf-8"
    )
    (folder / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "accounts.csv", folder / "examples" / "accounts.csv")
    return rules


def store_settings(folder: Path) -> dict[str, Any]:
    """Settings of a SQLite store in ``folder``, with no push channel (polling)."""
    return {
        "database_url": f"sqlite:///{folder / 'blocker.db'}",
        "encryption_key": TokenCipher.generate_key(),
        "public_base_url": "http://127.0.0.1:9",  # unreachable: no push channel
    }


def google_settings(fake: FakeGoogle) -> dict[str, Any]:
    """The Google settings that aim the product at ``fake``."""
    return {
        "google_client_id": fake.oauth.client_id,
        "google_client_secret": fake.oauth.client_secret,
        "google_auth_uri": f"{fake.base_url}/o/oauth2/auth",
        "google_token_uri": f"{fake.base_url}/token",
        "google_api_root": f"{fake.base_url}/",
    }


def connect_google(runtime: Runtime, fake: FakeGoogle) -> None:
    """Store a refresh token from ``fake`` as the OAuth callback stores one."""
    blob = {
        "refresh_token": fake.oauth.issue_refresh_token(EVENTS_SCOPE),
        "scopes": [EVENTS_SCOPE],
        "token_uri": f"{fake.base_url}/token",
    }
    Connector(runtime).store(CALENDAR, "google", json.dumps(blob).encode(), "")


def add_google_meeting(
    fake: FakeGoogle, start: datetime, end: datetime, title: str, organizer: str
) -> None:
    """A meeting someone else booked (its organizer accepted)."""
    fake.add_event(
        {
            "summary": title,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": end.isoformat()},
            "organizer": {"email": organizer},
            "attendees": [{"email": organizer, "responseStatus": "accepted"}],
        }
    )


def connect_graph(runtime: Runtime, session: requests.Session) -> None:
    """msal's sign-in against the identity fake, through the product's connector."""
    connector = Connector(runtime)
    url = connector.start("outlook", CALENDAR, CALLBACK)
    _, fields = form_fields(session.get(url).text)
    connector.finish("outlook", fields)


def graph_settings(identity: FakeIdentity, graph: FakeGraph, ca_file: Path) -> dict[str, Any]:
    """The Microsoft settings that aim the product at the fakes (and trusts their CA);
    the Graph fake accepts exactly the tokens the identity fake issued."""
    graph.token_ok = identity.state.token_valid
    graph.token_scopes = identity.state.token_scopes
    return {
        "microsoft_client_id": identity.state.client_id,
        "microsoft_client_secret": identity.state.client_secret,
        "microsoft_authority": identity.authority(),
        "microsoft_graph_root": graph.root,
        "microsoft_ca_bundle": ca_file,
    }
