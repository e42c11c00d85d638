"""Per-calendar schedule state in the project's own table, not inside a job engine.

Either scheduler backend (APScheduler on one node, procrastinate on many) asks
the same question: which calendars are due now? Keeping the answer here means
switching engines loses nothing. Times are UTC; the caller computes them from the
user's zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, or_, select

from blocker.store.base import StoreBase
from blocker.store.records import ScheduleState
from blocker.store.tables import CalendarConnection, CalendarSchedule

DueKind = Literal["generate", "poll", "any"]


def _state(row: CalendarSchedule) -> ScheduleState:
    return ScheduleState(
        calendar_id=row.calendar_id,
        next_generate_at=row.next_generate_at,
        next_poll_at=row.next_poll_at,
        last_run_at=row.last_run_at,
    )


class ScheduleStore(StoreBase):
    def _set(self, calendar_id: str, column: str, at: datetime | None) -> None:
        with self._tx() as s:
            self._upsert(
                s, CalendarSchedule, {"calendar_id": calendar_id, column: at}, ("calendar_id",)
            )

    def set_next_generate_at(self, calendar_id: str, at: datetime | None) -> None:
        """When to generate the next week's plan (None: not scheduled)."""
        self._set(calendar_id, "next_generate_at", at)

    def set_next_poll_at(self, calendar_id: str, at: datetime | None) -> None:
        """When to poll next (the fallback when push is unavailable; None: never)."""
        self._set(calendar_id, "next_poll_at", at)

    def mark_run(self, calendar_id: str, at: datetime) -> None:
        """Remember when the calendar last ran (dashboards, stalled-job checks)."""
        self._set(calendar_id, "last_run_at", at)

    def schedule(self, calendar_id: str) -> ScheduleState | None:
        with self._tx() as s:
            row = s.get(CalendarSchedule, calendar_id)
            return None if row is None else _state(row)

    def due_calendars(self, now: datetime, kind: DueKind = "any") -> list[str]:
        """Calendars whose ``next_generate_at`` / ``next_poll_at`` is at or before ``now``.

        Calendars whose connection needs a reconnect or was disconnected are left
        out: running them would only fail again. Calendars with no connection row
        (the local ``.ics`` calendar) are included.
        """
        conditions: list[ColumnElement[bool]] = []
        if kind in {"generate", "any"}:
            conditions.append(CalendarSchedule.next_generate_at <= now)
        if kind in {"poll", "any"}:
            conditions.append(CalendarSchedule.next_poll_at <= now)
        query = (
            select(CalendarSchedule.calendar_id)
            .outerjoin(
                CalendarConnection,
                CalendarConnection.calendar_id == CalendarSchedule.calendar_id,
            )
            .where(or_(*conditions))
            .where(or_(CalendarConnection.id.is_(None), CalendarConnection.status == "connected"))
            .order_by(CalendarSchedule.calendar_id)
        )
        with self._tx() as s:
            return list(s.scalars(query))


__all__ = ["DueKind", "ScheduleStore"]
