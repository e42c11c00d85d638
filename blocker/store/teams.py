"""Team members, their roles, who may join, and signed-in users' sessions.

Everything about a person is kept as the store keeps users already: the keyed
hash of the address and its domain (:mod:`blocker.store.identity`). Admins name
people by address; every call hashes it first. The one exception is a live
session's label (the address it signed in with, for the account page): it is
encrypted with the store's key and deleted when the session ends or expires.

Admission (:meth:`TeamStore.admit`) runs in one transaction, so an invitation
is taken exactly once even when two sign-ins race.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from blocker.core.errors import InvalidInput, SettingsError
from blocker.store.accounts import AccountStore
from blocker.store.identity import email_domain
from blocker.store.tables import (
    ROLES,
    AllowedDomain,
    Invitation,
    User,
    UserIdentity,
    UserSession,
)

Role = Literal["member", "lead", "admin"]
Refusal = Literal["disabled", "not_allowed", "other_account"]

__all__ = [
    "ROLES",
    "Admission",
    "Refusal",
    "Role",
    "SessionUser",
    "TeamStore",
    "TeamUser",
    "UnknownUser",
    "check_role",
    "normal_domain",
]


class UnknownUser(InvalidInput, LookupError):
    """No user with that address."""

    hint = "`blocker user list` shows who is known (by domain and fingerprint)"


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return cast(Role, role)


def normal_domain(domain: str) -> str:
    """``@Example.COM `` -> ``example.com``; refuses what cannot be a domain."""
    value = domain.strip().lower().removeprefix("@")
    if not value or "@" in value or "." not in value or any(c.isspace() for c in value):
        raise InvalidInput(f"not an email domain: {domain!r}")
    return value


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


@dataclass(frozen=True, slots=True)
class Admission:
    """The result of a sign-in's "may this address come in": a user, or why not."""

    user: TeamUser | None
    refusal: Refusal | None = None
    invited: bool = False


@dataclass(frozen=True, slots=True)
class SessionUser:
    """A live user session: whose, signed in with which provider, shown as ``label``."""

    user: TeamUser
    provider: str
    label: str
    expires_at: datetime


def _record(row: User) -> TeamUser:
    return TeamUser(
        id=row.id,
        email_hash=row.email_hash,
        domain=row.email_domain,
        role=cast(Role, row.role),
        disabled=row.disabled,
        created_at=row.created_at,
        last_sign_in_at=row.last_sign_in_at,
    )


class TeamStore(AccountStore):
    """Roles, disabling, invitations, allowed domains and user sessions."""

    # -- users ----------------------------------------------------------------------

    def _user_row(self, s: Session, email: str) -> User:
        row = s.scalars(select(User).where(User.email_hash == self.user_key(email))).first()
        if row is None:
            raise UnknownUser(f"no user with that address (at {email_domain(email)})")
        return row

    def team_user(self, email: str) -> TeamUser | None:
        with self._tx() as s:
            row = s.scalars(select(User).where(User.email_hash == self.user_key(email))).first()
            return _record(row) if row is not None else None

    def team_user_by_id(self, user_id: int) -> TeamUser | None:
        with self._tx() as s:
            row = s.get(User, user_id)
            return _record(row) if row is not None else None

    def user_email(self, user_id: int) -> str | None:
        """The user's address (kept encrypted), for acting for them without a session;
        None when not known (a user not seen since 0013, or another key's seal)."""
        with self._tx() as s:
            row = s.get(User, user_id)
            sealed = row.email_sealed if row is not None else ""
        return self._open_label(sealed) or None

    def add_team_user(self, email: str, role: str | None = None) -> TeamUser:
        """Create the user (a member unless ``role``), or enable them again; a known
        user keeps their role unless one is given."""
        values: dict[str, object] = {"disabled": False}
        if role is not None:
            values["role"] = check_role(role)
        with self._tx() as s:
            user_id = self._ensure_user(s, self.user_key(email), email, None)
            s.execute(update(User).where(User.id == user_id).values(**values))
            row = s.get(User, user_id, populate_existing=True)
            assert row is not None
            return _record(row)

    def team_users(self) -> list[TeamUser]:
        with self._tx() as s:
            rows = s.scalars(select(User).order_by(User.email_domain, User.id)).all()
            return [_record(row) for row in rows]

    def team_user_count(self) -> int:
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(User)) or 0)

    def set_user_role(self, email: str, role: str) -> TeamUser:
        role = check_role(role)
        with self._tx() as s:
            row = self._user_row(s, email)
            row.role = role
            return _record(row)

    def set_user_disabled(self, email: str, disabled: bool) -> TeamUser:
        """Disable (every session of the user ends at once) or enable again."""
        with self._tx() as s:
            row = self._user_row(s, email)
            row.disabled = disabled
            if disabled:
                self._revoke_all(s, row.id)
            return _record(row)

    # -- who may join -----------------------------------------------------------------

    def invite(self, email: str, role: str, expires_at: datetime) -> None:
        """Let ``email`` join with ``role`` until ``expires_at`` (a new invite replaces one)."""
        values = {
            "email_hash": self.user_key(email),
            "email_domain": email_domain(email),
            "role": check_role(role),
            "created_at": self._now(),
            "expires_at": expires_at,
        }
        with self._tx() as s:
            self._upsert(s, Invitation, values, ("email_hash",))

    def invitations(self) -> list[tuple[str, str, datetime]]:
        """(domain, role, expires_at) of invitations not yet taken or expired."""
        with self._tx() as s:
            rows = s.scalars(
                select(Invitation)
                .where(Invitation.expires_at > self._now())
                .order_by(Invitation.email_domain, Invitation.expires_at)
            ).all()
            return [(r.email_domain, r.role, r.expires_at) for r in rows]

    def allow_domain(self, domain: str) -> str:
        name = normal_domain(domain)
        with self._tx() as s:
            values = {"domain": name, "created_at": self._now()}
            self._upsert(s, AllowedDomain, values, ("domain",), insert_only=("created_at",))
        return name

    def disallow_domain(self, domain: str) -> bool:
        with self._tx() as s:
            gone = s.execute(
                delete(AllowedDomain).where(AllowedDomain.domain == normal_domain(domain))
            )
            return bool(getattr(gone, "rowcount", 0))

    def allowed_domains(self) -> list[str]:
        with self._tx() as s:
            return list(s.scalars(select(AllowedDomain.domain).order_by(AllowedDomain.domain)))

    def _subject_key(self, provider: str, subject: str) -> str:
        key = bytes.fromhex(self._salt())
        return hmac.new(key, f"{provider}\n{subject}".encode(), hashlib.sha256).hexdigest()

    def _same_account(self, s: Session, user_id: int, provider: str, subject: str) -> bool:
        """True when ``subject`` is the account of ``provider`` the user first came
        with (recorded now if this is their first sign-in with that provider)."""
        hashed = self._subject_key(provider, subject)
        known = s.get(UserIdentity, (user_id, provider))
        if known is None:
            s.add(
                UserIdentity(
                    user_id=user_id, provider=provider, subject_hash=hashed, created_at=self._now()
                )
            )
            return True
        return hmac.compare_digest(known.subject_hash, hashed)

    def forget_accounts(self, email: str) -> int:
        """Let the user's next sign-in with each provider be recorded afresh."""
        with self._tx() as s:
            row = self._user_row(s, email)
            done = s.execute(delete(UserIdentity).where(UserIdentity.user_id == row.id))
            return int(getattr(done, "rowcount", 0))

    def admit(self, email: str, provider: str, subject: str) -> Admission:
        """May ``email`` (verified by ``provider`` for its account ``subject``) come in,
        and as whom?

        A known user unless disabled or signing in with another account of a provider
        than the first time; else an unexpired invitation (taken, with its role); else
        a member when the domain is allowed; else refused.
        """
        hashed = self.user_key(email)
        now = self._now()
        with self._tx() as s:
            self._serialize(s, 0x7465616D)  # "team": two first sign-ins of one address
            row = s.scalars(select(User).where(User.email_hash == hashed)).first()
            if row is not None:
                if row.disabled:
                    return Admission(None, "disabled")
                if not self._same_account(s, row.id, provider, subject):
                    return Admission(None, "other_account")
                row.last_sign_in_at = now
                row.email_sealed = self._seal_label(email)  # users from before 0013
                return Admission(_record(row))
            invitation = s.get(Invitation, hashed)
            invited = invitation is not None and invitation.expires_at > now
            role = invitation.role if invitation is not None and invited else "member"
            if invitation is not None:
                s.delete(invitation)
            domain = email_domain(email)
            if not invited and s.get(AllowedDomain, domain) is None:
                return Admission(None, "not_allowed")
            user_id = self._ensure_user(s, hashed, email, None)
            s.execute(update(User).where(User.id == user_id).values(role=role, last_sign_in_at=now))
            self._same_account(s, user_id, provider, subject)
            created = s.get(User, user_id, populate_existing=True)
            assert created is not None
            return Admission(_record(created), invited=invited)

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
            return SessionUser(_record(user), row.provider, label, row.expires_at)

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
