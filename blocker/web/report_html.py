"""The scorecard as HTML: one Jinja environment, the view model, the standalone report.

The dashboard's sidebar and ``blocker report --format html`` render the same
``_scorecard.html`` partial from the same view model, so the figures a user sees
in the browser and in a mailed report can never disagree. Shares arrive as
fractions (0..1) in the JSON form of :func:`blocker.report.scorecard_to_dict`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = [
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "Row",
    "ScorecardView",
    "contrast_ratio",
    "hours",
    "jinja_env",
    "percent",
    "readable_text_color",
    "render_report_html",
    "safe_color",
    "scorecard_view",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
DEFAULT_COLOR = "#4285F4"

# The method's Eisenhower thresholds (DESIGN.md section 1), as (label, bound, is_max).
_QUADRANT_RULES: dict[str, tuple[str, float | None, bool]] = {
    "1": ("Q1 urgent + important", 0.5, True),
    "2": ("Q2 important, not urgent", 0.4, False),
    "3": ("Q3 urgent, not important", 0.2, True),
    "4": ("Q4 neither", None, True),
}


def hours(minutes: int | float) -> str:
    """Minutes as hours with one decimal ("3.5 h"): the unit a CSM plans a week in."""
    return f"{minutes / 60:.1f} h"


def percent(share: float) -> str:
    """A 0..1 share as "55.0 %" (one decimal, so 4-digit JSON shares stay recognisable)."""
    return f"{share * 100:.1f} %"


def safe_color(value: str | None) -> str:
    """A ``#rgb``/``#rrggbb`` colour, else the default: colours go into style attributes."""
    if value and _HEX.match(value):
        return value.upper()
    return DEFAULT_COLOR


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _luminance(color: str) -> float:
    hex_digits = safe_color(color)[1:]
    if len(hex_digits) == 3:
        hex_digits = "".join(ch * 2 for ch in hex_digits)
    r, g, b = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1..21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_text_color(background: str) -> str:
    """Black or white, whichever contrasts more: for any background that is >= 4.58:1."""
    black, white = "#000000", "#FFFFFF"
    if contrast_ratio(background, black) >= contrast_ratio(background, white):
        return black
    return white


@dataclass(frozen=True, slots=True)
class Row:
    """One scorecard line; ``ok`` is None where the method sets no target."""

    name: str
    label: str
    minutes: int
    share: float
    target: str
    ok: bool | None


@dataclass(frozen=True, slots=True)
class ScorecardView:
    """Everything the scorecard partial shows, already judged against the targets."""

    week: str
    total_minutes: int
    tiers: tuple[Row, ...]
    quadrants: tuple[Row, ...]
    categories: tuple[Row, ...]
    protected_minutes: int
    protected_target_minutes: int | None
    flags: tuple[str, ...]
    conflicts: tuple[dict[str, Any], ...]
    shortfall: tuple[dict[str, Any], ...]


def _range(low: float, high: float) -> str:
    return f"{low * 100:.0f}–{high * 100:.0f} %"


def scorecard_view(
    week: str,
    card: dict[str, Any],
    *,
    conflicts: list[dict[str, Any]] | None = None,
    shortfall: list[dict[str, Any]] | None = None,
    protected_target_minutes: int | None = None,
) -> ScorecardView:
    """Judge a scorecard dict; conflicts/shortfall come from the plan when the card lacks them.

    Quadrant minutes are not in the card: they are share x total, where the total is
    the sum of the category minutes (every timed block has exactly one category).
    """
    categories = card.get("categories") or {}
    total = sum(int(c.get("minutes", 0)) for c in categories.values())
    tiers = tuple(
        Row(
            name=name,
            label=name,
            minutes=int(t["minutes"]),
            share=float(t["share"]),
            target=_range(float(t["target_min"]), float(t["target_max"])),
            ok=bool(t["ok"]),
        )
        for name, t in (card.get("tiers") or {}).items()
    )
    shares = {str(k): float(v) for k, v in (card.get("quadrants") or {}).items()}
    quadrants: list[Row] = []
    for q, (label, bound, is_max) in _QUADRANT_RULES.items():
        share = shares.get(q, 0.0)
        if bound is None:
            target, ok = "—", None
        elif is_max:
            target, ok = f"≤ {bound * 100:.0f} %", (not total or share <= bound)
        else:
            target, ok = f"≥ {bound * 100:.0f} %", (not total or share >= bound)
        quadrants.append(Row(f"Q{q}", label, round(share * total), share, target, ok))
    q12 = shares.get("1", 0.0) + shares.get("2", 0.0)
    quadrants.append(
        Row("Q1+Q2", "Q1 + Q2 together", round(q12 * total), q12, "≥ 70 %", not total or q12 >= 0.7)
    )
    cats = tuple(
        Row(
            name=name,
            label=name,
            minutes=int(c.get("minutes", 0)),
            share=float(c.get("share", 0.0)),
            target=percent(float(c["target"])) if "target" in c else "—",
            ok=None,
        )
        for name, c in categories.items()
    )
    return ScorecardView(
        week=week,
        total_minutes=total,
        tiers=tiers,
        quadrants=tuple(quadrants),
        categories=cats,
        protected_minutes=int(card.get("protected_minutes", 0)),
        protected_target_minutes=(
            protected_target_minutes
            if protected_target_minutes is not None
            else card.get("protected_target_minutes")
        ),
        flags=tuple(str(f) for f in card.get("flags") or ()),
        conflicts=tuple(conflicts if conflicts is not None else card.get("conflicts") or ()),
        shortfall=tuple(shortfall if shortfall is not None else card.get("shortfall") or ()),
    )


@cache
def jinja_env() -> Environment:
    """The one template environment (autoescaping on; undefined names are errors)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["hours"] = hours
    env.filters["percent"] = percent
    return env


def render_report_html(week: str, card: dict[str, Any]) -> str:
    """A standalone HTML page (inline CSS, no external assets) of the week's scorecard."""
    css = (STATIC_DIR / "scorecard.css").read_text(encoding="utf-8")
    template = jinja_env().get_template("report.html")
    return template.render(week=week, sc=scorecard_view(week, card), css=css)
