"""Members' calendars on the procrastinate path: their rows of ``calendar_schedules``.

A member's weekly generation is due at their ``schedule.generate_at`` in their own
zone, on their own generation day (holidays and days off of their effective
rules). :func:`schedule_members` keeps their rows in line with their overlays:
each row carries the ``basis`` (template and overlay version) its times were
computed from, so only users whose basis changed (a new overlay, a new
template, a user added or re-enabled) get their scope built, which is what costs
at 10,000 users. Rows of users jobs may not act for (disabled, deleted, address
unknown) are deleted. Due rows are never pushed back: a generation due now is
dispatched first.

The dispatcher cannot compute a member's next time without their rules, so it
pushes a claimed member row :data:`SAFETY_NET` ahead, and the task, which holds
the member's scope anyway, sets the exact time (:func:`reschedule`). A task that
never completes is thus retried a day later, not never.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from blocker.core.errors import RulesError
from blocker.distributed.timing import next_generation_at, next_poll_at
from blocker.member_jobs import basis, member_scope, member_states, template_hash, user_of
from blocker.runtime import Runtime
from blocker.scheduler_plan import ScheduleConfig
from blocker.store.tables import CalendarSchedule

log = logging.getLogger("blocker.worker")

SAFETY_NET = timedelta(days=1)
CHUNK = 1000
RECONCILE_LOCK = 0x626C6F636B  # pg advisory lock: one worker rebuilds members at a time

__all__ = ["SAFETY_NET", "reschedule", "schedule_members"]


def _member_rows(runtime: Runtime) -> dict[int, dict[str, str | None]]:
    """user id -> {store key: basis} of the members' rows."""
    by_user: dict[int, dict[str, str | None]] = {}
    query = select(CalendarSchedule.calendar_id, CalendarSchedule.basis).where(
        CalendarSchedule.calendar_id.like("u%~%")
    )
    with runtime.store.engine.connect() as conn:
        for calendar_id, stored in conn.execute(query):
            uid = user_of(calendar_id)
            if uid is not None:
                by_user.setdefault(uid, {})[calendar_id] = stored
    return by_user


def _upsert(runtime: Runtime, rows: list[dict[str, object]], moment: datetime) -> None:
    """Write rows; a row already due keeps its time (it is dispatched first)."""
    insert = pg_insert(CalendarSchedule).values(rows)
    current = CalendarSchedule.next_generate_at
    with runtime.store.engine.begin() as conn:
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=[CalendarSchedule.calendar_id],
                set_={
                    "next_generate_at": case(
                        (current <= moment, current), else_=insert.excluded.next_generate_at
                    ),
                    "next_poll_at": insert.excluded.next_poll_at,
                    "basis": insert.excluded.basis,
                },
            )
        )


def schedule_members(runtime: Runtime, now: datetime | None = None) -> list[str]:
    """Bring members' rows in line with their rules; returns the calendars of users
    whose rules changed since their rows were written (to rebalance), not those
    scheduled for the first time. Several workers call it: one at a time does the
    work (a PostgreSQL advisory lock), the others skip this round."""
    with runtime.store.engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": RECONCILE_LOCK})
        if not got.scalar():
            return []
        try:
            return _schedule_members(runtime, now)
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RECONCILE_LOCK})
            conn.commit()


def _schedule_members(runtime: Runtime, now: datetime | None) -> list[str]:
    moment = now or runtime.now()
    states = member_states(runtime)
    template = template_hash(runtime)
    rows = _member_rows(runtime)
    gone = [uid for uid in rows if uid not in states or not states[uid].active]
    for uid in gone:
        log.warning(states[uid].why_not() if uid in states else f"user {uid}: deleted, no jobs")
    todo = [
        state
        for state in states.values()
        if state.active
        and state.overlay_id is not None
        and set(rows.get(state.user_id, {}).values()) != {basis(template, state)}
    ]
    changed: list[str] = []
    pending: list[dict[str, object]] = []
    drop: list[str] = [cid for uid in gone for cid in rows[uid]]
    for state in todo:
        try:
            scope = member_scope(runtime, state.user_id)
        except RulesError as exc:
            log.warning("user %s keeps their schedule: %s", state.user_id, exc)
            continue
        had = rows.get(state.user_id, {})
        if scope is None:
            drop.extend(had)
            continue
        ids = scope.calendar_ids()
        drop.extend(cid for cid in had if cid not in ids)
        if had:
            changed.extend(ids)
        cfg = ScheduleConfig.from_rules(scope.rules)
        generate_at = next_generation_at(moment, scope.rules.timezone, scope.rules)
        poll_at = next_poll_at(moment, cfg.poll_minutes)
        stamp = basis(template, state)
        pending.extend(
            {
                "calendar_id": cid,
                "next_generate_at": generate_at,
                "next_poll_at": poll_at,
                "basis": stamp,
            }
            for cid in ids
        )
        if len(pending) >= CHUNK:
            _upsert(runtime, pending, moment)
            pending = []
    if pending:
        _upsert(runtime, pending, moment)
    for first in range(0, len(drop), CHUNK):
        with runtime.store.engine.begin() as conn:
            conn.execute(
                delete(CalendarSchedule).where(
                    CalendarSchedule.calendar_id.in_(drop[first : first + CHUNK])
                )
            )
    if todo or drop:
        log.info(
            "members scheduled: %d user(s) (re)built, %d calendar row(s) dropped",
            len(todo),
            len(drop),
        )
    return changed


def reschedule(ctx: Runtime, calendar_id: str, kind: str) -> None:
    """After a member's job ran: its exact next time from their own rules (the
    dispatcher only pushed it :data:`SAFETY_NET` ahead)."""
    if user_of(calendar_id) is None:
        return
    moment = ctx.now()
    values: dict[str, datetime | None]
    if kind == "generate":
        values = {"next_generate_at": next_generation_at(moment, ctx.rules.timezone, ctx.rules)}
    else:
        minutes = ScheduleConfig.from_rules(ctx.rules).poll_minutes
        values = {"next_poll_at": next_poll_at(moment, minutes)}
    with ctx.store.engine.begin() as conn:
        conn.execute(
            update(CalendarSchedule)
            .where(CalendarSchedule.calendar_id == calendar_id)
            .values(values)
        )
