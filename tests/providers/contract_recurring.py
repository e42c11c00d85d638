"""The provider contract for recurring meetings, for calendars that model series.

A colleague's daily stand-up (09:30-09:45 Berlin, from Monday 16 March, so it
started before the window and crosses the DST change on Sunday 29 March) is what
the provider must read as the planner needs it: one busy, foreign event per
instance at its wall-clock time; a moved instance at its new time only; a
cancelled one not at all; and an incremental read after the user moves or
cancels an instance that, applied to the previous read, gives what a full read
gives, without re-sending the whole series.

Mix :class:`RecurringContract` into a provider's contract class whose harness
also satisfies :class:`RecurringHarness`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from blocker.core.models import ReadResult, RemoteEvent
from tests.providers.contract import WINDOW, Harness, at

STANDUP = "Stand-up"
DAYS = range(23, 30)  # Monday 23 .. Sunday 29 March 2026


class RecurringHarness(Harness, Protocol):
    def add_daily_series(self, start: datetime, end: datetime, title: str = STANDUP) -> str:
        """A colleague's daily series from ``start`` (Berlin time), no end; its id."""
        ...

    def instance_id(self, series_id: str, original: datetime) -> str:
        """The id the provider reports for the instance originally at ``original``."""
        ...

    def move_instance(
        self, series_id: str, original: datetime, start: datetime, end: datetime
    ) -> str:
        """The user moves one instance; returns the id it reads under afterwards."""
        ...

    def cancel_instance(self, series_id: str, original: datetime) -> None:
        """The user deletes this one instance of the series."""
        ...


def standups(result: ReadResult) -> dict[str, RemoteEvent]:
    found = [e for e in result.events if e.title == STANDUP]
    by_id = {e.event_id: e for e in found}
    assert len(by_id) == len(found), "an instance was returned twice"
    return by_id


def spans(events: dict[str, RemoteEvent]) -> dict[str, tuple[datetime, datetime]]:
    return {i: (e.start, e.end) for i, e in events.items()}


def daily(harness: RecurringHarness) -> str:
    return harness.add_daily_series(at(16, 9, 30), at(16, 9, 45))


class RecurringContract:
    def test_a_series_reads_as_one_foreign_busy_event_per_instance(
        self, harness: RecurringHarness
    ) -> None:
        series = daily(harness)
        got = standups(harness.provider.read(WINDOW))
        starts = sorted(e.start for e in got.values())
        assert starts == [at(d, 9, 30) for d in DAYS], f"instances at {starts}"
        assert at(29, 9, 30).utcoffset() == timedelta(hours=2), "Sunday is after the change"
        for event in got.values():
            assert event.end - event.start == timedelta(minutes=15), event
            assert event.tag is None and not event.transparent and not event.all_day, event
        assert series not in got, "the series itself is not an event the planner sees"
        assert set(got) == {harness.instance_id(series, at(d, 9, 30)) for d in DAYS}

    def test_a_moved_instance_reads_at_its_new_time_and_a_cancelled_one_not_at_all(
        self, harness: RecurringHarness
    ) -> None:
        series = daily(harness)
        moved = harness.move_instance(series, at(24, 9, 30), at(24, 14), at(24, 14, 15))
        harness.cancel_instance(series, at(25, 9, 30))
        got = standups(harness.provider.read(WINDOW))
        starts = sorted(e.start for e in got.values())
        expected = [at(23, 9, 30), at(24, 14)] + [at(d, 9, 30) for d in range(26, 30)]
        assert starts == expected, f"instances at {starts}"
        assert (got[moved].start, got[moved].end) == (at(24, 14), at(24, 14, 15))
        assert harness.instance_id(series, at(25, 9, 30)) not in got

    def test_an_incremental_read_after_a_move_and_a_cancel_matches_a_full_read(
        self, harness: RecurringHarness
    ) -> None:
        if not harness.supports_incremental:
            return
        series = daily(harness)
        first = harness.provider.read(WINDOW)
        assert first.sync_token is not None
        before = spans(standups(first))
        cancelled = harness.instance_id(series, at(25, 9, 30))
        moved = harness.move_instance(series, at(24, 9, 30), at(24, 14), at(24, 14, 15))
        harness.cancel_instance(series, at(25, 9, 30))

        changes = harness.provider.read(WINDOW, first.sync_token)

        assert changes.incremental and cancelled in changes.removed, changes.removed
        changed = standups(changes)
        assert set(changed) == {moved}, f"only the moved instance comes back: {set(changed)}"
        after = {i: span for i, span in before.items() if i not in changes.removed}
        after.update(spans(changed))
        assert after == spans(standups(harness.provider.read(WINDOW)))

    def test_an_incremental_read_with_nothing_changed_in_the_series_is_empty(
        self, harness: RecurringHarness
    ) -> None:
        if not harness.supports_incremental:
            return
        daily(harness)
        first = harness.provider.read(WINDOW)
        again = harness.provider.read(WINDOW, first.sync_token)
        assert again.events == () and again.removed == (), again
