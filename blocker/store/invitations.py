"""Open invitations as the admin sees them, and cancelling one.

An invitation is stored by the keyed hash of the address (never the address), so
the admin page names one by that hash (its ``key``) and the CLI by the address,
which is hashed first. Creating one stays with the rest of "who may join"
(:meth:`blocker.store.teams.TeamStore.invite`).

Cancelling takes the same lock as a sign-in's admission, so an invitation is
either taken by its sign-in or cancelled, never both; one already taken cannot be
cancelled (the person has joined: disabling them is what takes access away). The
audit entry is written in the cancel's own transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from blocker.core.errors import InvalidInput
from blocker.store.accounts import AccountStore
from blocker.store.audit import add_audit_entry
from blocker.store.identity import email_domain
from blocker.store.tables import Invitation, User

__all__ = ["InvitationStore", "InvitationUsed", "OpenInvitation", "UnknownInvitation"]

_ADMISSION_LOCK = 0x7465616D
"""The lock :meth:`blocker.store.teams.TeamStore.admit` takes ("team")."""
_KEY = re.compile(r"[0-9a-f]{64}")


class UnknownInvitation(InvalidInput, LookupError):
    """No invitation for that address or key (never made, or cancelled already)."""

    hint = "the open invitations are listed on /admin/users and by `blocker user invitations`"


class InvitationUsed(InvalidInput):
    """The invitation was taken: its person signed in and joined."""

    hint = "to take their access away, disable them (/admin/users, `blocker user disable EMAIL`)"


@dataclass(frozen=True, slots=True)
class OpenInvitation:
    """One invitation not yet taken: by domain, since the address is not stored."""

    key: str
    """The address's keyed hash: how the admin page names the invitation."""
    domain: str
    role: str
    expires_at: datetime

    @property
    def audit_name(self) -> str:
        """How the audit log names the invited person (as ``invitation.create`` does)."""
        return f"user {self.key[:10]} at {self.domain}"


class InvitationStore(AccountStore):
    """Reading and cancelling invitations (making one: :class:`TeamStore`)."""

    def open_invitations(self) -> list[OpenInvitation]:
        """Invitations not yet taken or expired, by domain then expiry."""
        with self._tx() as s:
            rows = s.scalars(
                select(Invitation)
                .where(Invitation.expires_at > self._now())
                .order_by(Invitation.email_domain, Invitation.expires_at)
            ).all()
            return [_open(r) for r in rows]

    def cancel_invitation(self, who: str, *, actor: str | None = None) -> OpenInvitation:
        """Cancel the invitation of ``who`` (an address, or an invitation's key).

        Raises :class:`InvitationUsed` when its person has joined already and
        :class:`UnknownInvitation` when there is none (expired ones are cancelled
        too: they are still stored until a sign-in tries them).
        """
        if "@" in who:
            hashed, domain = self.user_key(who), email_domain(who)
        elif _KEY.fullmatch(who.strip()):
            hashed, domain = who.strip(), None
        else:
            raise UnknownInvitation(f"no invitation with the key {who.strip()[:80]!r}")
        with self._tx() as s:
            self._serialize(s, _ADMISSION_LOCK)
            row = s.get(Invitation, hashed)
            if row is None:
                joined = s.scalars(select(User).where(User.email_hash == hashed)).first()
                name = f"user {hashed[:10]} at {joined.email_domain if joined else domain}"
                if joined is not None:
                    raise InvitationUsed(
                        f"{name} has joined already (as {joined.role}): "
                        "their invitation was used, there is none left to cancel"
                    )
                if domain is None:
                    raise UnknownInvitation("no open invitation with that key")
                raise UnknownInvitation(f"no open invitation for {name}")
            cancelled = _open(row)
            s.delete(row)
            if actor is not None:
                detail = f"role {row.role}, was open until {row.expires_at:%Y-%m-%d}"
                add_audit_entry(
                    s, self._now(), actor, "invitation.cancel", cancelled.audit_name, detail
                )
            return cancelled


def _open(row: Invitation) -> OpenInvitation:
    return OpenInvitation(row.email_hash, row.email_domain, row.role, row.expires_at)
