"""Ops -> provider writes: the only module that writes to a calendar.

Its state changes are step 2 of a run's one transaction boundary
(:mod:`blocker.run_state`): per batch, one transaction drops the mappings of the
events it deletes before the batch is sent, and one records what was written
(mapping with the content hash and etag we wrote) right after it, so a run that
dies half-way leaves a state the next run finishes from without duplicates.

Per-write errors: 412 (the event changed since we read it) is left for the next
run; 404 on a delete means it is gone already; 404 on an update leaves the
mapping, so the next complete read records the user's deletion; a rate limit, a
transient failure or a revoked connection stops the run (the rest is retried
next time) with the state still consistent.

A delete that fails is retried next run, and its key stays known to the week
(issue 14): the mapping dropped before the write comes back when the error
proves nothing was deleted (412, 429, a revoked connection, any refusal); after
a timeout or a 5xx the delete may have landed, so the mapping stays dropped (a
restored one would turn our own delete into a "user deletion") and the block
stays in the week's saved blocks instead (:func:`blocks_on_calendar`). Either
way a user edit of the left-over event before the retry is an edit of a block of
this week whose rule no longer asks for it, not "a block moved in from another
week" (sync keeps those): like any user-moved block whose rule went away, it is
deleted. Pins keep a block where the user put it for as long as a rule asks for
it; they do not outlive the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from blocker.core.errors import (
    EventNotFound,
    PreconditionFailed,
    ProviderError,
    RateLimited,
    ReconnectRequired,
    TransientError,
)
from blocker.core.models import Block, EventDraft, Op, Plan, RemoteEvent
from blocker.state import EventMapping, SyncState
from providers.base import CalendarProvider, Write, WriteResult


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What apply did with each op: written, failed (with why), or not attempted.

    ``written`` are the events as the provider returned them after a create or
    update, ``removed`` the ids of events deleted (or found gone): sync folds both
    into its window snapshot so the next incremental read does not take our own
    writes for somebody else's changes.
    """

    applied: tuple[Op, ...] = ()
    failed: tuple[tuple[Op, str], ...] = ()
    skipped: tuple[Op, ...] = ()
    stopped_by: str | None = None
    written: tuple[RemoteEvent, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        """Every op was written: nothing failed and nothing was left for later."""
        return not self.failed and not self.skipped

    @property
    def errors(self) -> tuple[str, ...]:
        messages = [f"{op.action} {op.key}: {why}" for op, why in self.failed]
        if self.skipped:
            messages.append(f"{len(self.skipped)} op(s) left for the next run")
        return tuple(messages)


def apply_ops(
    ops: Sequence[Op],
    *,
    provider: CalendarProvider,
    state: SyncState,
    calendar_id: str,
    week: str,
    private: bool = False,
    dry_run: bool = False,
) -> ApplyResult:
    """Write ``ops`` in batches of ``provider.capabilities.batch_size``.

    A dry run writes nothing and reports every op as skipped. A ``SimulatedCrash``
    or any other non-provider exception propagates: the successes before it are
    already recorded.
    """
    if dry_run:
        return ApplyResult(skipped=tuple(ops))
    mapped = state.mappings(calendar_id, week)
    size = max(1, provider.capabilities.batch_size)
    applied: list[Op] = []
    failed: list[tuple[Op, str]] = []
    written: list[RemoteEvent] = []
    removed: list[str] = []
    for start in range(0, len(ops), size):
        chunk = ops[start : start + size]
        writes = [_write_for(op, calendar_id, private) for op in chunk]
        with state.atomic():  # the batch's deletes forgotten before any is sent
            forgotten = [
                _forget_before_delete(op, mapped, state, calendar_id)
                if op.action == "delete"
                else None
                for op in chunk
            ]
        try:
            results: Sequence[WriteResult] = provider.write_batch(writes)
        except ProviderError as exc:
            results = [exc] * len(chunk)
        stop: str | None = None
        done: list[EventMapping] = []
        for op, result, dropped in zip(chunk, results, forgotten, strict=True):
            why = _record(op, result, done, week)
            if why is None:
                applied.append(op)
                if isinstance(result, RemoteEvent):
                    written.append(result)
                elif op.action == "delete" and op.current is not None:
                    removed.append(op.current.event_id)
                continue
            failed.append((op, why))
            if dropped is not None and _surely_not_deleted(result):
                done.append(dropped)  # still on the calendar: the next run retries it
            if isinstance(result, TransientError | ReconnectRequired):
                stop = why
        if done:  # the whole batch's mappings in one transaction
            state.save_mappings(calendar_id, done)
        if stop is not None:
            rest = tuple(ops[start + size :])
            return ApplyResult(
                tuple(applied), tuple(failed), rest, stop, tuple(written), tuple(removed)
            )
    return ApplyResult(
        tuple(applied), tuple(failed), written=tuple(written), removed=tuple(removed)
    )


def _write_for(op: Op, calendar_id: str, private: bool) -> Write:
    if op.action == "delete":
        return Write("delete", current=op.current)
    assert op.block is not None
    draft = EventDraft.from_block(op.block, calendar_id, private=private)
    return Write(op.action, draft=draft, current=op.current)


def _forget_before_delete(
    op: Op, mapped: dict[str, EventMapping], state: SyncState, calendar_id: str
) -> EventMapping | None:
    """Drop the mapping first: a vanished *mapped* event means the user deleted it.

    Returns the mapping dropped (None if the event was not the mapped one), to be
    restored if the delete fails without a doubt that it did not happen.
    """
    mapping = mapped.get(op.key)
    if op.current is not None and mapping is not None and mapping.event_id == op.current.event_id:
        state.drop_mapping(calendar_id, op.key)
        return mapping
    return None


def _surely_not_deleted(result: WriteResult) -> bool:
    """True when a failed delete's error proves the event is still there: a refusal
    (412, 429, 401/403, ownership). A timeout or a 5xx may come after the delete
    landed: then the event's mapping must stay dropped (see the module docstring)."""
    if not isinstance(result, ProviderError) or isinstance(result, EventNotFound):
        return False
    return isinstance(result, RateLimited) or not isinstance(result, TransientError)


def _record(op: Op, result: WriteResult, done: list[EventMapping], week: str) -> str | None:
    """One write's outcome: its mapping goes to ``done`` (saved with the rest of the
    batch); returns the failure message, or None if done."""
    if isinstance(result, ProviderError):
        if op.action == "delete" and isinstance(result, EventNotFound):
            return None  # gone already: the mapping went before the write
        if isinstance(result, PreconditionFailed):
            return f"changed on the calendar since it was read; retried next run ({result})"
        if isinstance(result, EventNotFound):
            return f"the event is gone; the next run takes that as your decision ({result})"
        return result.user_message()
    if op.action == "delete":
        return None
    if result is None:
        return "the provider returned no event"
    assert op.block is not None
    done.append(
        EventMapping(
            key=op.key,
            event_id=result.event_id,
            week=week,
            content_hash=op.block.content_hash,
            etag=result.etag,
        )
    )
    return None


def blocks_on_calendar(
    plan: Plan,
    previous: Sequence[Block],
    result: ApplyResult,
    dismissed: Iterable[str],
    *,
    read_complete: bool = True,
) -> list[Block]:
    """The blocks as the calendar now holds them: planned ones, except where the
    write failed or was not attempted (then what was there before, if anything).

    Dismissed keys keep their last block: the planner sizes a dismissal from it
    (the minutes the user gave back are not re-placed elsewhere). So does a key
    whose delete failed or was not attempted, and after a read cut short (which
    deletes nothing) every key no longer planned: the block is still on the
    calendar, and its key stays known to the week, so the next run deletes it even
    if the user edits it meanwhile (without it, and without a mapping, as after a
    crash between dropping the mapping and the delete, sync would take the edited
    block for one the user moved in from another week).
    """
    before = {block.key: block for block in previous}
    not_done = [op for op, _ in result.failed] + list(result.skipped)
    unwritten = {op.key for op in not_done if op.action != "delete"}
    undeleted = {op.key for op in not_done if op.action == "delete"}
    if not read_complete:
        undeleted |= set(before)
    blocks: list[Block] = []
    for block in plan.blocks:
        if block.key not in unwritten:
            blocks.append(block)
        elif block.key in before:
            blocks.append(before[block.key])
    planned = {block.key for block in plan.blocks}
    still_there = (set(dismissed) | undeleted) - planned
    blocks.extend(before[k] for k in sorted(still_there) if k in before)
    return blocks


__all__ = ["ApplyResult", "apply_ops", "blocks_on_calendar"]
