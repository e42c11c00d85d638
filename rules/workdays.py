"""Which dates are working days: the working hours of each weekday, minus public
holidays (from the ``holidays`` package).

One lookup for the engine (a week's working time) and the kinds that look past the
week (a goal's month or quarter, a meeting-free day's fallback), so a holiday is
the same day off for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays as holidays_lib

from rules.spec import HolidaySpec, Rules
from rules.timeparse import WEEKDAYS, TimeRange

__all__ = ["holiday_dates", "working_hours_on"]


def holiday_dates(spec: HolidaySpec | None, days: list[date]) -> dict[date, str]:
    """Public holidays among ``days`` (name by date), from the ``holidays`` package."""
    if spec is None or not days:
        return {}
    years = sorted({d.year for d in days})
    calendar = holidays_lib.country_holidays(spec.country, subdiv=spec.subdivision, years=years)
    return {d: str(calendar.get(d)) for d in days if d in calendar}


def working_hours_on(rules: Rules, days: Iterable[date]) -> dict[date, TimeRange]:
    """Working hours per date among ``days``, in order; days off and holidays absent."""
    days = list(days)
    off = holiday_dates(rules.holidays, days)
    out: dict[date, TimeRange] = {}
    for day in days:
        hours = rules.working_hours.for_day(WEEKDAYS[day.weekday()])
        if hours is not None and day not in off:
            out[day] = hours
    return out
