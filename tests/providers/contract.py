"""The one contract every calendar provider passes (see providers/base.py).

Use it by subclassing :class:`ProviderContract` in a ``test_*.py`` module, with a
class name starting with ``Test`` and a ``harness`` fixture returning an object
that satisfies :class:`Harness`::

    class TestMemoryContract(ProviderContract):
        @pytest.fixture
        def harness(self) -> Harness:
            return MemoryHarness(MemoryCalendar())

The harness plays the user (and the other people inviting them) through the
provider's back door: the fake server's state, the .ics file, the memory
calendar's hooks, never through the provider under test. Every test works in
ISO week 2026-W13 in Europe/Berlin, which holds the spring DST change.

Assertions carry messages because this module is imported from several test
packages and pytest only rewrites asserts in modules registered early (add
``pytest.register_assert_rewrite("tests.providers.contract")`` to the top-level
``tests/conftest.py`` for richer failure output).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest

from blocker.core.errors import (
    EventNotFound,
    OwnershipError,
    PreconditionFailed,
    SyncTokenExpired,
)
from blocker.core.keys import content_hash, event_id_for
from blocker.core.models import EventDraft, Interval, ReadResult, RemoteEvent
from providers.base import CalendarProvider, Write
from tests.support.skips import capability_skip

TZ = ZoneInfo("Europe/Berlin")
WINDOW = Interval(datetime(2026, 3, 23, tzinfo=TZ), datetime(2026, 3, 30, tzinfo=TZ))
"""2026-W13 in Berlin: 167 hours, clocks go forward on Sunday 29 March at 02:00."""

CALENDAR_ID = "contract-calendar"


class Harness(Protocol):
    """The provider under test plus back-door control of the calendar behind it."""

    @property
    def provider(self) -> CalendarProvider:
        """The provider under test (a read-only member, so subclasses may narrow it)."""
        ...

    @property
    def supports_incremental(self) -> bool:
        """Whether the calendar behind the provider hands out sync tokens."""
        ...

    def add_foreign(self, start: datetime, end: datetime, title: str = "Meeting", **kw: Any) -> str:
        """Put a foreign event on the calendar; returns its id as the provider reports it.

        ``kw`` may hold ``all_day=True`` (start/end are then local midnights).
        """
        ...

    def move(self, event_id: str, start: datetime, end: datetime) -> None:
        """Move any event as a user would (owned ones keep their tag)."""
        ...

    def remove(self, event_id: str) -> None:
        """Delete any event as a user would."""
        ...

    def expire_sync_tokens(self) -> None:
        """Make every sync token handed out so far stale (410 / syncStateNotFound).

        Only called when ``supports_incremental`` is True.
        """
        ...


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock time in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def make_draft(
    key: str,
    start: datetime,
    end: datetime,
    title: str = "Focus: Acme, Inc; QBR prep — ä",
    **kw: Any,
) -> EventDraft:
    """A draft as apply would build it: deterministic id, hash of title and instants."""
    return EventDraft(
        event_id=event_id_for(CALENDAR_ID, key),
        key=key,
        title=title,
        start=start,
        end=end,
        content_hash=content_hash(title, start, end),
        **kw,
    )


def find(result: ReadResult, event_id: str) -> RemoteEvent | None:
    matches = [e for e in result.events if e.event_id == event_id]
    assert len(matches) <= 1, f"event {event_id} returned {len(matches)} times"
    return matches[0] if matches else None


def owned_with_key(result: ReadResult, key: str) -> list[RemoteEvent]:
    return [e for e in result.events if e.tag is not None and e.tag.key == key]


class ProviderContract:
    """Behaviour the sync engine relies on, the same for every provider."""

    @pytest.fixture
    def harness(self) -> Harness:  # pragma: no cover - subclasses provide it
        raise NotImplementedError("subclasses provide a harness fixture")

    # -- create / read --------------------------------------------------------------

    def test_create_then_read_round_trips(self, harness: Harness) -> None:
        draft = make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11))
        made = harness.provider.create(draft)
        assert made.etag, "a created event carries an etag"
        read = harness.provider.read(WINDOW)
        assert read.complete and not read.incremental, read
        event = find(read, made.event_id)
        assert event is not None, f"created event {made.event_id} not read back"
        assert event.title == draft.title, event.title
        assert event.start == draft.start and event.end == draft.end, (event.start, event.end)
        assert event.start.tzinfo is not None and event.end.tzinfo is not None
        assert event.tag is not None and event.owned
        assert event.tag.key == draft.key, event.tag
        assert event.tag.content_hash == draft.content_hash, event.tag
        assert event.observed_hash == draft.content_hash, "untouched event hashes as written"
        assert not event.transparent, "show_as busy must read back as opaque"
        assert not event.cancelled and not event.all_day

    def test_free_block_reads_back_transparent(self, harness: Harness) -> None:
        draft = make_draft("buffer:2026-03-25:0", at(25, 14), at(25, 15), show_as="free")
        made = harness.provider.create(draft)
        event = find(harness.provider.read(WINDOW), made.event_id)
        assert event is not None and event.transparent, event

    def test_create_with_the_same_id_twice_makes_one_event(self, harness: Harness) -> None:
        draft = make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11))
        first = harness.provider.create(draft)
        second = harness.provider.create(draft)
        assert second.event_id == first.event_id, (first.event_id, second.event_id)
        owned = owned_with_key(harness.provider.read(WINDOW), draft.key)
        assert len(owned) == 1, f"retried create duplicated the block: {owned}"

    # -- update ----------------------------------------------------------------------

    def test_update_moves_and_retitles_and_changes_the_etag(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        moved = make_draft("focus:2026-03-24:0", at(26, 13), at(26, 14, 30), title="Deep work")
        updated = provider.update(made, moved)
        assert updated.event_id == made.event_id, "a move is a PATCH, not a new event"
        assert updated.etag and updated.etag != made.etag, (made.etag, updated.etag)
        event = find(provider.read(WINDOW), made.event_id)
        assert event is not None
        assert (event.title, event.start, event.end) == ("Deep work", at(26, 13), at(26, 14, 30))
        assert event.tag is not None and event.tag.content_hash == moved.content_hash
        assert event.etag == updated.etag, "the etag returned by update is the one read back"
        assert len(owned_with_key(provider.read(WINDOW), moved.key)) == 1

    def test_update_with_a_stale_etag_is_refused(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        provider.update(made, make_draft("focus:2026-03-24:0", at(24, 10), at(24, 12)))
        with pytest.raises(PreconditionFailed):
            provider.update(made, make_draft("focus:2026-03-24:0", at(24, 15), at(24, 16)))
        event = find(provider.read(WINDOW), made.event_id)
        assert event is not None and event.start == at(24, 10), "refused write left no trace"

    def test_update_after_a_user_move_is_refused(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        harness.move(made.event_id, at(24, 16), at(24, 18))
        with pytest.raises(PreconditionFailed):
            provider.update(made, make_draft("focus:2026-03-24:0", at(24, 12), at(24, 13)))
        event = find(provider.read(WINDOW), made.event_id)
        assert event is not None and event.start == at(24, 16), "the user's move stands"
        assert event.tag is not None and event.tag.key == made.tag.key  # type: ignore[union-attr]
        assert event.observed_hash != event.tag.content_hash, "a user edit shows in the hash"

    def test_update_rewrites_the_tags_hash_to_the_drafts(self, harness: Harness) -> None:
        """The sync engine's re-tag: after a user move it writes the event as it now is,
        so only the tag's hash changes; if it did not stick, the re-tag would repeat
        every run and moving the block back would read as our own echo."""
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        harness.move(made.event_id, at(24, 16), at(24, 18))
        current = find(provider.read(WINDOW), made.event_id)
        assert current is not None and current.tag is not None
        assert current.observed_hash != current.tag.content_hash, "the move shows in the hash"
        retag = make_draft("focus:2026-03-24:0", at(24, 16), at(24, 18))
        assert retag.content_hash == current.observed_hash
        written = provider.update(current, retag)
        assert written.tag is not None and written.tag.content_hash == retag.content_hash
        event = find(provider.read(WINDOW), made.event_id)
        assert event is not None and event.tag is not None
        assert (event.start, event.end) == (at(24, 16), at(24, 18)), "the user's times stand"
        assert event.tag.key == retag.key, event.tag
        assert event.tag.content_hash == retag.content_hash, "update rewrote the tag's hash"
        assert event.observed_hash == event.tag.content_hash, "re-tagged: no edit seen now"
        assert event.etag == written.etag, "the etag returned by update is the one read back"

    def test_all_day_owned_block_round_trips_as_all_day(self, harness: Harness) -> None:
        provider = harness.provider
        draft = make_draft("offsite:2026-03-27", at(27, 0), at(28, 0), "Offsite", all_day=True)
        made = provider.create(draft)
        assert made.all_day, made
        assert made.tag is not None and made.tag.content_hash == draft.content_hash
        event = find(provider.read(WINDOW), made.event_id)
        assert event is not None and event.all_day, event
        assert (event.start, event.end) == (draft.start, draft.end), (event.start, event.end)
        assert event.tag is not None and event.tag.key == draft.key
        assert event.observed_hash == event.tag.content_hash == draft.content_hash
        # an all-day day across the DST change keeps its local midnights (23 real hours)
        sunday = make_draft("offsite:2026-03-27", at(29, 0), at(30, 0), "Offsite", all_day=True)
        moved = provider.update(event, sunday)
        assert moved.all_day, moved
        again = find(provider.read(WINDOW), made.event_id)
        assert again is not None and again.all_day
        assert (again.start, again.end) == (at(29, 0), at(30, 0)), (again.start, again.end)
        assert again.tag is not None and again.observed_hash == again.tag.content_hash

    # -- delete ----------------------------------------------------------------------

    def test_delete_then_delete_again_is_not_found(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        provider.delete(made)
        read = provider.read(WINDOW)
        assert find(read, made.event_id) is None, "deleted (cancelled) events leave full reads"
        with pytest.raises(EventNotFound):
            provider.delete(made)

    def test_delete_of_an_event_the_user_removed_is_not_found(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        harness.remove(made.event_id)
        with pytest.raises(EventNotFound):
            provider.delete(made)

    def test_delete_with_a_stale_etag_is_refused(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        harness.move(made.event_id, at(24, 16), at(24, 18))
        with pytest.raises(PreconditionFailed):
            provider.delete(made)
        assert find(provider.read(WINDOW), made.event_id) is not None

    # -- foreign events --------------------------------------------------------------

    def test_foreign_events_read_as_not_owned_and_are_never_written(self, harness: Harness) -> None:
        provider = harness.provider
        foreign_id = harness.add_foreign(at(24, 14), at(24, 15), "QBR Globex")
        before = find(provider.read(WINDOW), foreign_id)
        assert before is not None and not before.owned and before.tag is None, before
        assert before.title == "QBR Globex" and before.start == at(24, 14)
        with pytest.raises(OwnershipError):
            provider.update(before, make_draft("x", at(24, 9), at(24, 10)))
        with pytest.raises(OwnershipError):
            provider.delete(before)
        after = find(provider.read(WINDOW), foreign_id)
        assert after == before, f"foreign event changed: {before} -> {after}"

    def test_update_with_another_blocks_key_is_refused(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        with pytest.raises(OwnershipError):
            provider.update(made, make_draft("lunch:2026-03-24:0", at(24, 12), at(24, 13)))

    def test_all_day_foreign_event_reads_as_all_day(self, harness: Harness) -> None:
        foreign_id = harness.add_foreign(at(27, 0), at(28, 0), "Offsite", all_day=True)
        event = find(harness.provider.read(WINDOW), foreign_id)
        assert event is not None and event.all_day, event
        assert event.start.astimezone(TZ).date() == at(27, 0).date(), event.start
        assert event.start.tzinfo is not None and event.end > event.start

    # -- windows -----------------------------------------------------------------------

    def test_window_is_a_half_open_overlap(self, harness: Harness) -> None:
        start, end = WINDOW.start, WINDOW.end
        hour = timedelta(hours=1)
        ids = {
            "before": harness.add_foreign(start - 2 * hour, start - hour, "before"),
            "touching start": harness.add_foreign(start - hour, start, "touching start"),
            "across start": harness.add_foreign(start - hour, start + hour, "across start"),
            "inside": harness.add_foreign(at(25, 10), at(25, 11), "inside"),
            "across end": harness.add_foreign(end - hour, end + hour, "across end"),
            "touching end": harness.add_foreign(end, end + hour, "touching end"),
            "after": harness.add_foreign(end + hour, end + 2 * hour, "after"),
        }
        read = harness.provider.read(WINDOW)
        got = {name for name, event_id in ids.items() if find(read, event_id) is not None}
        assert got == {"across start", "inside", "across end"}, got

    def test_event_across_the_dst_change_keeps_its_instants(self, harness: Harness) -> None:
        start, end = at(28, 23), at(29, 5)  # 02:00 -> 03:00 in between: 5 real hours
        made = harness.provider.create(make_draft("night:2026-03-28:0", start, end))
        event = find(harness.provider.read(WINDOW), made.event_id)
        assert event is not None
        assert event.start == start and event.end == end, (event.start, event.end)
        real = event.end.timestamp() - event.start.timestamp()
        assert real == 5 * 3600, f"{real / 3600} real hours, not 5"
        assert event.tag is not None and event.observed_hash == event.tag.content_hash

    # -- incremental -------------------------------------------------------------------

    def _require_incremental(self, harness: Harness) -> None:
        if not (harness.supports_incremental and harness.provider.capabilities.incremental):
            capability_skip(f"{harness.provider.name} declares no incremental reads")

    def test_incremental_read_returns_changes_and_removals(self, harness: Harness) -> None:
        self._require_incremental(harness)
        provider = harness.provider
        kept = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        doomed = harness.add_foreign(at(25, 9), at(25, 10), "Cancelled sync")
        moved = harness.add_foreign(at(25, 11), at(25, 12), "Moved sync")
        full = provider.read(WINDOW)
        assert full.sync_token, "a full read hands out a sync token"
        made = provider.create(make_draft("lunch:2026-03-24:0", at(24, 12), at(24, 13)))
        harness.move(moved, at(25, 15), at(25, 16))
        harness.remove(doomed)
        delta = provider.read(WINDOW, full.sync_token)
        assert delta.incremental and delta.complete, delta
        changed = {e.event_id for e in delta.events}
        assert {made.event_id, moved} <= changed, changed
        assert kept.event_id not in changed, "an unchanged event is not reported"
        assert doomed in delta.removed and doomed not in changed, delta.removed
        moved_now = find(delta, moved)
        assert moved_now is not None and moved_now.start == at(25, 15)
        assert delta.sync_token, "an incremental read hands out the next token"
        again = provider.read(WINDOW, delta.sync_token)
        assert again.events == () and again.removed == (), again

    def test_stale_sync_token_raises_sync_token_expired(self, harness: Harness) -> None:
        self._require_incremental(harness)
        token = harness.provider.read(WINDOW).sync_token
        assert token
        harness.expire_sync_tokens()
        with pytest.raises(SyncTokenExpired):
            harness.provider.read(WINDOW, token)
        assert harness.provider.read(WINDOW).complete, "a full read recovers"

    # -- batches -----------------------------------------------------------------------

    def test_write_batch_returns_results_in_order_with_errors_per_item(
        self, harness: Harness
    ) -> None:
        provider = harness.provider
        gone = provider.create(make_draft("gone:2026-03-23:0", at(23, 8), at(23, 9)))
        provider.delete(gone)
        stale = provider.create(make_draft("stale:2026-03-23:0", at(23, 10), at(23, 11)))
        harness.move(stale.event_id, at(23, 15), at(23, 16))
        live = provider.create(make_draft("live:2026-03-23:0", at(23, 12), at(23, 13)))
        writes = [
            Write("create", draft=make_draft("a:2026-03-24:0", at(24, 8), at(24, 9))),
            Write("delete", current=gone),
            Write(
                "update",
                current=stale,
                draft=make_draft("stale:2026-03-23:0", at(23, 17), at(23, 18)),
            ),
            Write("delete", current=live),
            Write("create", draft=make_draft("b:2026-03-24:0", at(24, 9), at(24, 10))),
        ]
        results = provider.write_batch(writes)
        assert len(results) == len(writes), results
        first, second, third, fourth, fifth = results
        assert isinstance(first, RemoteEvent) and first.tag is not None
        assert first.tag.key == "a:2026-03-24:0"
        assert isinstance(second, EventNotFound), second
        assert isinstance(third, PreconditionFailed), third
        assert fourth is None, fourth
        assert isinstance(fifth, RemoteEvent) and fifth.tag is not None
        assert fifth.tag.key == "b:2026-03-24:0"
        read = provider.read(WINDOW)
        keys = sorted(e.tag.key for e in read.events if e.tag is not None)
        assert keys == ["a:2026-03-24:0", "b:2026-03-24:0", "stale:2026-03-23:0"], keys

    def test_write_batch_refuses_foreign_events_before_writing(self, harness: Harness) -> None:
        provider = harness.provider
        foreign_id = harness.add_foreign(at(24, 14), at(24, 15), "Customer call")
        foreign = find(provider.read(WINDOW), foreign_id)
        assert foreign is not None
        writes = [
            Write("create", draft=make_draft("a:2026-03-24:0", at(24, 8), at(24, 9))),
            Write("delete", current=foreign),
        ]
        with pytest.raises(OwnershipError):
            provider.write_batch(writes)
        read = provider.read(WINDOW)
        assert [e for e in read.events if e.owned] == [], "nothing written"
        assert find(read, foreign_id) == foreign

    def test_write_batch_refuses_an_update_with_another_blocks_key(self, harness: Harness) -> None:
        provider = harness.provider
        made = provider.create(make_draft("focus:2026-03-24:0", at(24, 9), at(24, 11)))
        writes = [
            Write("create", draft=make_draft("a:2026-03-24:0", at(24, 8), at(24, 9))),
            Write(
                "update",
                current=made,
                draft=make_draft("lunch:2026-03-24:0", at(24, 12), at(24, 13)),
            ),
        ]
        with pytest.raises(OwnershipError):
            provider.write_batch(writes)
        read = provider.read(WINDOW)
        assert [e.tag.key for e in read.events if e.tag] == ["focus:2026-03-24:0"], (
            "nothing written"
        )
        assert find(read, made.event_id) == made


__all__ = [
    "CALENDAR_ID",
    "TZ",
    "WINDOW",
    "Harness",
    "ProviderContract",
    "at",
    "find",
    "make_draft",
    "owned_with_key",
]
