"""Rules versions: save, list newest first, roll back and forward."""

from __future__ import annotations

import pytest

from blocker.store import RulesVersionNotFound, Store

V1 = "rules:\n  - kind: focus\n    hours: 4\n"
V2 = "rules:\n  - kind: focus\n    hours: 6  # more focus\n"


def test_empty_store_has_no_rules(store: Store) -> None:
    assert store.current_rules() is None
    assert store.rules_versions() == []


def test_save_makes_the_new_text_current(store: Store) -> None:
    first = store.save_rules_version(V1)
    second = store.save_rules_version(V2)
    assert second > first
    current = store.current_rules()
    assert current is not None and (current.id, current.text) == (second, V2)
    history = store.rules_versions()
    assert [(v.id, v.is_current) for v in history] == [(second, True), (first, False)]
    assert history[1].text == V1
    assert history[0].created_at.tzinfo is not None
    assert [v.id for v in store.rules_versions(limit=1)] == [second]
    assert store.get_rules_version(first) == history[1]
    assert store.get_rules_version(first + second) is None


def test_restore_rolls_back_then_a_new_save_wins(store: Store) -> None:
    first = store.save_rules_version(V1)
    second = store.save_rules_version(V2)
    restored = store.restore_rules_version(first)
    assert restored.id == first and restored.is_current and restored.text == V1
    current = store.current_rules()
    assert current is not None and current.id == first
    assert [v.is_current for v in store.rules_versions()] == [False, True]

    third = store.save_rules_version(V2 + "\n# edited again\n")
    current = store.current_rules()
    assert current is not None and current.id == third
    assert sum(v.is_current for v in store.rules_versions()) == 1
    assert second in [v.id for v in store.rules_versions()]


def test_restore_unknown_version(store: Store) -> None:
    store.save_rules_version(V1)
    with pytest.raises(RulesVersionNotFound, match="no rules version 999"):
        store.restore_rules_version(999)
    current = store.current_rules()
    assert current is not None and current.text == V1


def test_saving_the_text_in_force_adds_no_version(store: Store) -> None:
    """Issue 17.2: identical saves are deduplicated (the current version's id answers)."""
    first = store.save_rules_version(V1)
    assert store.save_rules_version(V1) == first
    assert [v.id for v in store.rules_versions()] == [first]
    second = store.save_rules_version(V2)
    store.restore_rules_version(first)
    assert store.save_rules_version(V1) == first  # the restored one is in force
    assert [v.id for v in store.rules_versions()] == [second, first]


def test_only_the_newest_versions_are_kept(
    store: Store,
) -> None:
    """Issue 17.2: 25 saves of big rules kept every version; now only the last N."""
    ids = [store.save_rules_version(f"{V1}# edit {n}\n", keep=3) for n in range(6)]
    assert [v.id for v in store.rules_versions(limit=100)] == ids[:-4:-1]
    store.restore_rules_version(ids[3])  # the oldest kept one back in force
    newest = store.save_rules_version(V2, keep=2)
    current = store.current_rules()
    assert current is not None and current.id == newest
    assert [v.id for v in store.rules_versions(limit=100)] == [newest, ids[5]]
    # the listing the API serves carries no texts
    listed = store.rules_version_list(limit=10)
    assert [(v.id, v.text, v.is_current) for v in listed] == [
        (newest, "", True),
        (ids[5], "", False),
    ]
