"""A calendar where Google event labels are unavailable: recorded with its reason, told
once, retried a week later (issue 16.4), through the factory's hooks on a real Runtime."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from blocker.connections.google import FOCUS_RETRY, capability_allowed, capability_refused
from blocker.runtime import Runtime
from blocker.sync import sync_calendar
from providers.google_labels import CAPABILITY
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


def test_labels_off_for_a_week_with_the_reason_on_the_connection_and_in_one_run_record(
    clocked: tuple[Runtime, Clock],
) -> None:
    runtime, clock = clocked
    assert capability_allowed(runtime, "mem", CAPABILITY)
    capability_refused(runtime, "mem", CAPABILITY, "you have writer access to this calendar")
    assert capability_allowed(runtime, "mem", "focus_time")  # per capability
    conn = runtime.store.get_connection("mem")
    assert conn is not None
    assert "event labels are off" in conn.status_reason
    assert "writer access" in conn.status_reason and "nearest" in conn.status_reason
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
    assert [e for e in first.errors if "event labels" in e] != []
    assert [e for e in second.errors if "event labels" in e] == []
    clock.now = NOW + FOCUS_RETRY - timedelta(minutes=1)
    assert not capability_allowed(runtime, "mem", CAPABILITY)
    clock.now = NOW + FOCUS_RETRY
    assert capability_allowed(runtime, "mem", CAPABILITY)
    assert runtime.store.fallback("mem", CAPABILITY) is None
