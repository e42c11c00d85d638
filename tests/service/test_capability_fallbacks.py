"""A capability Google refused on a calendar - focusTime (issue 16.3), event labels
(issue 16.4) - is persisted per calendar with its reason, told once in the next run
record and on the connection, and tried again a week later; through the factory's
hooks on a real Runtime and store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from blocker.connections.google import (
    FOCUS_RETRY,
    capability_allowed,
    capability_refused,
    focus_time_allowed,
)
from blocker.runtime import Runtime
from blocker.sync import sync_calendar
from providers.google_labels import CAPABILITY as LABELS
from tests.service.conftest import NOW, make_settings, rules_yaml
from tests.support.clock import SettableClock as Clock


@dataclass(frozen=True)
class Case:
    capability: str
    reason: str
    told: tuple[str, ...]
    """What the connection's status says (the reason included)."""
    recorded: str
    """What the run record's error says."""
    allowed: Callable[[Runtime], bool]


FOCUS = Case(
    "focus_time",
    "Focus time events cannot be created",
    ("Google refused focus time", "cannot be created", "ordinary busy events"),
    "focus time",
    lambda rt: focus_time_allowed(rt, "mem"),
)
LABEL = Case(
    LABELS,
    "you have writer access to this calendar",
    ("event labels are off", "writer access", "nearest"),
    "event labels",
    lambda rt: capability_allowed(rt, "mem", LABELS),
)
CASES = pytest.mark.parametrize("case", [FOCUS, LABEL], ids=["focus_time", "event_labels"])


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    (tmp_path / "rules.yaml").write_text(rules_yaml(provider="memory"))
    clock = Clock(NOW)
    rt = Runtime.open(make_settings(tmp_path), clock=clock)
    try:
        yield rt, clock
    finally:
        rt.close()


@CASES
def test_a_refusal_stands_for_a_week_then_the_capability_is_tried_again(
    clocked: tuple[Runtime, Clock], case: Case
) -> None:
    runtime, clock = clocked
    assert case.allowed(runtime)
    capability_refused(runtime, "mem", case.capability, case.reason)
    assert not case.allowed(runtime)
    other = LABELS if case is FOCUS else "focus_time"
    assert capability_allowed(runtime, "mem", other)  # per capability
    clock.now = NOW + FOCUS_RETRY - timedelta(minutes=1)
    assert not case.allowed(runtime)  # also from another process: it is stored
    clock.now = NOW + FOCUS_RETRY
    assert case.allowed(runtime)
    assert runtime.store.fallback("mem", case.capability) is None


@CASES
def test_the_refusal_is_told_once_in_the_next_run_record_and_on_the_connection(
    clocked: tuple[Runtime, Clock], case: Case
) -> None:
    runtime, _ = clocked
    capability_refused(runtime, "mem", case.capability, case.reason)
    conn = runtime.store.get_connection("mem")
    assert conn is not None
    for words in case.told:
        assert words in conn.status_reason
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
    assert [n for n in first.notices if case.recorded in n] != []
    assert [n for n in second.notices if case.recorded in n] == []
    assert first.errors == second.errors == (), "a fallback is a notice, not an error"
