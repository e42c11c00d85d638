"""The rule forms' problems, in plain words and tied to their fields.

Two kinds: a field whose text is not even of the right shape (:func:`check`,
before any YAML is written), and a problem the rules loader located in the
edited document, tied back to the field whose YAML lines hold it
(:func:`field_lines`, :func:`field_at_line`); one no field holds is shown with
its line, for the YAML editor.
"""

from __future__ import annotations

from collections.abc import Mapping

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from blocker.web.rule_forms import (
    DAY_NAMES,
    DAYS,
    SHARE_RE,
    TIME_RE,
    FieldError,
    RuleForm,
    is_number,
    is_window,
    load,
    split_list,
    week_goals,
)

_FIELD_OF_KIND = {
    "focus_time": "focus_window",
    "email_batches": "email_times",
    "meeting_free_day": "meeting_free_day",
    "goals": "goal_new",
}


_SAY = {
    "wh": "{day}: write hours like 08:30-17:30, or leave it empty for a day off",
    "focus_hours": "Focus hours: write a number of hours, e.g. 4",
    "focus_window": "Focus window: write hours like 13:00-17:00 "
    "(several: separate them with commas, most preferred first)",
    "email_times": "Email batches: write times like 9:00, 13:00, 16:00",
    "meeting_free_day": "Meeting-free day: pick a day, or none",
    "share": "Tier {tier}: write a share in percent like 50-60 (a range) or 50",
    "goal_title": "Goal: give it a title, or tick Remove",
    "goal_hours": "Goal “{title}”: write its hours, e.g. 1.5",
}


def check(form: RuleForm) -> list[FieldError]:
    """Every field whose text is not even of the right shape, in plain words."""
    errors: list[FieldError] = []
    for day, value in form.working_hours.items():
        if value.strip() and is_window(value) is None:
            errors.append(FieldError(f"wh_{day}", _SAY["wh"].format(day=DAY_NAMES[day])))
    if "focus" in form.has:
        if is_number(form.focus_hours) is None:
            errors.append(FieldError("focus_hours", _SAY["focus_hours"]))
        windows = split_list(form.focus_window)
        if not windows or not all(is_window(w) for w in windows):
            errors.append(FieldError("focus_window", _SAY["focus_window"]))
    if "email" in form.has:
        times = split_list(form.email_times)
        if not times or not all(TIME_RE.match(t) for t in times):
            errors.append(FieldError("email_times", _SAY["email_times"]))
    if form.meeting_free_day and form.meeting_free_day not in DAYS:
        errors.append(FieldError("meeting_free_day", _SAY["meeting_free_day"]))
    for tier, value in form.shares.items():
        if SHARE_RE.match(value) is None:
            errors.append(FieldError(f"share_{tier}", _SAY["share"].format(tier=tier)))
    for i, goal in enumerate([*form.goals, form.new_goal]):
        name = f"goal_{i}" if i < len(form.goals) else "goal_new"
        if goal.remove or (name == "goal_new" and not goal.title.strip()):
            continue
        if not goal.title.strip():
            errors.append(FieldError(f"{name}_title", _SAY["goal_title"]))
        if is_number(goal.hours) is None:
            title = goal.title.strip() or "new"
            errors.append(FieldError(f"{name}_hours", _SAY["goal_hours"].format(title=title)))
    return errors


def field_lines(text: str, week: str) -> dict[str, tuple[int, int]]:
    """Each field's lines (1-based, inclusive) in ``text``, for tying problems to fields."""
    _, data = load(text)
    spans: dict[str, tuple[int, int]] = {}
    hours = data.get("working_hours")
    if isinstance(hours, CommentedMap):
        for day in DAYS:
            if day in hours:
                line = hours.lc.key(day)[0] + 1
                spans[f"wh_{day}"] = (line, line)
    rules = data.get("rules")
    if isinstance(rules, CommentedSeq):
        ends = [rules.lc.item(i)[0] for i in range(1, len(rules))] + [10**9]
        for i, item in enumerate(rules):
            if not isinstance(item, CommentedMap):
                continue
            span = (rules.lc.item(i)[0] + 1, ends[i])
            name = _FIELD_OF_KIND.get(str(item.get("kind")))
            if name is not None:
                spans.setdefault(name, span)
            if item.get("kind") == "focus_time" and "hours" in item:
                line = item.lc.key("hours")[0] + 1
                spans.setdefault("focus_hours", (line, line))
            if item.get("kind") == "goals":
                for j, goal in enumerate(week_goals(item, week)):
                    line = goal.lc.line + 1
                    spans[f"goal_{j}_title"] = (line, line + len(goal) - 1)
    tiers = data.get("tiers")
    if isinstance(tiers, CommentedMap):
        for name, tier in tiers.items():
            if isinstance(tier, CommentedMap) and "share" in tier:
                line = tier.lc.key("share")[0] + 1
                spans[f"share_{name}"] = (line, line)
    return spans


def field_at_line(spans: Mapping[str, tuple[int, int]], line: int) -> str | None:
    """The most specific field whose lines hold ``line`` (None: no field of the form)."""
    holding = [(hi - lo, name) for name, (lo, hi) in spans.items() if lo <= line <= hi]
    return min(holding)[1] if holding else None


__all__ = ["check", "field_at_line", "field_lines"]
