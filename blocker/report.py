"""The weekly scorecard: time per tier, quadrant and category vs targets, red flags.

Pure: a Plan and its WeekSpec in, frozen dataclasses out. Each row holds its
figures in a :class:`Measure` under ``planned``; the "actual" hours counted from
real meetings (issue 11) will be a second ``Measure`` beside it on the same rows,
so nothing that reads ``planned`` has to change.

Shares are fractions of a total; when a total is zero there is nothing to
judge, so its rows are ``ok`` and raise no flag (a holiday week is not "too
reactive"). Tiers found on blocks but missing from the spec are shown with the
neutral target range 0..1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from blocker.models import Block, Category, Conflict, Plan, Quadrant, Shortfall, WeekSpec

__all__ = [
    "CategoryRow",
    "Measure",
    "Scorecard",
    "TierRow",
    "scorecard",
    "scorecard_to_dict",
]

QUADRANTS: tuple[Quadrant, ...] = (1, 2, 3, 4)
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Measure:
    """Minutes and their share (0..1) of the row's total."""

    minutes: int
    share: float


@dataclass(frozen=True, slots=True)
class TierRow:
    """One tier's share of account time against its target range."""

    name: str
    target_min: float
    target_max: float
    planned: Measure
    ok: bool


@dataclass(frozen=True, slots=True)
class CategoryRow:
    """Proactive / reactive / admin share against its target share."""

    name: Category
    target: float | None
    planned: Measure


@dataclass(frozen=True, slots=True)
class Scorecard:
    """The week's figures; ``flags`` are the method's red flags in plain words."""

    week: str
    tiers: tuple[TierRow, ...]
    quadrants: tuple[tuple[Quadrant, Measure], ...]
    categories: tuple[CategoryRow, ...]
    protected_minutes: int
    conflicts: tuple[Conflict, ...]
    shortfall: tuple[Shortfall, ...]
    flags: tuple[str, ...]


def _measure(minutes: int, total: int) -> Measure:
    return Measure(minutes, minutes / total if total else 0.0)


def _timed(blocks: Iterable[Block]) -> list[Block]:
    """All-day markers are date-level notes, not time: they count nowhere."""
    return [b for b in blocks if not b.all_day]


def scorecard(plan: Plan, spec: WeekSpec) -> Scorecard:
    """Score ``plan`` against the targets of ``spec``."""
    blocks = _timed(plan.blocks)
    total = sum(b.minutes for b in blocks)
    tiers = _tiers(blocks, spec)
    quadrants = tuple(
        (q, _measure(sum(b.minutes for b in blocks if b.quadrant == q), total)) for q in QUADRANTS
    )
    targets = dict(spec.category_targets)
    names: list[Category] = list(targets)
    names.extend(c for c in sorted({b.category for b in blocks}) if c not in targets)
    categories = tuple(
        CategoryRow(
            name,
            targets.get(name),
            _measure(sum(b.minutes for b in blocks if b.category == name), total),
        )
        for name in names
    )
    return Scorecard(
        week=plan.week,
        tiers=tiers,
        quadrants=quadrants,
        categories=categories,
        protected_minutes=sum(b.minutes for b in blocks if b.protected),
        conflicts=plan.conflicts,
        shortfall=plan.shortfall,
        flags=_flags(dict(quadrants), total, tiers),
    )


def _tiers(blocks: list[Block], spec: WeekSpec) -> tuple[TierRow, ...]:
    minutes: dict[str, int] = {}
    for block in blocks:
        if block.tier is not None:
            minutes[block.tier] = minutes.get(block.tier, 0) + block.minutes
    total = sum(minutes.values())
    ranges = [(t.name, t.target_min, t.target_max) for t in spec.tiers]
    known = {t.name for t in spec.tiers}
    ranges.extend((name, 0.0, 1.0) for name in sorted(minutes) if name not in known)
    rows = []
    for name, low, high in ranges:
        measure = _measure(minutes.get(name, 0), total)
        ok = not total or low - _EPS <= measure.share <= high + _EPS
        rows.append(TierRow(name, low, high, measure, ok))
    return tuple(rows)


def _flags(
    quadrants: dict[Quadrant, Measure], total: int, tiers: tuple[TierRow, ...]
) -> tuple[str, ...]:
    flags: list[str] = []
    if total:
        q1, q2, q3 = (quadrants[q].minutes for q in (1, 2, 3))
        if q1 / total > 0.5:
            flags.append("Q1 > 50 % (too reactive)")
        if q3 / total > 0.2:
            flags.append("Q3 > 20 % (poor delegation)")
        if q2 / total < 0.4:
            flags.append("Q2 < 40 %")
        if (q1 + q2) / total < 0.7:
            flags.append("Q1+Q2 < 70 %")
    flags.extend(f"tier {row.name} outside its target range" for row in tiers if not row.ok)
    return tuple(flags)


def scorecard_to_dict(card: Scorecard) -> dict[str, Any]:
    """The JSON form of DESIGN.md section 6 (shares rounded to 4 digits)."""
    return {
        "tiers": {
            row.name: {
                "minutes": row.planned.minutes,
                "share": round(row.planned.share, 4),
                "target_min": row.target_min,
                "target_max": row.target_max,
                "ok": row.ok,
            }
            for row in card.tiers
        },
        "quadrants": {str(q): round(m.share, 4) for q, m in card.quadrants},
        "categories": {row.name: _category(row) for row in card.categories},
        "protected_minutes": card.protected_minutes,
        "flags": list(card.flags),
    }


def _category(row: CategoryRow) -> dict[str, Any]:
    """``target`` is left out for a category the spec sets no target for."""
    out: dict[str, Any] = {"minutes": row.planned.minutes, "share": round(row.planned.share, 4)}
    if row.target is not None:
        out["target"] = row.target
    return out
