"""Upgrading to Unicode-aware account keys moves no event (issue 19.5).

Blocks of ``Müller & Söhne GmbH`` were keyed ``m-ller-s-hne-gmbh`` and those of a
lone Japanese account ``account``; now they are ``muller-sohne-gmbh`` and
``zhushihuishetesuto``. A calendar synced by the old version, then synced by the
new one with nothing changed, gets no write: the old keys are read as the new ones.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

import rules.keys
from blocker.core.models import WeekSpec
from blocker.core.weeks import week_dates
from blocker.state import SyncState
from blocker.sync import sync_calendar
from providers.memory import MemoryCalendar
from rules import Rules, parse_rules
from rules.engine import expand_week
from rules.keys import legacy_key
from tests.support.clock import TEST_NOW, next_week

WRITES = ("create", "update", "delete", "batch")


def _rules(week: str) -> Rules:
    renewal = week_dates(week)[2] + timedelta(days=30)
    return parse_rules(
        f"""\
timezone: America/New_York
accounts:
  - {{name: Müller & Söhne GmbH, arr: 250000, renewal_date: {renewal}}}
  - {{name: 株式会社テスト, arr: 150000, renewal_date: {renewal}}}
  - {{name: Acme Corp, arr: 50000}}
  - {{name: Initech, arr: 5000}}
rules:
  - kind: account_time
  - kind: renewal_prep
    days_before: [30]
    tiers: [high]
    minutes: 30
""",
        filename="t.yaml",
    )


def _spec(week: str) -> WeekSpec:
    today: date = TEST_NOW.date()
    return expand_week(_rules(week), week, today=today)


def test_a_calendar_synced_with_old_keys_is_left_alone(
    state: SyncState, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = next_week()
    cal = MemoryCalendar()
    with monkeypatch.context() as old_version:
        old_version.setattr(rules.keys, "account_key", legacy_key)
        before = _spec(week)
        assert before.key_aliases == ()
        first = sync_calendar(calendar_id="c", provider=cal, state=state, spec=before, now=TEST_NOW)
    old_keys = {b.key for b in first.plan.blocks}
    assert any(key.endswith("/m-ller-s-hne-gmbh") for key in old_keys), old_keys
    assert any(key.endswith("/account") for key in old_keys), old_keys
    assert any("/m-ller-s-hne-gmbh-" in key for key in old_keys), old_keys  # renewal prep
    events_before = {e.event_id: (e.start, e.end, e.title) for e in cal.snapshot()}
    writes_before = Counter({m: cal.requests[m] for m in WRITES})

    after = _spec(week)
    assert {new for _, new in after.key_aliases} >= {
        k for k in (r.key for r in after.requests) if "muller-sohne-gmbh" in k
    }
    second = sync_calendar(calendar_id="c", provider=cal, state=state, spec=after, now=TEST_NOW)

    assert [op.action for op in second.ops] == []
    assert Counter({m: cal.requests[m] for m in WRITES}) == writes_before
    assert {e.event_id: (e.start, e.end, e.title) for e in cal.snapshot()} == events_before
    new_keys = {b.key for b in second.plan.blocks}
    assert any(key.endswith("/muller-sohne-gmbh") for key in new_keys), new_keys
    assert any(key.endswith("/zhushihuishetesuto") for key in new_keys), new_keys


def test_a_new_book_plans_under_the_new_keys_from_the_start(state: SyncState) -> None:
    week = next_week()
    cal = MemoryCalendar()
    spec = _spec(week)
    outcome = sync_calendar(calendar_id="c", provider=cal, state=state, spec=spec, now=TEST_NOW)
    tags = {e.tag.key for e in cal.snapshot() if e.tag is not None}
    assert tags == {b.key for b in outcome.plan.blocks}
    assert not any(key.endswith("/account") or "m-ller" in key for key in tags)
    again = sync_calendar(calendar_id="c", provider=cal, state=state, spec=spec, now=TEST_NOW)
    assert list(again.ops) == []
