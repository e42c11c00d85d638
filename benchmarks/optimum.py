"""The exact optimum of :mod:`benchmarks.objective` with OR-Tools CP-SAT.

Time is cut into 15-minute slots (every generated time and duration is on that
grid, so nothing is rounded). The model is time-indexed: every possible chunk
of every request - each start slot and each allowed length that fits in one
free run of its window - is an optional interval variable of fixed start and
size, present or not, and

* ``NoOverlap`` over all of them (blocks never overlap each other), plus the
  same as a linear cut per slot (sum of chunks covering it <= 1), which gives
  the solver a tight LP bound (a plain start/size model could not prove
  optimality of 100-request weeks in minutes);
* candidates only inside working time and off every meeting (a protected,
  fixed ``keep`` request may sit on a meeting, as in the planner), inside the
  request's window (a fixed request: inside its exact span, since the planner
  may cut it to a free part; a holding window may be cut in several pieces);
* length in ``[min_chunk, max_chunk]`` and placed minutes <= requested.

The objective is linear in the chunk variables: weighted minutes and preferred
overlap are constants per candidate, extra chunks are ``sum(present) - 1`` and
the tier error two inequalities per tier (both minimised, so exact).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil

from ortools.sat.python import cp_model

from benchmarks.objective import EXTRA_CHUNK, PREFERRED, TIER_ERROR, tier_shares
from blocker.core.keys import chunk_key, request_of
from blocker.core.models import Block, BlockRequest, Busy, WeekSpec
from blocker.planning.timeline import merge

__all__ = ["Optimum", "solve", "solver_workers"]

SLOT = 15 * 60
SCALE = 1000
"""Tier shares are integers per mille, so the model's objective is scaled by 1000."""

Run = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Optimum:
    """The solver's answer: best objective found, its proven bound, the status.

    With no solution in the limit (``UNKNOWN``) there are no blocks, the objective
    is 0 and ``bound`` is None: the solver proved nothing, and saying 0 would
    turn a loaded machine into a division by zero downstream.
    """

    objective: float
    bound: float | None
    optimal: bool
    seconds: float
    """Wall time of building the model and solving it (building is most of it on
    small weeks, so timing the solve call alone flattered CP-SAT)."""
    blocks: tuple[Block, ...]
    status: str
    candidates: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    request: BlockRequest
    start: int
    size: int
    var: cp_model.IntVar


def _slot(t: float, origin: int, *, up: bool = False) -> int:
    offset = int(t) - origin
    return -(-offset // SLOT) if up else offset // SLOT


def _subtract(spans: list[Run], holes: list[Run]) -> list[Run]:
    """``spans`` minus ``holes`` (both sorted, disjoint) as sorted slot runs."""
    out: list[Run] = []
    for start, end in spans:
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                out.append((cursor, h_start))
            cursor = max(cursor, h_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def _clip(runs: list[Run], lo: int, hi: int) -> list[Run]:
    return [(max(s, lo), min(e, hi)) for s, e in runs if min(e, hi) > max(s, lo)]


def _overlap(start: int, end: int, windows: list[Run]) -> int:
    return sum(max(0, min(end, we) - max(start, ws)) for ws, we in windows)


def solver_workers() -> int:
    """CP-SAT threads: the cores this process may run on (more only time-slice)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def solve(
    spec: WeekSpec,
    busy: tuple[Busy, ...],
    *,
    seconds: float = 10.0,
    workers: int | None = None,
    hint: tuple[Block, ...] | None = None,
    deterministic_seconds: float | None = None,
) -> Optimum:
    """Maximise the objective on ``spec`` around ``busy``; stop after ``seconds``.

    ``deterministic_seconds`` also bounds CP-SAT's deterministic time (work done, not
    wall time): tests use it so a loaded machine changes how long a solve takes, not
    what it finds.

    ``hint`` (a feasible plan, e.g. ours) is only a starting solution: it can
    speed the search up but never changes the optimum. ``workers``: CP-SAT
    threads, by default :func:`solver_workers`.
    """
    began = time.perf_counter()
    working = merge((int(w.start.timestamp()), int(w.end.timestamp())) for w in spec.working)
    requests = [r for r in spec.requests if not r.all_day]
    if not working or not requests:
        return Optimum(0.0, 0.0, True, time.perf_counter() - began, (), "EMPTY", 0)
    origin = working[0][0]
    working_slots = [(_slot(a, origin, up=True), _slot(b, origin)) for a, b in working]
    meetings = merge(
        (int(b.start.timestamp()), int(b.end.timestamp())) for b in busy if b.blocks_time
    )
    meeting_slots = [(_slot(a, origin), _slot(b, origin, up=True)) for a, b in meetings]
    free_slots = _subtract(working_slots, meeting_slots)

    model = cp_model.CpModel()
    candidates: list[_Candidate] = []
    objective: list[cp_model.LinearExprT] = []
    by_request: dict[str, list[_Candidate]] = {}
    for req in requests:
        mine = _candidates(model, req, origin, free_slots, working_slots)
        if not mine:
            continue
        by_request[req.key] = mine
        candidates.extend(mine)
        want = req.minutes // 15
        model.add(sum(c.size * c.var for c in mine) <= want)
        preferred = merge(
            (_slot(p.start.timestamp(), origin), _slot(p.end.timestamp(), origin, up=True))
            for p in req.preferred
        )
        for c in mine:
            fit = _overlap(c.start, c.start + c.size, preferred)
            objective.append(SCALE * 15 * (req.priority * c.size + PREFERRED * fit) * c.var)
        if not req.holding and len(mine) > 1:
            extra = model.new_int_var(0, len(mine), "extra")
            model.add(extra >= sum(c.var for c in mine) - 1)
            objective.append(-SCALE * EXTRA_CHUNK * extra)

    model.add_no_overlap(
        model.new_optional_fixed_size_interval_var(c.start, c.size, c.var, "i") for c in candidates
    )
    cover: dict[int, list[cp_model.IntVar]] = {}
    for c in candidates:
        for t in range(c.start, c.start + c.size):
            cover.setdefault(t, []).append(c.var)
    for covering in cover.values():
        if len(covering) > 1:
            model.add(sum(covering) <= 1)

    shares = tier_shares(spec)
    tier_vars: dict[str, list[cp_model.IntVar]] = {t: [] for t in shares}
    tier_sizes: dict[str, list[int]] = {t: [] for t in shares}
    for c in candidates:
        if c.request.tier in tier_vars:
            tier_vars[c.request.tier].append(c.var)
            tier_sizes[c.request.tier].append(c.size)
    total_slots = sum(e - s for s, e in working_slots)
    for tier in shares:
        permille = round(shares[tier] * SCALE)
        # err (slots * 1000) >= |1000 * tier slots - permille * account slots|, as one
        # weighted sum: this tier's chunks weigh 1000 - permille, the others' -permille
        variables: list[cp_model.IntVar] = []
        weights: list[int] = []
        for other in shares:
            factor = SCALE - permille if other == tier else -permille
            variables.extend(tier_vars[other])
            weights.extend(factor * size for size in tier_sizes[other])
        gap = cp_model.LinearExpr.weighted_sum(variables, weights)
        err = model.new_int_var(0, SCALE * total_slots, f"err-{tier}")
        model.add(err >= gap)
        model.add(err >= -gap)
        objective.append(-TIER_ERROR * 15 * err)
    model.maximize(sum(objective))
    if hint is not None:
        _add_hint(model, by_request, hint, origin, spec)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers or solver_workers()
    if deterministic_seconds is not None:
        solver.parameters.max_deterministic_time = deterministic_seconds
    status = solver.solve(model)
    elapsed = time.perf_counter() - began
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Optimum(0.0, None, False, elapsed, (), solver.status_name(status), len(candidates))
    return Optimum(
        objective=solver.objective_value / SCALE,
        bound=solver.best_objective_bound / SCALE,
        optimal=status == cp_model.OPTIMAL,
        seconds=elapsed,
        blocks=tuple(_blocks(by_request, solver, origin)),
        status=solver.status_name(status),
        candidates=len(candidates),
    )


def _candidates(
    model: cp_model.CpModel,
    req: BlockRequest,
    origin: int,
    free_slots: list[Run],
    working_slots: list[Run],
) -> list[_Candidate]:
    """Every chunk the request could take: start x length inside one free run."""
    lo = _slot(req.earliest.timestamp(), origin, up=True)
    hi = _slot(req.latest.timestamp(), origin)
    want = req.minutes // 15
    if req.fixed:
        hi = min(hi, lo + want)
    keep = req.fixed and req.protected and req.conflict_policy == "keep"
    runs = _clip(working_slots if keep else free_slots, lo, hi)
    min_len = ceil(min(req.min_chunk, req.minutes) / 15)
    max_len = min(want, req.max_chunk // 15) if req.max_chunk else want
    out: list[_Candidate] = []
    for r_start, r_end in runs:
        for size in range(min_len, min(max_len, r_end - r_start) + 1):
            for start in range(r_start, r_end - size + 1):
                out.append(_Candidate(req, start, size, model.new_bool_var("x")))
    return out


def _add_hint(
    model: cp_model.CpModel,
    by_request: dict[str, list[_Candidate]],
    blocks: tuple[Block, ...],
    origin: int,
    spec: WeekSpec,
) -> None:
    """Hint a known plan: its chunks present, every other candidate absent."""
    requests = {r.key: r for r in spec.requests}
    chosen: set[tuple[str, int, int]] = set()
    for block in blocks:
        key = request_of(block.key, requests)
        if key is not None and not block.all_day:
            chosen.add((key, _slot(block.start.timestamp(), origin), block.minutes // 15))
    for key, mine in by_request.items():
        for c in mine:
            model.add_hint(c.var, (key, c.start, c.size) in chosen)


def _blocks(
    by_request: dict[str, list[_Candidate]], solver: cp_model.CpSolver, origin: int
) -> list[Block]:
    """The solver's chunks as Blocks, so the same scorer checks the optimum."""
    out: list[Block] = []
    for key, mine in by_request.items():
        present = sorted((c for c in mine if solver.boolean_value(c.var)), key=lambda c: c.start)
        for i, c in enumerate(present):
            req = c.request
            start = origin + c.start * SLOT
            out.append(
                Block(
                    key=chunk_key(key, i),
                    rule=req.rule,
                    kind=req.kind,
                    title=req.title,
                    start=datetime.fromtimestamp(start, UTC),
                    end=datetime.fromtimestamp(start + c.size * SLOT, UTC),
                    tier=req.tier,
                    account=req.account,
                    flexible=not req.fixed,
                    protected=req.protected,
                    conflict_policy=req.conflict_policy,
                )
            )
    return out
