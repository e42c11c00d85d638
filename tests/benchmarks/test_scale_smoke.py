"""Smoke test of section 5 on a handful of members (PostgreSQL; nothing is timed here).

The benchmark's path is the product's: team users with overlays, the members'
schedule, the dispatcher, real ``blocker worker`` processes. What is checked is
that every member's week was generated once, without errors, by the workers the
dispatcher's jobs went to, and that the fragment reports it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import scale
from benchmarks.common import table
from benchmarks.scale_report import markdown
from benchmarks.team import member

pytestmark = pytest.mark.postgres


def test_members_vary_and_are_reproducible() -> None:
    members = [member(n, 2026) for n in range(30)]
    assert member(3, 2026) == members[3]
    assert len({m.zone for m in members}) >= 5
    assert len({m.overlay.split("generate_at: ")[1][:12] for m in members}) >= 3
    assert all("BEGIN:VEVENT" in m.busy_ics for m in members)


def test_a_few_members_are_generated_through_the_job_path(tmp_path: Path) -> None:
    figures = scale.run(6, 2026, (2,))
    [run] = figures["runs"]
    assert run["workers"] == 2 and len(run["peak_mb"]) == 2
    assert run["errors"] == 0 and run["writes"] > 6 * 10
    assert run["schedule"]["queued"] == 7  # the six members and the lead
    assert figures["members_db_mb"] >= figures["empty_db_mb"]
    text = markdown([figures], quick=True, table=table)
    assert text.startswith("## 5. Scale")
    assert "| 6 | 2 |" in text
