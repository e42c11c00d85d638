"""A CSM's rules: the team template with their own overlay on top (issue 20, part 3).

Why a merge and not a copy: the team lead keeps one template; each CSM changes only
what is theirs, and template changes still reach them. The merge is one pure
decision (:func:`merge_plan`) used two ways: on plain data (:func:`merge_data`, for
export and the property tests) and on the YAML text (:func:`merge_text`), so the
effective rules are validated by the ordinary loader and every problem is reported
in the document that holds it (``rules.yaml:12`` or ``your overlay:3``).

Semantics:

- a top-level setting in the overlay (``timezone``, ``working_hours``, ``owner``,
  ``accounts``, ...) replaces the template's whole section;
- ``rules`` merge by rule id (``id``, else ``kind``, as :attr:`RuleSpec.rule_id`):
  an overlay rule with a template rule's id replaces just that rule, in the
  template's order; a new id is added after the template's rules, in overlay order;
  ``{id: X, disabled: true}`` removes rule X (its other keys are ignored);
  ``disabled: false`` is the rule kept (or overridden) as usual;
- ``calendars`` are never inherited unless ``inherit_calendars`` (the template owner,
  whose calendars the template's are): two CSMs must not write to one calendar.

An empty overlay leaves the template unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from blocker.core.errors import Problem, RulesError
from rules.limits import RulesLimits
from rules.loader import parse_rules
from rules.source import parse_yaml
from rules.spec import Rules

OVERLAY_NAME = "your overlay"
"""How problems in an overlay are located (it has no file)."""

Source = Literal["template", "overlay"]

__all__ = [
    "OVERLAY_NAME",
    "MergePlan",
    "Sections",
    "effective_rules",
    "merge_data",
    "merge_plan",
    "merge_text",
    "rule_key",
]


def rule_key(rule: Mapping[str, Any]) -> str:
    """The id a rule is merged by (``RuleSpec.rule_id``): ``id``, else ``kind``."""
    return str(rule.get("id") or rule.get("kind") or "")


@dataclass(frozen=True, slots=True)
class Sections:
    """What the merge needs to know of one document: its top-level keys in order,
    and its rules as (id, disabled) in order."""

    keys: tuple[str, ...]
    rules: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class MergePlan:
    """Where each part of the effective rules comes from.

    ``keys``: (top-level key, source) in output order; ``rules``: (source, index of the
    rule in that document's ``rules``) in output order.
    """

    keys: tuple[tuple[str, Source], ...]
    rules: tuple[tuple[Source, int], ...] = field(default=())


def merge_plan(template: Sections, overlay: Sections, *, inherit_calendars: bool) -> MergePlan:
    """The one merge decision (see the module docstring); pure."""
    keys: list[tuple[str, Source]] = []
    for key in template.keys:
        if key == "calendars" and not inherit_calendars and "calendars" not in overlay.keys:
            continue
        keys.append((key, "overlay" if key in overlay.keys and key != "rules" else "template"))
    keys += [(k, "overlay") for k in overlay.keys if k not in template.keys]
    replaced: dict[str, int | None] = {}
    for index, (rule_id, disabled) in enumerate(overlay.rules):
        replaced[rule_id] = None if disabled else index
    rules: list[tuple[Source, int]] = []
    for index, (rule_id, _disabled) in enumerate(template.rules):
        if rule_id not in replaced:
            rules.append(("template", index))
        elif (mine := replaced[rule_id]) is not None:
            rules.append(("overlay", mine))
    template_ids = {rule_id for rule_id, _ in template.rules}
    for index, (rule_id, disabled) in enumerate(overlay.rules):
        if rule_id not in template_ids and not disabled:
            rules.append(("overlay", index))
    if rules and "rules" not in {k for k, _ in keys}:
        keys.append(("rules", "overlay"))
    return MergePlan(tuple(keys), tuple(rules))


def _sections(data: Mapping[str, Any]) -> Sections:
    rules = data.get("rules") or ()
    return Sections(
        tuple(str(k) for k in data),
        tuple((rule_key(r), r.get("disabled") is True) for r in rules),
    )


def merge_data(
    template: Mapping[str, Any], overlay: Mapping[str, Any], *, inherit_calendars: bool = True
) -> dict[str, Any]:
    """The effective rules as plain data (both documents already well formed)."""
    plan = merge_plan(_sections(template), _sections(overlay), inherit_calendars=inherit_calendars)
    docs = {"template": template, "overlay": overlay}
    merged: dict[str, Any] = {}
    for key, source in plan.keys:
        merged[key] = docs[source][key]
    if "rules" in merged:
        merged["rules"] = [docs[src]["rules"][i] for src, i in plan.rules]
    return merged


# -- text: the same merge on YAML, keeping every line's origin -------------------------


@dataclass(frozen=True, slots=True)
class _Doc:
    name: str
    lines: list[str]
    top: dict[str, tuple[int, int]]
    """top-level key -> [first, end) line span"""
    rules: list[tuple[int, int, int]]
    """each rule: [first, end) line span and the column it starts at"""
    sections: Sections


def _problem(name: str, node: Node | None, message: str) -> RulesError:
    line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
    return RulesError([Problem(name, line, col, message)])


def _end(node: Node) -> int:
    mark = node.end_mark
    return mark.line + (1 if mark.column > 0 else 0)


def _read(name: str, text: str) -> _Doc:
    """Split a block-mapping document into top-level sections and rule items."""
    try:
        doc = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RulesError([Problem(name, line, col, f"not valid YAML: {exc}")]) from None
    lines = text.splitlines()
    root = doc.root
    if root is None or (isinstance(root, MappingNode) and not root.value):
        return _Doc(name, lines, {}, [], Sections(()))
    if not isinstance(root, MappingNode) or root.flow_style:
        raise _problem(name, root, "the rules must be a mapping of sections (block style)")
    top: dict[str, tuple[int, int]] = {}
    rules: list[tuple[int, int, int]] = []
    rule_ids: list[tuple[str, bool]] = []
    entries = root.value
    for number, (key_node, value_node) in enumerate(entries):
        if not isinstance(key_node, ScalarNode):
            raise _problem(name, key_node, "section names must be plain words")
        if key_node.value in top:
            raise _problem(name, key_node, f"{key_node.value!r} appears twice")
        # a block node's end mark is the next token: the next key's line bounds it
        end = entries[number + 1][0].start_mark.line if number + 1 < len(entries) else None
        top[key_node.value] = (key_node.start_mark.line, end or _end(value_node))
        if key_node.value != "rules" or (
            isinstance(value_node, ScalarNode) and value_node.value in ("", "null", "~")
        ):
            continue
        if not isinstance(value_node, SequenceNode) or value_node.flow_style:
            raise _problem(name, value_node, "`rules` must be a block list (one `- ` per rule)")
        items = value_node.value
        for i, item in enumerate(items):
            if not isinstance(item, MappingNode):
                raise _problem(name, item, "each rule must be a mapping with `kind` or `id`")
            last = i + 1 == len(items)
            end = top["rules"][1] if last else items[i + 1].start_mark.line
            rules.append((item.start_mark.line, end, item.start_mark.column))
        for entry in doc.data.get("rules") or ():
            rule_ids.append((rule_key(entry), entry.get("disabled") is True))
    seen: set[str] = set()
    for (rule_id, _), (first, _end_line, col) in zip(rule_ids, rules, strict=True):
        if rule_id in seen:
            raise RulesError(
                [Problem(name, first + 1, col + 1, f"rule id {rule_id!r} appears twice")]
            )
        seen.add(rule_id)
    return _Doc(name, lines, top, rules, Sections(tuple(top), tuple(rule_ids)))


@lru_cache(maxsize=8)
def _read_template(name: str, text: str) -> _Doc:
    """The team template, read once per text: every member's rules merge over the same
    one (a worker or the scheduler going through thousands of members re-read it each
    time). A ``_Doc`` is not changed by merging."""
    return _read(name, text)


def merge_text(
    template_text: str,
    overlay_text: str,
    *,
    template_name: str = "rules.yaml",
    inherit_calendars: bool = True,
) -> tuple[str, list[tuple[str, int, int]]]:
    """The effective rules as YAML text and, per line, where it came from: (document,
    1-based line, columns to add to reach the column there). Raises
    :class:`RulesError` located in the document that is malformed."""
    template = _read_template(template_name, template_text)
    overlay = _read(OVERLAY_NAME, overlay_text)
    plan = merge_plan(template.sections, overlay.sections, inherit_calendars=inherit_calendars)
    docs = {"template": template, "overlay": overlay}
    out: list[str] = []
    origin: list[tuple[str, int, int]] = []
    for key, source in plan.keys:
        doc = docs[source]
        if key == "rules":
            out.append("rules:")
            origin.append((doc.name, doc.top[key][0] + 1 if key in doc.top else 1, 0))
            for src, index in plan.rules:
                _copy_rule(docs[src], index, out, origin)
            continue
        first, end = doc.top[key]
        for number in range(first, end):
            out.append(doc.lines[number])
            origin.append((doc.name, number + 1, 0))
    return ("\n".join(out) + "\n" if out else ""), origin


def _copy_rule(doc: _Doc, index: int, out: list[str], origin: list[tuple[str, int, int]]) -> None:
    """One rule item re-indented under ``rules:`` as ``  - ...`` (its block scalars
    shift with it, so their content is unchanged)."""
    first, end, col = doc.rules[index]
    shift = 4 - col
    for number in range(first, end):
        line = doc.lines[number]
        if number == first:
            text = "  - " + line[col:]
        elif not line.strip():
            text = ""
        elif len(line) - len(line.lstrip(" ")) < col:
            text = " " * 4 + line.lstrip(" ") if line.lstrip().startswith("#") else line
        else:
            text = " " * shift + line if shift >= 0 else line[-shift:]
        out.append(text)
        origin.append((doc.name, number + 1, -shift))


def effective_rules(
    template_text: str,
    overlay_text: str,
    *,
    template_name: str = "rules.yaml",
    base_dir: Path | None = None,
    limits: RulesLimits | None = None,
    inherit_calendars: bool = True,
) -> Rules:
    """Template + overlay, validated; problems point into the document holding them."""
    merged, origin = merge_text(
        template_text,
        overlay_text,
        template_name=template_name,
        inherit_calendars=inherit_calendars,
    )
    merged_name = "<effective rules>"
    try:
        return parse_rules(merged, filename=merged_name, base_dir=base_dir, limits=limits)
    except RulesError as exc:
        raise RulesError(_relocate(exc.problems, merged_name, origin)) from None


def _relocate(
    problems: Sequence[Problem], merged_name: str, origin: list[tuple[str, int, int]]
) -> list[Problem]:
    located = []
    for p in problems:
        if p.file == merged_name and 1 <= p.line <= len(origin):
            name, line, delta = origin[p.line - 1]
            located.append(Problem(name, line, max(1, p.column + delta), p.message))
        else:
            located.append(p)
    return located
