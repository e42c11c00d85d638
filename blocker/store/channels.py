"""Push channels (Google ``events.watch``) and subscriptions (Graph), secrets hashed.

The secret (Google channel token, Graph ``clientState``) only ever needs to be
*compared* with what a notification carries, so only its SHA-256 is stored: a
leaked table cannot be used to forge notifications. Secrets must be random
(``secrets.token_urlsafe(32)``), which makes an unsalted hash sufficient.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import cast

from sqlalchemy import delete, select

from blocker.store.base import StoreBase
from blocker.store.records import PROVIDERS, Channel, ProviderName
from blocker.store.tables import PushChannel


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _channel(row: PushChannel) -> Channel:
    return Channel(
        calendar_id=row.calendar_id,
        provider=cast(ProviderName, row.provider),
        channel_id=row.channel_id,
        resource_id=row.resource_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )


class ChannelStore(StoreBase):
    """Where webhooks look up and verify the channel a notification belongs to."""

    def save_channel(
        self,
        calendar_id: str,
        provider: ProviderName,
        channel_id: str,
        secret: str,
        expires_at: datetime,
        resource_id: str | None = None,
    ) -> Channel:
        """Record a new or renewed channel (same ``channel_id`` replaces the old row)."""
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; expected one of {PROVIDERS}")
        if not secret:
            raise ValueError("a channel needs a non-empty secret to verify notifications")
        with self._tx() as s:
            self._upsert(
                s,
                PushChannel,
                {
                    "calendar_id": calendar_id,
                    "provider": provider,
                    "channel_id": channel_id,
                    "secret_hash": _hash(secret),
                    "resource_id": resource_id,
                    "expires_at": expires_at,
                    "created_at": self._now(),
                },
                ("channel_id",),
                insert_only=("created_at",),
            )
            row = s.scalars(select(PushChannel).where(PushChannel.channel_id == channel_id)).one()
            return _channel(row)

    def find_channel(self, channel_id: str) -> Channel | None:
        with self._tx() as s:
            row = s.scalars(select(PushChannel).where(PushChannel.channel_id == channel_id)).first()
            return None if row is None else _channel(row)

    def verify_channel(self, channel_id: str, secret: str | None) -> Channel | None:
        """The channel if ``secret`` matches its stored hash, else None (reject the call)."""
        with self._tx() as s:
            row = s.scalars(select(PushChannel).where(PushChannel.channel_id == channel_id)).first()
            if row is None or secret is None:
                return None
            if not hmac.compare_digest(row.secret_hash, _hash(secret)):
                return None
            return _channel(row)

    def channels_for(self, calendar_id: str) -> list[Channel]:
        with self._tx() as s:
            rows = s.scalars(
                select(PushChannel)
                .where(PushChannel.calendar_id == calendar_id)
                .order_by(PushChannel.expires_at)
            )
            return [_channel(row) for row in rows]

    def channels_expiring(self, before: datetime) -> list[Channel]:
        """Channels that expire before ``before``, soonest first (renew these)."""
        with self._tx() as s:
            rows = s.scalars(
                select(PushChannel)
                .where(PushChannel.expires_at < before)
                .order_by(PushChannel.expires_at, PushChannel.channel_id)
            )
            return [_channel(row) for row in rows]

    def delete_channel(self, channel_id: str) -> bool:
        """Forget a channel; True if it existed."""
        with self._tx() as s:
            result = s.execute(delete(PushChannel).where(PushChannel.channel_id == channel_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]


__all__ = ["ChannelStore"]
