"""No product code asks the wall clock for "now" except through blocker.core.clock.

Planning decisions (what is past, today's stability, which triggers fire, which
week is next, run records, session age) must follow the injectable clock, or a
replay with ``--now`` and a test with a pinned clock silently use the real day.
The few places that must use the wall clock say why below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("blocker", "rules", "providers")

WALL_CLOCK_ALLOWED = {
    "blocker/core/clock.py": "the one source of 'now' (system_clock)",
    "blocker/scheduler.py": "APScheduler fires date jobs by the wall clock (engine_now)",
    "blocker/distributed/app.py": "procrastinate retries stalled jobs in its own wall-clock frame",
    "providers/google_retry.py": "a Retry-After HTTP-date is the server's wall time",
}
FORBIDDEN = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def _wall_clock_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        if (name, node.func.attr) in FORBIDDEN:
            found.append(f"{path.name}:{node.lineno}: {name}.{node.func.attr}()")
    return found


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_product_code_reads_now_only_through_the_clock(path: Path) -> None:
    if str(path.relative_to(ROOT)) in WALL_CLOCK_ALLOWED:
        return
    assert _wall_clock_calls(path) == [], "use an injected blocker.core.clock.Clock instead"


def test_the_guard_sees_a_wall_clock_call(tmp_path: Path) -> None:
    """The scan itself works: each forbidden spelling is found."""
    module = tmp_path / "probe.py"
    module.write_text(
        "import time\nfrom datetime import date, datetime\n"
        "a = datetime.now()\nb = date.today()\nc = time.time()\nd = datetime.datetime.utcnow()\n"
    )
    assert len(_wall_clock_calls(module)) == 4


def test_allowed_places_still_exist() -> None:
    """An allow-list entry for a file that no longer reads the wall clock is stale."""
    for name in WALL_CLOCK_ALLOWED:
        assert _wall_clock_calls(ROOT / name), f"{name} no longer needs its exception"
