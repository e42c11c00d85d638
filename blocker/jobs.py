"""The job functions, written once for every jobs engine (APScheduler or procrastinate).

No engine is imported here: an engine adapter resolves its context (the
:class:`~blocker.runtime.Runtime`) and calls these. Every job is idempotent, so an
engine that runs it twice (a retry, a missed-run catch-up, two workers) does no
harm: a sync of an already-synced week makes zero writes. Runs of one calendar
are serialised by the runtime's per-calendar lock. Errors a calendar or the
rules raise are logged, counted and (for a revoked connection) recorded on the
connection; they never escape into the engine's loop.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from blocker.connections import refresh_credentials, renew_channel
from blocker.core.errors import BlockerError, ReconnectRequired
from blocker.core.weeks import next_week, week_of
from blocker.member_jobs import calendar_scope, user_of
from blocker.runtime import RunOutcome, Runtime
from rules.engine import generation_day

log = logging.getLogger("blocker.jobs")

NEEDS_RECONNECT = "needs_reconnect"
DISCONNECTED = "disconnected"
RENEW_AHEAD = timedelta(days=1)
"""Renew channels that expire within this; the renewal job runs hourly."""


def _runnable(ctx: Runtime, calendar_id: str) -> bool:
    """Skip calendars that left the rules or wait for the user to reconnect them."""
    if calendar_id not in ctx.calendar_ids():
        log.info("job skipped: calendar %s is no longer in the rules", calendar_id)
        return False
    connection = ctx.store.get_connection(calendar_id)
    status = getattr(connection, "status", None)
    if status == NEEDS_RECONNECT:
        log.info("job skipped: calendar %s needs to be reconnected", calendar_id)
        return False
    if status == DISCONNECTED:
        log.info("job skipped: calendar %s was disconnected", calendar_id)
        return False
    return True


def _sync(ctx: Runtime, calendar_id: str, week: str, trigger: str) -> RunOutcome | None:
    try:
        return ctx.sync(None, calendar_id, week, trigger=trigger)
    except ReconnectRequired:
        # Runtime.sync has marked the connection already; waiting is all we can do.
        return None
    except BlockerError as exc:
        log.warning("job %s on %s failed: %s", trigger, calendar_id, exc.user_message())
        return None


def _has_plan(ctx: Runtime, calendar_id: str, week: str) -> bool:
    return bool(ctx.store.previous_blocks(calendar_id, week))


def generate_next_week(ctx: Runtime, calendar_id: str) -> list[RunOutcome]:
    """The weekly job: plan and write next week's blocks."""
    if not _runnable(ctx, calendar_id):
        return []
    week = next_week(ctx.today())
    outcome = _sync(ctx, calendar_id, week, "weekly")
    return [outcome] if outcome else []


def generate_if_due(ctx: Runtime, calendar_id: str) -> list[RunOutcome]:
    """The weekly job as the scheduler fires it (every day at ``generate_at``):
    generate on the week's generation day (:func:`rules.engine.generation_day`:
    the named weekday, or the last working day before it when that is a holiday),
    or later in the week if that run was missed and next week has no plan yet."""
    today = ctx.today()
    due = generation_day(ctx.rules, today)
    if today < due:
        return []
    if today > due and _has_plan(ctx, calendar_id, next_week(today)):
        return []
    return generate_next_week(ctx, calendar_id)


def rebalance(ctx: Runtime, calendar_id: str, trigger: str = "rebalance") -> list[RunOutcome]:
    """Re-plan this week, and next week too once it has been generated.

    Called after a (debounced) webhook, at the start of each day, and when the
    rules change. Next week is only touched when it already has a plan, so a
    Monday rebalance does not pre-empt Friday's generation.
    """
    if not _runnable(ctx, calendar_id):
        return []
    today = ctx.today()
    weeks = [week_of(today)]
    upcoming = week_of(today + timedelta(days=7))
    if _has_plan(ctx, calendar_id, upcoming):
        weeks.append(upcoming)
    outcomes = []
    for week in weeks:
        outcome = _sync(ctx, calendar_id, week, trigger)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def poll(ctx: Runtime, calendar_id: str) -> list[RunOutcome]:
    """Fallback when push is unavailable: the same as a rebalance, labelled ``poll``."""
    return rebalance(ctx, calendar_id, trigger="poll")


def renew_channels(ctx: Runtime) -> int:
    """Renew push channels that expire within a day; returns how many were renewed.

    Google channels are replaced (watch a new one, stop the old), Graph
    subscriptions extended (see :func:`blocker.connections.renew_channel`).
    Channels of calendars that left the rules or wait for a reconnect are left
    to expire: their notifications would trigger nothing. ``ctx`` is the shared
    runtime: a member's channel is renewed in that member's scope.
    """

    horizon = ctx.now() + RENEW_AHEAD
    renewed = 0
    for channel in ctx.store.channels_expiring(horizon):
        scope = calendar_scope(ctx, channel.calendar_id)
        if scope is None or not _runnable(scope, channel.calendar_id):
            continue
        try:
            if renew_channel(scope, channel):
                renewed += 1
        except ReconnectRequired as exc:
            ctx.store.mark_needs_reconnect(channel.calendar_id, exc.user_message())
        except BlockerError as exc:
            ctx.metrics.errors.labels(channel.calendar_id, type(exc).__name__).inc()
            log.warning("renewing channel of %s failed: %s", channel.calendar_id, exc)
    return renewed


def refresh_tokens(ctx: Runtime) -> int:
    """Refresh remote calendars' access tokens ahead of need; returns how many.

    A revoked grant surfaces here (ReconnectRequired) and marks the connection, so
    the user hears about it before the next weekly run silently fails. ``ctx`` is
    the shared runtime: the template's calendars, then every connection holding
    tokens of a member (in that member's scope).
    """

    refreshed = 0
    own = ctx.calendar_ids()
    members = [
        c.calendar_id
        for c in ctx.store.list_connections()
        if c.has_tokens and user_of(c.calendar_id) is not None
    ]
    for calendar_id in [*own, *members]:
        scope = ctx if calendar_id in own else calendar_scope(ctx, calendar_id)
        if scope is None or not _runnable(scope, calendar_id):
            continue
        try:
            if refresh_credentials(scope, calendar_id):
                refreshed += 1
        except ReconnectRequired as exc:
            ctx.store.mark_needs_reconnect(calendar_id, exc.user_message())
        except BlockerError as exc:
            ctx.metrics.errors.labels(calendar_id, type(exc).__name__).inc()
            log.warning("refreshing tokens of %s failed: %s", calendar_id, exc)
    return refreshed


__all__ = [
    "generate_if_due",
    "generate_next_week",
    "poll",
    "rebalance",
    "refresh_tokens",
    "renew_channels",
]
