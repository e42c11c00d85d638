"""The holding windows are one kind with presets: every preset takes the same
parameters and overrides the same way, and refuses the same mistakes."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from rules import expand_week
from rules.kinds.holding_window import PRESETS, HoldingWindow
from rules.registry import kind_info
from tests.rules.util import problems_of, rules_from

NY = ZoneInfo("America/New_York")
NAMES = [p.name for p in PRESETS]


def test_the_presets_are_the_three_yaml_kinds_with_one_model() -> None:
    assert NAMES == ["call_window", "qbr_day", "internal_meetings"]
    for preset in PRESETS:
        info = kind_info(preset.name)
        assert issubclass(info.model, HoldingWindow) and info.meeting_like
        rule = info.model.model_validate({"kind": preset.name})
        assert (rule.days, rule.window) == (preset.days, preset.window)


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_takes_other_days_and_window_and_holds_them(name: str) -> None:
    body = f"rules:\n  - kind: {name}\n    days: [fri]\n    window: '10:00-11:15'\n"
    [req] = expand_week(rules_from(body), "2026-W49", today=date(2026, 11, 27)).requests
    assert (req.kind, req.key) == (name, f"{name}/2026-12-04/0")
    assert (req.earliest, req.latest) == (
        datetime(2026, 12, 4, 10, tzinfo=NY),
        datetime(2026, 12, 4, 11, 15, tzinfo=NY),
    )
    assert (req.minutes, req.fixed, req.holding, req.show_as) == (75, True, True, "free")
    assert req.color == kind_info(name).defaults.color


@pytest.mark.parametrize("name", NAMES)
def test_every_preset_refuses_a_bad_window_and_an_unknown_field_at_its_line(name: str) -> None:
    text = (
        "timezone: America/New_York\nrules:\n"
        f"  - kind: {name}\n    window: 'noon'\n    dayz: [mon]\n"
    )
    problems = problems_of(text)
    assert sorted(p.line for p in problems) == [4, 5], problems
    assert any("dayz" in p.message for p in problems)
