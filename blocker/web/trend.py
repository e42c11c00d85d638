"""Eight weeks of the scorecard side by side, and the same figures as an inline SVG chart.

The figures come from the report dicts the API serves (``Runtime.report``), week
by week; this module only picks series out of them and places points. A week
whose calendar could not be read is a gap ("no data"), never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Series", "Trend", "build_trend"]

WIDTH, HEIGHT, PAD_X, PAD_Y = 640, 240, 44, 20
_COLOURS = ("#0B57D0", "#B3261E", "#146C2E", "#7A4A00", "#6A1B9A", "#00696B", "#3D3D3D")
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    colour: str
    dash: str

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


def build_trend(
    weeks: list[str], cards: list[dict[str, Any] | None], focus: list[float | None]
) -> Trend:
    """Series per tier share, Q2 share and focus kept; ``None`` cards are weeks without data.

    ``focus[i]`` is the share of protected time asked for that the plan of week i
    kept (None when nothing was asked or the week could not be read).
    """
    tiers: list[str] = []
    for card in cards:
        for name in (card or {}).get("tiers") or {}:
            if name not in tiers:
                tiers.append(name)
    raw: list[tuple[str, list[float | None]]] = []
    for tier in tiers:
        raw.append(
            (
                f"Tier {tier} share",
                [_tier_share(card, tier) for card in cards],
            )
        )
    raw.append(("Q2 share", [_q2(card) for card in cards]))
    raw.append(("Focus kept", list(focus)))
    series = tuple(
        Series(name, tuple(values), _COLOURS[i % len(_COLOURS)], _DASHES[i % len(_DASHES)])
        for i, (name, values) in enumerate(raw)
    )
    return Trend(tuple(weeks), series)


def _has_data(card: dict[str, Any] | None) -> bool:
    if not card:
        return False
    return any(int(c.get("minutes", 0)) for c in (card.get("categories") or {}).values())


def _tier_share(card: dict[str, Any] | None, tier: str) -> float | None:
    if not _has_data(card):
        return None
    assert card is not None
    row = (card.get("tiers") or {}).get(tier)
    return float(row["share"]) if row else 0.0


def _q2(card: dict[str, Any] | None) -> float | None:
    if not _has_data(card):
        return None
    assert card is not None
    return float((card.get("quadrants") or {}).get("2", 0.0))
