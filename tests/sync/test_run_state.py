"""A run's state changes commit at the boundary blocker.run_state states: one
transaction before the writes, one per write batch, one after. On SQLite and
PostgreSQL: a failure in the last step leaves none of it (the calendar's writes and
their per-batch mappings stay), and the next run finishes from there."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from blocker.core.models import RunRecord, WeekSpec
from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.sync import SyncOutcome, sync_calendar
from providers.memory import MemoryCalendar
from tests.store.pg import BACKENDS, fresh_pg_database
from tests.sync.helpers import CAL, NOW, WEEK, flexible, spec


class DatabaseGone(Exception):
    pass


class RecordFails(Store):
    """A store whose run record fails after it was added, as a database dropping
    the connection at the last statement of the run's final transaction."""

    def record_run(self, run: RunRecord) -> None:
        super().record_run(run)
        raise DatabaseGone("connection lost")


class DropSnapshotFails(Store):
    """A store that fails on the last statement of the step before the writes."""

    def drop_snapshot(self, calendar_id: str, week: str) -> None:
        super().drop_snapshot(calendar_id, week)
        raise DatabaseGone("connection lost")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    with fresh_pg_database() as url:
        eng = make_engine(url)
        migrate(eng)
        yield eng
        eng.dispose()


def _spec() -> WeekSpec:
    return spec(flexible("deep-work", 120), flexible("admin", 30, day=4), flexible("review", 60))


def _sync(cal: MemoryCalendar, state: Store, week_spec: WeekSpec) -> SyncOutcome:
    return sync_calendar(calendar_id=CAL, provider=cal, state=state, spec=week_spec, now=NOW)


def _owned_keys(cal: MemoryCalendar) -> Counter[str]:
    return Counter(e.tag.key for e in cal.snapshot() if e.tag is not None)


def test_a_failure_after_the_writes_leaves_no_half_of_the_last_step(engine: Engine) -> None:
    cipher = TokenCipher(TokenCipher.generate_key())
    cal = MemoryCalendar()
    with pytest.raises(DatabaseGone):
        _sync(cal, RecordFails(engine, cipher), _spec())

    store = Store(engine, cipher)
    keys = _owned_keys(cal)
    assert sorted(keys) == sorted(r.key for r in _spec().requests)
    # step 2 committed per batch: every written event is mapped
    assert set(store.mappings(CAL, WEEK)) == set(keys)
    # step 3 is one transaction: no blocks, no snapshot, no run record
    assert store.previous_blocks(CAL, WEEK) == []
    assert store.snapshot(CAL, WEEK) is None
    assert store.runs(CAL) == []

    rerun = _sync(cal, store, _spec())
    assert rerun.ops == () and rerun.errors == ()
    assert _owned_keys(cal) == keys  # nothing duplicated
    assert {b.key for b in store.previous_blocks(CAL, WEEK)} == set(keys)
    assert store.snapshot(CAL, WEEK) is not None and len(store.runs(CAL)) == 1


def test_a_failure_before_the_writes_saves_no_decision_and_writes_nothing(
    engine: Engine,
) -> None:
    cipher = TokenCipher(TokenCipher.generate_key())
    cal = MemoryCalendar()
    store = Store(engine, cipher)
    first = _sync(cal, store, _spec())
    assert store.snapshot(CAL, WEEK) is not None
    admin_key = next(b.key for b in first.plan.blocks if b.key.startswith("admin"))
    admin = next(e for e in cal.snapshot() if e.tag is not None and e.tag.key == admin_key)
    cal.remove_event(admin.event_id)  # the user deletes a block: a decision to save
    writes = dict(cal.requests)

    # the rules change too, so the run has something to write after the decisions
    bigger = spec(*_spec().requests, flexible("extra", 30, day=2))
    with pytest.raises(DatabaseGone):
        _sync(cal, DropSnapshotFails(engine, cipher), bigger)
    assert cal.requests.get("create", 0) == writes.get("create", 0)  # no write was sent
    assert store.pins(CAL, WEEK) == []  # the dismissal rolled back with the step
    assert admin_key in store.mappings(CAL, WEEK)

    again = _sync(cal, store, bigger)  # the next run finds the same decision again
    assert [p.key for p in store.pins(CAL, WEEK) if p.dismissed] == [admin_key]
    assert {op.key for op in again.ops if op.action == "create"} == {"extra:" + WEEK}
