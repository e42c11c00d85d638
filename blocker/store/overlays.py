"""Each user's overlay on the team template, versioned per user (issue 20, part 3),
and which user the template's calendars belong to.

Versions work as the team rules' do (:mod:`blocker.store.rules_versions`): saving the
text in force adds nothing, a restore flips ``is_current``, ``keep`` bounds the
history. Every call names the user, and a version id of another user is "not
found": one CSM can neither read nor restore another's overlay.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from blocker.store.base import StoreBase
from blocker.store.records import RulesVersion
from blocker.store.rules_versions import RulesVersionNotFound
from blocker.store.tables import CalendarConnection, RulesOverlayRow, User

_OVERLAY_LOCK = 0x6F766C79  # "ovly"
_OWNER_LOCK = 0x6F776E72  # "ownr"


def _version(row: RulesOverlayRow) -> RulesVersion:
    return RulesVersion(
        id=row.id, text=row.text, created_at=row.created_at, is_current=row.is_current
    )


class OverlayStore(StoreBase):
    def _current_overlay_row(self, s: Session, user_id: int) -> RulesOverlayRow | None:
        return s.scalars(
            select(RulesOverlayRow)
            .where(RulesOverlayRow.user_id == user_id, RulesOverlayRow.is_current.is_(True))
            .order_by(RulesOverlayRow.id.desc())
            .limit(1)
        ).first()

    def save_overlay(self, user_id: int, text: str, *, keep: int | None = None) -> int:
        """Save ``text`` (validated by the caller) as the user's overlay in force; its id."""
        with self._tx() as s:
            self._serialize(s, _OVERLAY_LOCK)
            current = self._current_overlay_row(s, user_id)
            if current is not None and current.text == text:
                return current.id
            s.execute(
                update(RulesOverlayRow)
                .where(RulesOverlayRow.user_id == user_id, RulesOverlayRow.is_current.is_(True))
                .values(is_current=False)
            )
            row = RulesOverlayRow(
                user_id=user_id, text=text, created_at=self._now(), is_current=True
            )
            s.add(row)
            s.flush()
            if keep is not None:
                newest = (
                    select(RulesOverlayRow.id)
                    .where(RulesOverlayRow.user_id == user_id)
                    .order_by(RulesOverlayRow.id.desc())
                    .limit(max(1, keep))
                )
                kept = set(s.scalars(newest))
                s.execute(
                    delete(RulesOverlayRow).where(
                        RulesOverlayRow.user_id == user_id,
                        RulesOverlayRow.id.not_in(kept),
                        RulesOverlayRow.is_current.is_(False),
                    )
                )
            return row.id

    def current_overlay(self, user_id: int) -> RulesVersion | None:
        with self._tx() as s:
            row = self._current_overlay_row(s, user_id)
            return None if row is None else _version(row)

    def overlay_versions(self, user_id: int, limit: int = 50) -> list[RulesVersion]:
        """The user's saved overlays, newest first."""
        with self._tx() as s:
            rows = s.scalars(
                select(RulesOverlayRow)
                .where(RulesOverlayRow.user_id == user_id)
                .order_by(RulesOverlayRow.id.desc())
                .limit(limit)
            )
            return [_version(row) for row in rows]

    def get_overlay_version(self, user_id: int, version_id: int) -> RulesVersion | None:
        with self._tx() as s:
            row = s.get(RulesOverlayRow, version_id)
            return None if row is None or row.user_id != user_id else _version(row)

    def restore_overlay(self, user_id: int, version_id: int) -> RulesVersion:
        """Put one of the user's earlier overlays back in force."""
        with self._tx() as s:
            self._serialize(s, _OVERLAY_LOCK)
            row = s.get(RulesOverlayRow, version_id)
            if row is None or row.user_id != user_id:
                raise RulesVersionNotFound(f"no overlay version {version_id}")
            s.execute(
                update(RulesOverlayRow)
                .where(RulesOverlayRow.user_id == user_id, RulesOverlayRow.id != version_id)
                .values(is_current=False)
            )
            s.execute(
                update(RulesOverlayRow)
                .where(RulesOverlayRow.id == version_id)
                .values(is_current=True)
            )
            s.refresh(row)
            return _version(row)

    def template_owner_id(self) -> int | None:
        """Whose the template's calendars are: the marked user; with none marked yet,
        the first enabled admin claims it (and the existing connections) now."""
        with self._tx() as s:
            owner = s.scalar(select(User.id).where(User.owns_template.is_(True)))
            if owner is not None:
                return owner
            self._serialize(s, _OWNER_LOCK)
            owner = s.scalar(select(User.id).where(User.owns_template.is_(True)))
            if owner is not None:
                return owner
            first = s.scalar(
                select(User.id)
                .where(User.role == "admin", User.disabled.is_(False))
                .order_by(User.id)
                .limit(1)
            )
            if first is None:
                return None
            s.execute(update(User).where(User.id == first).values(owns_template=True))
            s.execute(
                update(CalendarConnection)
                .where(CalendarConnection.calendar_id.not_like("u%~%"))
                .values(user_id=first)
            )
            return first


__all__ = ["OverlayStore"]
