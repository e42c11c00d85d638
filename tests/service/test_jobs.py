"""Job functions without an engine: idempotent, and errors never escape."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from blocker import jobs
from blocker.core.errors import ReconnectRequired, TransientError
from blocker.metrics import CountingProvider
from blocker.runtime import Runtime
from providers.memory import MemoryCalendar
from tests.service.conftest import NEXT_WEEK, NOW, make_settings, rules_yaml

NY = ZoneInfo("America/New_York")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    (tmp_path / "rules.yaml").write_text(rules_yaml(provider="memory"))
    rt = Runtime.open(make_settings(tmp_path), clock=lambda: NOW)
    try:
        yield rt
    finally:
        rt.close()


def _memory(rt: Runtime) -> MemoryCalendar:
    provider = rt.provider("mem")
    assert isinstance(provider, CountingProvider)
    inner = provider.inner
    assert isinstance(inner, MemoryCalendar)
    return inner


def test_generate_is_idempotent(runtime: Runtime) -> None:
    [first] = jobs.generate_next_week(runtime, "mem")
    assert first.week == NEXT_WEEK and first.ops
    owned = [e for e in _memory(runtime).snapshot() if e.owned]
    assert len(owned) == len(first.ops)
    [second] = jobs.generate_next_week(runtime, "mem")
    assert second.ops == ()
    assert len([e for e in _memory(runtime).snapshot() if e.owned]) == len(owned)


def test_rebalance_covers_next_week_once_it_is_planned(runtime: Runtime) -> None:
    assert [o.week for o in jobs.rebalance(runtime, "mem")] == ["2026-W48"]
    jobs.generate_next_week(runtime, "mem")
    assert [o.week for o in jobs.poll(runtime, "mem")] == ["2026-W48", NEXT_WEEK]


def test_revoked_connection_is_marked_and_then_skipped(runtime: Runtime) -> None:
    memory = _memory(runtime)
    memory.fail_next("read", ReconnectRequired("token revoked", provider="memory"))
    assert jobs.generate_next_week(runtime, "mem") == []
    connection = runtime.store.get_connection("mem")
    assert connection is not None and connection.status == "needs_reconnect"
    assert "revoked" in connection.status_reason
    reads = memory.requests["read"]
    assert jobs.rebalance(runtime, "mem") == []
    assert memory.requests["read"] == reads  # not even tried until reconnected


def test_transient_error_is_counted_not_raised(runtime: Runtime) -> None:
    _memory(runtime).fail_next("read", TransientError("503", provider="memory"))
    assert jobs.generate_next_week(runtime, "mem") == []
    connection = runtime.store.get_connection("mem")
    assert connection is not None and connection.status == "connected"
    text = runtime.metrics.render().decode()
    assert 'blocker_errors_total{calendar="mem",kind="TransientError"} 1.0' in text
    [run] = runtime.store.runs("mem")
    assert run.errors  # the sync engine recorded the failed read
    assert jobs.generate_next_week(runtime, "mem")[0].ops  # and the next run works


def test_jobs_skip_calendars_that_left_the_rules(runtime: Runtime) -> None:
    assert jobs.generate_next_week(runtime, "gone") == []
    assert jobs.renew_channels(runtime) == 0
    assert jobs.refresh_tokens(runtime) == 0


def _holiday_runtime(tmp_path: Path, moment: datetime) -> Runtime:
    """The memory calendar under US holidays (Christmas 2026 is a Friday), at ``moment``."""
    text = rules_yaml(provider="memory").replace("rules:\n", "holidays: {country: US}\nrules:\n", 1)
    (tmp_path / "rules.yaml").write_text(text)
    return Runtime.open(make_settings(tmp_path), clock=lambda: moment)


def test_weekly_generation_moves_to_thursday_when_friday_is_a_holiday(tmp_path: Path) -> None:
    wednesday = datetime(2026, 12, 23, 15, 0, tzinfo=NY)
    thursday = datetime(2026, 12, 24, 15, 0, tzinfo=NY)
    rt = _holiday_runtime(tmp_path, wednesday)
    try:
        assert jobs.generate_if_due(rt, "mem") == []  # not the day yet
    finally:
        rt.close()
    rt = _holiday_runtime(tmp_path, thursday)
    try:
        [run] = jobs.generate_if_due(rt, "mem")
        assert run.week == "2026-W53" and run.ops
    finally:
        rt.close()
    rt = _holiday_runtime(tmp_path, datetime(2026, 12, 25, 15, 0, tzinfo=NY))
    try:
        assert jobs.generate_if_due(rt, "mem") == []  # Thursday's run made the plan
    finally:
        rt.close()


def test_a_missed_generation_day_is_caught_up_later_in_the_week(tmp_path: Path) -> None:
    rt = _holiday_runtime(tmp_path, datetime(2026, 12, 26, 10, 0, tzinfo=NY))  # Saturday
    try:
        [run] = jobs.generate_if_due(rt, "mem")
        assert run.week == "2026-W53"
    finally:
        rt.close()
