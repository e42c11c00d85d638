"""Sign-ins in flight (bounded, expiring, single use) and the sign-in settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from blocker.auth.oidc import IdentityRefused
from blocker.auth.signin import PENDING_SECONDS, SignInService, calendar_scopes, providers_from
from blocker.core.errors import SettingsError
from blocker.settings import Settings
from blocker.store import TokenCipher
from tests.fakes.oidc import FakeOidc, running_idp
from tests.support.clock import TEST_NOW, SettableClock

BASE = "http://127.0.0.1:9"


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(TEST_NOW)


@pytest.fixture
def google(clock: SettableClock) -> Iterator[FakeOidc]:
    with running_idp("google", clock) as fake:
        fake.state.redirect_uris.add(f"{BASE}/auth/google/callback")
        yield fake


def settings_for(fake: FakeOidc, tmp_path: Path, **extra: str) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        public_base_url=BASE,
        signin_google_client_id=fake.state.client_id,
        signin_google_client_secret=fake.state.client_secret,
        signin_google_issuer=fake.issuer(),
        **extra,
    )


def code_for(url: str) -> str:
    reply = httpx.get(url)
    assert reply.status_code == 302
    return httpx.URL(reply.headers["location"]).params["code"]


def test_a_sign_in_left_too_long_or_used_twice_is_refused(
    google: FakeOidc, clock: SettableClock, tmp_path: Path
) -> None:
    service = SignInService(settings_for(google, tmp_path), clock)
    assert service.labels() == [("google", "Google")]
    url, state = service.start("google", "/rules")
    identity, next_path = service.finish("google", state, code_for(url))
    assert (identity.email, next_path) == ("ann@example.com", "/rules")
    with pytest.raises(IdentityRefused, match="already used"):
        service.finish("google", state, "any")

    url, state = service.start("google", "/")
    clock.now = TEST_NOW + timedelta(seconds=PENDING_SECONDS + 1)
    with pytest.raises(IdentityRefused, match="expired"):
        service.finish("google", state, code_for(url))
    assert service.pending_count() == 0

    url, state = service.start("google", "/")
    with pytest.raises(IdentityRefused):
        service.finish("microsoft", state, code_for(url))  # another provider's callback
    with pytest.raises(IdentityRefused, match="not configured"):
        service.start("microsoft", "/")


def test_sign_in_settings(tmp_path: Path) -> None:
    base = {"database_url": "sqlite://", "signin_google_client_id": "id.apps.example"}
    assert providers_from(Settings(**base)) == []  # no secret: not offered
    with pytest.raises(SettingsError, match="SIGNIN_GOOGLE_CLIENT_SECRET"):
        Settings(**base, signin_google_client_secret="changeme")
    plain = Settings(
        **base,
        signin_google_client_secret="a-real-looking-secret-9f8e",
        signin_google_issuer="http://accounts.example.com",
    )
    with pytest.raises(SettingsError, match="https"):
        SignInService(plain, lambda: TEST_NOW)
    ms = Settings(
        database_url="sqlite://",
        signin_microsoft_client_id="app-id",
        signin_microsoft_client_secret="a-real-looking-secret-9f8e",
        signin_microsoft_tenant="contoso-tenant-id",
    )
    (provider,) = providers_from(ms)
    assert provider.issuer == "https://login.microsoftonline.com/contoso-tenant-id/v2.0"


def test_microsoft_sign_in_asks_for_outlook_only_with_the_same_entra_app() -> None:
    app = {
        "database_url": "sqlite://",
        "encryption_key": TokenCipher.generate_key(),
        "signin_microsoft_client_id": "app-id",
        "signin_microsoft_client_secret": "a-real-looking-secret-9f8e",
        "microsoft_client_id": "app-id",
        "microsoft_client_secret": "a-real-looking-secret-9f8e",
    }
    graph = "https://graph.microsoft.com/"
    assert calendar_scopes(Settings(**app), "microsoft") == (
        graph + "Calendars.ReadWrite",
        graph + "MailboxSettings.ReadWrite",  # colours are on by default
    )
    no_colours = Settings(**app, microsoft_colors=False)
    assert calendar_scopes(no_colours, "microsoft") == (graph + "Calendars.ReadWrite",)
    other_app = Settings(**{**app, "microsoft_client_id": "another-app"})
    assert calendar_scopes(other_app, "microsoft") == ()
    other_secret = Settings(**{**app, "microsoft_client_secret": "another-real-secret-77"})
    assert calendar_scopes(other_secret, "microsoft") == ()
    assert calendar_scopes(Settings(**app), "google") == ()  # Google is not configured
