"""Job functions without an engine: idempotent, and errors never escape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blocker import jobs
from blocker.core.errors import ReconnectRequired, TransientError
from blocker.metrics import CountingProvider
from blocker.runtime import Runtime
from providers.memory import MemoryCalendar
from tests.service.conftest import NEXT_WEEK, NOW, make_settings, rules_yaml


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
