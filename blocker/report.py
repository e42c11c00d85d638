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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from blocker.actuals import Actuals, Entry, MeetingKind, Missed
from blocker.core.models import Block, Category, Conflict, Plan, Quadrant, Shortfall, WeekSpec

__all__ = [
    "AccountCompared",
    "ActualCard",
    "CategoryRow",
    "Compared",
    "Measure",
    "Scorecard",
    "TierRow",
    "actual_to_dict",
    "compare",
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
        flags=_flags(dict(quadrants), total, tiers)
        + _category_flags(
            [(r.name, r.target, r.planned) for r in categories], total, spec.category_margin
        ),
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


def _category_flags(
    rows: Sequence[tuple[str, float | None, Measure]], total: float, margin: float
) -> tuple[str, ...]:
    """The proactive / reactive / admin split off its target by more than ``margin``.

    The reactive share is held as buffer: too little of it means escalations will
    eat the proactive work, too much means the week is run by the inbox.
    """
    if not total:
        return ()
    return tuple(
        f"{name} {measure.share:.0%} (target {target:.0%} ± {margin:.0%})"
        for name, target, measure in rows
        if target is not None and abs(measure.share - target) > margin + _EPS
    )


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


# -- planned vs actual (issue 11) ------------------------------------------------------
#
# The actual side comes from blocker.actuals: our blocks as the calendar holds them
# (minus the meetings that landed on them) plus every real meeting, by account. It
# is judged with the same targets and the same red flags as the plan.

TOP_ACCOUNTS = 10


@dataclass(frozen=True, slots=True)
class Compared:
    """One row shown side by side; ``ok`` judges the *actual* share (None: no target)."""

    name: str
    planned: Measure
    actual: Measure
    target_min: float | None = None
    target_max: float | None = None
    ok: bool | None = None


@dataclass(frozen=True, slots=True)
class AccountCompared:
    """Planned and actual minutes of one account (shares are of all account time)."""

    name: str
    tier: str | None
    planned: Measure
    actual: Measure


@dataclass(frozen=True, slots=True)
class ActualCard:
    """The week as planned and as it happened; ``flags`` are computed on the actual side."""

    week: str
    tiers: tuple[Compared, ...]
    quadrants: tuple[Compared, ...]
    categories: tuple[Compared, ...]
    top_accounts: tuple[AccountCompared, ...]
    bottom_accounts: tuple[AccountCompared, ...]
    meetings: tuple[tuple[str, int], ...]
    missed: tuple[Missed, ...]
    flags: tuple[str, ...]


def _fmeasure(minutes: float, total: float) -> Measure:
    return Measure(round(minutes), minutes / total if total else 0.0)


def compare(
    plan: Plan,
    spec: WeekSpec,
    actuals: Actuals,
    *,
    accounts: Sequence[tuple[str, str | None]] = (),
    missed: Sequence[Missed] = (),
) -> ActualCard:
    """Planned (``plan``) vs actual (``actuals``) per tier, account, quadrant, category.

    ``accounts`` lists every account (name, tier) so the bottom ten can show
    accounts nobody spent time on.
    """
    blocks = _timed(plan.blocks)
    entries = actuals.entries
    p_split = [(b.quadrant, b.category, float(b.minutes)) for b in blocks]
    a_split = [(e.quadrant, e.category, e.minutes) for e in entries if e.quadrant is not None]
    p_total = sum(m for _, _, m in p_split)
    a_total = sum(m for _, _, m in a_split)
    quadrants = tuple(
        Compared(
            f"Q{q}",
            _fmeasure(sum(m for qq, _, m in p_split if qq == q), p_total),
            _fmeasure(sum(m for qq, _, m in a_split if qq == q), a_total),
        )
        for q in QUADRANTS
    )
    targets = dict(spec.category_targets)
    names: list[Category] = list(targets)
    seen = {c for _, c, _ in p_split} | {c for _, c, _ in a_split if c is not None}
    names.extend(c for c in sorted(seen) if c is not None and c not in targets)
    categories = tuple(
        Compared(
            name,
            _fmeasure(sum(m for _, c, m in p_split if c == name), p_total),
            _fmeasure(sum(m for _, c, m in a_split if c == name), a_total),
            targets.get(name),
            targets.get(name),
        )
        for name in names
    )
    p_tier = _sum_by((b.tier, float(b.minutes)) for b in blocks)
    a_tier = _sum_by((e.tier, e.minutes) for e in entries)
    tiers = _compare_tiers(spec, p_tier, a_tier)
    a_quads = {q: _fmeasure(sum(m for qq, _, m in a_split if qq == q), a_total) for q in QUADRANTS}
    judged = tuple(
        TierRow(t.name, t.target_min or 0.0, t.target_max or 1.0, t.actual, bool(t.ok))
        for t in tiers
    )
    top, bottom = _accounts(blocks, entries, accounts)
    kinds: tuple[MeetingKind, ...] = ("account", "internal", "external", "solo")
    return ActualCard(
        week=plan.week,
        tiers=tiers,
        quadrants=quadrants,
        categories=categories,
        top_accounts=top,
        bottom_accounts=bottom,
        meetings=tuple((k, round(actuals.minutes(k))) for k in kinds),
        missed=tuple(missed),
        flags=_flags(a_quads, round(a_total), judged)
        + _category_flags(
            [(c.name, c.target_min, c.actual) for c in categories], a_total, spec.category_margin
        ),
    )


def _sum_by(pairs: Iterable[tuple[str | None, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, minutes in pairs:
        if name is not None:
            out[name] = out.get(name, 0.0) + minutes
    return out


def _compare_tiers(
    spec: WeekSpec, planned: dict[str, float], actual: dict[str, float]
) -> tuple[Compared, ...]:
    p_total, a_total = sum(planned.values()), sum(actual.values())
    ranges = [(t.name, t.target_min, t.target_max) for t in spec.tiers]
    known = {t.name for t in spec.tiers}
    extra = sorted((set(planned) | set(actual)) - known)
    ranges.extend((name, 0.0, 1.0) for name in extra)
    rows = []
    for name, low, high in ranges:
        a = _fmeasure(actual.get(name, 0.0), a_total)
        ok = not a_total or low - _EPS <= a.share <= high + _EPS
        rows.append(Compared(name, _fmeasure(planned.get(name, 0.0), p_total), a, low, high, ok))
    return tuple(rows)


def _accounts(
    blocks: Sequence[Block],
    entries: Sequence[Entry],
    accounts: Sequence[tuple[str, str | None]],
) -> tuple[tuple[AccountCompared, ...], tuple[AccountCompared, ...]]:
    """Top and bottom :data:`TOP_ACCOUNTS` by actual time (ties by name)."""
    tiers: dict[str, str | None] = dict(accounts)
    for b in blocks:
        if b.account is not None:
            tiers.setdefault(b.account, b.tier)
    for e in entries:
        if e.account is not None:
            tiers.setdefault(e.account, e.tier)
    planned = _sum_by((b.account, float(b.minutes)) for b in blocks)
    actual = _sum_by((e.account, e.minutes) for e in entries)
    p_total, a_total = sum(planned.values()), sum(actual.values())
    rows = [
        AccountCompared(
            name,
            tier,
            _fmeasure(planned.get(name, 0.0), p_total),
            _fmeasure(actual.get(name, 0.0), a_total),
        )
        for name, tier in tiers.items()
    ]
    top = sorted(rows, key=lambda r: (-actual.get(r.name, 0.0), r.name))[:TOP_ACCOUNTS]
    bottom = sorted(rows, key=lambda r: (actual.get(r.name, 0.0), r.name))[:TOP_ACCOUNTS]
    return tuple(top), tuple(bottom)


def _compared(row: Compared) -> dict[str, Any]:
    out: dict[str, Any] = {
        "planned_minutes": row.planned.minutes,
        "planned_share": round(row.planned.share, 4),
        "actual_minutes": row.actual.minutes,
        "actual_share": round(row.actual.share, 4),
    }
    if row.target_min is not None and row.target_max is not None:
        if row.target_min == row.target_max:
            out["target"] = row.target_min
        else:
            out["target_min"], out["target_max"] = row.target_min, row.target_max
    if row.ok is not None:
        out["ok"] = row.ok
    return out


def _account(row: AccountCompared) -> dict[str, Any]:
    return {
        "account": row.name,
        "tier": row.tier,
        "planned_minutes": row.planned.minutes,
        "actual_minutes": row.actual.minutes,
        "actual_share": round(row.actual.share, 4),
    }


def actual_to_dict(card: ActualCard) -> dict[str, Any]:
    """The ``actual`` key of the report JSON: planned and actual side by side."""
    return {
        "tiers": {row.name: _compared(row) for row in card.tiers},
        "quadrants": {row.name.removeprefix("Q"): _compared(row) for row in card.quadrants},
        "categories": {row.name: _compared(row) for row in card.categories},
        "accounts": {
            "top": [_account(r) for r in card.top_accounts],
            "bottom": [_account(r) for r in card.bottom_accounts],
        },
        "meetings": dict(card.meetings),
        "missed_touchpoints": [
            {
                "account": m.account,
                "tier": m.tier,
                "cadence": m.cadence,
                "last_contact": m.last_contact.isoformat() if m.last_contact else None,
            }
            for m in card.missed
        ],
        "flags": list(card.flags),
    }
