"""The :class:`blocker.state.SyncState` half of the store: what sync remembers between runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from blocker.core.models import Block, Interval, Pin, RunRecord
from blocker.state import EventMapping, Snapshot
from blocker.store.base import StoreBase
from blocker.store.codec import (
    decode_block,
    decode_op,
    decode_remote_event,
    encode_block,
    encode_op,
    encode_remote_event,
)
from blocker.store.provider_state import take_notices
from blocker.store.tables import (
    AppliedBlocks,
    EventMappingRow,
    PinRow,
    RunRow,
    SyncSnapshotRow,
)


def _mapping(row: EventMappingRow) -> EventMapping:
    return EventMapping(
        key=row.key,
        event_id=row.event_id,
        week=row.week,
        content_hash=row.content_hash,
        etag=row.etag,
    )


def _run(row: RunRow) -> RunRecord:
    errors = [str(e) for e in row.errors]
    return RunRecord(
        calendar_id=row.calendar_id,
        trigger=row.trigger,
        week=row.week,
        started_at=row.started_at,
        finished_at=row.finished_at,
        ops=tuple(decode_op(op) for op in row.ops),
        errors=tuple(e for e in errors if not e.startswith(_OLD_NOTICE)),
        dry_run=row.dry_run,
        extra={str(k): int(v) for k, v in row.counters.items()},
        notices=(
            *(e.removeprefix(_OLD_NOTICE) for e in errors if e.startswith(_OLD_NOTICE)),
            *(str(n) for n in row.notices or ()),
        ),
    )


_OLD_NOTICE = "notice: "
"""Runs recorded before migration 0012 kept their notices among the errors with this prefix."""


_UPSERTS: dict[str, Any] = {}


def _mapping_upsert(dialect: str) -> Any:
    """The upsert of one mapping row, built once per dialect: executed with a list of
    rows it is one cached statement sent as a batch (SQLAlchemy's insertmanyvalues)."""
    cached = _UPSERTS.get(dialect)
    if cached is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(EventMappingRow)
        update = {
            name: stmt.excluded[name]
            for name in ("event_id", "week", "content_hash", "etag", "updated_at")
        }
        cached = stmt.on_conflict_do_update(index_elements=["calendar_id", "key"], set_=update)
        _UPSERTS[dialect] = cached
    return cached


class SyncStateStore(StoreBase):
    """Event mappings, pins, window snapshots, last applied blocks and run history."""

    # -- event mappings ------------------------------------------------------------

    def mappings(self, calendar_id: str, week: str) -> dict[str, EventMapping]:
        """Mappings of the blocks of ``week``, by block key."""
        with self._tx() as s:
            rows = s.scalars(
                select(EventMappingRow).where(
                    EventMappingRow.calendar_id == calendar_id, EventMappingRow.week == week
                )
            )
            return {row.key: _mapping(row) for row in rows}

    def mapping_for_event(self, calendar_id: str, event_id: str) -> EventMapping | None:
        """Which block an event id belongs to (Graph delta reads omit our tag)."""
        with self._tx() as s:
            row = s.scalars(
                select(EventMappingRow)
                .where(
                    EventMappingRow.calendar_id == calendar_id,
                    EventMappingRow.event_id == event_id,
                )
                .limit(1)
            ).first()
            return None if row is None else _mapping(row)

    def save_mapping(self, calendar_id: str, mapping: EventMapping) -> None:
        with self._tx() as s:
            self._upsert(
                s,
                EventMappingRow,
                {
                    "calendar_id": calendar_id,
                    "key": mapping.key,
                    "event_id": mapping.event_id,
                    "week": mapping.week,
                    "content_hash": mapping.content_hash,
                    "etag": mapping.etag,
                    "updated_at": self._now(),
                },
                ("calendar_id", "key"),
            )

    def save_mappings(self, calendar_id: str, mappings: Sequence[EventMapping]) -> None:
        """All of ``mappings`` in one transaction (one batched INSERT .. ON CONFLICT):
        a batch of writes costs one commit, not one per event (BENCHMARKS.md, scale)."""
        latest = {m.key: m for m in mappings}  # a row may be upserted once per statement
        if not latest:
            return
        now = self._now()
        rows = [
            {
                "calendar_id": calendar_id,
                "key": m.key,
                "event_id": m.event_id,
                "week": m.week,
                "content_hash": m.content_hash,
                "etag": m.etag,
                "updated_at": now,
            }
            for m in latest.values()
        ]
        with self._tx() as s:
            s.execute(_mapping_upsert(self.engine.dialect.name), rows)

    def drop_mapping(self, calendar_id: str, key: str) -> None:
        with self._tx() as s:
            s.execute(
                delete(EventMappingRow).where(
                    EventMappingRow.calendar_id == calendar_id, EventMappingRow.key == key
                )
            )

    # -- pins and dismissals -------------------------------------------------------

    def pins(self, calendar_id: str, week: str) -> list[Pin]:
        """User decisions for ``week``: moved/retitled blocks and dismissed keys."""
        with self._tx() as s:
            rows = s.scalars(
                select(PinRow)
                .where(PinRow.calendar_id == calendar_id, PinRow.week == week)
                .order_by(PinRow.key)
            )
            return [
                Pin(
                    key=row.key,
                    start=row.start_at,
                    end=row.end_at,
                    title=row.title,
                    dismissed=row.dismissed,
                )
                for row in rows
            ]

    def save_pin(self, calendar_id: str, week: str, pin: Pin) -> None:
        """Record (or replace) the user's decision about one block of ``week``."""
        with self._tx() as s:
            self._upsert(
                s,
                PinRow,
                {
                    "calendar_id": calendar_id,
                    "week": week,
                    "key": pin.key,
                    "start_at": pin.start,
                    "end_at": pin.end,
                    "title": pin.title,
                    "dismissed": pin.dismissed,
                    "updated_at": self._now(),
                },
                ("calendar_id", "week", "key"),
            )

    def drop_pin(self, calendar_id: str, week: str, key: str) -> None:
        """Forget a decision (the user asked to restore the planned block)."""
        with self._tx() as s:
            s.execute(
                delete(PinRow).where(
                    PinRow.calendar_id == calendar_id, PinRow.week == week, PinRow.key == key
                )
            )

    # -- window snapshots (incremental sync) ----------------------------------------

    def snapshot(self, calendar_id: str, week: str) -> Snapshot | None:
        """The window snapshot of ``week`` for incremental reads, if one is kept."""
        with self._tx() as s:
            row = s.get(SyncSnapshotRow, (calendar_id, week))
            if row is None:
                return None
            return Snapshot(
                token=row.token,
                window=Interval(row.window_start, row.window_end),
                events=tuple(decode_remote_event(item) for item in row.events),
                full_read_at=row.full_read_at,
            )

    def save_snapshot(self, calendar_id: str, week: str, snapshot: Snapshot) -> None:
        encoded: list[dict[str, Any]] = [encode_remote_event(e) for e in snapshot.events]
        with self._tx() as s:
            self._upsert(
                s,
                SyncSnapshotRow,
                {
                    "calendar_id": calendar_id,
                    "week": week,
                    "token": snapshot.token,
                    "window_start": snapshot.window.start,
                    "window_end": snapshot.window.end,
                    "events": encoded,
                    "full_read_at": snapshot.full_read_at,
                    "updated_at": self._now(),
                },
                ("calendar_id", "week"),
            )

    def drop_snapshot(self, calendar_id: str, week: str) -> None:
        """Forget the snapshot: the next run of ``week`` reads the window in full."""
        with self._tx() as s:
            s.execute(
                delete(SyncSnapshotRow).where(
                    SyncSnapshotRow.calendar_id == calendar_id, SyncSnapshotRow.week == week
                )
            )

    # -- last applied plan ---------------------------------------------------------

    def previous_blocks(self, calendar_id: str, week: str) -> list[Block]:
        """The blocks of the last plan applied for ``week`` (for stability)."""
        with self._tx() as s:
            data = s.scalar(
                select(AppliedBlocks.blocks).where(
                    AppliedBlocks.calendar_id == calendar_id, AppliedBlocks.week == week
                )
            )
        return [decode_block(item) for item in data or ()]

    def save_blocks(self, calendar_id: str, week: str, blocks: list[Block]) -> None:
        encoded: list[dict[str, Any]] = [encode_block(block) for block in blocks]
        with self._tx() as s:
            self._upsert(
                s,
                AppliedBlocks,
                {
                    "calendar_id": calendar_id,
                    "week": week,
                    "blocks": encoded,
                    "updated_at": self._now(),
                },
                ("calendar_id", "week"),
            )

    # -- run history ---------------------------------------------------------------

    def record_run(self, run: RunRecord) -> None:
        """Keep ``run``; what the calendar newly does without (``provider_state``) is
        told here once, after the run's own notices."""
        with self._tx() as s:
            notices = take_notices(s, run.calendar_id, self._now())
            s.add(
                RunRow(
                    calendar_id=run.calendar_id,
                    trigger=run.trigger,
                    week=run.week,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    dry_run=run.dry_run,
                    ops=[encode_op(op) for op in run.ops],
                    errors=list(run.errors),
                    counters=dict(run.extra),
                    notices=[*run.notices, *notices],
                )
            )

    def runs(self, calendar_id: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Most recent first (by start time, then by insertion)."""
        query = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(limit)
        if calendar_id is not None:
            query = query.where(RunRow.calendar_id == calendar_id)
        with self._tx() as s:
            return [_run(row) for row in s.scalars(query)]

    def latest_run_id(self, calendar_id: str) -> int | None:
        """The row id of the last run recorded for ``calendar_id`` (None: none yet): a
        new run changes it even when a pinned clock gives it the same times."""
        query = select(func.max(RunRow.id)).where(RunRow.calendar_id == calendar_id)
        with self._tx() as s:
            value = s.scalar(query)
        return int(value) if value is not None else None


__all__ = ["SyncStateStore"]
