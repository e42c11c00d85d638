"""Saved versions of the rules YAML, for the API's edit and rollback.

Rolling back flips ``is_current`` to an older row instead of copying it, so the
history stays a plain list of what was ever saved.
"""

from __future__ import annotations

from sqlalchemy import select, update

from blocker.errors import StoreError
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
    def save_rules_version(self, text: str) -> int:
        """Save ``text`` (already validated by the caller) as the current rules; its id."""
        with self._tx() as s:
            self._serialize(s, _RULES_LOCK)
            s.execute(
                update(RulesVersionRow)
                .where(RulesVersionRow.is_current.is_(True))
                .values(is_current=False)
            )
            row = RulesVersionRow(text=text, created_at=self._now(), is_current=True)
            s.add(row)
            s.flush()
            return row.id

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
            row.is_current = True
            s.flush()
            return _version(row)


__all__ = ["RulesVersionNotFound", "RulesVersionStore"]
