"""The real app on a loopback port with sign-in through the fake Google and Microsoft
identity providers (each on its own port); every clock is the suite's pinned one.
For the browser tests of the admin pages: an admin signed in, on People."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blocker.settings import Settings
from blocker.store import Store
from blocker.web.app import create_app
from tests.fakes.oidc import FakeOidc, FakePerson, running_idp
from tests.support.clock import ticking_clock
from tests.support.server import RunningServer, base_url_of, loopback_socket, start_server

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "t0ken-for-the-teams-tests-Zq8"


@dataclass
class TeamService:
    base_url: str
    app: Any
    google: FakeOidc
    microsoft: FakeOidc
    server: RunningServer

    @property
    def store(self) -> Store:
        store: Store = self.app.state.runtime.store
        return store


def copy_example(target: Path) -> Path:
    shutil.copy(ROOT / "config.example.yaml", target / "rules.yaml")
    shutil.copytree(ROOT / "examples", target / "examples")
    return target


@contextmanager
def signin_service(
    tmp_path: Path, *, database_url: str | None = None, encryption_key: str | None = None
) -> Iterator[TeamService]:
    """The app on the rules in ``tmp_path``, SQLite (unless ``database_url``), no
    scheduler; Google and Microsoft sign-in configured against their fakes."""
    with (
        running_idp("google", ticking_clock) as google,
        running_idp("microsoft", ticking_clock) as microsoft,
    ):
        sock = loopback_socket()
        base = base_url_of(sock)
        for fake, name in ((google, "google"), (microsoft, "microsoft")):
            fake.state.redirect_uris.add(f"{base}/auth/{name}/callback")
        settings = Settings(
            database_url=database_url or f"sqlite:///{tmp_path / 'blocker.db'}",
            encryption_key=encryption_key,
            api_token=TOKEN,
            rules_path=tmp_path / "rules.yaml",
            public_base_url=base,
            signin_google_client_id=google.state.client_id,
            signin_google_client_secret=google.state.client_secret,
            signin_google_issuer=google.issuer(),
            signin_microsoft_client_id=microsoft.state.client_id,
            signin_microsoft_client_secret=microsoft.state.client_secret,
            signin_microsoft_tenant="organizations",
            signin_microsoft_issuer=microsoft.base_url + "/{tenant}/v2.0",
        )
        app = create_app(settings, clock=ticking_clock, start_scheduler=False)
        server = start_server(app, sock=sock)
        try:
            yield TeamService(base, app, google, microsoft, server)
        finally:
            server.stop()


@pytest.fixture
def team_service(tmp_path: Path) -> Iterator[TeamService]:
    """The example rules, SQLite, no scheduler; Google and Microsoft sign-in configured."""
    copy_example(tmp_path)
    with signin_service(tmp_path) as service:
        yield service


ADMIN = "ann@example.com"
"""The admin :func:`admin_tab` signs in (the first user: the tests add others after)."""


@pytest.fixture
def admin_tab(team_service: TeamService, chromium: Any) -> Any:
    """A chromium tab where Ann, an admin, signed in with Google as a person would and
    went from the dashboard to People by the nav. ``chromium`` is the module-scoped
    browser each browser module imports from :mod:`tests.auth.test_browser_signin`."""
    from tests.auth.test_browser_signin import new_tab, on_dashboard_as, sign_in_with

    base = team_service.base_url
    team_service.store.add_team_user(ADMIN, "admin")
    team_service.google.state.person = FakePerson(ADMIN)
    tab = new_tab(chromium)
    sign_in_with(tab, base, "Google")
    on_dashboard_as(tab, base, ADMIN)
    tab.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    tab.wait_for_url(base + "/admin/users")
    return tab
