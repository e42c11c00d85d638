"""One error tree for the whole product.

Providers translate their library's errors into these at the boundary, so the
sync engine, the scheduler and the web layer decide what to do from the class
alone, and every message tells the user what to do next::

    BlockerError
    ├── RulesError                 rules YAML invalid; .problems lists every one, located
    ├── SettingsError              settings missing or a placeholder secret
    ├── InvalidInput               a bad argument (week, format, path)
    ├── StoreError                 database unreachable or schema out of date
    └── ProviderError              anything a calendar system said
        ├── ReconnectRequired      token revoked / consent withdrawn: user must reconnect
        ├── TransientError         worth retrying later (timeouts, 5xx)
        │   └── RateLimited        429 / 403 rateLimitExceeded; .retry_after seconds
        ├── SyncTokenExpired       410: drop the token, do a full read (a normal path)
        ├── PreconditionFailed     412: the event changed since we read it (etag)
        ├── EventNotFound          404 / 410 on one event: it is gone already
        └── OwnershipError         refused to write an event that is not ours
"""

from __future__ import annotations

from dataclasses import dataclass


class BlockerError(Exception):
    """Root of every error the product raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def user_message(self) -> str:
        """The message plus what to do about it, for CLI and API output."""
        text = str(self)
        return f"{text} ({self.hint})" if self.hint else text


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in a rules file."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class RulesError(BlockerError):
    """The rules are invalid; ``problems`` holds every problem found, not just the first."""

    hint = "fix the listed lines; the last valid rules stay in force"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid rules")


class SettingsError(BlockerError):
    hint = "set it in the environment (BLOCKER_...) or the settings file"


class InvalidInput(BlockerError):
    """A bad argument from the user (a week, a format, a missing file)."""


class StoreError(BlockerError):
    hint = "check BLOCKER_DATABASE_URL and run `alembic upgrade head`"


class ProviderError(BlockerError):
    """Something a calendar system said; ``provider`` names which one."""

    def __init__(self, message: str, *, provider: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.provider = provider


class ReconnectRequired(ProviderError):
    hint = (
        "the calendar connection was revoked or expired: "
        "connect it again from the dashboard or `blocker connect`"
    )


class TransientError(ProviderError):
    hint = "the calendar service is unavailable; the run will be retried"


class RateLimited(TransientError):
    hint = "the calendar service asked us to slow down; the run will be retried"

    def __init__(
        self, message: str, *, retry_after: float | None = None, provider: str = ""
    ) -> None:
        super().__init__(message, provider=provider)
        self.retry_after = retry_after


class SyncTokenExpired(ProviderError):
    hint = "a full read replaces the incremental one"


class PreconditionFailed(ProviderError):
    hint = "the event changed since it was read; the next run re-reads it"


class EventNotFound(ProviderError):
    hint = "the event is gone already"


class OwnershipError(ProviderError):
    hint = "csm-blocker only writes events it created (they carry its tag)"


__all__ = [
    "BlockerError",
    "EventNotFound",
    "InvalidInput",
    "OwnershipError",
    "PreconditionFailed",
    "Problem",
    "ProviderError",
    "RateLimited",
    "ReconnectRequired",
    "RulesError",
    "SettingsError",
    "StoreError",
    "SyncTokenExpired",
    "TransientError",
]
