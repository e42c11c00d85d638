"""The week cache on its own: a key that differs in any part never gets another's
week (two users' calendars both called ``work`` above all), it stays within its
bound, its cards are read-only, and threads share it safely."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from blocker.core.models import RunRecord
from blocker.store import Store
from blocker.team.summary import MemberWeek
from blocker.team.week_cache import TTL, WeekCache, WeekKey
from tests.support.clock import TEST_NOW

WEEK = "2026-W50"


def _key(user_id: int, calendar_id: str = "work", week: str = WEEK) -> WeekKey:
    return WeekKey(user_id, calendar_id, week, 7, "a" * 64, 42)


def _week(who: str, week: str = WEEK) -> MemberWeek:
    return MemberWeek(week=week, card={"who": who}, focus_asked=60)


def test_two_users_with_the_same_calendar_id_never_share_a_week() -> None:
    cache = WeekCache()
    ann, bob = _key(1), _key(2)
    cache.put(ann, _week("ann"), TEST_NOW)
    assert cache.get(bob, TEST_NOW) is None
    cache.put(bob, _week("bob"), TEST_NOW)
    got_ann, got_bob = cache.get(ann, TEST_NOW), cache.get(bob, TEST_NOW)
    assert got_ann is not None and got_ann.card == {"who": "ann"}
    assert got_bob is not None and got_bob.card == {"who": "bob"}


@pytest.mark.parametrize(
    "change",
    [
        {"overlay_version": 8},
        {"overlay_version": None},
        {"template": "b" * 64},
        {"latest_run": 43},
        {"latest_run": None},
    ],
)
def test_a_key_differing_in_any_part_misses_and_drops_the_old_week(change: dict[str, Any]) -> None:
    cache = WeekCache()
    kept = _key(1)
    cache.put(kept, _week("old"), TEST_NOW)
    assert cache.get(replace(kept, **change), TEST_NOW) is None
    assert cache.get(kept, TEST_NOW) is None  # replaced: the old rules/run are gone
    assert len(cache) == 0


def test_weeks_expire_after_the_ttl_and_when_the_clock_goes_back() -> None:
    cache = WeekCache()
    cache.put(_key(1), _week("w"), TEST_NOW)
    assert cache.get(_key(1), TEST_NOW + TTL - timedelta(microseconds=1)) is not None
    assert cache.get(_key(1), TEST_NOW + TTL) is None
    cache.put(_key(1), _week("w"), TEST_NOW)
    assert cache.get(_key(1), TEST_NOW - timedelta(seconds=1)) is None


def test_the_least_recently_used_week_goes_first() -> None:
    cache = WeekCache(max_entries=2)
    cache.put(_key(1), _week("one"), TEST_NOW)
    cache.put(_key(2), _week("two"), TEST_NOW)
    assert cache.get(_key(1), TEST_NOW) is not None  # one is now the most recent
    cache.put(_key(3), _week("three"), TEST_NOW)
    assert len(cache) == 2
    assert cache.get(_key(2), TEST_NOW) is None
    assert cache.get(_key(1), TEST_NOW) is not None and cache.get(_key(3), TEST_NOW) is not None
    with pytest.raises(ValueError, match="at least one week"):
        WeekCache(max_entries=0)


def test_a_kept_card_cannot_be_changed_by_a_view() -> None:
    cache = WeekCache()
    card = {"who": "ann"}
    cache.put(_key(1), MemberWeek(week=WEEK, card=card), TEST_NOW)
    card["who"] = "changed after"  # the caller's dict is not the one kept
    got = cache.get(_key(1), TEST_NOW)
    assert got is not None and got.card == {"who": "ann"}
    with pytest.raises(TypeError):
        got.card["who"] = "bob"  # type: ignore[index]


def test_threads_share_it_within_its_bound() -> None:
    cache = WeekCache(max_entries=50)
    wrong: list[tuple[int, object]] = []

    def work(offset: int) -> None:
        for i in range(400):
            user = offset + i % 80
            cache.put(_key(user), _week(str(user)), TEST_NOW)
            got = cache.get(_key(user), TEST_NOW)
            if got is not None and got.card != {"who": str(user)}:
                wrong.append((user, got.card))

    threads = [threading.Thread(target=work, args=(n * 40,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(cache) == 50


def test_the_last_run_id_changes_with_each_run_of_that_calendar(store: Store) -> None:
    """Part of the key, on SQLite and PostgreSQL: a run with the same (pinned) times as
    the one before still changes it; another calendar's run does not."""
    assert store.latest_run_id("u2~work") is None
    run = RunRecord("u2~work", "test", WEEK, TEST_NOW, TEST_NOW)
    store.record_run(run)
    first = store.latest_run_id("u2~work")
    assert first is not None
    store.record_run(RunRecord("u3~work", "test", WEEK, TEST_NOW, TEST_NOW))
    assert store.latest_run_id("u2~work") == first
    store.record_run(run)
    second = store.latest_run_id("u2~work")
    assert second is not None and second != first
    assert store.latest_run_id("u3~work") not in (None, first, second)
