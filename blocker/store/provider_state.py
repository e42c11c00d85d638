"""What providers remember between processes: our events' tags, and capability fallbacks.

``event_tags`` -- the ownership tag each of our events carried at an etag. Graph's
delta answers omit extended properties; with this record the first incremental
read of any process knows the echoes of the last run's writes (no lookups).

``capability_fallbacks`` -- what a calendar does without, and why (Outlook colours
when the connection lacks the permission). Recording one also says so on the
connection (its ``status_reason``, which the dashboard shows) and, once, in the
next run record of the calendar (:func:`take_notices`, called by ``record_run``).
A new connection of the calendar clears them (``upsert_connection`` with tokens):
the new grant may allow what the old one did not.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from blocker.store.base import StoreBase
from blocker.store.tables import CalendarConnection, CapabilityFallback, EventTagRow

_CHUNK = 500  # ids per IN (...): far below every backend's bound-parameter limit

StoredTag = tuple[str, str, str]
"""(etag, block key, content hash) of one event."""


@dataclass(frozen=True, slots=True)
class Fallback:
    """A capability a calendar does without."""

    calendar_id: str
    capability: str
    reason: str
    since: datetime
    announced_at: datetime | None


def _fallback(row: CapabilityFallback) -> Fallback:
    return Fallback(row.calendar_id, row.capability, row.reason, row.since, row.announced_at)


_TAG_UPSERTS: dict[str, Any] = {}


def _tag_upsert(dialect: str) -> Any:
    """INSERT .. ON CONFLICT DO UPDATE of event tags, built once per dialect (executed
    with a list of rows it is one batched statement)."""
    cached = _TAG_UPSERTS.get(dialect)
    if cached is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(EventTagRow)
        update_ = {
            name: stmt.excluded[name] for name in ("etag", "key", "content_hash", "updated_at")
        }
        cached = stmt.on_conflict_do_update(
            index_elements=["calendar_id", "event_id"], set_=update_
        )
        _TAG_UPSERTS[dialect] = cached
    return cached


def take_notices(session: Session, calendar_id: str, now: datetime) -> list[str]:
    """The fallbacks of ``calendar_id`` no run record has told yet, marked told now."""
    rows = session.scalars(
        select(CapabilityFallback)
        .where(
            CapabilityFallback.calendar_id == calendar_id,
            CapabilityFallback.announced_at.is_(None),
        )
        .order_by(CapabilityFallback.since, CapabilityFallback.capability)
    ).all()
    for row in rows:
        row.announced_at = now
    return [row.reason for row in rows]


class ProviderStateStore(StoreBase):
    """Event tags and capability fallbacks (see the module docstring)."""

    # -- event tags ------------------------------------------------------------------

    def event_tags(self, calendar_id: str, event_ids: Collection[str]) -> dict[str, StoredTag]:
        """(etag, key, content hash) recorded for those of ``event_ids`` that have one."""
        ids = list(dict.fromkeys(event_ids))
        out: dict[str, StoredTag] = {}
        with self._tx() as s:
            for start in range(0, len(ids), _CHUNK):
                rows = s.execute(
                    select(
                        EventTagRow.event_id,
                        EventTagRow.etag,
                        EventTagRow.key,
                        EventTagRow.content_hash,
                    ).where(
                        EventTagRow.calendar_id == calendar_id,
                        EventTagRow.event_id.in_(ids[start : start + _CHUNK]),
                    )
                )
                for event_id, etag, key, content_hash in rows:
                    out[event_id] = (etag, key, content_hash)
        return out

    def save_event_tags(self, calendar_id: str, tags: Mapping[str, StoredTag]) -> None:
        """Record (or replace) each event's (etag, key, hash): one batched statement."""
        if not tags:
            return
        now = self._now()
        rows = [
            {
                "calendar_id": calendar_id,
                "event_id": event_id,
                "etag": etag,
                "key": key,
                "content_hash": content_hash,
                "updated_at": now,
            }
            for event_id, (etag, key, content_hash) in tags.items()
        ]
        with self._tx() as s:
            s.execute(_tag_upsert(self.engine.dialect.name), rows)

    def drop_event_tags(self, calendar_id: str, event_ids: Collection[str]) -> None:
        ids = list(dict.fromkeys(event_ids))
        if not ids:
            return
        with self._tx() as s:
            for start in range(0, len(ids), _CHUNK):
                s.execute(
                    delete(EventTagRow).where(
                        EventTagRow.calendar_id == calendar_id,
                        EventTagRow.event_id.in_(ids[start : start + _CHUNK]),
                    )
                )

    # -- capability fallbacks ----------------------------------------------------------

    def fallback(self, calendar_id: str, capability: str) -> Fallback | None:
        with self._tx() as s:
            row = s.get(CapabilityFallback, (calendar_id, capability))
            return None if row is None else _fallback(row)

    def fallbacks(self, calendar_id: str) -> list[Fallback]:
        with self._tx() as s:
            rows = s.scalars(
                select(CapabilityFallback)
                .where(CapabilityFallback.calendar_id == calendar_id)
                .order_by(CapabilityFallback.since, CapabilityFallback.capability)
            )
            return [_fallback(row) for row in rows]

    def save_fallback(self, calendar_id: str, capability: str, reason: str) -> bool:
        """Record that ``calendar_id`` does without ``capability``; True when it is new.

        A new one is also noted on the calendar's connection (kept ``connected``:
        the dashboard shows the reason), without touching its ``updated_at`` -- it
        is no new connection -- and told in the next run record.
        """
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = (
            insert(CapabilityFallback)
            .values(
                calendar_id=calendar_id,
                capability=capability,
                reason=reason,
                since=self._now(),
                announced_at=None,
            )
            .on_conflict_do_nothing(index_elements=["calendar_id", "capability"])
        )
        with self._tx() as s:
            if s.execute(stmt).rowcount == 0:  # type: ignore[attr-defined]
                return False
            row = s.scalars(
                select(CalendarConnection).where(CalendarConnection.calendar_id == calendar_id)
            ).first()
            if row is not None and reason not in row.status_reason:
                row.status_reason = (
                    f"{row.status_reason}; {reason}" if row.status_reason else reason
                )
            return True

    def drop_fallback(self, calendar_id: str, capability: str) -> None:
        """Forget one fallback: the capability is tried again (e.g. a week later)."""
        with self._tx() as s:
            s.execute(
                delete(CapabilityFallback).where(
                    CapabilityFallback.calendar_id == calendar_id,
                    CapabilityFallback.capability == capability,
                )
            )

    def clear_fallbacks(self, calendar_id: str) -> None:
        """Forget what the calendar did without: try everything again."""
        with self._tx() as s:
            s.execute(
                delete(CapabilityFallback).where(CapabilityFallback.calendar_id == calendar_id)
            )


__all__ = ["Fallback", "ProviderStateStore", "StoredTag", "take_notices"]
