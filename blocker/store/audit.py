"""The audit log: who changed rules, people, roles, invitations, domains and tokens.

Entries are written by the layer that knows who acted (the web routes, the CLI)
with :meth:`AuditStore.record_audit`, on the store's clock; a store change that is
told its actor (the team's people, roles, invitations, domains:
:mod:`blocker.store.teams`) writes its entry with :func:`add_audit_entry` in the
change's own transaction, so a change is never without its entry nor the reverse.
Callers name people by fingerprint and domain (:attr:`blocker.store.teams.TeamUser.fingerprint`),
never by address, and never pass a secret; the lengths are capped here so a
runaway caller cannot fill the table with one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from blocker.store.base import StoreBase
from blocker.store.tables import AuditEntry

__all__ = ["MAX_PAGE", "AuditRecord", "AuditStore", "add_audit_entry"]

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def add_audit_entry(
    s: Session, at: datetime, actor: str, action: str, target: str = "", detail: str = ""
) -> AuditEntry:
    """Add one entry to the transaction ``s`` (lengths capped); flushed, so it has an id."""
    row = AuditEntry(
        at=at, actor=actor[:200], action=action[:64], target=target[:300], detail=detail[:1000]
    )
    s.add(row)
    s.flush()
    return row


class AuditStore(StoreBase):
    """Append entries; read them newest first, a page at a time."""

    def record_audit(self, actor: str, action: str, target: str = "", detail: str = "") -> int:
        """Append one entry at the store's "now"; its id."""
        with self._tx() as s:
            return add_audit_entry(s, self._now(), actor, action, target, detail).id

    def audit_entries(
        self, *, since: datetime | None = None, before_id: int | None = None, limit: int = 50
    ) -> list[AuditRecord]:
        """Newest first: at most ``limit`` entries at or after ``since`` with an id below
        ``before_id`` (the last id of the previous page)."""
        query = select(AuditEntry)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        query = query.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, MAX_PAGE)))
        with self._tx() as s:
            return [
                AuditRecord(r.id, r.at, r.actor, r.action, r.target, r.detail)
                for r in s.scalars(query)
            ]
