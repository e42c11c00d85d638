"""Personal API tokens at rest: a public prefix to find the row, a hash to prove it.

The store never sees a token's secret, only what :mod:`blocker.auth.tokens` hands it
(the prefix and the SHA-256 of the secret), so nothing here can leak one. Every
read joins the token's user: a disabled user's tokens are refused by the caller
with the user at hand, in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy import Select, select, update

from blocker.store.base import StoreBase
from blocker.store.tables import ApiToken, User

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per token: a busy script must not
turn every GET into a database write."""

__all__ = ["LAST_USED_RESOLUTION", "SCOPES", "ApiTokenRecord", "Scope", "TokenStore"]


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """A token as listings show it (no secret, no hash)."""

    id: int
    prefix: str
    name: str
    scope: Scope
    user_id: int
    user_fingerprint: str
    user_domain: str
    user_role: str
    user_disabled: bool
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @property
    def owner(self) -> str:
        return f"user {self.user_fingerprint} at {self.user_domain}"


def _record(row: ApiToken, user: User) -> ApiTokenRecord:
    return ApiTokenRecord(
        id=row.id,
        prefix=row.prefix,
        name=row.name,
        scope=cast(Scope, row.scope),
        user_id=user.id,
        user_fingerprint=user.email_hash[:10],
        user_domain=user.email_domain,
        user_role=user.role,
        user_disabled=user.disabled,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _with_owner() -> Select[ApiToken, User]:
    """Tokens joined to their owner (every read needs the owner's role and state)."""
    return select(ApiToken, User).join(User, User.id == ApiToken.user_id)


class TokenStore(StoreBase):
    """Create, find, list, touch and revoke personal API tokens."""

    def create_api_token(
        self,
        user_id: int,
        prefix: str,
        secret_hash: str,
        *,
        name: str,
        scope: Scope,
        expires_at: datetime | None,
    ) -> ApiTokenRecord:
        with self._tx() as s:
            user = s.get(User, user_id)
            if user is None:
                raise LookupError(f"no user {user_id}")
            row = ApiToken(
                prefix=prefix,
                secret_hash=secret_hash,
                user_id=user_id,
                name=name,
                scope=scope,
                created_at=self._now(),
                expires_at=expires_at,
            )
            s.add(row)
            s.flush()
            return _record(row, user)

    def api_token_for_check(self, prefix: str) -> tuple[ApiTokenRecord, str] | None:
        """The token with ``prefix`` and its stored secret hash (for the caller to compare)."""
        with self._tx() as s:
            found = s.execute(_with_owner().where(ApiToken.prefix == prefix)).first()
            if found is None:
                return None
            row, user = found
            return _record(row, user), row.secret_hash

    def touch_api_token(self, token_id: int) -> None:
        """Record a use now, unless one was recorded less than a minute ago."""
        now = self._now()
        with self._tx() as s:
            s.execute(
                update(ApiToken)
                .where(
                    ApiToken.id == token_id,
                    (ApiToken.last_used_at.is_(None))
                    | (ApiToken.last_used_at <= now - LAST_USED_RESOLUTION),
                )
                .values(last_used_at=now)
            )

    def api_tokens(self, user_id: int | None = None) -> list[ApiTokenRecord]:
        """Tokens (of one user, or everyone's), newest first; revoked ones included."""
        with self._tx() as s:
            query = _with_owner()
            if user_id is not None:
                query = query.where(ApiToken.user_id == user_id)
            rows = s.execute(query.order_by(ApiToken.id.desc())).all()
            return [_record(row, user) for row, user in rows]

    def revoke_api_token(self, token_id: int, user_id: int | None = None) -> ApiTokenRecord | None:
        """Revoke one token (only if it is ``user_id``'s, when given); None if no such
        token. Revoking a revoked token changes nothing and returns it."""
        with self._tx() as s:
            found = s.execute(_with_owner().where(ApiToken.id == token_id)).first()
            if found is None:
                return None
            row, user = found
            if user_id is not None and row.user_id != user_id:
                return None  # another user's token: as if it did not exist
            if row.revoked_at is None:
                row.revoked_at = self._now()
            return _record(row, user)
