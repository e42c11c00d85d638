"""How many minutes of account time each tier (and each of its accounts) gets.

The scorecard judges a tier by ALL its account-facing minutes of the week:
account time, the triggers (renewal prep, silent accounts, health drops,
go-lives) of its accounts and the meetings already on the calendar with them
(the method's shares are of the CSM's account-facing time). So the budget starts
from what each tier already has (triggers and meetings) and gives account time
the rest of the tier's share (an account with many meetings needs fewer prep
blocks), and:

* the week's tier total starts at the account hours (pro rata) plus the known
  meetings and grows, in
  ``round_to`` steps up to ``max_scale`` times that, only as far as needed for
  every tier to land inside its target range (a trigger-heavy tier needs a
  bigger total so its share is not too large);
* within the total, tiers not already over their share split the rest by the
  mid-points of their ranges;
* a tier's minutes go to at most ``minutes // floor`` of the accounts whose
  cadence turn it is (each gets at least ``floor``), those already touched by a
  trigger last, rotating cycle by cycle, so the minimum per account never
  pushes a tier over its range.

The result is checked in whole minutes, exactly as the scorecard will count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rules.spec import Account

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class TierInput:
    """One tier as the budget sees it."""

    name: str
    low: float
    high: float
    triggers: int
    """Minutes the tier's accounts already get from triggers this week."""
    pool: tuple[Account, ...]
    """Accounts whose cadence turn it is: untouched by triggers first, then touched."""
    fresh: int = 0
    """How many of ``pool`` (from the front) no trigger touches this week."""
    cycle: int = 0
    """Which round of the cadence this is: rotates who gets time when not all can."""
    meetings: int = 0
    """Minutes of meetings already on the calendar this week with the tier's accounts."""

    @property
    def held(self) -> int:
        """The tier's minutes before any account time: triggers and meetings."""
        return self.triggers + self.meetings

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2


Allocation = dict[str, list[tuple[Account, int]]]


def _targets(tiers: Sequence[TierInput], total: int) -> dict[str, float]:
    """Each tier's minutes for ``total``: tiers whose triggers and meetings exceed
    their mid share keep just those and the others split the rest. A tier with
    nobody to give time to this week keeps its share unused rather than handing
    it to the others (its cadence, not the budget, decides who gets time)."""
    fixed: set[str] = set()
    while True:
        free = [t for t in tiers if t.name not in fixed]
        rest = total - sum(t.held for t in tiers if t.name in fixed)
        weight = sum(t.mid for t in free)
        out = {t.name: float(t.held) for t in tiers if t.name in fixed}
        for t in free:
            out[t.name] = rest * t.mid / weight if weight > 0 else 0.0
        over = [t for t in free if out[t.name] < t.held]
        if not over:
            return out
        fixed.update(t.name for t in over)


def _split(tier: TierInput, wanted: float, round_to: int, floor: int) -> list[tuple[Account, int]]:
    """``wanted`` minutes of account time over the tier's best accounts."""
    minutes = round(max(0.0, wanted) / round_to) * round_to
    if minutes < floor:
        minutes = floor if wanted >= floor / 2 else 0
    if minutes == 0 or not tier.pool:
        return []
    count = min(minutes // floor, len(tier.pool))
    pool = list(tier.pool)
    if count < tier.fresh:  # not everyone's turn can be served: a different few each round
        start = tier.cycle * count % tier.fresh
        pool = pool[start : tier.fresh] + pool[:start]
    base = max(floor, minutes // count // round_to * round_to)
    extra = max(0, (minutes - base * count) // round_to)
    return [
        (account, base + (round_to if i < extra else 0)) for i, account in enumerate(pool[:count])
    ]


def _violation(tiers: Sequence[TierInput], alloc: Allocation) -> float:
    """How far outside their ranges the tiers' shares end up (0 = all inside)."""
    minutes = {t.name: t.held + sum(m for _, m in alloc[t.name]) for t in tiers}
    total = sum(minutes.values())
    if total == 0:
        return 0.0
    out = 0.0
    for t in tiers:
        share = minutes[t.name] / total
        out += max(0.0, t.low - share - _EPS) + max(0.0, share - t.high - _EPS)
    return out


def budget(
    tiers: Sequence[TierInput],
    hours_minutes: float,
    *,
    round_to: int,
    floor: int,
    max_scale: float,
) -> Allocation:
    """Minutes per account per tier; see the module docstring."""
    if hours_minutes <= 0 or not tiers:
        return {t.name: [] for t in tiers}
    known = sum(t.meetings for t in tiers)
    start = math.ceil((hours_minutes + known) / round_to) * round_to
    stop = max(start, math.floor(hours_minutes * max_scale + known))
    best: tuple[float, Allocation] | None = None
    for total in range(start, stop + 1, round_to):
        wanted = _targets(tiers, total)
        alloc = {t.name: _split(t, wanted[t.name] - t.held, round_to, floor) for t in tiers}
        miss = _violation(tiers, alloc)
        if miss == 0:
            return alloc
        if best is None or miss < best[0]:
            best = (miss, alloc)
    assert best is not None
    return best[1]


def pool_order(
    ordered: Sequence[Account], period: int, week: int, touched: Mapping[str, bool]
) -> tuple[tuple[Account, ...], int, int]:
    """The accounts whose cadence turn it is this week, untouched ones first;
    how many are untouched; and the cadence round (for the rotation in ``_split``).

    ``ordered`` is the fixed rotation order (by slug); account ``i`` has its turn
    when ``i % period == week % period`` (the cadence is the user's word: no
    other account gets time, even when its tier is short).
    """
    mine = [a for i, a in enumerate(ordered) if i % period == week % period]
    fresh = [a for a in mine if not touched.get(a.name, False)]
    rest = [a for a in mine if touched.get(a.name, False)]
    return (*fresh, *rest), len(fresh), week // period
