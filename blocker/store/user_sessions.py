"""Signed-in users' sessions, and the record of a team member they carry.

Split from :mod:`blocker.store.teams` (which builds on it): a session's label (the
address it signed in with, for the account page) is encrypted with the store's key
and deleted when the session ends or expires; only a hash of the session id is kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from blocker.core.errors import SettingsError
from blocker.store.accounts import AccountStore
from blocker.store.tables import User, UserSession

Role = Literal["member", "lead", "admin"]

__all__ = ["Role", "SessionUser", "TeamUser", "UserSessionStore", "team_user_record"]


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TeamUser:
    id: int
    email_hash: str
    domain: str
    role: Role
    disabled: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    @property
    def fingerprint(self) -> str:
        """A short, stable handle for listings (the address itself is not kept)."""
        return self.email_hash[:10]

    @property
    def audit_name(self) -> str:
        """How the audit log names the person (never by address)."""
        return f"user {self.fingerprint} at {self.domain}"


@dataclass(frozen=True, slots=True)
class SessionUser:
    """A live user session: whose, signed in with which provider, shown as ``label``."""

    user: TeamUser
    provider: str
    label: str
    expires_at: datetime


def team_user_record(row: User) -> TeamUser:
    return TeamUser(
        id=row.id,
        email_hash=row.email_hash,
        domain=row.email_domain,
        role=cast(Role, row.role),
        disabled=row.disabled,
        created_at=row.created_at,
        last_sign_in_at=row.last_sign_in_at,
    )


class UserSessionStore(AccountStore):
    """Open, read and end users' sessions."""

    # -- sessions ----------------------------------------------------------------------

    def open_user_session(
        self, session_id: str, user_id: int, provider: str, label: str, expires_at: datetime
    ) -> None:
        sealed = self._cipher.encrypt(label.encode("utf-8")).decode("ascii")
        with self._tx() as s:
            now = self._now()
            s.execute(delete(UserSession).where(UserSession.expires_at <= now))
            s.add(
                UserSession(
                    session_hash=_session_hash(session_id),
                    user_id=user_id,
                    provider=provider,
                    label_sealed=sealed,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def user_session(self, session_id: str) -> SessionUser | None:
        """The live session ``session_id`` and its enabled user; None otherwise."""
        with self._tx() as s:
            row = s.get(UserSession, _session_hash(session_id))
            if row is None or row.revoked_at is not None or row.expires_at <= self._now():
                return None
            user = s.get(User, row.user_id)
            if user is None or user.disabled:
                return None
            try:
                label = self._cipher.decrypt(row.label_sealed.encode("ascii")).decode("utf-8")
            except SettingsError:  # sealed under a key this process does not have
                label = f"someone at {user.email_domain}"
            return SessionUser(team_user_record(user), row.provider, label, row.expires_at)

    def user_session_count(self, user_id: int) -> int:
        with self._tx() as s:
            query = select(func.count()).where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > self._now(),
            )
            return int(s.scalar(query) or 0)

    def _revoke_all(self, s: Session, user_id: int) -> int:
        done = s.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=self._now(), label_sealed="")
        )
        return int(getattr(done, "rowcount", 0))

    def revoke_user_session(self, session_id: str) -> None:
        with self._tx() as s:
            s.execute(
                update(UserSession)
                .where(UserSession.session_hash == _session_hash(session_id))
                .values(revoked_at=self._now(), label_sealed="")
            )

    def revoke_user_sessions(self, user_id: int) -> int:
        """Sign out everywhere: every live session of the user ends; how many did."""
        with self._tx() as s:
            return self._revoke_all(s, user_id)
