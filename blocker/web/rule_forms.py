"""Everyday rules as form fields, written back into the SAME rules YAML (pure).

The forms edit a handful of values (working hours, focus hours and window, email
batch times, the meeting-free day, tier shares, the week's goals). They never
regenerate the document: it is loaded with ruamel.yaml's round-trip loader,
only the values that changed are replaced, and it is dumped again, so comments,
order, quoting and every unrelated line stay as the user wrote them. A document
whose layout the dumper cannot reproduce byte for byte (unusual indentation) is
refused with a plain sentence instead of being silently reformatted.

Problems of the fields are found and located in blocker/web/rule_form_checks.py.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                            "Saturday", "Sunday"), strict=True))  # fmt: skip
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_SHARE = re.compile(r"^\s*(\d{1,3})\s*(?:[-–]\s*(\d{1,3}))?\s*%?\s*$")
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4))
"""(mapping, sequence, offset) indentations tried, the example's first."""


def _null_as(word: str) -> type[RoundTripRepresenter]:
    """A representer writing null as ``word`` (a subclass: ruamel's registry is per class,
    and the round-trip dumper otherwise writes an empty value)."""

    class Nulls(RoundTripRepresenter):
        pass

    def represent(rep: RoundTripRepresenter, _data: None) -> Any:
        return rep.represent_scalar("tag:yaml.org,2002:null", word)

    Nulls.add_representer(type(None), represent)
    return Nulls


_NULLS = (_null_as("null"), _null_as("~"), RoundTripRepresenter)


class LayoutRefused(ValueError):
    """The document cannot be round-tripped unchanged: the form would rewrite it."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One form field's problem, in plain words."""

    field: str
    message: str


@dataclass(slots=True)
class GoalRow:
    title: str = ""
    hours: str = ""
    remove: bool = False
    every_week: bool = False
    """The goal has no ``week:``: editing it changes it for every week."""


@dataclass(slots=True)
class RuleForm:
    """The form's values as text, exactly as the fields show them."""

    working_hours: dict[str, str] = field(default_factory=dict)
    focus_hours: str = ""
    focus_window: str = ""
    email_times: str = ""
    meeting_free_day: str = ""
    shares: dict[str, str] = field(default_factory=dict)
    goals: list[GoalRow] = field(default_factory=list)
    new_goal: GoalRow = field(default_factory=GoalRow)
    has: frozenset[str] = frozenset()
    """Which parts the document has (a form cannot edit a rule that is not there)."""


# -- reading ------------------------------------------------------------------------


def _yaml(layout: tuple[int, int, int], nulls: type[RoundTripRepresenter]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = nulls
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def load(text: str) -> tuple[YAML, CommentedMap]:
    """The document, with the dumper that reproduces it exactly; :class:`LayoutRefused`
    when none does (then only the YAML editor can change it without rewriting it)."""
    for layout in _LAYOUTS:
        for nulls in _NULLS:
            yaml = _yaml(layout, nulls)
            data = yaml.load(text)
            if not isinstance(data, CommentedMap):
                raise LayoutRefused("the rules are not a YAML mapping: edit the YAML instead")
            if _dump(yaml, data) == text:
                return yaml, data
    raise LayoutRefused(
        "the form cannot change this rules file without rewriting lines you did not touch "
        "(its indentation is unusual): edit the YAML instead"
    )


def _rule(data: Mapping[str, Any], kind: str) -> CommentedMap | None:
    for item in data.get("rules") or ():
        if isinstance(item, CommentedMap) and item.get("kind") == kind:
            return item
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _hours(item: Mapping[str, Any]) -> str:
    if item.get("hours") is not None:
        return _text(item["hours"])
    if item.get("minutes") is not None:
        return _text(round(float(item["minutes"]) / 60, 2))
    return ""


def _week_goals(goals_rule: CommentedMap | None, week: str) -> list[CommentedMap]:
    """The goals of ``week``: those for that week, and those for every week."""
    if goals_rule is None:
        return []
    return [
        g
        for g in goals_rule.get("goals") or ()
        if isinstance(g, CommentedMap) and g.get("week") in (None, week)
    ]


def read_form(text: str, week: str) -> RuleForm:
    """The form's fields as the document says them now."""
    _, data = load(text)
    form = RuleForm()
    has = set()
    hours = data.get("working_hours")
    if isinstance(hours, CommentedMap):
        has.add("working_hours")
        form.working_hours = {day: _text(hours.get(day)) for day in DAYS}
    focus = _rule(data, "focus_time")
    if focus is not None:
        has.add("focus")
        form.focus_hours = _hours(focus) or "5"
        form.focus_window = _text(focus.get("preferred", "09:00-12:00"))
    email = _rule(data, "email_batches")
    if email is not None:
        has.add("email")
        form.email_times = _text(email.get("times", ["9:00", "13:00", "16:00"]))
    free = _rule(data, "meeting_free_day")
    has.add("meeting_free_day")
    form.meeting_free_day = _text(free.get("day")) if free is not None else ""
    tiers = data.get("tiers")
    if isinstance(tiers, CommentedMap):
        has.add("shares")
        form.shares = {str(name): _share_text(t.get("share")) for name, t in tiers.items()}
    goals = _rule(data, "goals")
    if goals is not None:
        has.add("goals")
        form.goals = [
            GoalRow(_text(g.get("title")), _hours(g), every_week=g.get("week") is None)
            for g in _week_goals(goals, week)
        ]
    form.has = frozenset(has)
    return form


def _share_text(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{_text(value[0])}-{_text(value[1])}"
    return _text(value)


# -- checking the fields' shapes ------------------------------------------------------------


def _window(text: str) -> str | None:
    match = _WINDOW.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        return None
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value > 0 else None


def _yaml_number(text: str) -> int | float:
    """A positive number as YAML should show it: 2, not 2.0."""
    value = _number(text) or 0.0
    return int(value) if value.is_integer() else value


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# -- writing ------------------------------------------------------------------------------


def _flow(items: list[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _q(value: str) -> Any:
    return DoubleQuotedScalarString(value)


def _set(node: CommentedMap, key: str, value: Any, was: str, now: str) -> None:
    """Replace ``node[key]`` only when the field changed: untouched values keep their text."""
    if was != now:
        node[key] = value


def write_form(text: str, form: RuleForm, week: str) -> str:
    """``text`` with the form's values in place (call :func:`check` first)."""
    yaml, data = load(text)
    before = read_form(text, week)
    hours = data.get("working_hours")
    if isinstance(hours, CommentedMap):
        for day in DAYS:
            now = form.working_hours.get(day, "")
            value = _q(_window(now) or now) if now.strip() else None
            _set(hours, day, value, before.working_hours.get(day, ""), now)
    focus = _rule(data, "focus_time")
    if focus is not None:
        if before.focus_hours != form.focus_hours:
            focus.pop("minutes", None)
            focus["hours"] = _yaml_number(form.focus_hours)
        windows = [_q(_window(w) or w) for w in _split(form.focus_window)]
        preferred = windows[0] if len(windows) == 1 else _flow(windows)
        _set(focus, "preferred", preferred, before.focus_window, form.focus_window)
    email = _rule(data, "email_batches")
    if email is not None:
        times = _flow([_q(t) for t in _split(form.email_times)])
        _set(email, "times", times, before.email_times, form.email_times)
    _write_free_day(data, before.meeting_free_day, form.meeting_free_day)
    tiers = data.get("tiers")
    if isinstance(tiers, CommentedMap):
        for name, tier in tiers.items():
            now = form.shares.get(str(name), "")
            _set(tier, "share", _share_value(now), before.shares.get(str(name), ""), now)
    _write_goals(data, before, form, week)
    return _dump(yaml, data)


def _share_value(text: str) -> Any:
    match = _SHARE.match(text)
    if match is None:
        return text
    low, high = match.groups()
    return int(low) if high is None else _flow([int(low), int(high)])


def _trailing(node: Any) -> tuple[Any, Any] | None:
    """Where the comment lines after ``node`` live (on its last key, for a mapping)."""
    if isinstance(node, CommentedMap) and len(node):
        last = list(node.keys())[-1]
        return node, last
    return None


def _move_comment(src: Any, dst: Any) -> None:
    """Move the comment lines after ``src`` to after ``dst`` (they belong to what follows)."""
    a, b = _trailing(src), _trailing(dst)
    if a is None or b is None:
        return
    comment = a[0].ca.items.pop(a[1], None)
    if comment is not None:
        b[0].ca.items[b[1]] = comment


def _remove(seq: CommentedSeq, node: Any) -> None:
    """Take ``node`` out of ``seq``, keeping the comments that followed it."""
    at = seq.index(node)
    if at > 0:
        _move_comment(node, seq[at - 1])
    seq.remove(node)


def _append(seq: CommentedSeq, node: Any) -> None:
    """Add ``node`` last, after the last item but before the comments that followed it."""
    if len(seq):
        _move_comment(seq[-1], node)
    seq.append(node)


def _write_free_day(data: CommentedMap, was: str, now: str) -> None:
    if was == now:
        return
    rules = data.get("rules")
    free = _rule(data, "meeting_free_day")
    if not now:
        if free is not None and isinstance(rules, CommentedSeq):
            _remove(rules, free)
        return
    if free is not None:
        free["day"] = now
    elif isinstance(rules, CommentedSeq):
        _append(rules, CommentedMap([("kind", "meeting_free_day"), ("day", now)]))


def _write_goals(data: CommentedMap, before: RuleForm, form: RuleForm, week: str) -> None:
    rule = _rule(data, "goals")
    if rule is None:
        return
    listed = rule.get("goals")
    if not isinstance(listed, CommentedSeq):
        listed = CommentedSeq()
        rule["goals"] = listed
    nodes = _week_goals(rule, week)
    for node, was, now in zip(nodes, before.goals, form.goals, strict=False):
        if now.remove:
            _remove(listed, node)
            continue
        if now.title != was.title:
            node["title"] = now.title.strip()
        if now.hours != was.hours:
            node.pop("minutes", None)
            node["hours"] = _yaml_number(now.hours)
    new = form.new_goal
    if new.title.strip() and not new.remove:
        _append(
            listed,
            CommentedMap(
                [
                    ("title", new.title.strip()),
                    ("hours", _yaml_number(new.hours)),
                    ("week", week),
                ]
            ),
        )


__all__ = [
    "DAYS",
    "DAY_NAMES",
    "FieldError",
    "GoalRow",
    "LayoutRefused",
    "RuleForm",
    "is_number",
    "is_window",
    "load",
    "read_form",
    "rule_of",
    "split_list",
    "week_goals",
    "write_form",
]

is_window = _window
is_number = _number
split_list = _split
rule_of = _rule
week_goals = _week_goals
TIME_RE = _TIME
SHARE_RE = _SHARE
