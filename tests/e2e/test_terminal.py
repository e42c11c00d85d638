"""`blocker connect` from a terminal: URL printed, browser opened, loopback redirect caught."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from blocker.connect import ConnectError, connect_from_terminal
from blocker.runtime import Runtime
from blocker.settings import Settings
from blocker.store import TokenCipher
from tests.e2e.conftest import rules_yaml
from tests.fakes.google import FakeGoogle, run_fake_google
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.identity import FakeIdentity, form_fields
from tests.fakes.microsoft.server import TLSFiles


@pytest.fixture
def google(insecure_oauth: None) -> Iterator[FakeGoogle]:
    with run_fake_google() as fake:
        yield fake


def settings_for(workdir: Path, provider: str, **extra: Any) -> Settings:
    (workdir / "rules.yaml").write_text(rules_yaml(provider))
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{workdir / 'blocker.db'}",
        "encryption_key": TokenCipher.generate_key(),
        "public_base_url": "https://blocker.e2e.test",
    }
    values.update(extra)
    return Settings(**values)


class PlayedBrowser:
    """Stands in for ``webbrowser.open``: walks the consent pages in a thread."""

    def __init__(self, walk: Any) -> None:
        self.walk = walk
        self.opened: list[str] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self.walk, args=(url,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return True

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=30)


def test_google_from_the_terminal(tmp_path: Path, google: FakeGoogle) -> None:
    def walk(url: str) -> None:
        with httpx.Client(trust_env=False, follow_redirects=True, timeout=30) as client:
            client.get(url)  # consent -> 302 to the loopback server -> "Signed in."

    settings = settings_for(
        tmp_path,
        "google",
        google_client_id=google.oauth.client_id,
        google_client_secret=google.oauth.client_secret,
        google_auth_uri=f"{google.base_url}/o/oauth2/auth",
        google_token_uri=f"{google.base_url}/token",
        google_api_root=f"{google.base_url}/",
    )
    browser = PlayedBrowser(walk)
    said: list[str] = []
    result = connect_from_terminal(
        settings, tmp_path / "rules.yaml", "google", None, open_browser=browser, say=said.append
    )
    browser.join()
    assert result.calendar_id == "work" and result.push
    assert browser.opened and browser.opened[0] in said[0]
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in browser.opened[0]

    runtime = Runtime.open(settings, tmp_path / "rules.yaml")
    try:
        conn = runtime.store.get_connection("work")
        assert conn is not None and conn.status == "connected" and conn.has_tokens
        [channel] = runtime.store.channels_for("work")
        assert channel.channel_id in google.api.channels
    finally:
        runtime.close()


def test_outlook_from_the_terminal(
    tmp_path: Path, ms_identity: FakeIdentity, ms_graph: FakeGraph, ms_tls: TLSFiles
) -> None:
    context = ssl.create_default_context(cafile=str(ms_tls.ca_file))

    def walk(url: str) -> None:
        with httpx.Client(trust_env=False, verify=context, timeout=30) as client:
            action, fields = form_fields(client.get(url).text)
            client.post(action, data=fields)  # form_post to the loopback server

    settings = settings_for(
        tmp_path,
        "outlook",
        microsoft_client_id=ms_identity.state.client_id,
        microsoft_client_secret=ms_identity.state.client_secret,
        microsoft_authority=ms_identity.authority(),
        microsoft_graph_root=ms_graph.root,
        public_base_url="http://127.0.0.1:9",  # Graph cannot validate it: no push
        microsoft_ca_bundle=ms_tls.ca_file,
    )
    browser = PlayedBrowser(walk)
    result = connect_from_terminal(
        settings, tmp_path / "rules.yaml", "outlook", "work", open_browser=browser, say=print
    )
    browser.join()
    assert result.account == ms_identity.state.user.email
    assert not result.push and "polling" in result.note


def test_no_answer_from_the_browser_times_out(tmp_path: Path, google: FakeGoogle) -> None:
    settings = settings_for(
        tmp_path,
        "google",
        google_client_id=google.oauth.client_id,
        google_client_secret=google.oauth.client_secret,
        google_auth_uri=f"{google.base_url}/o/oauth2/auth",
    )
    with pytest.raises(ConnectError, match="no answer"):
        connect_from_terminal(
            settings,
            tmp_path / "rules.yaml",
            "google",
            None,
            timeout=0.5,
            open_browser=lambda url: True,
            say=lambda text: None,
        )
