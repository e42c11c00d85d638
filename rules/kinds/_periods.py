"""Months and quarters for goals that span more than a week.

A monthly or quarterly goal's time is shared out over the ISO weeks that touch
its period, in proportion to each week's working days inside it (holidays and
days off count for nothing), in whole chunks so no week is asked for a sliver.
The split is computed for the whole period at once, so the weeks add up to
exactly the goal's minutes whichever week is expanded first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from rules.spec import Rules
from rules.timeparse import WEEKDAYS
from rules.workdays import working_hours_on

Per = Literal["week", "month", "quarter"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One calendar month or quarter: ``[first, last]`` and its label (``2026-12``)."""

    first: date
    last: date
    label: str


def parse_month(value: object) -> str:
    """``2026-12`` (a real month) or ValueError saying what to write."""
    text = str(value).strip() if isinstance(value, str) else ""
    match = _MONTH.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"invalid month {value!r}: expected YYYY-MM, e.g. 2026-12")
    return text


def parse_quarter(value: object) -> str:
    """``2026-Q4`` or ValueError saying what to write."""
    text = str(value).strip().upper() if isinstance(value, str) else ""
    match = _QUARTER.match(text)
    if match is None or int(match.group(1)) < 1900:
        raise ValueError(f"invalid quarter {value!r}: expected YYYY-Qn, e.g. 2026-Q4")
    return text


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def period_of(per: Per, day: date) -> Period:
    """The month or quarter holding ``day``."""
    if per == "month":
        first = date(day.year, day.month, 1)
        return Period(first, _month_end(day.year, day.month), f"{day:%Y-%m}")
    quarter = (day.month - 1) // 3
    first = date(day.year, quarter * 3 + 1, 1)
    return Period(first, _month_end(day.year, quarter * 3 + 3), f"{day.year}-Q{quarter + 1}")


def periods_touching(per: Per, days: Iterable[date]) -> list[Period]:
    """The months or quarters the given days fall in, in order."""
    return sorted({period_of(per, d) for d in days})


def working_dates(rules: Rules, first: date, last: date) -> list[date]:
    """Working days from ``first`` to ``last``: working hours set, not a holiday."""
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return list(working_hours_on(rules, days))


def share_out(total: int, unit: int, weights: list[tuple[date, int]]) -> dict[date, int]:
    """``total`` minutes over weeks (Monday, working days) in ``unit`` chunks, by the
    largest remainder (ties: the earlier week); a leftover under one unit goes to
    the week with the most. Sums to ``total`` exactly when any week has a day."""
    days = sum(w for _, w in weights)
    out = {monday: 0 for monday, _ in weights}
    if days == 0 or total <= 0:
        return out
    unit = max(1, min(unit, total))
    units, leftover = divmod(total, unit)
    quotas = [(monday, units * w / days) for monday, w in weights]
    for monday, quota in quotas:
        out[monday] = int(quota) * unit
    spare = units - sum(int(q) for _, q in quotas)
    by_remainder = sorted(quotas, key=lambda item: (-(item[1] - int(item[1])), item[0]))
    for monday, _ in by_remainder[:spare]:
        out[monday] += unit
    if leftover:
        biggest = max(weights, key=lambda item: (item[1], -item[0].toordinal()))[0]
        out[biggest] += leftover
    return out


def week_share(
    rules: Rules,
    period: Period,
    monday: date,
    total: int,
    unit: int,
    weekdays: Iterable[str] | None = None,
) -> int:
    """Minutes of a ``period`` goal of ``total`` minutes that fall in the week of
    ``monday`` (only ``weekdays`` count as the goal's days, when given)."""
    working = working_dates(rules, period.first, period.last)
    if weekdays is not None:
        chosen = set(weekdays)
        working = [d for d in working if WEEKDAYS[d.weekday()] in chosen]
    mondays: dict[date, int] = {}
    for day in working:
        start = day - timedelta(days=day.weekday())
        mondays[start] = mondays.get(start, 0) + 1
    return share_out(total, unit, sorted(mondays.items())).get(monday, 0)
