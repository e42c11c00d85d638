"""The rule forms' YAML edits (pure): the same document back, only the edited values changed."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from blocker.web.rule_form_checks import check, field_at_line, field_lines
from blocker.web.rule_forms import GoalRow, LayoutRefused, read_form, write_form

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "config.example.yaml").read_text(encoding="utf-8")
WEEK = "2026-W49"


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_an_untouched_form_writes_the_document_back_byte_for_byte() -> None:
    form = read_form(EXAMPLE, WEEK)
    assert form.focus_window == "09:30-12:00" and form.focus_hours == "4"
    assert form.email_times == "9:00, 13:00, 16:00" and form.meeting_free_day == "fri"
    assert form.shares == {"high": "50-60", "mid": "30-35", "low": "10-15"}
    assert [g.hours for g in form.goals] == ["1", "0.5"]
    assert write_form(EXAMPLE, form, WEEK) == EXAMPLE


def test_each_edit_changes_its_own_line_and_keeps_the_comment_on_it() -> None:
    form = read_form(EXAMPLE, WEEK)
    form.focus_window = "13:00-17:00"
    form.working_hours["fri"] = "9:00-15:00"
    form.shares["high"] = "55-65"
    form.email_times = "9:30, 14:00"
    after = write_form(EXAMPLE, form, WEEK)
    assert changed_lines(EXAMPLE, after) == [
        '-  fri: "08:30-17:30"',
        '+  fri: "09:00-15:00"',
        "-    share: [50, 60]",
        "+    share: [55, 65]",
        "-    times: [9:00, 13:00, 16:00]",
        '+    times: ["9:30", "14:00"]',
        '-    preferred: "09:30-12:00"   # or a list, most preferred first:',
        '+    preferred: "13:00-17:00"   # or a list, most preferred first:',
    ]
    assert read_form(after, WEEK).focus_window == "13:00-17:00"


def test_goals_are_edited_removed_and_added_for_the_week_keeping_the_comments_after() -> None:
    form = read_form(EXAMPLE, WEEK)
    form.goals[0].hours = "2"
    form.goals[1].remove = True
    form.new_goal = GoalRow("Churn review", "1.5")
    after = write_form(EXAMPLE, form, WEEK)
    again = read_form(after, WEEK)
    assert [(g.title, g.hours) for g in again.goals] == [
        ("Success-plan template for high-touch accounts", "2"),
        ("Churn review", "1.5"),
    ]
    assert "  # The account time of section 1, one block per account whose turn it is." in after
    assert "Soylent Foods\n        deadline: wed" not in after


def test_shapes_are_checked_in_plain_words_per_field() -> None:
    form = read_form(EXAMPLE, WEEK)
    form.focus_window = "afternoons"
    form.working_hours["mon"] = "9 to 5"
    form.shares["low"] = "lots"
    form.new_goal = GoalRow("Write the playbook", "")
    errors = {e.field: e.message for e in check(form)}
    assert set(errors) == {"focus_window", "wh_mon", "share_low", "goal_new_hours"}
    assert errors["wh_mon"].startswith("Monday: write hours like 08:30-17:30")


def test_a_loader_problem_is_tied_to_the_field_whose_lines_hold_it() -> None:
    spans = field_lines(EXAMPLE, WEEK)
    lines = EXAMPLE.splitlines()
    focus_line = (
        lines.index('    preferred: "09:30-12:00"   # or a list, most preferred first:') + 1
    )
    assert field_at_line(spans, focus_line) == "focus_window"
    assert field_at_line(spans, lines.index("    share: [50, 60]") + 1) == "share_high"
    assert field_at_line(spans, 1) is None


def test_a_layout_the_dumper_cannot_reproduce_is_refused_not_rewritten() -> None:
    odd = "timezone: UTC\nrules:\n -   kind: lunch\n     at: 12:00\n"
    with pytest.raises(LayoutRefused):
        read_form(odd, WEEK)
