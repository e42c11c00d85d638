"""Team members, their roles, and who may join (sessions: :mod:`.user_sessions`).

Everything about a person is kept as the store keeps users already: the keyed
hash of the address and its domain (:mod:`blocker.store.identity`), and the
address sealed with the store's key (0013). Admins name people by address;
every call hashes it first.

Admission (:meth:`TeamStore.admit`) runs in one transaction, so an invitation
is taken exactly once even when two sign-ins race.

Changes an admin makes (role, disabling, invitations, domains) take the ``actor``
(who to name in the audit log) and write their audit entry in the change's own
transaction. They name a person by address (the CLI) or by user id (the admin
page, which may not know an old user's address). Two guard rails hold for every
caller: the last enabled admin can be neither demoted nor disabled (:class:`LastAdmin`),
and disabling someone ends their sessions *and* revokes their personal API tokens,
so enabling them again does not bring back credentials they may have lost.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from blocker.core.errors import InvalidInput
from blocker.store.audit import add_audit_entry
from blocker.store.identity import email_domain
from blocker.store.invitations import InvitationStore
from blocker.store.tables import (
    ROLES,
    AllowedDomain,
    ApiToken,
    CalendarConnection,
    Invitation,
    User,
    UserIdentity,
)
from blocker.store.user_sessions import Role, SessionUser, TeamUser, UserSessionStore
from blocker.store.user_sessions import team_user_record as _record

UserRef = str | int
"""A person as a caller names them: an address, or a user id."""
Refusal = Literal["disabled", "not_allowed", "other_account"]

__all__ = [
    "ROLES",
    "Admission",
    "LastAdmin",
    "Refusal",
    "Role",
    "RosterRow",
    "SessionUser",
    "TeamStore",
    "TeamUser",
    "UnknownUser",
    "UserRef",
    "check_role",
    "normal_domain",
]


class UnknownUser(InvalidInput, LookupError):
    """No user with that address."""

    hint = "`blocker user list` shows who is known (by domain and fingerprint)"


class LastAdmin(InvalidInput):
    """The change would leave the team without an enabled admin."""

    hint = "make someone else an admin first, then change this one"


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


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One line of the admin's list of people."""

    user: TeamUser
    email: str | None
    """The address when known (sealed since 0013 under this store's key), else None."""
    connected: int
    """Calendars connected (status ``connected``)."""


@dataclass(frozen=True, slots=True)
class Admission:
    """The result of a sign-in's "may this address come in": a user, or why not."""

    user: TeamUser | None
    refusal: Refusal | None = None
    invited: bool = False


class TeamStore(UserSessionStore, InvitationStore):
    """Roles, disabling, invitations (cancelling: :class:`InvitationStore`), allowed
    domains and user sessions."""

    # -- users ----------------------------------------------------------------------

    def _user_row(self, s: Session, who: UserRef) -> User:
        if isinstance(who, int):
            found = s.get(User, who)
            if found is None:
                raise UnknownUser(f"no user with id {who}")
            return found
        row = s.scalars(select(User).where(User.email_hash == self.user_key(who))).first()
        if row is None:
            raise UnknownUser(f"no user with that address (at {email_domain(who)})")
        return row

    def _audit(self, s: Session, actor: str | None, action: str, target: str, detail: str) -> None:
        if actor is not None:
            add_audit_entry(s, self._now(), actor, action, target, detail)

    def _keep_an_admin(self, s: Session, row: User, role: str, disabled: bool) -> None:
        """Refuse a change that leaves no enabled admin (serialised, so two admins
        demoting each other at once cannot both succeed)."""
        if row.role != "admin" or row.disabled or (role == "admin" and not disabled):
            return
        self._serialize(s, 0x7465616D)
        others = s.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.disabled.is_(False), User.id != row.id)
        )
        if not others:
            raise LastAdmin(
                f"user {row.email_hash[:10]} at {row.email_domain} is the last enabled admin: "
                "the team would have nobody to manage it"
            )

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

    def add_team_user(
        self, email: str, role: str | None = None, *, actor: str | None = None
    ) -> TeamUser:
        """Create the user (a member unless ``role``), or enable them again; a known
        user keeps their role unless one is given."""
        chosen = check_role(role) if role is not None else None
        with self._tx() as s:
            user_id = self._ensure_user(s, self.user_key(email), email, None)
            row = s.get(User, user_id, populate_existing=True)
            assert row is not None
            self._keep_an_admin(s, row, chosen or row.role, False)
            row.disabled = False
            if chosen is not None:
                row.role = chosen
            s.flush()
            self._audit(s, actor, "user.add", _record(row).audit_name, f"role {row.role}, enabled")
            return _record(row)

    def team_users(self) -> list[TeamUser]:
        with self._tx() as s:
            rows = s.scalars(select(User).order_by(User.email_domain, User.id)).all()
            return [_record(row) for row in rows]

    def team_roster(self, *, limit: int = 200, offset: int = 0) -> list[RosterRow]:
        """A page of people (by domain, then id) with address when known and how many
        calendars each has connected: one query, whatever the page size."""
        connected = (
            select(CalendarConnection.user_id, func.count().label("n"))
            .where(CalendarConnection.status == "connected")
            .group_by(CalendarConnection.user_id)
            .subquery()
        )
        query = (
            select(User, func.coalesce(connected.c.n, 0))
            .outerjoin(connected, connected.c.user_id == User.id)
            .order_by(User.email_domain, User.id)
            .limit(max(1, limit))
            .offset(max(0, offset))
        )
        with self._tx() as s:
            rows = s.execute(query).all()
        return [
            RosterRow(_record(row), self._open_label(row.email_sealed) or None, int(count))
            for row, count in rows
        ]

    def team_user_count(self) -> int:
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(User)) or 0)

    def set_user_role(self, who: UserRef, role: str, *, actor: str | None = None) -> TeamUser:
        """Change a person's role (:class:`LastAdmin` if it would leave no enabled admin)."""
        role = check_role(role)
        with self._tx() as s:
            row = self._user_row(s, who)
            self._keep_an_admin(s, row, role, row.disabled)
            before, row.role = row.role, role
            self._audit(s, actor, "user.role", _record(row).audit_name, f"role {before} -> {role}")
            return _record(row)

    def set_user_disabled(
        self, who: UserRef, disabled: bool, *, actor: str | None = None
    ) -> TeamUser:
        """Disable (every session of the user ends and every personal API token of
        theirs is revoked, at once) or enable again (their tokens stay revoked)."""
        with self._tx() as s:
            row = self._user_row(s, who)
            self._keep_an_admin(s, row, row.role, disabled)
            row.disabled = disabled
            detail = "enabled"
            if disabled:
                sessions = self._revoke_all(s, row.id)
                tokens = s.execute(
                    update(ApiToken)
                    .where(ApiToken.user_id == row.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=self._now())
                )
                count = int(getattr(tokens, "rowcount", 0))
                detail = f"{sessions} session(s) ended, {count} token(s) revoked"
            action = "user.disable" if disabled else "user.enable"
            self._audit(s, actor, action, _record(row).audit_name, detail)
            return _record(row)

    # -- who may join -----------------------------------------------------------------

    def invite(
        self, email: str, role: str, expires_at: datetime, *, actor: str | None = None
    ) -> None:
        """Let ``email`` join with ``role`` until ``expires_at`` (a new invite replaces one)."""
        hashed, domain = self.user_key(email), email_domain(email)
        values = {
            "email_hash": hashed,
            "email_domain": domain,
            "role": check_role(role),
            "created_at": self._now(),
            "expires_at": expires_at,
        }
        with self._tx() as s:
            self._upsert(s, Invitation, values, ("email_hash",))
            target = f"user {hashed[:10]} at {domain}"
            self._audit(
                s, actor, "invitation.create", target, f"role {role}, until {expires_at:%Y-%m-%d}"
            )

    def invitations(self) -> list[tuple[str, str, datetime]]:
        """(domain, role, expires_at) of invitations not yet taken or expired."""
        return [(i.domain, i.role, i.expires_at) for i in self.open_invitations()]

    def allow_domain(self, domain: str, *, actor: str | None = None) -> str:
        name = normal_domain(domain)
        with self._tx() as s:
            values = {"domain": name, "created_at": self._now()}
            self._upsert(s, AllowedDomain, values, ("domain",), insert_only=("created_at",))
            self._audit(s, actor, "domain.allow", name, "")
        return name

    def disallow_domain(self, domain: str, *, actor: str | None = None) -> bool:
        """Stop new people of ``domain`` joining; False when it was not allowed (then
        nothing is audited: nothing changed)."""
        name = normal_domain(domain)
        with self._tx() as s:
            gone = s.execute(delete(AllowedDomain).where(AllowedDomain.domain == name))
            removed = bool(getattr(gone, "rowcount", 0))
            if removed:
                self._audit(s, actor, "domain.disallow", name, "")
            return removed

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

    def forget_accounts(self, who: UserRef, *, actor: str | None = None) -> int:
        """Let the user's next sign-in with each provider be recorded afresh."""
        with self._tx() as s:
            row = self._user_row(s, who)
            done = s.execute(delete(UserIdentity).where(UserIdentity.user_id == row.id))
            found = int(getattr(done, "rowcount", 0))
            target = _record(row).audit_name
            self._audit(s, actor, "user.forget_accounts", target, f"{found} account(s)")
            return found

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
