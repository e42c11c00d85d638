"""Acting on the week grid: move a block (a pin), dismiss it for the week, undo that.

Each action is the user's own decision written exactly as the sync engine already
reads one made in the calendar app (blocker/edits.py, DESIGN.md 4.5), then one
real run through :meth:`blocker.runtime.Runtime.sync`, the product's one sync
entry point, puts the calendar in line:

- **move**: a pin with the new times (the title stays the planner's, or the
  user's earlier one); the planner places the block exactly there and the run's
  update moves the event, so "What moved" lists it and later runs keep it.
- **dismiss**: the block's event is deleted on the calendar *first*, then the key
  is pinned as dismissed and its mapping dropped, as a delete in the calendar
  app is recorded; a crash between the two still reads as the user's delete (the
  mapped event is gone). Pinning first would be wrong: an owned event of a
  dismissed key is one the user restored, and is never deleted.
- **restore** (undo, until the week ends): the dismissal is forgotten and the
  run plans the block again.

The past is the record: a block that has ended is neither moved nor dismissed,
and nothing is moved into the past.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from blocker.apply import apply_ops
from blocker.core.errors import BlockerError
from blocker.core.models import Block, Op, Pin, RemoteEvent, RunRecord
from blocker.core.weeks import week_dates, week_window
from blocker.runtime import RunOutcome, Runtime
from blocker.web.pages import shown_title

TRIGGER = "grid"
"""The run record's trigger of a run the grid asked for."""


class GridActionRefused(BlockerError):
    """The action cannot be done as asked; nothing was changed (the message says why)."""


class GridActionFailed(BlockerError):
    """The calendar refused the write; the user's earlier decision stands."""

    hint = "try again; if it keeps failing, check the calendar's connection"


MOVED_REASON = "you moved it on the week page"
_CUT_SHORT = "the calendar could not be read in full just now, so nothing was changed"


@dataclass(frozen=True, slots=True)
class Dismissed:
    """A block dismissed for the week (on the page or deleted in the calendar app)."""

    key: str
    title: str
    when: str


def _block(runtime: Runtime, calendar: str, week: str, key: str) -> Block:
    """The block as last placed: on the calendar after a sync, else in the current plan."""
    for block in runtime.store.previous_blocks(calendar, week):
        if block.key == key:
            return block
    for block in runtime.preview(calendar, week).plan.blocks:
        if block.key == key:
            return block
    raise GridActionRefused(f"there is no block {key} in week {week}: open the week again")


def _not_ended(runtime: Runtime, block: Block) -> None:
    if block.end.timestamp() <= runtime.now().timestamp():
        raise GridActionRefused(
            "that block has already ended: the past stays as it was, nothing was changed"
        )


def move_target(week: str, timezone: str, day: date, at: time) -> datetime:
    """The new start of a moved block: ``day`` at ``at`` in the rules' zone, in ``week``."""
    if day not in week_dates(week):
        raise GridActionRefused(f"{day:%a %d %b} is not in week {week}: pick one of its days")
    return datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=ZoneInfo(timezone))


def move_block(runtime: Runtime, calendar: str, week: str, key: str, start: datetime) -> RunOutcome:
    """Pin ``key`` to start at ``start`` (same length) and move its event there, then sync.

    The pin and the event's new place are written together, under the calendar's
    lock, through the sync engine's own write step (:func:`blocker.apply.apply_ops`,
    which records the mapping of what it wrote): the engine reads an event that
    left its pin as the user moving it again, so the pin alone would be undone by
    the next read. The write is kept as a run of its own (trigger ``grid``), so
    "What moved" lists it; the sync after it re-plans the rest around the block.
    A block not yet on the calendar is only pinned: the sync creates it there.
    """
    block = _block(runtime, calendar, week, key)
    _not_ended(runtime, block)
    if block.all_day:
        raise GridActionRefused("an all-day block cannot be moved to a time: dismiss it instead")
    end = start + (block.end - block.start)
    span = week_window(week, runtime.rules.timezone)
    if not (
        span.start.timestamp() <= start.timestamp() and end.timestamp() <= span.end.timestamp()
    ):
        raise GridActionRefused(f"the block would leave week {week}: pick a time inside it")
    if start.timestamp() < runtime.now().timestamp():
        raise GridActionRefused("that time has passed: pick a time from now on")
    with runtime.lock(calendar):
        pins = {p.key: p for p in runtime.store.pins(calendar, week)}
        earlier = pins.get(key)
        title = earlier.title if earlier is not None and not earlier.dismissed else None
        moved = replace(block, start=start, end=end, title=title or block.title)
        event = _event_of(runtime, calendar, week, key)
        runtime.store.save_pin(calendar, week, Pin(key, start=start, end=end, title=title))
        if event is not None:
            _write_move(runtime, calendar, week, moved, event, earlier)
    return runtime.sync(None, calendar, week, trigger=TRIGGER)


def _event_of(runtime: Runtime, calendar: str, week: str, key: str) -> RemoteEvent | None:
    """The block's event on the calendar now (the mapped one when there are two)."""
    read = runtime.provider(calendar).read(week_window(week, runtime.rules.timezone))
    if not read.complete:
        raise GridActionFailed(_CUT_SHORT)
    ours = [e for e in read.events if e.tag is not None and e.tag.key == key and not e.cancelled]
    mapping = runtime.store.mappings(calendar, week).get(key)
    mapped = [e for e in ours if mapping is not None and e.event_id == mapping.event_id]
    chosen = mapped or ours
    return chosen[0] if chosen else None


def _write_move(
    runtime: Runtime,
    calendar: str,
    week: str,
    moved: Block,
    event: RemoteEvent,
    earlier: Pin | None,
) -> None:
    """Move ``event`` to ``moved``'s times and record the write as a run; on failure put
    the earlier decision back (the calendar did not change) and say why."""
    started = runtime.now()
    op = Op("update", moved.key, MOVED_REASON, block=moved, current=event)
    private = bool(getattr(runtime.calendar(calendar), "private_titles", False))
    result = apply_ops(
        [op],
        provider=runtime.provider(calendar),
        state=runtime.store,
        calendar_id=calendar,
        week=week,
        private=private,
    )
    runtime.store.drop_snapshot(calendar, week)  # the next read sees our write in full
    if result.failed or result.skipped:
        if earlier is None:
            runtime.store.drop_pin(calendar, week, moved.key)
        else:
            runtime.store.save_pin(calendar, week, earlier)
        raise GridActionFailed(f"the calendar did not take the move: {'; '.join(result.errors)}")
    runtime.store.record_run(
        RunRecord(
            calendar_id=calendar,
            trigger=TRIGGER,
            week=week,
            started_at=started,
            finished_at=runtime.now(),
            ops=(op,),
            extra={"applied": 1, "pins": 1},
        )
    )


def dismiss_block(runtime: Runtime, calendar: str, week: str, key: str) -> RunOutcome:
    """Delete the block's event, remember the dismissal for the week, then sync."""
    block = _block(runtime, calendar, week, key)
    _not_ended(runtime, block)
    provider = runtime.provider(calendar)
    with runtime.lock(calendar):
        read = provider.read(week_window(week, runtime.rules.timezone))
        if not read.complete:
            raise GridActionFailed(_CUT_SHORT)
        for event in read.events:
            if event.tag is not None and event.tag.key == key and not event.cancelled:
                provider.delete(event)
        runtime.store.drop_mapping(calendar, key)
        runtime.store.save_pin(calendar, week, Pin(key, dismissed=True))
        runtime.store.drop_snapshot(calendar, week)
    return runtime.sync(None, calendar, week, trigger=TRIGGER)


def restore_block(runtime: Runtime, calendar: str, week: str, key: str) -> RunOutcome:
    """Undo a dismissal while its week lasts: forget it, then sync (the block comes back)."""
    if week_window(week, runtime.rules.timezone).end.timestamp() <= runtime.now().timestamp():
        raise GridActionRefused(f"week {week} has ended: its dismissals stay as they were")
    with runtime.lock(calendar):
        pins = {p.key: p for p in runtime.store.pins(calendar, week)}
        pin = pins.get(key)
        if pin is None or not pin.dismissed:
            raise GridActionRefused(f"{key} was not dismissed in week {week}: nothing to undo")
        runtime.store.drop_pin(calendar, week, key)
    return runtime.sync(None, calendar, week, trigger=TRIGGER)


def dismissed_blocks(runtime: Runtime, calendar: str, week: str, tz: ZoneInfo) -> list[Dismissed]:
    """Dismissals of ``week`` that can still be undone (none once the week has ended),
    named by the block they removed when it is known."""
    if week_window(week, runtime.rules.timezone).end.timestamp() <= runtime.now().timestamp():
        return []
    keys = [p.key for p in runtime.store.pins(calendar, week) if p.dismissed]
    if not keys:
        return []
    known = {b.key: b for b in _last_seen(runtime, calendar, week)}
    out = []
    for key in keys:
        block = known.get(key)
        if block is None:
            out.append(Dismissed(key, "A block of this week", ""))
            continue
        start, end = block.start.astimezone(tz), block.end.astimezone(tz)
        when = f"{start:%a %d %b}" if block.all_day else f"{start:%a %H:%M}–{end:%H:%M}"
        out.append(Dismissed(key, shown_title(block.title), when))
    return out


def _last_seen(runtime: Runtime, calendar: str, week: str) -> list[Block]:
    """Blocks of the week's runs, newest last, so a dismissed block can still be named."""
    blocks: dict[str, Block] = {}
    for run in reversed(runtime.store.runs(calendar, 50)):
        if run.week != week:
            continue
        for op in run.ops:
            if op.block is not None:
                blocks[op.key] = op.block
    return list(blocks.values())


__all__ = [
    "TRIGGER",
    "Dismissed",
    "GridActionFailed",
    "GridActionRefused",
    "dismiss_block",
    "dismissed_blocks",
    "move_block",
    "move_target",
    "restore_block",
]
