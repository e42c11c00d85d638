"""``Store.atomic``: one thread's store calls in the block commit together or not at
all (the phases of a sync run, blocker.run_state), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from blocker.core.models import Block, Pin, RunRecord
from blocker.state import EventMapping
from blocker.store import Store

WEEK = "2026-W49"
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
PIN = Pin("k", dismissed=True)
MAPPING = EventMapping("k", "ev-1", WEEK, "h")
RUN = RunRecord("cal", "test", WEEK, T0, T0 + timedelta(seconds=1))


def _block() -> Block:
    return Block(
        key="k", rule="focus", kind="flexible", title="Focus", start=T0, end=T0 + timedelta(hours=1)
    )


class Boom(Exception):
    pass


def test_a_failure_inside_leaves_none_of_the_block_s_changes(store: Store) -> None:
    with pytest.raises(Boom), store.atomic():
        store.save_pin("cal", WEEK, PIN)
        store.save_mapping("cal", MAPPING)
        store.save_blocks("cal", WEEK, [_block()])
        store.record_run(RUN)
        raise Boom
    assert store.pins("cal", WEEK) == []
    assert store.mappings("cal", WEEK) == {}
    assert store.previous_blocks("cal", WEEK) == []
    assert store.runs("cal") == []


def test_the_changes_commit_together_and_are_read_inside(store: Store) -> None:
    with store.atomic():
        store.save_pin("cal", WEEK, PIN)
        store.save_mapping("cal", MAPPING)
        assert store.pins("cal", WEEK) == [PIN]  # the block reads its own writes
        store.drop_mapping("cal", "k")
        store.save_blocks("cal", WEEK, [_block()])
    assert store.pins("cal", WEEK) == [PIN]
    assert store.mappings("cal", WEEK) == {}
    assert [b.key for b in store.previous_blocks("cal", WEEK)] == ["k"]


def test_a_nested_block_joins_the_outer_one(store: Store) -> None:
    with pytest.raises(Boom), store.atomic():
        with store.atomic():
            store.save_pin("cal", WEEK, PIN)
        assert store.pins("cal", WEEK) == [PIN]
        raise Boom
    assert store.pins("cal", WEEK) == []
    store.save_pin("cal", WEEK, PIN)  # outside a block: its own transaction again
    assert store.pins("cal", WEEK) == [PIN]
