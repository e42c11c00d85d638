"""Eight weeks of the scorecard side by side, and the same figures as an inline SVG chart.

The figures come from the report dicts the API serves (``Runtime.report``), week
by week; this module only picks series out of them and places points. Each share
has a planned line and an actual one (like for like, as the report counts them);
a week that has not ended has no actual figure ("not yet"), and a week whose
calendar could not be read is a gap ("no data"), never a zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

__all__ = ["NOT_YET", "NO_DATA", "Series", "Trend", "build_trend"]

WIDTH, HEIGHT, PAD_X, PAD_Y = 640, 240, 44, 20
_COLOURS = ("#0B57D0", "#B3261E", "#146C2E", "#7A4A00", "#6A1B9A", "#00696B", "#3D3D3D")
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4")
_ACTUAL_DASH = "6 3"
"""Actual lines are dashed in their figure's colour; planned ones are solid."""


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    colour: str
    dash: str
    gaps: tuple[str, ...] = ()
    """What a week without a value says (default "no data"; "not yet" for an actual
    figure of a week that has not ended)."""

    def shown(self) -> list[str | None]:
        """Per week: None when the week has a value, else the words for its gap."""
        return [
            None if v is not None else (self.gaps[i] if i < len(self.gaps) else NO_DATA)
            for i, v in enumerate(self.values)
        ]

    def points(self, xs: tuple[float, ...]) -> list[tuple[float, float, float]]:
        """(x, y, value) of the weeks that have data."""
        return [(x, _y(v), v) for x, v in zip(xs, self.values, strict=True) if v is not None]

    def runs(self, xs: tuple[float, ...]) -> list[str]:
        """SVG ``points`` of each unbroken run (a week without data breaks the line)."""
        out: list[str] = []
        current: list[str] = []
        for x, v in zip(xs, self.values, strict=True):
            if v is None:
                if current:
                    out.append(" ".join(current))
                current = []
            else:
                current.append(f"{x:.1f},{_y(v):.1f}")
        if current:
            out.append(" ".join(current))
        return out


def _y(value: float) -> float:
    clamped = min(max(value, 0.0), 1.0)
    return PAD_Y + (1 - clamped) * (HEIGHT - 2 * PAD_Y)


@dataclass(frozen=True, slots=True)
class Trend:
    weeks: tuple[str, ...]
    series: tuple[Series, ...]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def xs(self) -> tuple[float, ...]:
        step = (WIDTH - 2 * PAD_X) / max(1, len(self.weeks) - 1)
        return tuple(PAD_X + i * step for i in range(len(self.weeks)))

    @property
    def grid(self) -> list[tuple[float, str]]:
        return [(_y(p / 100), f"{p} %") for p in (0, 25, 50, 75, 100)]


NOT_YET = "not yet"
"""The actual figure of a week that has not ended: the week is still being lived."""
NO_DATA = "no data"


def build_trend(
    weeks: list[str],
    cards: list[dict[str, Any] | None],
    focus: list[float | None],
    ended: list[bool] | None = None,
    focus_actual: list[float | None] | None = None,
) -> Trend:
    """A planned and an actual series per tier share and Q2 share, and focus kept.

    ``None`` cards are weeks without data. ``ended[i]`` says week i is over: only
    then does it have actual figures (counted from the calendar like for like, as
    the report's ``actual`` side); a week still ahead or under way has none yet.
    ``focus[i]`` is the share of protected time asked for that the plan of week i
    kept (None when nothing was asked or the week could not be read);
    ``focus_actual[i]`` the share the calendar kept by the week's end (protected
    blocks on it less the meetings on them), for weeks that have ended.
    """
    over = list(ended) if ended is not None else [False] * len(weeks)
    tiers: list[str] = []
    for card in cards:
        for name in (card or {}).get("tiers") or {}:
            if name not in tiers:
                tiers.append(name)
    figures: list[tuple[str, Callable[[dict[str, Any]], float], Callable[[dict[str, Any]], float]]]
    figures = [
        (
            f"Tier {tier} share",
            partial(_tier_share, tier=tier),
            partial(_actual_share, group="tiers", name=tier),
        )
        for tier in tiers
    ]
    figures.append(("Q2 share", _q2, partial(_actual_share, group="quadrants", name="2")))
    series: list[Series] = []
    for i, (name, plan_of, actual_of) in enumerate(figures):
        colour = _COLOURS[i % len(_COLOURS)]
        planned = [plan_of(c) if c is not None and _has_data(c) else None for c in cards]
        actual = [
            actual_of(c) if c is not None and done and _has_actual(c) else None
            for c, done in zip(cards, over, strict=True)
        ]
        gaps = tuple(NO_DATA if done else NOT_YET for done in over)
        series.append(Series(f"{name}, planned", tuple(planned), colour, ""))
        series.append(Series(f"{name}, actual", tuple(actual), colour, _ACTUAL_DASH, gaps))
    colour = _COLOURS[len(figures) % len(_COLOURS)]
    series.append(Series("Focus kept, planned", tuple(focus), colour, _DASHES[2]))
    kept = focus_actual if focus_actual is not None else [None] * len(weeks)
    actual_focus = tuple(k if done else None for k, done in zip(kept, over, strict=True))
    gaps = tuple(NO_DATA if done else NOT_YET for done in over)
    series.append(Series("Focus kept, actual", actual_focus, colour, _ACTUAL_DASH, gaps))
    return Trend(tuple(weeks), tuple(series))


def _has_data(card: dict[str, Any]) -> bool:
    return any(int(c.get("minutes", 0)) for c in (card.get("categories") or {}).values())


def _has_actual(card: dict[str, Any]) -> bool:
    """Anything counted on the calendar for a week that has ended (state "complete")."""
    return bool((card.get("actual") or {}).get("state") == "complete")


def _tier_share(card: dict[str, Any], tier: str) -> float:
    row = (card.get("tiers") or {}).get(tier)
    return float(row["share"]) if row else 0.0


def _q2(card: dict[str, Any]) -> float:
    return float((card.get("quadrants") or {}).get("2", 0.0))


def _actual_share(card: dict[str, Any], group: str, name: str) -> float:
    row = ((card.get("actual") or {}).get(group) or {}).get(name)
    return float(row.get("actual_share", 0.0)) if row else 0.0
