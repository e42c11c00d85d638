"""Service settings: everything secret or machine-specific, never in the rules YAML.

Read from the environment (prefix ``BLOCKER_``), then ``.env``, then the file named
by ``BLOCKER_SETTINGS_FILE``. Placeholder secrets ("changeme", "<your key>") are
refused up front with a :class:`SettingsError` naming the variable, because a
service that starts with a fake key fails much later and much more confusingly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from blocker.core.errors import SettingsError
from providers.ics_expand import IcsLimits
from rules.limits import RulesLimits

ENV_PREFIX = "BLOCKER_"
SETTINGS_FILE_VAR = "BLOCKER_SETTINGS_FILE"

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

MIN_TOKEN_LENGTH = 16
MIN_TOKEN_DISTINCT = 8
_COMMON_WORDS = (
    "password",
    "passw0rd",
    "letmein",
    "qwerty",
    "admin",
    "welcome",
    "token",
    "secret",
    "changeme",
    "blocker",
    "test",
)
_FORWARD = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_RUNS: tuple[str, ...] = _FORWARD + tuple(run[::-1] for run in _FORWARD)


def _without_runs(text: str) -> str:
    """``text`` less every stretch of 4+ characters that is part of a keyboard/alphabet run."""
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and any(text[i : j + 1] in run for run in _RUNS):
            j += 1
        if j - i >= 4:
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def is_placeholder(value: str) -> bool:
    """True for empty values and the usual copy-paste placeholders."""
    text = value.strip()
    if not text:
        return True
    lowered = text.lower()
    return lowered in _PLACEHOLDERS or bool(_ANGLE.match(text)) or set(lowered) <= {"x"}


def token_weakness(value: str) -> str | None:
    """Why ``value`` is too weak to guard the API and the dashboard, or None if it is not.

    At least 16 characters, 8 of them different, and more than common words, keyboard
    runs and a few digits (``password-2026!``, ``qwertyuiop123456`` are refused).
    ``secrets.token_urlsafe(32)`` always passes.
    """
    if len(value) < MIN_TOKEN_LENGTH:
        return f"is shorter than {MIN_TOKEN_LENGTH} characters"
    if len(set(value)) < MIN_TOKEN_DISTINCT:
        return f"has fewer than {MIN_TOKEN_DISTINCT} different characters"
    rest = re.sub(r"[^a-z0-9]", "", value.lower())
    for word in _COMMON_WORDS:
        rest = rest.replace(word, "")
    if len(set(_without_runs(rest))) < 6:
        return "is made of common words, keyboard runs and a few digits"
    return None


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

    # -- bounds on the rules and the files they name (DESIGN principle 15) --
    data_dir: Path | None = None
    """Where files named in the rules live (accounts_file, calendar path/busy); None:
    the rules file's folder. Nothing outside it is read or written."""
    max_rules_bytes: int = Field(default=512 * 1024, ge=1024)
    """Largest rules document (file, API or dashboard edit)."""
    max_accounts: int = Field(default=10_000, ge=1)
    """Accounts in the rules or the accounts file."""
    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Largest file named in the rules that is read (accounts CSV, .ics)."""
    max_instances_per_series: int = Field(default=1_000, ge=1)
    """Occurrences of one recurring .ics event in one read window; a series with more
    is skipped and named."""
    max_instances: int = Field(default=20_000, ge=1)
    """Occurrences of one .ics file in one read window; events beyond are skipped."""
    max_recurrence_steps: int = Field(default=100_000, ge=100)
    """Work expanding one recurrence rule (ten times this per read): a rule that
    would take longer is skipped and named."""

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
    microsoft_colors: bool = True
    """Colour Outlook blocks with categories: sign-in also asks for MailboxSettings.ReadWrite
    (Outlook keeps categories there). False: uncoloured blocks, Calendars.ReadWrite only."""

    # -- teams: sign in with Google / Microsoft (OpenID Connect), see blocker.auth --
    signin_google_client_id: str | None = None
    signin_google_client_secret: SecretStr | None = None
    signin_google_issuer: str = "https://accounts.google.com"
    signin_microsoft_client_id: str | None = None
    signin_microsoft_client_secret: SecretStr | None = None
    signin_microsoft_tenant: str = "organizations"
    signin_microsoft_issuer: str = "https://login.microsoftonline.com/{tenant}/v2.0"
    invitation_days: int = Field(default=14, ge=1, le=365)
    """How long an invitation to join stays open."""

    metrics_token: SecretStr | None = None
    """When set, ``/metrics`` wants ``Authorization: Bearer <metrics_token>``; None: open."""
    api_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Largest request body of the API and the pages (rules edits included): 413 above."""
    webhook_max_body_bytes: int = Field(default=262_144, ge=1024)
    """Largest webhook body; refused (413) before it is read in full or parsed."""
    webhook_max_items: int = Field(default=100, ge=1)
    """Graph notification items looked at per request; the rest are counted and dropped."""
    webhook_rate_per_minute: int = Field(default=600, ge=1)
    """Webhook calls per source address per minute (a token bucket; 429 above)."""
    login_attempts_per_minute: int = Field(default=5, ge=1)
    """Failed dashboard sign-ins per source address per minute before 429."""
    rules_versions_kept: int = Field(default=50, ge=1)
    """Saved rules versions kept (the oldest beyond this are deleted; never the current)."""

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
            "metrics_token",
            "google_client_secret",
            "microsoft_client_secret",
            "signin_google_client_secret",
            "signin_microsoft_client_secret",
        ):
            value = getattr(self, field)
            if value is not None and is_placeholder(value.get_secret_value()):
                raise SettingsError(
                    f"{env_name(field)} is empty or a placeholder: set a real value",
                )
        for field in ("api_token", "metrics_token"):
            value = getattr(self, field)
            weakness = None if value is None else token_weakness(value.get_secret_value())
            if weakness is not None:
                raise SettingsError(
                    f"{env_name(field)} {weakness}: use a random one, e.g. "
                    'python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
                )
        for field in (
            "google_client_id",
            "microsoft_client_id",
            "signin_google_client_id",
            "signin_microsoft_client_id",
        ):
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

    def rules_limits(self) -> RulesLimits:
        """The bounds a rules load works within (see :mod:`rules.limits`)."""

        return RulesLimits(
            data_dir=self.data_dir,
            max_rules_bytes=self.max_rules_bytes,
            max_accounts=self.max_accounts,
            max_file_bytes=self.max_file_bytes,
        )

    def ics_limits(self) -> IcsLimits:
        """The bounds every .ics read works within (see :mod:`providers.ics_expand`)."""

        return IcsLimits(
            max_bytes=self.max_file_bytes,
            per_series=self.max_instances_per_series,
            per_read=self.max_instances,
            steps=self.max_recurrence_steps,
        )


__all__ = [
    "MIN_TOKEN_LENGTH",
    "Settings",
    "env_name",
    "is_placeholder",
    "token_weakness",
]
