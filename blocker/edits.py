"""Tell the user's edits of our blocks from our own writes echoing back (pure).

DESIGN.md section 4.5: a block the user moved stays where they put it, a block
they retitled keeps their title, a block they deleted stays deleted that week.
An owned event was edited by the user when what the calendar shows now hashes
differently from BOTH the hash in its ownership tag (written with the event)
and the hash we last recorded for it: an echo of our own write matches one of
them. A deletion is only inferred from a complete read, and only for an event we
had mapped (apply drops a mapping before deleting, so our own deletes never
look like the user's: :mod:`blocker.run_state`, step 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from blocker.core.models import Block, Op, Pin, Plan, RemoteEvent
from blocker.state import EventMapping


@dataclass(frozen=True, slots=True)
class Edits:
    """What the user did since the last run, as the state should now remember it.

    ``pins``: new or changed user decisions (save them); ``accepted``: mappings
    refreshed to the content the user left (so the same edit is not seen again);
    ``gone``: keys whose mapped event vanished (drop those mappings).
    """

    pins: tuple[Pin, ...] = ()
    accepted: tuple[EventMapping, ...] = ()
    gone: tuple[str, ...] = ()


def is_user_edit(event: RemoteEvent, mapping: EventMapping | None) -> bool:
    """True when ``event`` shows content neither its tag nor our last write has."""
    if event.tag is None:
        return False
    if event.unedited:
        return False
    return mapping is None or event.observed_hash != mapping.content_hash


def detect_edits(
    owned: Sequence[RemoteEvent],
    mappings: Mapping[str, EventMapping],
    *,
    week: str,
    previous: Iterable[Block] = (),
    pins: Iterable[Pin] = (),
    read_complete: bool = True,
) -> Edits:
    """User decisions found in ``owned`` (the owned events of one week's read)."""
    before = {block.key: block for block in previous}
    decided = {pin.key: pin for pin in pins}
    by_key = _one_per_key(owned, mappings)
    new_pins: list[Pin] = []
    accepted: list[EventMapping] = []
    for key, event in sorted(by_key.items()):
        if not is_user_edit(event, mappings.get(key)) and not _departs_from(
            decided.get(key), event
        ):
            continue
        pin = _pin_for(event, key, before.get(key), decided.get(key))
        if pin is not None and pin != decided.get(key):
            new_pins.append(pin)
        accepted.append(EventMapping(key, event.event_id, week, event.observed_hash, event.etag))
    gone: list[str] = []
    if read_complete:
        for key in sorted(mappings):
            if key in by_key:
                continue
            gone.append(key)
            if not (key in decided and decided[key].dismissed):
                new_pins.append(Pin(key, dismissed=True))
    return Edits(tuple(new_pins), tuple(accepted), tuple(gone))


def _departs_from(pin: Pin | None, event: RemoteEvent) -> bool:
    """True when ``event`` is no longer where (or as) the user's pin put it.

    We only ever write a pinned block as pinned, so an event that left its pin was
    moved by the user, even when it looks like our own earlier write: the user moved
    it back to where we first put it before the re-tag of their first move landed
    (a crash), and its stale tag matches it again (found by the sync state machine).
    """
    if pin is None or pin.dismissed:
        return False
    return _left_pinned_times(pin, event) or (pin.title is not None and event.title != pin.title)


def _left_pinned_times(pin: Pin | None, event: RemoteEvent) -> bool:
    return (
        pin is not None
        and pin.start is not None
        and pin.end is not None
        and (event.start, event.end) != (pin.start, pin.end)
    )


def _one_per_key(
    owned: Iterable[RemoteEvent], mappings: Mapping[str, EventMapping]
) -> dict[str, RemoteEvent]:
    """One event per key: the mapped one when there are duplicates, else the lowest id."""
    chosen: dict[str, RemoteEvent] = {}
    for event in sorted(owned, key=lambda e: e.event_id):
        if event.tag is None or event.cancelled:
            continue
        key = event.tag.key
        mapping = mappings.get(key)
        if key not in chosen or (mapping is not None and mapping.event_id == event.event_id):
            chosen[key] = event
    return chosen


def _pin_for(event: RemoteEvent, key: str, before: Block | None, old: Pin | None) -> Pin | None:
    """Merge this edit into the user's earlier decision about ``key``.

    Compared with the block we last applied: changed times pin the times,
    a changed title pins the title; what the user did not touch stays free for
    the planner (or keeps an earlier pin). Without a known last block, pin both.
    """
    moved = (
        before is None
        or (event.start, event.end) != (before.start, before.end)
        or _left_pinned_times(old, event)
    )
    retitled = (
        before is None
        or event.title != before.title
        or (old is not None and old.title is not None and event.title != old.title)
    )
    if not (moved or retitled):
        return old
    start = event.start if moved else (old.start if old else None)
    end = event.end if moved else (old.end if old else None)
    title = event.title if retitled else (old.title if old else None)
    return Pin(key, start=start, end=end, title=title)


def where_they_are(previous: Sequence[Block], owned: Sequence[RemoteEvent]) -> list[Block]:
    """Last applied blocks, at the times the calendar shows (the calendar is the truth,
    e.g. after a run that died between a write and saving its blocks)."""
    seen: dict[str, RemoteEvent] = {}
    for event in owned:
        if event.tag is not None and event.unedited:
            seen.setdefault(event.tag.key, event)
    out: list[Block] = []
    for block in previous:
        shown = seen.get(block.key)
        if shown is not None and (shown.start, shown.end) != (block.start, block.end):
            block = replace(block, start=shown.start, end=shown.end)
        out.append(block)
    return out


def adopted_mappings(
    plan: Plan,
    owned: Sequence[RemoteEvent],
    ops: Sequence[Op],
    mappings: Mapping[str, EventMapping],
    week: str,
) -> list[EventMapping]:
    """Mappings for owned events that already match the plan but that the state lost
    track of (a crash between a write and its record): saved, the next run knows them."""
    out: list[EventMapping] = []
    touched = {op.key for op in ops}
    for block in plan.blocks:
        if block.key in touched:
            continue
        candidates = [e for e in owned if e.tag is not None and e.tag.key == block.key]
        mapping = mappings.get(block.key)
        event = next(
            (e for e in candidates if mapping is not None and e.event_id == mapping.event_id),
            next((e for e in candidates if e.observed_hash == block.content_hash), None),
        )
        if event is None:
            continue
        fresh = EventMapping(block.key, event.event_id, week, block.content_hash, event.etag)
        if fresh != mapping:
            out.append(fresh)
    return out


__all__ = ["Edits", "adopted_mappings", "detect_edits", "is_user_edit", "where_they_are"]
