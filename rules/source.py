"""YAML reading that remembers where every value came from.

PyYAML's node graph keeps the line/column of every key and value; errors from
pydantic carry a ``loc`` path. Walking the path through the nodes turns an error
into ``file:line:col``. The loader also drops two YAML 1.1 traps for a rules file:
``9:00`` read as the sexagesimal integer 540, and ``NO``/``off`` read as False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it (ten times faster on a large document); the
pure-Python one otherwise. Both resolve scalars with the same Python resolvers."""


class RulesLoader(_BASE):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 style ints/floats/bools (no base 60, no yes/no)."""


def _patch_resolvers() -> None:
    dropped = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
    resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        resolvers[first] = [(tag, rx) for tag, rx in entries if tag not in dropped]
    RulesLoader.yaml_implicit_resolvers = resolvers
    RulesLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    RulesLoader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
        ),
        list("-+0123456789"),
    )
    RulesLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
            r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )


_patch_resolvers()


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed YAML file: plain data plus the node graph for locating errors."""

    data: Any
    root: Node | None


def parse_yaml(text: str) -> Document:
    """Parse one YAML document; raises ``yaml.YAMLError`` (with a mark) on bad syntax."""
    loader = RulesLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return Document(data, root)


_INDEX = "_blocker_index"


def _mapping_entry(node: MappingNode, key: object) -> tuple[Node, Node] | None:
    """The (key, value) nodes of ``key``; the first one wins, as before.

    The index of a mapping's keys is built once and kept on the node, so locating
    every error of a document is linear in its size, not quadratic (thousands of
    unknown keys in one mapping used to take minutes).
    """
    index: dict[str, tuple[Node, Node]] | None = getattr(node, _INDEX, None)
    if index is None:
        index = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                index.setdefault(key_node.value, (key_node, value_node))
        setattr(node, _INDEX, index)
    return index.get(str(key))


def locate(root: Node | None, loc: tuple[Any, ...], *, at_key: bool = False) -> tuple[int, int]:
    """1-based (line, column) of the node at ``loc``; the deepest existing node if missing.

    ``at_key`` points at the key itself (for "unknown key" errors) instead of its value.
    Path parts that match nothing (pydantic's union tags, for instance) are skipped.
    """
    node = root
    if node is None:
        return 1, 1
    target: Node = node
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, MappingNode):
            entry = _mapping_entry(node, part)
            if entry is None:
                continue
            key_node, value_node = entry
            target = key_node if (last and at_key) else value_node
            node = value_node
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
                target = node
        else:
            continue
    mark = target.start_mark
    return mark.line + 1, mark.column + 1


_FLOAT_TAG = "tag:yaml.org,2002:float"
_DECIMAL = re.compile(r"^[+-]?[0-9][0-9_]*\.[0-9]+$")
"""A float written with a fraction (not ``.inf``, ``1e5``): its digits may be grouping."""


def floats_as_written(data: Any, node: Node | None, path: tuple[str, ...]) -> Any:
    """``data`` with the plain-float scalars at ``path`` (``*`` = every item or key)
    replaced by their source text.

    YAML reads ``512.000`` as 512.0 and the thousands separator the author meant is
    gone; amounts must see what was written (``rules.money`` refuses it).
    """
    if not path or node is None:
        if isinstance(node, ScalarNode) and node.tag == _FLOAT_TAG and _DECIMAL.match(node.value):
            return node.value
        return data
    head, rest = path[0], path[1:]
    if isinstance(data, dict) and isinstance(node, MappingNode):
        out = dict(data)
        for key in list(out) if head == "*" else [head]:
            entry = _mapping_entry(node, key) if key in out else None
            if entry is not None:
                out[key] = floats_as_written(out[key], entry[1], rest)
        return out
    if isinstance(data, list) and isinstance(node, SequenceNode) and head == "*":
        return [floats_as_written(d, n, rest) for d, n in zip(data, node.value, strict=False)]
    return data
