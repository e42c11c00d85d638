"""The scorecard as HTML: one Jinja environment, the view model, the standalone report.

The dashboard's sidebar and ``blocker report --format html`` render the same
``_scorecard.html`` partial from the same view model, so the figures a user sees
in the browser and in a mailed report can never disagree. Shares arrive as
fractions (0..1) in the JSON form of :func:`blocker.report.scorecard_to_dict`;
the planned-vs-actual figures (issue 11) under its ``actual`` key, in the form of
:func:`blocker.report.actual_to_dict`. Without that key the scorecard shows the
plan alone, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = [
    "MEETING_KINDS",
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "AccountRow",
    "ActualView",
    "MissedRow",
    "Row",
    "ScorecardView",
    "actual_view",
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


# Real meetings by kind, in the order and words the report shows them.
MEETING_KINDS: dict[str, str] = {
    "account": "With accounts",
    "internal": "Internal (colleagues only)",
    "external": "External, no account",
    "solo": "On my own",
}


@dataclass(frozen=True, slots=True)
class Row:
    """One scorecard line; ``ok`` is None where the method sets no target.

    The ``actual_*`` fields stay None when the card has no actual figures, so the
    table shows the plan alone; ``actual_ok`` judges the actual share.
    """

    name: str
    label: str
    minutes: int
    share: float
    target: str
    ok: bool | None
    band: str = ""
    """A tier's ARR band in the book's currency ("$100,000 and up")."""
    actual_minutes: int | None = None
    actual_share: float | None = None
    actual_ok: bool | None = None


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One account of the top or bottom ten: planned and actual minutes."""

    name: str
    tier: str
    planned_minutes: int
    actual_minutes: int
    actual_share: float


@dataclass(frozen=True, slots=True)
class MissedRow:
    """An account whose cadence asked for a touchpoint and got none."""

    account: str
    tier: str
    cadence: str
    last_contact: str


@dataclass(frozen=True, slots=True)
class ActualView:
    """Where the time really went: the parts of the actual card that are not rows."""

    total_minutes: int
    top: tuple[AccountRow, ...]
    bottom: tuple[AccountRow, ...]
    meetings: tuple[tuple[str, str, int], ...]
    missed: tuple[MissedRow, ...]
    flags: tuple[str, ...]


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
    actual: ActualView | None = None
    no_data: str | None = None
    """Why there is nothing to judge (nothing planned, the calendar unreadable): every
    goal then reads "no data", never a green tick over an empty week."""


def _range(low: float, high: float) -> str:
    return f"{low * 100:.0f}–{high * 100:.0f} %"


def _judge(q: str, share: float, total: int) -> tuple[str, bool | None]:
    """The method's goal for quadrant ``q`` and whether ``share`` meets it."""
    _, bound, is_max = _QUADRANT_RULES[q]
    if bound is None:
        return "—", None
    if is_max:
        return f"≤ {bound * 100:.0f} %", (share <= bound if total else None)
    return f"≥ {bound * 100:.0f} %", (share >= bound if total else None)


def _actual_total(actual: dict[str, Any]) -> int:
    """Minutes the actual side counted (over the quadrants, like the planned total)."""
    quadrants: dict[str, Any] = actual.get("quadrants") or {}
    return sum(_actual_of(r)[0] for r in quadrants.values())


def _actual_of(row: dict[str, Any] | None) -> tuple[int, float]:
    if not row:
        return 0, 0.0
    return int(row.get("actual_minutes", 0)), float(row.get("actual_share", 0.0))


def _tier_rows(card: dict[str, Any], actual: dict[str, Any] | None, total: int) -> tuple[Row, ...]:
    """Planned tiers in the card's order, then tiers only the actual side has."""
    planned: dict[str, Any] = card.get("tiers") or {}
    compared: dict[str, Any] = (actual or {}).get("tiers") or {}
    rows = []
    for name in [*planned, *(n for n in compared if n not in planned)]:
        p, a = planned.get(name), compared.get(name)
        low = float((p or a or {}).get("target_min", 0.0))
        high = float((p or a or {}).get("target_max", 1.0))
        extra: dict[str, Any] = {}
        if actual is not None:
            minutes, share = _actual_of(a)
            ok = a.get("ok") if a and _actual_total(actual) else None
            extra = {"actual_minutes": minutes, "actual_share": share, "actual_ok": ok}
        rows.append(
            Row(
                name=name,
                label=name,
                minutes=int(p["minutes"]) if p else 0,
                share=float(p["share"]) if p else 0.0,
                target=_range(low, high),
                ok=p.get("ok") if p and total else None,
                band=str((p or {}).get("arr", "")),
                **extra,
            )
        )
    return tuple(rows)


def _quadrant_rows(
    shares: dict[str, float], total: int, actual: dict[str, Any] | None
) -> list[Row]:
    compared: dict[str, Any] = (actual or {}).get("quadrants") or {}
    a_total = sum(_actual_of(compared.get(q))[0] for q in _QUADRANT_RULES)
    rows: list[Row] = []
    for q, (label, _, _) in _QUADRANT_RULES.items():
        share = shares.get(q, 0.0)
        target, ok = _judge(q, share, total)
        extra: dict[str, Any] = {}
        if actual is not None:
            minutes, a_share = _actual_of(compared.get(q))
            extra = {
                "actual_minutes": minutes,
                "actual_share": a_share,
                "actual_ok": _judge(q, a_share, a_total)[1],
            }
        rows.append(Row(f"Q{q}", label, round(share * total), share, target, ok, **extra))
    q12 = shares.get("1", 0.0) + shares.get("2", 0.0)
    extra = {}
    if actual is not None:
        (m1, s1), (m2, s2) = _actual_of(compared.get("1")), _actual_of(compared.get("2"))
        extra = {
            "actual_minutes": m1 + m2,
            "actual_share": s1 + s2,
            "actual_ok": s1 + s2 >= 0.7 if a_total else None,
        }
    ok12 = q12 >= 0.7 if total else None
    rows.append(Row("Q1+Q2", "Q1 + Q2 together", round(q12 * total), q12, "≥ 70 %", ok12, **extra))
    return rows


def _category_rows(categories: dict[str, Any], actual: dict[str, Any] | None) -> tuple[Row, ...]:
    compared: dict[str, Any] = (actual or {}).get("categories") or {}
    rows = []
    for name in [*categories, *(n for n in compared if n not in categories)]:
        c = categories.get(name) or {}
        a = compared.get(name)
        target = c.get("target", (a or {}).get("target"))
        extra: dict[str, Any] = {}
        if actual is not None:
            minutes, share = _actual_of(a)
            extra = {"actual_minutes": minutes, "actual_share": share}
        rows.append(
            Row(
                name=name,
                label=name,
                minutes=int(c.get("minutes", 0)),
                share=float(c.get("share", 0.0)),
                target=percent(float(target)) if target is not None else "—",
                ok=None,
                **extra,
            )
        )
    return tuple(rows)


def _account_row(row: dict[str, Any]) -> AccountRow:
    return AccountRow(
        name=str(row["account"]),
        tier=str(row.get("tier") or "—"),
        planned_minutes=int(row.get("planned_minutes", 0)),
        actual_minutes=int(row.get("actual_minutes", 0)),
        actual_share=float(row.get("actual_share", 0.0)),
    )


def actual_view(actual: dict[str, Any]) -> ActualView:
    """The non-tabular part of an ``actual`` card (accounts, meetings, missed, flags)."""
    accounts = actual.get("accounts") or {}
    meetings: dict[str, Any] = actual.get("meetings") or {}
    kinds = [*MEETING_KINDS, *(k for k in meetings if k not in MEETING_KINDS)]
    quadrants: dict[str, Any] = actual.get("quadrants") or {}
    return ActualView(
        total_minutes=sum(_actual_of(r)[0] for r in quadrants.values()),
        top=tuple(_account_row(r) for r in accounts.get("top") or ()),
        bottom=tuple(_account_row(r) for r in accounts.get("bottom") or ()),
        meetings=tuple((k, MEETING_KINDS.get(k, k), int(meetings.get(k, 0))) for k in kinds),
        missed=tuple(
            MissedRow(
                account=str(m["account"]),
                tier=str(m.get("tier") or "—"),
                cadence=str(m.get("cadence") or "—"),
                last_contact=str(m.get("last_contact") or "never"),
            )
            for m in actual.get("missed_touchpoints") or ()
        ),
        flags=tuple(str(f) for f in actual.get("flags") or ()),
    )


def scorecard_view(
    week: str,
    card: dict[str, Any],
    *,
    conflicts: list[dict[str, Any]] | None = None,
    shortfall: list[dict[str, Any]] | None = None,
    protected_target_minutes: int | None = None,
    unreadable: bool = False,
) -> ScorecardView:
    """Judge a scorecard dict; conflicts/shortfall come from the plan when the card lacks them.

    Quadrant minutes are not in the card: they are share x total, where the total is
    the sum of the category minutes (every timed block has exactly one category).
    A card with an ``actual`` key gets actual figures on every row, judged with the
    same goals, and the :class:`ActualView` beside them.
    """
    categories = card.get("categories") or {}
    total = sum(int(c.get("minutes", 0)) for c in categories.values())
    actual: dict[str, Any] | None = card.get("actual")
    shares = {str(k): float(v) for k, v in (card.get("quadrants") or {}).items()}
    no_data = None
    if unreadable:
        no_data = "No data: the calendar could not be read, so this week cannot be judged."
    elif not total:
        no_data = "No data: nothing is planned this week, so there is nothing to judge."
    return ScorecardView(
        week=week,
        total_minutes=total,
        no_data=no_data,
        tiers=_tier_rows(card, actual, total),
        quadrants=tuple(_quadrant_rows(shares, total, actual)),
        categories=_category_rows(categories, actual),
        protected_minutes=int(card.get("protected_minutes", 0)),
        protected_target_minutes=(
            protected_target_minutes
            if protected_target_minutes is not None
            else card.get("protected_target_minutes")
        ),
        flags=tuple(str(f) for f in card.get("flags") or ()),
        conflicts=tuple(conflicts if conflicts is not None else card.get("conflicts") or ()),
        shortfall=tuple(shortfall if shortfall is not None else card.get("shortfall") or ()),
        actual=actual_view(actual) if actual is not None else None,
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
    env.filters["shown"] = shown_calendar
    return env


_STORE_KEY = re.compile(r"\bu\d+~(?=[^\s~])")


def shown_calendar(text: object) -> str:
    """Calendar ids as their user knows them: a member's store key ``u7~work`` (and any
    message quoting one) reads ``work`` (blocker.members keys calendars per user)."""
    return _STORE_KEY.sub("", str(text))


def render_report_html(week: str, card: dict[str, Any]) -> str:
    """A standalone HTML page (inline CSS, no external assets) of the week's scorecard."""
    css = (STATIC_DIR / "scorecard.css").read_text(encoding="utf-8")
    template = jinja_env().get_template("report.html")
    return template.render(week=week, sc=scorecard_view(week, card), css=css)
