"""Users and calendar connections, with their tokens encrypted at rest.

A user is stored as a keyed hash of the address plus its domain
(:mod:`blocker.store.identity`): every look-up by address hashes it first. A
connection's account label (for Outlook the signed-in mailbox, a full address)
is encrypted like the tokens; records carry it decrypted.
"""

from __future__ import annotations

from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from blocker.core.errors import SettingsError, StoreError
from blocker.store.base import StoreBase
from blocker.store.identity import EMAIL_SALT, email_domain, email_hash, new_salt
from blocker.store.records import (
    PROVIDERS,
    STATUSES,
    Connection,
    ConnectionStatus,
    ProviderName,
)
from blocker.store.tables import CalendarConnection, CapabilityFallback, InstallSecret, User


class UnknownCalendar(StoreError, LookupError):
    """No connection row for this calendar id."""

    hint = "connect the calendar first (dashboard or `blocker connect`)"


_FERNET_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80)


class AccountStore(StoreBase):
    """Users, their calendar connections and each connection's token blob."""

    _email_salt: str | None = None

    def _salt(self) -> str:
        """The install's email salt, in its own committed transaction, then cached.

        The migration makes it; a database emptied since (tests) gets a new one.
        """
        if self._email_salt is None:
            with self._tx() as s:
                row = {"name": EMAIL_SALT, "value": new_salt()}
                self._upsert(s, InstallSecret, row, ("name",), insert_only=("value",))
                query = select(InstallSecret.value).where(InstallSecret.name == EMAIL_SALT)
                salt = s.scalar(query)
            assert salt is not None  # just upserted
            self._email_salt = salt
        return self._email_salt

    def user_key(self, email: str) -> str:
        """The stored form of ``email``: its keyed hash (hex). Raises on a non-address."""
        return email_hash(self._salt(), email)

    def _seal_label(self, label: str) -> str:
        """Encrypt a label for the table; an empty one stays empty (nothing to hide)."""
        return self._cipher.encrypt(label.encode("utf-8")).decode("ascii") if label else ""

    def _open_label(self, stored: str) -> str:
        """The clear label; one stored before labels were encrypted is returned as is,
        and one the key cannot open reads as empty (its tokens are unusable too)."""
        if not stored.startswith(_FERNET_PREFIX):
            return stored
        try:
            return self._cipher.decrypt(stored.encode("ascii")).decode("utf-8")
        except SettingsError:
            return ""

    def seal_account_labels(self) -> int:
        """Encrypt labels still stored in clear (rows from before 0005); how many were."""
        with self._tx() as s:
            rows = s.scalars(
                select(CalendarConnection).where(
                    CalendarConnection.account_label != "",
                    CalendarConnection.account_label.not_like(f"{_FERNET_PREFIX}%"),
                )
            ).all()
            for row in rows:
                row.account_label = self._seal_label(row.account_label)
            return len(rows)

    def _connection(self, row: CalendarConnection) -> Connection:
        return Connection(
            calendar_id=row.calendar_id,
            user_hash=row.user.email_hash,
            user_domain=row.user.email_domain,
            user_timezone=row.user.timezone,
            provider=cast(ProviderName, row.provider),
            account_label=self._open_label(row.account_label),
            status=cast(ConnectionStatus, row.status),
            status_reason=row.status_reason,
            provider_calendar_id=row.provider_calendar_id,
            has_tokens=row.token_blob is not None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _ensure_user(self, s: Session, hashed: str, email: str, timezone: str | None) -> int:
        if timezone is not None:
            try:
                ZoneInfo(timezone)  # unknown zone names fail here, not at planning time
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {timezone!r}") from exc
        values = {
            "email_hash": hashed,
            "email_domain": email_domain(email),
            "timezone": timezone or "UTC",
            "created_at": self._now(),
            "email_sealed": self._seal_label(email),
        }
        self._upsert(
            s,
            User,
            values,
            ("email_hash",),
            insert_only=("created_at",) if timezone else ("created_at", "timezone"),
        )
        user_id = s.scalar(select(User.id).where(User.email_hash == hashed))
        assert user_id is not None  # just upserted in this transaction
        return user_id

    def ensure_user(self, email: str, timezone: str | None = None) -> int:
        """The user's id, creating the user (zone ``UTC`` unless given); updates the zone.

        Only the address's keyed hash and its domain are stored.
        """
        hashed = self.user_key(email)
        with self._tx() as s:
            return self._ensure_user(s, hashed, email, timezone)

    def upsert_connection(
        self,
        calendar_id: str,
        *,
        user_email: str,
        provider: ProviderName,
        account_label: str = "",
        provider_calendar_id: str | None = None,
        tokens: bytes | None = None,
        user_timezone: str | None = None,
    ) -> Connection:
        """Create or refresh a connection; it is ``connected`` afterwards.

        ``tokens`` (Google refresh-token JSON, msal's serialized cache) are
        encrypted before they reach the table; None keeps the stored ones. New
        tokens clear the calendar's capability fallbacks (``provider_state``).
        """
        if provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; expected one of {PROVIDERS}")
        now = self._now()
        hashed = self.user_key(user_email)
        with self._tx() as s:
            user_id = self._ensure_user(s, hashed, user_email, user_timezone)
            values: dict[str, object] = {
                "calendar_id": calendar_id,
                "user_id": user_id,
                "provider": provider,
                "account_label": self._seal_label(account_label),
                "status": "connected",
                "status_reason": "",
                "provider_calendar_id": provider_calendar_id,
                "created_at": now,
                "updated_at": now,
            }
            if tokens is not None:
                values["token_blob"] = self._cipher.encrypt(tokens)
                # a new grant may allow what the old one did not: try everything again
                s.execute(
                    delete(CapabilityFallback).where(CapabilityFallback.calendar_id == calendar_id)
                )
            self._upsert(
                s, CalendarConnection, values, ("calendar_id",), insert_only=("created_at",)
            )
            return self._connection(self._row(s, calendar_id))

    def _row(self, s: Session, calendar_id: str) -> CalendarConnection:
        row = s.scalars(
            select(CalendarConnection).where(CalendarConnection.calendar_id == calendar_id)
        ).first()
        if row is None:
            raise UnknownCalendar(f"no calendar connection {calendar_id!r}")
        return row

    def get_connection(self, calendar_id: str) -> Connection | None:
        with self._tx() as s:
            try:
                return self._connection(self._row(s, calendar_id))
            except UnknownCalendar:
                return None

    def list_connections(
        self, *, user_email: str | None = None, status: ConnectionStatus | None = None
    ) -> list[Connection]:
        """Connections ordered by calendar id, optionally of one user or one status."""
        query = select(CalendarConnection).join(User).order_by(CalendarConnection.calendar_id)
        if status is not None:
            query = query.where(CalendarConnection.status == status)
        if user_email is not None:
            query = query.where(User.email_hash == self.user_key(user_email))
        with self._tx() as s:
            return [self._connection(row) for row in s.scalars(query)]

    def set_connection_status(
        self, calendar_id: str, status: ConnectionStatus, reason: str = ""
    ) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
        with self._tx() as s:
            result = s.execute(
                update(CalendarConnection)
                .where(CalendarConnection.calendar_id == calendar_id)
                .values(status=status, status_reason=reason, updated_at=self._now())
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise UnknownCalendar(f"no calendar connection {calendar_id!r}")

    def mark_needs_reconnect(self, calendar_id: str, reason: str) -> None:
        """The provider refused our tokens: show the user why, stop scheduling runs."""
        self.set_connection_status(calendar_id, "needs_reconnect", reason)

    def disconnect(self, calendar_id: str, reason: str = "disconnected by the user") -> None:
        """Stop managing the calendar and forget its tokens (they are not needed any more)."""
        with self._tx() as s:
            row = self._row(s, calendar_id)
            row.status = "disconnected"
            row.status_reason = reason
            row.token_blob = None
            row.updated_at = self._now()

    def connection_tokens(self, calendar_id: str) -> bytes | None:
        """The decrypted token blob, None if none is stored; SettingsError on a wrong key."""
        with self._tx() as s:
            blob = self._row(s, calendar_id).token_blob
        return None if blob is None else self._cipher.decrypt(blob)

    def save_connection_tokens(self, calendar_id: str, blob: bytes) -> None:
        """Replace the token blob (e.g. msal's cache after ``has_state_changed``)."""
        encrypted = self._cipher.encrypt(blob)
        with self._tx() as s:
            row = self._row(s, calendar_id)
            row.token_blob = encrypted
            row.updated_at = self._now()


__all__ = ["AccountStore", "UnknownCalendar"]
