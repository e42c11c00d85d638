"""The dispatcher: due calendars -> queued jobs, in the transaction that advances them.

Several workers run the dispatcher at once. Each claims due rows with
``FOR UPDATE SKIP LOCKED``, sets the next due time (computed in the user's time
zone) and inserts the jobs through procrastinate's own SQL function *on the same
connection*, then commits once. So a calendar is either advanced and queued, or
neither: a crash between the two cannot lose a week, and two dispatchers never
queue the same calendar twice for one due time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from procrastinate import jobs as pjobs
from procrastinate.manager import JobManager
from sqlalchemy import Engine, or_, select, text, update

from blocker.store.tables import CalendarConnection, CalendarSchedule, User

log = logging.getLogger("blocker.distributed.dispatch")

Kind = Literal["generate", "poll"]
QUEUE = "calendars"
PROCRASTINATE_SCHEMA = "procrastinate"


def calendar_lock(calendar_id: str) -> str:
    """procrastinate ``lock``: runs of one calendar never overlap, whichever job."""
    return f"calendar:{calendar_id}"


def rebalance_queueing_lock(calendar_id: str) -> str:
    """procrastinate ``queueing_lock``: a burst of triggers waits as one job."""
    return f"rebalance:{calendar_id}"


@dataclass(frozen=True, slots=True)
class Due:
    """One claimed calendar: its id and the user's zone (for the next due time)."""

    calendar_id: str
    timezone: str


NextAt = Callable[[Due], datetime | None]


def calendar_job(task_name: str, calendar_id: str, **kwargs: str) -> pjobs.Job:
    """A job for one calendar, under that calendar's lock."""
    return pjobs.Job(
        id=None,
        queue=QUEUE,
        lock=calendar_lock(calendar_id),
        queueing_lock=None,
        task_name=task_name,
        task_kwargs={"calendar_id": calendar_id, **kwargs},
    )


def dispatch_due(
    engine: Engine,
    job_manager: JobManager,
    *,
    now: datetime,
    kind: Kind,
    task_name: str,
    next_at: NextAt,
    default_timezone: str,
    limit: int = 1000,
) -> list[str]:
    """Claim up to ``limit`` calendars due at ``now``, advance them, queue their jobs.

    Returns the claimed calendar ids. ``job_manager`` only needs a connector that
    accepts an external psycopg connection (procrastinate's ``SyncPsycopgConnector``;
    it is never opened here).
    """
    if engine.dialect.name != "postgresql":
        raise ValueError("the procrastinate dispatcher needs PostgreSQL")
    column = (
        CalendarSchedule.next_generate_at if kind == "generate" else CalendarSchedule.next_poll_at
    )
    claim = (
        select(CalendarSchedule.calendar_id, User.timezone)
        .outerjoin(
            CalendarConnection, CalendarConnection.calendar_id == CalendarSchedule.calendar_id
        )
        .outerjoin(User, User.id == CalendarConnection.user_id)
        .where(
            column <= now,
            or_(CalendarConnection.id.is_(None), CalendarConnection.status == "connected"),
        )
        .order_by(column, CalendarSchedule.calendar_id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CalendarSchedule)
    )
    with engine.begin() as conn:
        rows = conn.execute(claim).all()
        if not rows:
            return []
        due = [Due(row[0], row[1] or default_timezone) for row in rows]
        for item in due:
            conn.execute(
                update(CalendarSchedule)
                .where(CalendarSchedule.calendar_id == item.calendar_id)
                .values({column.key: next_at(item)})
            )
        # procrastinate's functions resolve their tables through search_path.
        conn.execute(text(f"SET LOCAL search_path TO {PROCRASTINATE_SCHEMA}, public"))
        raw = conn.connection.driver_connection
        job_manager.batch_defer_jobs(
            [calendar_job(task_name, item.calendar_id) for item in due], connection=raw
        )
    claimed = [item.calendar_id for item in due]
    log.info("dispatched %d %s job(s)", len(claimed), kind)
    return claimed


__all__ = [
    "PROCRASTINATE_SCHEMA",
    "QUEUE",
    "Due",
    "Kind",
    "NextAt",
    "calendar_job",
    "calendar_lock",
    "dispatch_due",
    "rebalance_queueing_lock",
]
