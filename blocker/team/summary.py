"""What a team lead sees of a member's week: figures, never meetings (issue 20.5).

Pure. A member's week comes in as :class:`MemberWeek`: the scorecard dict the
report serves (``blocker.week_report``) and the focus minutes the rules asked
for, wherever it was computed (a local rules file today, the store later). What
goes out, :class:`MemberSummary`, holds only tier shares against targets, the Q2
and Q1+Q2 shares, focus kept against asked, the proactive / reactive / admin
split, red flags in words, missed touchpoints of the member's own book, and an
eight-week trend. Nothing is copied from the card wholesale: each field is read by
name, and a red flag is shown only when it has one of the report's known shapes
(others are counted, not quoted), so no meeting title, attendee or domain can
reach a lead even if the card grows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Basis = Literal["actual", "planned", "none"]
"""Which side a figure comes from: what the calendar holds once the week has begun,
the plan for a week ahead; ``none``: no card, or a week begun with nothing counted
(no data is never shown as the plan, nor as zeros)."""

_FIXED_FLAGS = frozenset(
    {"Q1 > 50 % (too reactive)", "Q3 > 20 % (poor delegation)", "Q2 < 40 %", "Q1+Q2 < 70 %"}
)
_SPLIT_FLAG = re.compile(r"^(proactive|reactive|admin) \d{1,3}% \(target \d{1,3}% ± \d{1,3}%\)$")
_TIER_FLAG = re.compile(r"^tier (.{1,64}) outside its target range$")


@dataclass(frozen=True, slots=True)
class MemberWeek:
    """One week of a member's scorecard, from any source."""

    week: str
    card: Mapping[str, Any] | None
    """The report dict (planned figures, ``actual`` beside them); None: not read."""
    focus_asked: int = 0
    """Minutes of protected (focus) time the rules asked for that week."""


@dataclass(frozen=True, slots=True)
class TierShare:
    name: str
    share: float
    target_min: float
    target_max: float
    ok: bool | None


@dataclass(frozen=True, slots=True)
class SplitShare:
    """One of proactive / reactive / admin: its share against its target."""

    name: str
    share: float
    target: float | None


@dataclass(frozen=True, slots=True)
class Touchpoint:
    """An account of the member's book that had no touchpoint this cadence."""

    account: str
    tier: str
    cadence: str
    last_contact: str | None


@dataclass(frozen=True, slots=True)
class TrendPoint:
    week: str
    basis: Basis
    tiers: tuple[tuple[str, float], ...] = ()
    q2: float | None = None
    focus_kept: float | None = None


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """What a lead sees of one member's week (and what the member can see of it)."""

    member: str
    week: str
    basis: Basis
    tiers: tuple[TierShare, ...]
    q2: float | None
    q1_q2: float | None
    focus_asked: int
    focus_kept: int
    split: tuple[SplitShare, ...]
    flags: tuple[str, ...]
    missed: tuple[Touchpoint, ...]
    trend: tuple[TrendPoint, ...]
    note: str | None = None
    """Why there is no data (a class of reason, never a provider's message)."""


@dataclass(frozen=True, slots=True)
class TeamSummary:
    week: str
    members: tuple[MemberSummary, ...]
    name: str = ""
    """The team's name (the store's teams); empty for a set of member files."""

    @property
    def flagged(self) -> int:
        """Members with at least one red flag."""
        return sum(1 for m in self.members if m.flags)

    @property
    def missed(self) -> int:
        return sum(len(m.missed) for m in self.members)

    @property
    def focus_kept_share(self) -> float | None:
        asked = sum(m.focus_asked for m in self.members)
        return min(1.0, sum(m.focus_kept for m in self.members) / asked) if asked else None


def _basis(card: Mapping[str, Any] | None) -> Basis:
    if card is None:
        return "none"
    state = (card.get("actual") or {}).get("state")
    if state in ("in_progress", "complete"):
        return "actual"
    return "planned" if state == "future" else "none"


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _tiers(card: Mapping[str, Any], basis: Basis) -> tuple[TierShare, ...]:
    if basis == "none":
        return ()
    if basis == "actual":
        rows = (card.get("actual") or {}).get("tiers") or {}
        return tuple(
            TierShare(
                str(name),
                _num(r.get("actual_share")),
                _num(r.get("target_min", r.get("target", 0.0))),
                _num(r.get("target_max", r.get("target", 1.0))),
                r.get("ok") if isinstance(r.get("ok"), bool) else None,
            )
            for name, r in rows.items()
        )
    rows = card.get("tiers") or {}
    return tuple(
        TierShare(
            str(name),
            _num(r.get("share")),
            _num(r.get("target_min")),
            _num(r.get("target_max")),
            r.get("ok") if isinstance(r.get("ok"), bool) else None,
        )
        for name, r in rows.items()
    )


def _quadrant(card: Mapping[str, Any], basis: Basis, q: str) -> float:
    if basis == "actual":
        row = ((card.get("actual") or {}).get("quadrants") or {}).get(q) or {}
        return _num(row.get("actual_share"))
    return _num((card.get("quadrants") or {}).get(q))


def _split(card: Mapping[str, Any], basis: Basis) -> tuple[SplitShare, ...]:
    out: list[SplitShare] = []
    if basis == "none":
        return ()
    if basis == "actual":
        for name, r in ((card.get("actual") or {}).get("categories") or {}).items():
            target = r.get("target")
            out.append(SplitShare(str(name), _num(r.get("actual_share")), _maybe(target)))
    else:
        for name, r in (card.get("categories") or {}).items():
            out.append(SplitShare(str(name), _num(r.get("share")), _maybe(r.get("target"))))
    return tuple(s for s in out if s.name in ("proactive", "reactive", "admin"))


def _maybe(value: Any) -> float | None:
    return None if value is None else _num(value)


def known_flags(flags: Sequence[Any], tiers: Sequence[str]) -> tuple[str, ...]:
    """The red flags in the report's own words; any other is counted, not quoted."""
    shown: list[str] = []
    other = 0
    for flag in flags:
        text = str(flag)
        tier = _TIER_FLAG.match(text)
        if text in _FIXED_FLAGS or _SPLIT_FLAG.match(text) or (tier and tier[1] in tiers):
            shown.append(text)
        else:
            other += 1
    if other:
        shown.append(f"{other} other flag(s)")
    return tuple(shown)


def _missed(card: Mapping[str, Any], basis: Basis) -> tuple[Touchpoint, ...]:
    if basis != "actual":
        return ()
    rows = (card.get("actual") or {}).get("missed_touchpoints") or ()
    return tuple(
        Touchpoint(
            str(r.get("account", "")),
            str(r.get("tier", "")),
            str(r.get("cadence", "")),
            str(r["last_contact"]) if r.get("last_contact") else None,
        )
        for r in rows
    )


def _focus(week: MemberWeek) -> tuple[int, int]:
    """(asked, kept) minutes of focus: nothing asked, nothing counted as kept."""
    kept = int(_num((week.card or {}).get("protected_minutes")))
    return week.focus_asked, min(kept, week.focus_asked)


def _point(week: MemberWeek) -> TrendPoint:
    basis = _basis(week.card)
    if week.card is None or basis == "none":
        return TrendPoint(week.week, "none")
    asked, kept = _focus(week)
    return TrendPoint(
        week.week,
        basis,
        tuple((t.name, round(t.share, 4)) for t in _tiers(week.card, basis)),
        round(_quadrant(week.card, basis, "2"), 4),
        round(kept / asked, 4) if asked else None,
    )


def member_summary(
    member: str, weeks: Sequence[MemberWeek], note: str | None = None
) -> MemberSummary:
    """The summary of the last of ``weeks`` (oldest first; up to eight make the trend);
    ``note``: why the figures are missing, when they are."""
    if not weeks:
        raise ValueError("a member summary needs at least its week")
    this = weeks[-1]
    card = this.card or {}
    basis = _basis(this.card)
    tiers = _tiers(card, basis)
    q1, q2 = _quadrant(card, basis, "1"), _quadrant(card, basis, "2")
    raw_flags = {"actual": (card.get("actual") or {}).get("flags"), "planned": card.get("flags")}
    flags = raw_flags.get(basis) or ()
    asked, kept = _focus(this)
    return MemberSummary(
        member=member,
        week=this.week,
        basis=basis,
        tiers=tiers,
        q2=round(q2, 4) if basis != "none" else None,
        q1_q2=round(q1 + q2, 4) if basis != "none" else None,
        focus_asked=asked,
        focus_kept=kept,
        split=_split(card, basis),
        flags=known_flags(flags, [t.name for t in tiers]),
        missed=_missed(card, basis),
        trend=tuple(_point(w) for w in weeks[-8:]),
        note=note,
    )


def team_summary(week: str, members: Sequence[MemberSummary], name: str = "") -> TeamSummary:
    """The team's week: its members by name."""
    return TeamSummary(week, tuple(sorted(members, key=lambda m: m.member.lower())), name)


__all__ = [
    "MemberSummary",
    "MemberWeek",
    "SplitShare",
    "TeamSummary",
    "TierShare",
    "Touchpoint",
    "TrendPoint",
    "known_flags",
    "member_summary",
    "team_summary",
]
