"""One sync run for one calendar and week: read, detect edits, plan, diff, apply, record.

The product reaches this engine only through :meth:`blocker.runtime.Runtime.sync`
(the CLI, the API, the jobs, previews and the benchmarks all call that); tests of
the engine itself call :func:`sync_calendar` with a ready :class:`WeekSpec`.

One read per run: given a :class:`Expansion` instead of a spec, the window read is
the week plus :data:`~blocker.actuals.HISTORY_DAYS` before it, so the last contact
per account (which the week's spec depends on) comes from the same read, and from
the same snapshot and sync token, as the week's own events (issue 16 item 2;
how the window is read: :mod:`blocker.sync_read`).

The order is the design's (DESIGN.md sections 2 and 4): the calendar is read
first, and a failed read stops the run before anything is planned or written; a
read cut short (``complete=False``) still lets blocks be created and moved but
infers no deletion and no user dismissal from it. Foreign events become busy
time for the planner; the user's edits of our blocks become pins saved in the
state; apply is the only step that writes to the calendar. When the state changes
is said once, in :mod:`blocker.run_state` (what crash safety rests on): this
module makes its changes through :class:`~blocker.run_state.RunState`, apply its
per-batch ones.

Errors: a failed read is recorded as a run and then **re-raised** (callers such as
the scheduler decide about retries and reconnects from the error class). Write
errors do not raise: they are in ``SyncOutcome.errors`` and in the run record.
Runs of one calendar never overlap inside one process (:mod:`blocker.locks`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from blocker.apply import apply_ops, blocks_on_calendar
from blocker.core.clock import Clock, system_clock
from blocker.core.errors import ProviderError
from blocker.core.keys import base_key
from blocker.core.models import (
    Busy,
    Interval,
    Op,
    Pin,
    Plan,
    ReadResult,
    RemoteEvent,
    RunRecord,
    WeekSpec,
)
from blocker.core.weeks import week_window
from blocker.diff import diff
from blocker.edits import adopted_mappings, detect_edits, where_they_are
from blocker.locks import calendar_lock
from blocker.planner import plan_week
from blocker.record import take_record, with_record
from blocker.rekey import Rekey
from blocker.run_state import RunState
from blocker.state import SyncState
from blocker.sync_read import Observed, clipped, read_observed, read_window
from providers.base import CalendarProvider

FULL_READ_EVERY = timedelta(days=1)
"""Default safety net: a week's window is read in full at least this often."""


@dataclass(frozen=True, slots=True)
class Expansion:
    """A week whose spec depends on the calendar's past (last contacts, issue 11).

    ``expand(past, before)`` gets the foreign events of the read that start before
    ``before`` (the week's Monday, or now when that is earlier: a week's triggers
    are judged when it is generated) and returns the week's spec.
    """

    week: str
    timezone: str
    expand: Callable[[Sequence[Busy], datetime], WeekSpec]


@dataclass(frozen=True, slots=True)
class SyncOutcome:
    """What one run planned and did. ``ops`` are all ops computed (with reasons);
    ``applied`` counts those written; ``errors`` says what failed and why."""

    plan: Plan
    ops: tuple[Op, ...]
    applied: int
    errors: tuple[str, ...]
    run: RunRecord
    spec: WeekSpec
    busy: tuple[Busy, ...] = ()
    pins: tuple[Pin, ...] = ()
    complete: bool = True
    notices: tuple[str, ...] = ()
    """Said to the user, not failures: events of the calendar left out as unreadable."""
    seen: ReadResult | None = None
    """The whole window this run read (history included), for the scorecard's actuals."""
    window: Interval | None = None

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Protected blocks kept under a meeting, in words for the user."""
        return tuple(
            f"{c.key}: '{c.meeting}' overlaps it at {c.start:%a %H:%M}-{c.end:%H:%M}"
            for c in self.plan.conflicts
        )


def sync_calendar(
    *,
    calendar_id: str,
    provider: CalendarProvider,
    state: SyncState,
    spec: WeekSpec | Expansion,
    now: datetime,
    trigger: str = "manual",
    dry_run: bool = False,
    private_titles: bool = False,
    extra_busy: Sequence[Busy] = (),
    clock: Clock | None = None,
    full_read_every: timedelta | None = FULL_READ_EVERY,
    record: bool = True,
) -> SyncOutcome:
    """Reconcile one calendar with the plan for ``spec.week``.

    ``record=False`` (dry runs only) leaves no run record: a preview that plans
    exactly as a sync would (user edits, where blocks are now, today's stability)
    without showing up in the run history.

    ``now`` is the planning time (nothing placed before it; today's blocks stay
    put unless a meeting lands on them); ``clock`` times the run record (the
    wall clock by default). A dry run reads and plans but writes nothing, neither
    to the calendar nor to the state (except the run record).

    Reads are incremental when the state holds a snapshot of the week's window
    taken from a complete read: one request for the changes since its token,
    merged into it. The window is read in full when there is no snapshot (first
    run, a stale token, the last run's apply did not finish cleanly, its read was
    incomplete), when the snapshot is older than ``full_read_every`` (by
    ``clock``; None disables that safety net), or when the provider cannot.

    With an :class:`Expansion` the window holds the history before the week too
    (:func:`blocker.sync_read.read_window`): the spec is expanded from that one read, and only the
    week's events are reconciled. A failed read is recorded here, once.
    """
    if not record and not dry_run:
        raise ValueError("only a dry run may skip its run record")
    tick = clock or system_clock
    week_span = week_window(spec.week, spec.timezone)
    window = read_window(spec.week, spec.timezone, now, history=isinstance(spec, Expansion))
    changes = RunState(state, calendar_id, spec.week, dry_run=dry_run, record=record)
    with calendar_lock(calendar_id):
        started = tick()
        try:
            observed = read_observed(
                provider,
                changes,
                window,
                read_at=started,
                full_read_every=full_read_every,
            )
        except ProviderError as exc:
            changes.read_failed(
                RunRecord(
                    calendar_id=calendar_id,
                    trigger=trigger,
                    week=spec.week,
                    started_at=started,
                    finished_at=tick(),
                    errors=(f"read failed, nothing written: {exc.user_message()}",),
                    dry_run=dry_run,
                )
            )
            raise
        seen = observed.read
        if isinstance(spec, Expansion):
            before = min(now, week_span.start, key=lambda t: t.timestamp())
            past = [
                e.as_busy()
                for e in seen.events
                if not e.cancelled and not e.owned and e.start.timestamp() < before.timestamp()
            ]
            planned = spec.expand(past, before)
            observed = clipped(observed, week_span)
        else:
            planned = spec
        return _reconcile(
            observed,
            changes,
            provider=provider,
            spec=planned,
            now=now,
            trigger=trigger,
            dry_run=dry_run,
            private_titles=private_titles,
            extra_busy=extra_busy,
            started=started,
            tick=tick,
            seen=seen,
            window=window,
        )


def _reconcile(
    observed: Observed,
    changes: RunState,
    *,
    provider: CalendarProvider,
    spec: WeekSpec,
    now: datetime,
    trigger: str,
    dry_run: bool,
    private_titles: bool,
    extra_busy: Sequence[Busy],
    started: datetime,
    tick: Clock,
    seen: ReadResult | None = None,
    window: Interval | None = None,
) -> SyncOutcome:
    """Plan, diff and apply the week; its state changes go through ``changes``
    (:mod:`blocker.run_state`: one transaction before the writes, one after)."""
    state, calendar_id, week = changes.state, changes.calendar_id, spec.week
    read = observed.read
    rekey = Rekey(spec.key_aliases)  # events and rows of an account whose key changed
    live = rekey.events(e for e in read.events if not e.cancelled)
    pins = {pin.key: pin for pin in rekey.pins(state.pins(calendar_id, week))}
    dismissed = {key for key, pin in pins.items() if pin.dismissed}
    # An owned event of a dismissed key is one the user restored: theirs now, busy time.
    restored = [e for e in live if e.tag is not None and e.tag.key in dismissed]
    owned = [e for e in live if e.tag is not None and e.tag.key not in dismissed]
    foreign = [e for e in live if e.tag is None]
    mappings = rekey.mappings(state.mappings(calendar_id, week))
    previous = rekey.blocks(state.previous_blocks(calendar_id, week))
    # An owned event the user edited, of a key this week never planned, mapped or
    # recorded, is another week's block the user moved here: theirs, busy time, never
    # deleted. (Unedited unknown ones are our own leftovers, e.g. after a crash.)
    known = {r.key for r in spec.requests} | set(mappings) | set(pins)
    known |= {b.key for b in previous}
    strays = [e for e in owned if _moved_in(e, known)]
    owned = [e for e in owned if not _moved_in(e, known)]

    edits = detect_edits(
        owned,
        mappings,
        week=week,
        previous=previous,
        pins=pins.values(),
        read_complete=read.complete,
    )
    pins.update({pin.key: pin for pin in edits.pins})
    mappings = {k: m for k, m in mappings.items() if k not in edits.gone}
    mappings.update({m.key: m for m in edits.accepted})

    busy = tuple(e.as_busy() for e in (*foreign, *restored, *strays)) + tuple(extra_busy)
    here = where_they_are(previous, owned)
    stable_until = _end_of_day(now, spec.timezone)
    the_record = take_record(
        here,
        shown=_unedited_keys(owned),
        requested={r.key for r in spec.requests},
        rules=spec.live_rules,
        handed_over=spec.others_accounts,
        busy=busy,
        now=now,
        stable_until=stable_until,
    )
    plan = plan_week(
        spec,
        busy=busy + the_record.busy,
        pins=list(pins.values()),
        previous=here,
        now=now,
        stability_until=stable_until,
    )
    plan = with_record(plan, the_record)
    ops = diff(plan, owned, mappings, busy=busy, previous=previous, read_complete=read.complete)
    changes.before_writes(
        pins=edits.pins,
        gone=[name for key in edits.gone for name in (key, *rekey.old_keys(key))],
        accepted=edits.accepted,
        writes=bool(ops),
    )
    result = apply_ops(
        ops,
        provider=provider,
        state=state,
        calendar_id=calendar_id,
        week=week,
        private=private_titles,
        dry_run=dry_run,
    )
    errors = () if dry_run else result.errors
    dismissed_now = [key for key, pin in pins.items() if pin.dismissed]
    on_calendar = blocks_on_calendar(
        plan, previous, result, dismissed_now, read_complete=read.complete
    )
    finished = tick()
    # one bad event never fails a calendar: it is left out, counted and named (issue 17)
    notices = tuple(f"skipped an event it cannot read: {name}" for name in read.skipped)
    run = RunRecord(
        calendar_id=calendar_id,
        trigger=trigger,
        week=week,
        started_at=started,
        finished_at=finished,
        ops=tuple(ops),
        errors=errors,
        dry_run=dry_run,
        notices=notices,
        extra={
            "applied": len(result.applied),
            "failed": len(result.failed),
            "skipped": 0 if dry_run else len(result.skipped),
            "unreadable_events": len(read.skipped),
            "pins": len(edits.pins),
            "conflicts": len(plan.conflicts),
            "complete": int(read.complete),
            "incremental": int(observed.incremental),
            "duration_ms": int((finished - started).total_seconds() * 1000),
        },
    )
    changes.finish(
        adopted=adopted_mappings(plan, owned, ops, mappings, week),
        blocks=on_calendar,
        snapshot=observed.snapshot,
        result=result,
        run=run,
    )
    return SyncOutcome(
        plan=plan,
        ops=tuple(ops),
        applied=len(result.applied),
        errors=errors,
        run=run,
        spec=spec,
        busy=busy,
        pins=edits.pins,
        complete=read.complete,
        notices=notices,
        seen=seen,
        window=window,
    )


def _moved_in(event: RemoteEvent, known: set[str]) -> bool:
    """True for an owned event the user changed whose key (or, for a chunk key
    ``base#i``, whose request) this week does not know."""
    if event.tag is None or event.unedited:
        return False
    key = event.tag.key
    return not (key in known or base_key(key) in known)


def _unedited_keys(owned: Sequence[RemoteEvent]) -> dict[str, str]:
    """Key -> content hash of our events that show exactly what we last wrote."""
    return {e.tag.key: e.tag.content_hash for e in owned if e.tag is not None and e.unedited}


def _end_of_day(now: datetime, timezone: str) -> datetime:
    """Midnight after ``now`` in the week's zone: the default stability horizon."""
    tz = ZoneInfo(timezone)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=tz)


__all__ = ["Expansion", "SyncOutcome", "sync_calendar"]
