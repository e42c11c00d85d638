"""The team template + a CSM's overlay (rules.overlay): merge semantics as properties,
and problems located in the document that holds them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from blocker.core.errors import RulesError
from rules.overlay import OVERLAY_NAME, effective_rules, merge_data, merge_text, rule_key
from tests.support.rules import rules_yaml

TEMPLATE = rules_yaml(["{id: work, provider: memory}"])

ids = st.sampled_from(["a", "b", "c", "d", "e", "f"])
rule = st.builds(lambda i, m: {"kind": "block", "id": i, "minutes": m}, ids, st.integers(1, 300))
rule_lists = st.lists(rule, max_size=6, unique_by=lambda r: r["id"])
settings = st.dictionaries(
    st.sampled_from(["timezone", "working_hours", "owner", "schedule", "accounts"]),
    st.integers(0, 9),
    max_size=4,
)


def _doc(top: dict[str, Any], rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {**top, "rules": rules} if rules else dict(top)


@given(settings, rule_lists)
def test_overlay_of_nothing_is_the_template(top: dict[str, Any], rules: list[Any]) -> None:
    template = _doc(top, rules)
    assert merge_data(template, {}) == template


@given(settings, rule_lists, rule)
def test_overriding_a_rule_by_id_replaces_only_it(
    top: dict[str, Any], rules: list[Any], mine: dict[str, Any]
) -> None:
    template = _doc(top, rules)
    merged = merge_data(template, {"rules": [mine]})
    by_id = {rule_key(r): r for r in merged.get("rules", [])}
    assert by_id[mine["id"]] == mine
    others = [r for r in merged.get("rules", []) if r["id"] != mine["id"]]
    assert others == [r for r in rules if r["id"] != mine["id"]]
    if any(r["id"] == mine["id"] for r in rules):  # replaced in place, order kept
        assert [r["id"] for r in merged["rules"]] == [r["id"] for r in rules]
    else:  # a new id is added after the template's rules
        assert merged["rules"][-1] == mine
    assert {k: v for k, v in merged.items() if k != "rules"} == top


@given(settings, rule_lists, ids)
def test_disabled_removes_just_that_rule(top: dict[str, Any], rules: list[Any], gone: str) -> None:
    merged = merge_data(_doc(top, rules), {"rules": [{"id": gone, "disabled": True}]})
    assert [r["id"] for r in merged.get("rules", [])] == [r["id"] for r in rules if r["id"] != gone]


@given(settings, settings, rule_lists)
def test_a_setting_in_the_overlay_replaces_the_templates(
    top: dict[str, Any], mine: dict[str, Any], rules: list[Any]
) -> None:
    merged = merge_data(_doc(top, rules), mine)
    for key, value in mine.items():
        assert merged[key] == value
    for key, value in top.items():
        if key not in mine:
            assert merged[key] == value


@given(settings, rule_lists, rule_lists)
def test_text_merge_agrees_with_data_merge(
    top: dict[str, Any], template_rules: list[Any], overlay_rules: list[Any]
) -> None:
    template = _doc(top, template_rules)
    overlay = _doc({}, overlay_rules)
    text, origin = merge_text(
        yaml.safe_dump(template, sort_keys=False), yaml.safe_dump(overlay, sort_keys=False)
    )
    assert (yaml.safe_load(text) or {}) == merge_data(template, overlay)
    assert len(origin) == len(text.splitlines())


def test_calendars_belong_to_the_template_owner_only() -> None:
    template = {"timezone": "UTC", "calendars": [{"id": "work"}]}
    assert merge_data(template, {}, inherit_calendars=False) == {"timezone": "UTC"}
    mine = {"calendars": [{"id": "mine"}]}
    assert merge_data(template, mine, inherit_calendars=False)["calendars"] == [{"id": "mine"}]


def test_effective_rules_plan_with_the_overlays_rule() -> None:
    overlay = "rules:\n  - kind: block\n    id: focus\n    title: Focus\n    minutes: 240\n"
    rules = effective_rules(TEMPLATE, overlay)
    focus = next(r for r in rules.rules if r.rule_id == "focus")
    assert getattr(focus, "minutes", None) == 240
    assert [r.rule_id for r in rules.rules] == ["lunch", "focus", "wrap_up"]
    assert [c.id for c in rules.calendars] == ["work"]


def test_a_problem_in_the_overlay_is_located_there() -> None:
    overlay = "# mine\nrules:\n  - kind: block\n    id: focus\n    title: F\n    minutes: -5\n"
    with pytest.raises(RulesError) as caught:
        effective_rules(TEMPLATE, overlay, template_name="team.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (OVERLAY_NAME, 6)
    assert problem.column == 14


def test_a_problem_in_the_template_is_located_there() -> None:
    template = TEMPLATE.replace("timezone: America/New_York", "timezone: Mars/Olympus")
    with pytest.raises(RulesError) as caught:
        effective_rules(template, "working_hours:\n  sat: '09:00-17:00'\n", template_name="t.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("t.yaml", 1)


def test_malformed_overlay_is_refused_in_the_overlay() -> None:
    with pytest.raises(RulesError) as caught:
        merge_text(TEMPLATE, "rules:\n  - id: x\n  - id: x\n")
    assert str(caught.value.problems[0]) == f"{OVERLAY_NAME}:3:5: rule id 'x' appears twice"
    with pytest.raises(RulesError) as caught:
        merge_text(TEMPLATE, "rules: [oops\n")
    assert caught.value.problems[0].file == OVERLAY_NAME


def test_disabled_false_keeps_the_overlays_rule() -> None:
    overlay = (
        "rules:\n  - kind: block\n    id: focus\n    title: Focus\n    minutes: 200\n"
        "    disabled: false\n  - kind: block\n    id: reading\n    title: Reading\n"
        "    minutes: 30\n    disabled: false\n"
    )
    rules = effective_rules(TEMPLATE, overlay)
    assert [r.rule_id for r in rules.rules] == ["lunch", "focus", "wrap_up", "reading"]
    focus = next(r for r in rules.rules if r.rule_id == "focus")
    assert getattr(focus, "minutes", None) == 200


def test_disabled_true_outside_an_overlay_is_still_refused() -> None:
    text = TEMPLATE.replace("    id: focus\n", "    id: focus\n    disabled: true\n", 1)
    assert text != TEMPLATE
    with pytest.raises(RulesError) as caught:
        effective_rules(text, "")
    assert "disabled" in str(caught.value.problems[0])
