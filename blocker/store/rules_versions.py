"""Saved versions of the rules YAML, for the API's edit and rollback.

Rolling back flips ``is_current`` to an older row instead of copying it, so the
history stays a plain list of what was saved. Saving the text already in force
adds nothing (the current version's id comes back), and ``keep`` bounds the
history: the oldest versions beyond it are deleted, never the current one.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from blocker.core.errors import StoreError
from blocker.store.base import StoreBase
from blocker.store.records import RulesVersion
from blocker.store.tables import RulesVersionRow

_RULES_LOCK = 0x72756C65  # "rule": one writer of is_current at a time


class RulesVersionNotFound(StoreError, LookupError):
    """No saved rules version with that id."""

    hint = "list the saved versions and pick one of their ids"


def _version(row: RulesVersionRow) -> RulesVersion:
    return RulesVersion(
        id=row.id, text=row.text, created_at=row.created_at, is_current=row.is_current
    )


class RulesVersionStore(StoreBase):
    def save_rules_version(self, text: str, *, keep: int | None = None) -> int:
        """Save ``text`` (already validated by the caller) as the current rules; its id.

        The same text as the current version saves nothing and answers that version's
        id. With ``keep``, only the newest ``keep`` versions (and the current) remain.
        """
        with self._tx() as s:
            self._serialize(s, _RULES_LOCK)
            current = s.scalars(
                select(RulesVersionRow)
                .where(RulesVersionRow.is_current.is_(True))
                .order_by(RulesVersionRow.id.desc())
                .limit(1)
            ).first()
            if current is not None and current.text == text:
                return current.id
            s.execute(
                update(RulesVersionRow)
                .where(RulesVersionRow.is_current.is_(True))
                .values(is_current=False)
            )
            row = RulesVersionRow(text=text, created_at=self._now(), is_current=True)
            s.add(row)
            s.flush()
            if keep is not None:
                self._prune(s, keep)
            return row.id

    def _prune(self, s: Session, keep: int) -> None:
        """Delete versions older than the newest ``keep`` (the current one always stays)."""
        newest = select(RulesVersionRow.id).order_by(RulesVersionRow.id.desc()).limit(max(1, keep))
        kept = set(s.scalars(newest))
        s.execute(
            delete(RulesVersionRow).where(
                RulesVersionRow.id.not_in(kept), RulesVersionRow.is_current.is_(False)
            )
        )

    def current_rules(self) -> RulesVersion | None:
        """The rules in force (writers are serialised, so at most one row is current)."""
        with self._tx() as s:
            row = s.scalars(
                select(RulesVersionRow)
                .where(RulesVersionRow.is_current.is_(True))
                .order_by(RulesVersionRow.id.desc())
                .limit(1)
            ).first()
            return None if row is None else _version(row)

    def get_rules_version(self, version_id: int) -> RulesVersion | None:
        with self._tx() as s:
            row = s.get(RulesVersionRow, version_id)
            return None if row is None else _version(row)

    def rules_versions(self, limit: int = 20) -> list[RulesVersion]:
        """Newest first."""
        with self._tx() as s:
            rows = s.scalars(
                select(RulesVersionRow).order_by(RulesVersionRow.id.desc()).limit(limit)
            )
            return [_version(row) for row in rows]

    def rules_version_list(self, limit: int = 50) -> list[RulesVersion]:
        """Newest first, without the texts (``text`` is ""): for listings."""
        with self._tx() as s:
            rows = s.execute(
                select(RulesVersionRow.id, RulesVersionRow.created_at, RulesVersionRow.is_current)
                .order_by(RulesVersionRow.id.desc())
                .limit(limit)
            )
            return [
                RulesVersion(id=r.id, text="", created_at=r.created_at, is_current=r.is_current)
                for r in rows
            ]

    def restore_rules_version(self, version_id: int) -> RulesVersion:
        """Make an earlier version current again (rollback)."""
        with self._tx() as s:
            self._serialize(s, _RULES_LOCK)
            row = s.get(RulesVersionRow, version_id)
            if row is None:
                raise RulesVersionNotFound(f"no rules version {version_id}")
            s.execute(
                update(RulesVersionRow)
                .where(RulesVersionRow.is_current.is_(True), RulesVersionRow.id != version_id)
                .values(is_current=False)
            )
            # A statement, not ``row.is_current = True``: on SQLite the read above
            # runs before the write lock, so the loaded row may say "current" while
            # another writer has since cleared it, and the attribute would not change.
            s.execute(
                update(RulesVersionRow)
                .where(RulesVersionRow.id == version_id)
                .values(is_current=True)
            )
            s.refresh(row)
            return _version(row)


__all__ = ["RulesVersionNotFound", "RulesVersionStore"]
