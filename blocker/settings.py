"""Service settings: everything secret or machine-specific, never in the rules YAML.

Read from the environment (prefix ``BLOCKER_``), then ``.env``, then the file named
by ``BLOCKER_SETTINGS_FILE``. Placeholder secrets ("changeme", "<your key>") are
refused up front with a :class:`SettingsError` naming the variable, because a
service that starts with a fake key fails much later and much more confusingly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from blocker.errors import SettingsError

ENV_PREFIX = "BLOCKER_"
SETTINGS_FILE_VAR = "BLOCKER_SETTINGS_FILE"
REMOTE_PROVIDERS = frozenset({"google", "outlook"})

_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "xxx",
        "todo",
        "placeholder",
        "your-secret",
        "your_secret",
        "none",
        "null",
    }
)
_ANGLE = re.compile(r"^<.*>$")


def is_placeholder(value: str) -> bool:
    """True for empty values and the usual copy-paste placeholders."""
    text = value.strip()
    if not text:
        return True
    lowered = text.lower()
    return lowered in _PLACEHOLDERS or bool(_ANGLE.match(text)) or set(lowered) <= {"x"}


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


class Settings(BaseSettings):
    """All service settings; build with ``Settings()`` (environment) or keyword arguments."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str = "sqlite:///./blocker.db"
    encryption_key: SecretStr | None = None
    api_token: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    jobs_backend: Literal["apscheduler", "procrastinate"] = "apscheduler"
    rules_path: Path | None = None
    owner_email: str | None = None

    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_api_root: str = "https://www.googleapis.com/"
    google_auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    google_token_uri: str = "https://oauth2.googleapis.com/token"

    microsoft_client_id: str | None = None
    microsoft_client_secret: SecretStr | None = None
    microsoft_authority: str = "https://login.microsoftonline.com/common"
    microsoft_graph_root: str = "https://graph.microsoft.com/v1.0"
    microsoft_ca_bundle: Path | None = None
    """CA bundle msal trusts for the identity platform (tests: a trustme CA); None: default."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Add the file named by ``BLOCKER_SETTINGS_FILE`` below the environment and .env."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        extra = os.environ.get(SETTINGS_FILE_VAR)
        if extra:
            path = Path(extra)
            if not path.is_file():
                raise SettingsError(f"{SETTINGS_FILE_VAR}={extra}: no such file")
            sources.append(DotEnvSettingsSource(settings_cls, env_file=path))
        sources.append(file_secret_settings)
        return tuple(sources)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        for field in (
            "encryption_key",
            "api_token",
            "google_client_secret",
            "microsoft_client_secret",
        ):
            value = getattr(self, field)
            if value is not None and is_placeholder(value.get_secret_value()):
                raise SettingsError(
                    f"{env_name(field)} is empty or a placeholder: set a real value",
                )
        for field in ("google_client_id", "microsoft_client_id"):
            raw = getattr(self, field)
            if raw is not None and is_placeholder(raw):
                raise SettingsError(f"{env_name(field)} is empty or a placeholder")
        if (self.google_client_id or self.microsoft_client_id) and self.encryption_key is None:
            raise SettingsError(
                f"{env_name('encryption_key')} is required when a Google or Microsoft "
                "client is configured: OAuth tokens are stored encrypted",
            )
        if self.jobs_backend == "procrastinate" and self.database_url.startswith("sqlite"):
            raise SettingsError(
                f"{env_name('jobs_backend')}=procrastinate needs PostgreSQL, "
                f"but {env_name('database_url')} is SQLite",
            )
        return self

    def require_for_providers(self, providers: Iterable[str]) -> None:
        """Fail early when the rules name a remote calendar the settings cannot serve."""
        wanted = set(providers) & REMOTE_PROVIDERS
        if wanted and self.encryption_key is None:
            names = ", ".join(sorted(wanted))
            raise SettingsError(
                f"{env_name('encryption_key')} is required for {names} calendars: "
                "their tokens are stored encrypted",
            )
        if "google" in wanted and not (self.google_client_id and self.google_client_secret):
            raise SettingsError(
                f"{env_name('google_client_id')} and {env_name('google_client_secret')} "
                "are required for google calendars",
            )
        if "outlook" in wanted and not (self.microsoft_client_id and self.microsoft_client_secret):
            raise SettingsError(
                f"{env_name('microsoft_client_id')} and {env_name('microsoft_client_secret')} "
                "are required for outlook calendars",
            )


__all__ = ["REMOTE_PROVIDERS", "Settings", "env_name", "is_placeholder"]
