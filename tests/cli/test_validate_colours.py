"""`blocker validate` warns when two rules share a colour, and still accepts the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.test_cli import GENERATED, ROOT, run
from tests.support.clock import TEST_NOW
from tests.support.rules import rules_yaml

NOW = TEST_NOW.isoformat()


def _block(rule_id: str, colour: str) -> str:
    return (
        f"  - kind: block\n    id: {rule_id}\n    title: {rule_id}\n    per: week\n"
        f"    minutes: 60\n    color: '{colour}'\n"
    )


def _write(workdir: Path, extra: str) -> None:
    text = rules_yaml(["{id: mem, provider: memory}"], extra_rules=extra)
    (workdir / "config.yaml").write_text(text, encoding="utf-8")


def test_two_rules_in_one_colour_are_named_in_a_warning(tmp_path: Path) -> None:
    _write(
        tmp_path,
        _block("reading", "#0B8043") + _block("admin", "#0b8043"),
    )
    result = run(tmp_path, "validate", "--config", "config.yaml", "--now", NOW)
    assert result.returncode == 0, result.stderr  # a warning, not a refusal
    warnings = result.stderr.split("warning: ")[1:]
    joined = " ".join(" ".join(w.split()) for w in warnings)
    assert "colour #0B8043 is shared by rules 'reading' and 'admin'" in joined, result.stderr


def test_distinct_colours_give_no_warning(tmp_path: Path) -> None:
    _write(tmp_path, _block("reading", "#123456"))
    result = run(tmp_path, "validate", "--config", "config.yaml", "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert "colour #123456" not in result.stderr


@pytest.mark.parametrize("now", [GENERATED, NOW], ids=["example-week", "pinned-clock"])
def test_the_example_gives_every_rule_its_own_colour(tmp_path: Path, now: str) -> None:
    """The example teaches one colour per rule: validating it warns about none,
    judged on the example's own week (its goals included) and on the pinned clock's."""
    shutil.copy(ROOT / "config.example.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = run(tmp_path, "validate", "--config", "config.yaml", "--now", now)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
