"""The weekly scorecard: time per tier, quadrant and category vs targets, red flags.

Pure: a Plan and its WeekSpec in, frozen dataclasses out. Planned and actual
count the same thing (the method's tier shares are of the CSM's account-facing
time: meetings with the account's domains plus its blocks): the planned side is
the plan's blocks plus the week's known meetings, the actual side what the
calendar holds (:func:`blocker.actuals.measure` for both).

Shares are fractions of a total; when a total is zero there is nothing to
judge, so its rows raise no flag and a tier's ``ok`` is None ("no data" is its
own state, never a green tick on an empty week). Tiers found on blocks but
missing from the spec are shown with the neutral target range 0..1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from blocker.actuals import Actuals, Entry, MeetingKind, Missed
from blocker.core.models import (
    Block,
    Category,
    Conflict,
    Interval,
    Plan,
    Quadrant,
    Shortfall,
    WeekSpec,
)

__all__ = [
    "AccountCompared",
    "ActualCard",
    "ActualState",
    "CategoryRow",
    "Compared",
    "Measure",
    "Scorecard",
    "TierRow",
    "actual_state",
    "actual_to_dict",
    "block_entries",
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
    ok: bool | None
    """None: no account-facing time at all, nothing to judge (never a green tick)."""
    arr_band: str = ""
    """Its ARR band in the book's currency ("$100,000 and up"); "" when unknown."""


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


def _timed(blocks: Iterable[Block]) -> list[Block]:
    """All-day markers are date-level notes, not time: they count nowhere."""
    return [b for b in blocks if not b.all_day]


def block_entries(blocks: Iterable[Block]) -> tuple[Entry, ...]:
    """The plan's blocks alone as time entries (no meetings known): the fallback."""
    return tuple(
        Entry(
            minutes=float(b.minutes),
            source="block",
            title=b.title,
            quadrant=b.quadrant,
            category=b.category,
            tier=b.tier,
            account=b.account,
            protected=b.protected,
            kind=b.kind,
        )
        for b in _timed(blocks)
    )


def scorecard(plan: Plan, spec: WeekSpec, known: Actuals | None = None) -> Scorecard:
    """Score ``plan`` against the targets of ``spec``.

    ``known``: the plan as time (:func:`blocker.actuals.measure` of its blocks and
    the week's known meetings), so the tier shares are of the account-facing time
    (meetings with each account plus its blocks), exactly as the actual side counts
    it. Without it only the blocks count.
    """
    blocks = _timed(plan.blocks)
    entries = known.entries if known is not None else block_entries(blocks)
    split = [e for e in entries if e.quadrant is not None]
    total = sum(e.minutes for e in split)
    tiers = _tiers(entries, spec)
    quadrants = tuple(
        (q, _fmeasure(sum(e.minutes for e in split if e.quadrant == q), total)) for q in QUADRANTS
    )
    targets = dict(spec.category_targets)
    names: list[Category] = list(targets)
    names.extend(c for c in sorted({e.category for e in split if e.category}) if c not in targets)
    categories = tuple(
        CategoryRow(
            name,
            targets.get(name),
            _fmeasure(sum(e.minutes for e in split if e.category == name), total),
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
        flags=_flags(dict(quadrants), round(total), tiers)
        + _category_flags(
            [(r.name, r.target, r.planned) for r in categories], total, spec.category_margin
        ),
    )


def _tiers(entries: Sequence[Entry], spec: WeekSpec) -> tuple[TierRow, ...]:
    """Each tier's share of the account-facing time; ``ok`` is None with none at all."""
    minutes = _sum_by((e.tier, e.minutes) for e in entries)
    total = sum(minutes.values())
    ranges = [(t.name, t.target_min, t.target_max) for t in spec.tiers]
    known = {t.name for t in spec.tiers}
    ranges.extend((name, 0.0, 1.0) for name in sorted(minutes) if name not in known)
    bands = {t.name: t.arr_band for t in spec.tiers}
    rows = []
    for name, low, high in ranges:
        measure = _fmeasure(minutes.get(name, 0.0), total)
        ok = None if not total else low - _EPS <= measure.share <= high + _EPS
        rows.append(TierRow(name, low, high, measure, ok, bands.get(name, "")))
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
    flags.extend(f"tier {row.name} outside its target range" for row in tiers if row.ok is False)
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
                **({"arr": row.arr_band} if row.arr_band else {}),
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
    state: ActualState
    tiers: tuple[Compared, ...]
    quadrants: tuple[Compared, ...]
    categories: tuple[Compared, ...]
    top_accounts: tuple[AccountCompared, ...]
    bottom_accounts: tuple[AccountCompared, ...]
    meetings: tuple[tuple[str, int], ...]
    missed: tuple[Missed, ...]
    flags: tuple[str, ...]
    protected_minutes: int = 0
    """Protected blocks on the calendar less the meetings and away days on them (the
    actual of the plan's ``protected_minutes``; the trend's focus kept, actual)."""


def _fmeasure(minutes: float, total: float) -> Measure:
    return Measure(round(minutes), minutes / total if total else 0.0)


ActualState = Literal["future", "in_progress", "complete", "no_data"]
"""``future``: the week has not begun, nothing is shown as actual; ``no_data``: it
has begun but nothing counted (an unread or empty calendar), nothing is judged."""


def actual_state(week_span: Interval, now: datetime, counted: float) -> ActualState:
    """Which state the actual side of a week is in at ``now``."""
    if now.timestamp() < week_span.start.timestamp():
        return "future"
    if counted <= 0:
        return "no_data"
    return "in_progress" if now.timestamp() < week_span.end.timestamp() else "complete"


def compare(
    plan: Plan,
    spec: WeekSpec,
    actuals: Actuals,
    *,
    planned: Actuals | None = None,
    state: ActualState = "complete",
    accounts: Sequence[tuple[str, str | None]] = (),
    missed: Sequence[Missed] = (),
) -> ActualCard:
    """Planned vs actual (``actuals``) per tier, account, quadrant, category.

    ``planned`` is the plan counted the way ``actuals`` is (its blocks plus the
    week's known meetings, see :func:`blocker.actuals.measure`), so both sides are
    account-facing time; without it the planned side is the blocks alone. In the
    ``future`` state the actual side is empty and nothing is judged or flagged.
    ``accounts`` lists every account (name, tier) so the bottom ten can show
    accounts nobody spent time on.
    """
    p_entries = planned.entries if planned is not None else block_entries(plan.blocks)
    entries = () if state == "future" else actuals.entries
    p_split = [(e.quadrant, e.category, e.minutes) for e in p_entries if e.quadrant is not None]
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
    seen = {c for _, c, _ in p_split} | {c for _, c, _ in a_split}
    names.extend(c for c in sorted(x for x in seen if x is not None) if c not in targets)
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
    p_tier = _sum_by((e.tier, e.minutes) for e in p_entries)
    a_tier = _sum_by((e.tier, e.minutes) for e in entries)
    tiers = _compare_tiers(spec, p_tier, a_tier)
    a_quads = {q: _fmeasure(sum(m for qq, _, m in a_split if qq == q), a_total) for q in QUADRANTS}
    judged = tuple(
        TierRow(t.name, t.target_min or 0.0, t.target_max or 1.0, t.actual, t.ok) for t in tiers
    )
    top, bottom = _accounts(p_entries, entries, accounts)
    kinds: tuple[MeetingKind, ...] = ("account", "internal", "external", "solo")
    return ActualCard(
        week=plan.week,
        state=state,
        tiers=tiers,
        quadrants=quadrants,
        categories=categories,
        top_accounts=top,
        bottom_accounts=bottom,
        meetings=tuple((k, round(actuals.minutes(k))) for k in kinds if state != "future"),
        missed=tuple(missed) if state != "future" else (),
        protected_minutes=round(sum(e.minutes for e in entries if e.protected)),
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
        ok = None if not a_total else low - _EPS <= a.share <= high + _EPS
        rows.append(Compared(name, _fmeasure(planned.get(name, 0.0), p_total), a, low, high, ok))
    return tuple(rows)


def _accounts(
    planned_entries: Sequence[Entry],
    entries: Sequence[Entry],
    accounts: Sequence[tuple[str, str | None]],
) -> tuple[tuple[AccountCompared, ...], tuple[AccountCompared, ...]]:
    """Top and bottom :data:`TOP_ACCOUNTS` by actual time (ties by name)."""
    tiers: dict[str, str | None] = dict(accounts)
    for e in (*planned_entries, *entries):
        if e.account is not None:
            tiers.setdefault(e.account, e.tier)
    planned = _sum_by((e.account, e.minutes) for e in planned_entries)
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


def _compared(row: Compared, shown: bool = True) -> dict[str, Any]:
    """``shown`` False (a future week): no actual figures and no judgement at all."""
    out: dict[str, Any] = {
        "planned_minutes": row.planned.minutes,
        "planned_share": round(row.planned.share, 4),
    }
    if shown:
        out["actual_minutes"] = row.actual.minutes
        out["actual_share"] = round(row.actual.share, 4)
    if row.target_min is not None and row.target_max is not None:
        if row.target_min == row.target_max:
            out["target"] = row.target_min
        else:
            out["target_min"], out["target_max"] = row.target_min, row.target_max
    if shown and row.ok is not None:
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
    """The ``actual`` key of the report JSON: planned and actual side by side.

    ``state`` says whether there is anything to show (:data:`ActualState`): a
    future week has planned figures only, and a row without ``ok`` is not judged.
    """
    shown = card.state != "future"
    return {
        "state": card.state,
        "tiers": {row.name: _compared(row, shown) for row in card.tiers},
        "quadrants": {row.name.removeprefix("Q"): _compared(row, shown) for row in card.quadrants},
        "categories": {row.name: _compared(row, shown) for row in card.categories},
        "accounts": {
            "top": [_account(r) for r in card.top_accounts],
            "bottom": [_account(r) for r in card.bottom_accounts],
        },
        "meetings": dict(card.meetings),
        "protected_minutes": card.protected_minutes,
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
