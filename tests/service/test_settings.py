"""Settings: environment, settings file, and refusing placeholder secrets."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from blocker.connections import require_settings
from blocker.core.errors import SettingsError
from blocker.settings import Settings, is_placeholder, token_weakness

REAL_KEY = "0kZc1yPq9W0aY8m4T1nS7vH2xB6eR3uJ5gL8iD0fQ2A="


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "BLOCKER_API_TOKEN",
        "BLOCKER_ENCRYPTION_KEY",
        "BLOCKER_SETTINGS_FILE",
        "BLOCKER_METRICS_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("value", ["changeme", "secret", "xxx", "XXXX", "<your token>", "", " "])
def test_placeholder_secrets_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("BLOCKER_API_TOKEN", value)
    with pytest.raises(SettingsError, match="BLOCKER_API_TOKEN"):
        Settings()


def test_real_values_pass_and_defaults_are_sane(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCKER_API_TOKEN", "a-real-token-123")
    settings = Settings()
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == "a-real-token-123"
    assert settings.database_url == "sqlite:///./blocker.db"
    assert settings.host == "127.0.0.1"
    assert settings.google_token_uri == "https://oauth2.googleapis.com/token"
    assert "a-real-token-123" not in repr(settings)
    assert not is_placeholder("a-real-token-123")


def test_settings_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "blocker.env"
    path.write_text("BLOCKER_PORT=9123\nBLOCKER_ENCRYPTION_KEY=changeme\n")
    monkeypatch.setenv("BLOCKER_SETTINGS_FILE", str(path))
    with pytest.raises(SettingsError, match="BLOCKER_ENCRYPTION_KEY"):
        Settings()
    path.write_text(f"BLOCKER_PORT=9123\nBLOCKER_ENCRYPTION_KEY={REAL_KEY}\n")
    assert Settings().port == 9123
    monkeypatch.setenv("BLOCKER_PORT", "9000")  # the environment wins over the file
    assert Settings().port == 9000
    monkeypatch.setenv("BLOCKER_SETTINGS_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(SettingsError, match="no such file"):
        Settings()


def test_remote_providers_need_the_encryption_key() -> None:
    with pytest.raises(SettingsError, match="BLOCKER_ENCRYPTION_KEY"):
        Settings(google_client_id="id.apps.googleusercontent.com", google_client_secret="s3cr3t-v")
    with pytest.raises(SettingsError, match="BLOCKER_ENCRYPTION_KEY"):
        require_settings(Settings(), ["local", "outlook"])
    require_settings(Settings(), ["local", "memory"])
    with pytest.raises(SettingsError, match="BLOCKER_GOOGLE_CLIENT_ID"):
        require_settings(Settings(encryption_key=REAL_KEY), ["google"])
    with pytest.raises(SettingsError) as caught:
        require_settings(Settings(encryption_key=REAL_KEY), ["outlook"])
    assert str(caught.value).startswith(
        "BLOCKER_MICROSOFT_CLIENT_ID and BLOCKER_MICROSOFT_CLIENT_SECRET are required for "
        "outlook calendars"
    )


def test_procrastinate_is_refused_on_sqlite() -> None:
    with pytest.raises(SettingsError, match="PostgreSQL"):
        Settings(jobs_backend="procrastinate")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("a", "is shorter than 16 characters"),
        ("password", "is shorter than 16 characters"),
        ("aaaaaaaaaaaaaaaaaaaa", "has fewer than 8 different characters"),
        ("passwordpassword1", "is made of common words, keyboard runs and a few digits"),
        ("1234567890123456", "is made of common words, keyboard runs and a few digits"),
        ("qwertyuiop123456", "is made of common words, keyboard runs and a few digits"),
        ("Admin-Admin-2026!", "is made of common words, keyboard runs and a few digits"),
    ],
)
def test_weak_api_tokens_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    """Issue 17.5: ``a`` and ``password`` were accepted as the API token."""
    monkeypatch.setenv("BLOCKER_API_TOKEN", value)
    with pytest.raises(SettingsError, match=f"BLOCKER_API_TOKEN {why}: use a random one"):
        Settings()
    with pytest.raises(SettingsError, match="BLOCKER_METRICS_TOKEN"):
        Settings(api_token="a-real-token-123", metrics_token=value)


def test_random_tokens_pass_the_strength_check() -> None:
    for _ in range(200):
        assert token_weakness(secrets.token_urlsafe(32)) is None
        assert token_weakness(secrets.token_hex(16)) is None
    assert token_weakness("correct-horse-battery") is None


def test_the_bounds_have_safe_defaults_and_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings()
    assert defaults.api_max_body_bytes == 1_048_576
    assert defaults.webhook_max_body_bytes == 262_144
    assert defaults.webhook_max_items == 100
    assert defaults.webhook_rate_per_minute == 600
    assert defaults.login_attempts_per_minute == 5
    assert defaults.rules_versions_kept == 50
    assert defaults.metrics_token is None
    monkeypatch.setenv("BLOCKER_WEBHOOK_MAX_ITEMS", "20")
    monkeypatch.setenv("BLOCKER_RULES_VERSIONS_KEPT", "5")
    assert (Settings().webhook_max_items, Settings().rules_versions_kept) == (20, 5)
    monkeypatch.setenv("BLOCKER_API_MAX_BODY_BYTES", "10")  # below 1 KiB: refused
    with pytest.raises(ValidationError, match="api_max_body_bytes"):
        Settings()
