"""Revoked dashboard sessions: signing out is final, whatever the browser keeps.

Session cookies are signed, not stored (blocker.web.routes.pages); signing out
records a SHA-256 of the session's random id until the time the session would
have expired anyway, so the list only holds sessions that could still be used.
Expired entries are dropped whenever another is added.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select

from blocker.store.base import StoreBase
from blocker.store.tables import RevokedSession


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore(StoreBase):
    def revoke_session(self, session_id: str, expires_at: datetime) -> None:
        """Refuse ``session_id`` from now on (until ``expires_at``, when it lapses anyway)."""
        with self._tx() as s:
            s.execute(delete(RevokedSession).where(RevokedSession.expires_at <= self._now()))
            self._upsert(
                s,
                RevokedSession,
                {"session_hash": _hash(session_id), "expires_at": expires_at},
                ("session_hash",),
            )

    def session_revoked(self, session_id: str) -> bool:
        with self._tx() as s:
            found = s.scalars(
                select(RevokedSession.session_hash).where(
                    RevokedSession.session_hash == _hash(session_id)
                )
            ).first()
            return found is not None

    def revoked_session_count(self) -> int:
        """Entries on the list (expired ones until the next sign-out prunes them)."""
        with self._tx() as s:
            return len(s.scalars(select(RevokedSession.session_hash)).all())


__all__ = ["SessionStore"]
