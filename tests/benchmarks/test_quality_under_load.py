"""The quality benchmark on a loaded machine: CP-SAT stopped before it proves
anything, or with a plan worse than ours, is reported - never a crash, never a
share above 100 %.

CP-SAT is bounded by deterministic time (work done) with one worker, so what it
finds does not depend on how loaded the machine is while the test runs.
"""

from __future__ import annotations

import os

import pytest

from benchmarks.common import Options
from benchmarks.generator import generate
from benchmarks.objective import score_blocks
from benchmarks.optimum import solve, solver_workers
from benchmarks.quality import quality_markdown, run_week, share, speed_markdown, week_result
from blocker.planner import plan_week

SEED = 5


def test_a_solve_with_no_answer_is_reported_not_divided_by() -> None:
    week = generate(SEED)
    # no work allowed: CP-SAT stops UNKNOWN, with neither a plan nor a bound
    result = run_week(week, seconds=600, repeats=1, deterministic_seconds=0.0)
    assert (result.status, result.optimal, result.bound) == ("UNKNOWN", False, None)
    assert result.optimum == max(result.ours, result.first_fit) > 0
    assert result.solve_seconds > 0  # model building is timed even when nothing is found
    text = quality_markdown([result], Options(quick=True, seed=SEED))
    assert f"No solution within the limit: seed {SEED} (UNKNOWN)" in text
    assert "Optimality proven for 0 of 1 weeks" in text
    assert f"{solver_workers()} workers" in text
    assert "| ours (blocker.planner) | 100.00 % | 100.00 % | - |" in text
    assert "## 2. Plan speed" in speed_markdown([result])


def test_a_solver_plan_worse_than_ours_does_not_lift_our_share_above_100() -> None:
    week = generate(SEED)
    blocks = plan_week(week.spec, busy=week.busy).blocks
    ours = score_blocks(week.spec, blocks).total
    # stopped early without our hint, the solver holds a plan - a worse one than ours
    opt = solve(week.spec, week.busy, seconds=600, deterministic_seconds=0.5, workers=1)
    assert opt.status == "FEASIBLE" and opt.bound is not None
    assert opt.objective < ours, "precondition: the solver's early answer is below our plan"
    result = week_result(week, blocks, 0.01, opt)
    assert result.optimum == ours
    assert share(result.ours, result.optimum) == 1.0
    assert result.bound is not None and result.optimum <= result.bound
    assert sum(result.loss.values()) == 0 and result.kinds == {}
    text = quality_markdown([result], Options(quick=True, seed=SEED))
    assert f"Not proven: seed {SEED} (gap " in text
    assert "| ours (blocker.planner) | 100.00 % | 100.00 % |" in text


def test_a_proven_optimum_keeps_our_share_under_100() -> None:
    week = generate(SEED)
    result = run_week(week, seconds=600, repeats=1, deterministic_seconds=2.0)
    assert result.status in {"OPTIMAL", "FEASIBLE"}
    assert result.first_fit <= result.optimum and result.ours <= result.optimum
    assert result.bound is not None and result.optimum <= result.bound + 1e-6
    assert 0 < share(result.ours, result.optimum) <= 1.0


@pytest.mark.parametrize(
    ("score", "optimum", "expected"), [(0, 0, 1.0), (-5, 0, 0.0), (3, 4, 0.75)]
)
def test_share_of_a_week_whose_best_plan_scores_nothing(
    score: float, optimum: float, expected: float
) -> None:
    assert share(score, optimum) == expected


def test_solver_threads_are_the_cores_this_process_may_use() -> None:
    assert solver_workers() == len(os.sched_getaffinity(0))
