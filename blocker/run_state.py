"""The one transaction boundary of a sync run's state changes.

The calendar is remote, so no transaction can span a write to it; a run that dies
anywhere must still leave a state the next run finishes from without duplicates
and without taking our own writes for the user's. A run therefore changes the
state in these steps only, each one transaction (:meth:`SyncState.atomic`), and
never calls the calendar inside one:

1. **Before the first write** (:meth:`RunState.before_writes`): the user's
   decisions found in the read (pins; mappings of events they deleted, dropped;
   mappings refreshed to the content they left) and, when anything will be
   written, the week's window snapshot dropped, so a crash mid-apply leaves no
   snapshot and the next run reads in full.
2. **Around each write batch** (:mod:`blocker.apply`): before the batch, the
   mappings of the events it deletes are dropped, so an event gone afterwards is
   never taken for a user's deletion; after the batch, the written events'
   mappings (content hash, etag) are saved, and a dropped mapping comes back when
   the error proves the delete did not happen. Creates use deterministic event ids,
   so a write whose record a crash lost is found again, never duplicated.
3. **After the writes** (:meth:`RunState.finish`): mappings adopted for events
   that already match the plan, the week's blocks as the calendar now holds them,
   the snapshot with our own writes folded in (dropped unless apply finished
   cleanly), and the run record, together.

Besides these, a stale sync token drops the snapshot (:meth:`RunState.token_expired`)
and a failed read records its run and nothing else (:meth:`RunState.read_failed`).
A dry run changes nothing but its run record, a preview not even that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from blocker.apply import ApplyResult
from blocker.core.models import Block, Pin, RunRecord
from blocker.state import EventMapping, Snapshot, SyncState


@dataclass(frozen=True, slots=True)
class RunState:
    """One run's changes to the state of one calendar and week (module docstring)."""

    state: SyncState
    calendar_id: str
    week: str
    dry_run: bool
    record: bool = True

    def token_expired(self) -> None:
        """The snapshot's token went stale: the next read of the week is full."""
        if not self.dry_run:
            self.state.drop_snapshot(self.calendar_id, self.week)

    def read_failed(self, run: RunRecord) -> None:
        """Nothing was read, so nothing changes but the run's record."""
        if self.record:
            self.state.record_run(run)

    def before_writes(
        self,
        *,
        pins: Sequence[Pin],
        gone: Sequence[str],
        accepted: Sequence[EventMapping],
        writes: bool,
    ) -> None:
        """Step 1: the user's decisions, and no snapshot while writes are under way.
        ``gone`` holds every name of a vanished block's key (old account keys too)."""
        if self.dry_run:
            return
        cal, week = self.calendar_id, self.week
        with self.state.atomic():
            for pin in pins:
                self.state.save_pin(cal, week, pin)
            for key in gone:
                self.state.drop_mapping(cal, key)
            for mapping in accepted:
                self.state.save_mapping(cal, mapping)
            if writes:
                self.state.drop_snapshot(cal, week)

    def finish(
        self,
        *,
        adopted: Sequence[EventMapping],
        blocks: list[Block],
        snapshot: Snapshot | None,
        result: ApplyResult,
        run: RunRecord,
    ) -> None:
        """Step 3: what the calendar now holds, and the run's record, in one go."""
        cal, week = self.calendar_id, self.week
        with self.state.atomic():
            if not self.dry_run:
                if adopted:
                    self.state.save_mappings(cal, adopted)
                self.state.save_blocks(cal, week, blocks)
                if snapshot is None or not result.clean:
                    self.state.drop_snapshot(cal, week)
                else:
                    merged = snapshot.merged(result.written, result.removed)
                    self.state.save_snapshot(cal, week, merged)
            if self.record:
                self.state.record_run(run)


__all__ = ["RunState"]
