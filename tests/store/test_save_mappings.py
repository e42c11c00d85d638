"""``save_mappings``: a batch of mappings in one statement, same result as one by one."""

from __future__ import annotations

from blocker.state import EventMapping
from blocker.state_memory import MemoryState
from blocker.store import Store

WEEK = "2026-W49"


def test_save_mappings_inserts_updates_and_keeps_the_last_of_a_key(store: Store) -> None:
    store.save_mapping("cal", EventMapping("a", "ev-a", WEEK, "h0"))
    store.save_mappings(
        "cal",
        [
            EventMapping("a", "ev-a", WEEK, "h1", etag='"2"'),
            EventMapping("b", "ev-b", WEEK, "h2"),
            EventMapping("b", "ev-b2", WEEK, "h3"),  # a later write of the same key wins
            EventMapping("c", "ev-c", "2026-W50", "h4"),
        ],
    )
    store.save_mappings("cal", [])
    assert store.mappings("cal", WEEK) == {
        "a": EventMapping("a", "ev-a", WEEK, "h1", etag='"2"'),
        "b": EventMapping("b", "ev-b2", WEEK, "h3"),
    }
    assert set(store.mappings("cal", "2026-W50")) == {"c"}
    assert store.mappings("other", WEEK) == {}


def test_memory_state_agrees(store: Store) -> None:
    batch = [EventMapping(f"k{i}", f"ev{i}", WEEK, f"h{i}") for i in range(60)]
    memory = MemoryState()
    for state in (store, memory):
        state.save_mappings("cal", batch)
    assert store.mappings("cal", WEEK) == memory.mappings("cal", WEEK)
