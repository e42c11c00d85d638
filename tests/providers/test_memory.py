"""MemoryCalendar: its own test hooks (the shared contract runs in test_contract_memory)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from blocker.core.errors import EventNotFound, SyncTokenExpired, TransientError
from blocker.core.keys import content_hash
from blocker.core.models import EventDraft, Interval
from providers.base import Write
from providers.memory import MemoryCalendar, SimulatedCrash
from tests.providers.contract import Harness, ProviderContract

TZ = ZoneInfo("Europe/Berlin")
WEEK = Interval(datetime(2026, 3, 23, tzinfo=TZ), datetime(2026, 3, 30, tzinfo=TZ))


def draft(key: str, hour: int = 9, title: str = "Focus") -> EventDraft:
    start = datetime(2026, 3, 24, hour, tzinfo=TZ)
    end = start + timedelta(hours=1)
    return EventDraft(
        event_id=f"id{key}",
        key=key,
        title=title,
        start=start,
        end=end,
        content_hash=content_hash(title, start, end),
    )


def test_user_edits_keep_the_tag_and_change_the_etag() -> None:
    cal = MemoryCalendar()
    made = cal.create(draft("a"))
    moved = cal.move_event(
        made.event_id, made.start + timedelta(hours=2), made.end + timedelta(hours=2)
    )
    assert moved.tag == made.tag
    assert moved.etag != made.etag
    assert moved.observed_hash != made.tag.content_hash  # type: ignore[union-attr]
    renamed = cal.retitle_event(made.event_id, "Mine now")
    assert renamed.title == "Mine now" and renamed.tag == made.tag
    cal.remove_event(made.event_id)
    assert cal.snapshot() == []
    with pytest.raises(EventNotFound):
        cal.remove_event(made.event_id)


def test_fail_next_raises_the_given_error_the_given_number_of_times() -> None:
    cal = MemoryCalendar()
    cal.fail_next("read", TransientError("down"), times=2)
    for _ in range(2):
        with pytest.raises(TransientError):
            cal.read(WEEK)
    assert cal.read(WEEK).complete
    assert cal.requests["read"] == 3


def test_fail_next_create_hits_one_batch_item_only() -> None:
    cal = MemoryCalendar(batch_size=10)
    cal.fail_next("create", TransientError("flaky"))
    results = cal.write_batch(
        [Write("create", draft=draft(k, hour=h)) for k, h in (("a", 8), ("b", 9))]
    )
    assert isinstance(results[0], TransientError)
    assert results[1] is not None and not isinstance(results[1], Exception)
    assert [e.tag.key for e in cal.snapshot() if e.tag] == ["b"]


def test_batch_counts_one_request_per_chunk() -> None:
    cal = MemoryCalendar(batch_size=2)
    cal.write_batch([Write("create", draft=draft(str(h), hour=h)) for h in range(8, 13)])
    assert cal.requests["batch"] == 3
    assert cal.requests["create"] == 0
    assert cal.writes["create"] == 5
    cal.batch_size = 5
    assert cal.capabilities.batch_size == 5


def test_fail_next_batch_fails_the_whole_request() -> None:
    cal = MemoryCalendar()
    cal.fail_next("batch", TransientError("503"))
    with pytest.raises(TransientError):
        cal.write_batch([Write("create", draft=draft("a"))])
    assert cal.snapshot() == []


def test_partial_read_is_marked_incomplete_and_carries_no_token() -> None:
    cal = MemoryCalendar()
    for hour in (8, 10, 12, 14):
        cal.add_foreign(
            datetime(2026, 3, 24, hour, tzinfo=TZ), datetime(2026, 3, 24, hour + 1, tzinfo=TZ)
        )
    cal.partial_next_read()
    cut = cal.read(WEEK)
    assert not cut.complete and cut.sync_token is None
    assert 0 < len(cut.events) < 4
    full = cal.read(WEEK)
    assert full.complete and len(full.events) == 4


def test_crash_after_writes_stops_before_the_next_write() -> None:
    cal = MemoryCalendar()
    cal.crash_after_writes(2)
    cal.create(draft("a", hour=8))
    cal.create(draft("b", hour=9))
    with pytest.raises(SimulatedCrash):
        cal.create(draft("c", hour=10))
    assert len(cal.snapshot()) == 2
    cal.create(draft("c", hour=10))  # the restarted process goes on
    assert len(cal.snapshot()) == 3


def test_crash_that_lands_writes_then_dies_and_a_retry_makes_no_duplicate() -> None:
    cal = MemoryCalendar()
    cal.crash_after_writes(0, lands=True)
    with pytest.raises(SimulatedCrash):
        cal.create(draft("a"))
    assert len(cal.snapshot()) == 1
    again = cal.create(draft("a"))
    assert len(cal.snapshot()) == 1 and again.tag is not None
    assert cal.writes["create"] == 1


def test_crash_is_not_a_provider_error() -> None:
    cal = MemoryCalendar()
    cal.crash_after_writes(1)
    with pytest.raises(SimulatedCrash):
        cal.write_batch([Write("create", draft=draft(str(h), hour=h)) for h in (8, 9, 10)])
    assert len(cal.snapshot()) == 1


def test_token_older_than_the_retained_log_expires() -> None:
    cal = MemoryCalendar(log_limit=3)
    token = cal.read(WEEK).sync_token
    assert token is not None
    for hour in (8, 9, 10, 11):
        cal.add_foreign(
            datetime(2026, 3, 24, hour, tzinfo=TZ), datetime(2026, 3, 24, hour, 30, tzinfo=TZ)
        )
    with pytest.raises(SyncTokenExpired):
        cal.read(WEEK, token)


def test_expire_sync_tokens_invalidates_old_tokens_only() -> None:
    cal = MemoryCalendar()
    old = cal.read(WEEK).sync_token
    assert old is not None
    cal.expire_sync_tokens()
    with pytest.raises(SyncTokenExpired):
        cal.read(WEEK, old)
    fresh = cal.read(WEEK).sync_token
    assert fresh is not None
    assert cal.read(WEEK, fresh).events == ()


def test_token_of_another_calendar_is_refused() -> None:
    one, two = MemoryCalendar(), MemoryCalendar()
    token = one.read(WEEK).sync_token
    assert token is not None
    with pytest.raises(SyncTokenExpired):
        two.read(WEEK, token)


def test_recreating_a_deleted_block_revives_it_with_a_new_etag() -> None:
    cal = MemoryCalendar()
    made = cal.create(draft("a"))
    cal.delete(made)
    again = cal.create(draft("a"))
    assert again.etag != made.etag and not again.cancelled
    assert cal.draft_of(made.event_id) == draft("a")


class MemoryHarness:
    """Plays the user through MemoryCalendar's public test hooks."""

    supports_incremental = True

    def __init__(self, provider: MemoryCalendar) -> None:
        self.provider = provider

    def add_foreign(self, start: datetime, end: datetime, title: str = "Meeting", **kw: Any) -> str:
        return self.provider.add_foreign(start, end, title, **kw).event_id

    def move(self, event_id: str, start: datetime, end: datetime) -> None:
        self.provider.move_event(event_id, start, end)

    def remove(self, event_id: str) -> None:
        self.provider.remove_event(event_id)

    def expire_sync_tokens(self) -> None:
        self.provider.expire_sync_tokens()


class TestMemoryContract(ProviderContract):
    @pytest.fixture
    def harness(self) -> Harness:
        return MemoryHarness(MemoryCalendar())


class TestMemoryContractOneByOne(ProviderContract):
    """The same contract with a batch size of one (every batch item its own request)."""

    @pytest.fixture
    def harness(self) -> Harness:
        return MemoryHarness(MemoryCalendar(batch_size=1))
