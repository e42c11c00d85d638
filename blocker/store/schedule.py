"""Per-calendar schedule state in the project's own table, not inside a job engine.

Either scheduler backend (APScheduler on one node, procrastinate on many) asks
the same question: which calendars are due now? Keeping the answer here means
switching engines loses nothing. Times are UTC; the caller computes them from the
user's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, or_, select, update

from blocker.store.base import StoreBase
from blocker.store.records import ScheduleState
from blocker.store.tables import CalendarConnection, CalendarSchedule

DueKind = Literal["generate", "poll", "any"]
ClaimKind = Literal["generate", "poll"]


def _runnable() -> ColumnElement[bool]:
    """No connection row (local calendar), or a connection that is ``connected``."""
    return or_(CalendarConnection.id.is_(None), CalendarConnection.status == "connected")


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
            .where(_runnable())
            .order_by(CalendarSchedule.calendar_id)
        )
        with self._tx() as s:
            return list(s.scalars(query))

    def claim_due(
        self,
        now: datetime,
        kind: ClaimKind,
        next_at: Callable[[str], datetime | None],
        *,
        limit: int = 500,
    ) -> list[str]:
        """Take the due calendars and advance their ``next_*_at`` in one transaction.

        For a dispatcher that several processes may run at once: the claim locks
        the rows (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite has one writer),
        so each due calendar is handed to exactly one caller.
        ``next_at(calendar_id)`` gives the new time (None: unschedule).
        The caller then queues the jobs; if it dies before that, the calendar
        waits for its next time, so keep that interval short for polls.
        """
        name = "next_generate_at" if kind == "generate" else "next_poll_at"
        column = getattr(CalendarSchedule, name)
        candidates = (
            select(CalendarSchedule.calendar_id)
            .outerjoin(
                CalendarConnection,
                CalendarConnection.calendar_id == CalendarSchedule.calendar_id,
            )
            .where(column <= now, _runnable())
            .order_by(column, CalendarSchedule.calendar_id)
            .limit(limit)
            # PostgreSQL: skip rows another dispatcher is claiming, take the next ones.
            .with_for_update(skip_locked=True, of=CalendarSchedule)
        )
        with self._tx() as s:
            claimed = sorted(
                s.scalars(
                    update(CalendarSchedule)
                    .where(CalendarSchedule.calendar_id.in_(candidates), column <= now)
                    .values({name: None})
                    .returning(CalendarSchedule.calendar_id)
                    .execution_options(synchronize_session=False)
                )
            )
            for calendar_id in claimed:
                s.execute(
                    update(CalendarSchedule)
                    .where(CalendarSchedule.calendar_id == calendar_id)
                    .values({name: next_at(calendar_id)})
                    .execution_options(synchronize_session=False)
                )
            return claimed


__all__ = ["ClaimKind", "DueKind", "ScheduleStore"]
