"""One-way layers: the import-linter contracts in pyproject.toml hold, and they fail
when a module imports upward.

blocker.core is the bottom; rules and providers sit on it and import nothing else of
blocker (nor each other); the rest of blocker sits on top. tests/run.sh runs
``lint-imports`` after mypy; this test runs the same contracts inside pytest, and
proves on a copy of the tree that each contract catches a violation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_tree_keeps_every_layer_contract() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("blocker/core/models.py", "import blocker.sync", "blocker.core imports nothing"),
        ("blocker/core/keys.py", "import rules.spec", "blocker.core imports nothing"),
        (
            "rules/spec.py",
            "from blocker.settings import Settings",
            "rules and providers import only blocker.core",
        ),
        ("providers/base.py", "import blocker.store", "rules and providers import only"),
        ("providers/base.py", "import rules.limits", "rules and providers do not import"),
    ],
)
def test_an_upward_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    """A copy of the tree with one upward import added fails the check, naming it."""
    for package in ("blocker", "rules", "providers"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    text = target.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    assert sep, f"{module} has no __future__ import to insert after"
    target.write_text(f"{head}{sep}{line}\n{rest}", encoding="utf-8")

    done = _lint(tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{contract}" in done.stdout and "BROKEN" in done.stdout, done.stdout
    assert module.removesuffix(".py").replace("/", ".") in done.stdout, done.stdout
