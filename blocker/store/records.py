"""What the repository hands out: frozen records, never live ORM objects.

Detached ORM instances lazy-load and expire; frozen dataclasses do not, so they
are safe to pass across threads and into the web layer. None of them carries a
token or a channel secret: those are fetched or checked explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ProviderName = Literal["local", "google", "outlook", "memory"]
ConnectionStatus = Literal["connected", "needs_reconnect", "disconnected"]
PROVIDERS: tuple[ProviderName, ...] = ("local", "google", "outlook", "memory")
STATUSES: tuple[ConnectionStatus, ...] = ("connected", "needs_reconnect", "disconnected")


@dataclass(frozen=True, slots=True)
class Connection:
    """One calendar the service manages, and whether it can still reach it."""

    calendar_id: str
    user_hash: str
    """The owner's address as stored: a keyed hash (see ``Store.user_key``)."""
    user_domain: str
    user_timezone: str
    provider: ProviderName
    account_label: str
    """Decrypted (stored encrypted: for Outlook it is the mailbox address)."""
    status: ConnectionStatus
    status_reason: str
    provider_calendar_id: str | None
    has_tokens: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Channel:
    """A push channel (Google) or subscription (Graph); its secret is stored hashed."""

    calendar_id: str
    provider: ProviderName
    channel_id: str
    resource_id: str | None
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RulesVersion:
    """One saved edit of the rules YAML; ``is_current`` marks the one in force."""

    id: int
    text: str
    created_at: datetime
    is_current: bool


@dataclass(frozen=True, slots=True)
class ScheduleState:
    """When a calendar is next due for plan generation and polling (UTC)."""

    calendar_id: str
    next_generate_at: datetime | None
    next_poll_at: datetime | None
    last_run_at: datetime | None


__all__ = [
    "PROVIDERS",
    "STATUSES",
    "Channel",
    "Connection",
    "ConnectionStatus",
    "ProviderName",
    "RulesVersion",
    "ScheduleState",
]
