"""Google's refusal of focusTime is persisted per calendar and retried a week later
(issue 16.3), through the factory's hooks on a real Runtime and store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from blocker.connections.google import FOCUS_RETRY, capability_refused, focus_time_allowed
from blocker.runtime import Runtime
from blocker.sync import sync_calendar
from tests.service.conftest import NOW, make_settings, rules_yaml


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    (tmp_path / "rules.yaml").write_text(rules_yaml(provider="memory"))
    clock = Clock(NOW)
    rt = Runtime.open(make_settings(tmp_path), clock=clock)
    try:
        yield rt, clock
    finally:
        rt.close()


def test_a_refusal_stands_for_a_week_then_focus_time_is_tried_again(
    clocked: tuple[Runtime, Clock],
) -> None:
    runtime, clock = clocked
    assert focus_time_allowed(runtime, "mem")
    capability_refused(runtime, "mem", "focus_time", "Focus time events cannot be created")
    assert not focus_time_allowed(runtime, "mem")
    clock.now = NOW + FOCUS_RETRY - timedelta(minutes=1)
    assert not focus_time_allowed(runtime, "mem")  # also from another process: it is stored
    clock.now = NOW + FOCUS_RETRY
    assert focus_time_allowed(runtime, "mem")
    assert runtime.store.fallback("mem", "focus_time") is None


def test_the_refusal_is_told_once_in_the_next_run_record_and_on_the_connection(
    clocked: tuple[Runtime, Clock],
) -> None:
    runtime, _ = clocked
    capability_refused(runtime, "mem", "focus_time", "not on this calendar")
    conn = runtime.store.get_connection("mem")
    assert conn is not None and "Google refused focus time" in conn.status_reason
    spec = runtime.expand("2026-W49")
    for _ in range(2):
        sync_calendar(
            calendar_id="mem",
            provider=runtime.provider("mem"),
            state=runtime.store,
            spec=spec,
            now=NOW,
            clock=runtime.now,
        )
    first, second = reversed(runtime.store.runs("mem", 2))
    assert [e for e in first.errors if "focus time" in e] != []
    assert [e for e in second.errors if "focus time" in e] == []
