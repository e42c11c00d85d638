"""The weights of the week's objective, in one place for the planner and the benchmarks.

A plan scores (higher is better), in points::

    sum over requests  priority * placed minutes
    + PREFERRED  * minutes inside the request's preferred windows
    - TIER_ERROR * sum over tiers |tier minutes - target share * account minutes|
    - EXTRA_CHUNK * sum over requests max(0, pieces - 1)

The planner's improvement pass (:mod:`blocker.planning.improve`) keeps a move only
when it raises this; ``benchmarks/objective.py`` scores plans with it and the CP-SAT
model maximises it. Changing a weight here changes both, so the benchmark keeps
measuring what the planner aims at.
"""

from __future__ import annotations

PREFERRED = 10
"""Points per minute placed inside a preferred window."""
TIER_ERROR = 20
"""Points lost per minute a tier is away from its target share of account time."""
EXTRA_CHUNK = 300
"""Points lost per extra piece a request is cut into (about five minutes of a block)."""

__all__ = ["EXTRA_CHUNK", "PREFERRED", "TIER_ERROR"]
