"""Every path through the product reaches the calendar through ``Runtime.sync``: no
module of the product or the benchmarks calls the sync engine (or reads the calendar
for a run) on its own (issue 18, one sync entry point)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = {"sync_calendar"}
ALLOWED = {ROOT / "blocker" / "sync.py", ROOT / "blocker" / "runtime.py"}


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            used |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.Name):
            used.add(node.id)
    return used


def test_only_the_runtime_calls_the_sync_engine() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("blocker", "benchmarks", "providers", "rules")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in ALLOWED and _names_used(path) & ENGINE
    ]
    assert offenders == [], f"call Runtime.sync instead of the engine in: {offenders}"


def test_the_guard_sees_a_call() -> None:
    sample = ROOT / "blocker" / "runtime.py"
    assert _names_used(sample) & ENGINE, "the scan must find the runtime's own call"
