"""Plan preview and scorecard: computed from what the calendar shows, no writes."""

from __future__ import annotations

from fastapi import APIRouter

from blocker.web.deps import CalendarDep, RuntimeDep, WeekDep
from blocker.web.schemas import PlanOut, ReportOut
from blocker.web.services import plan_card

router = APIRouter(prefix="/api", tags=["plan"])


@router.get("/plan", response_model=PlanOut)
def get_plan(runtime: RuntimeDep, week: WeekDep, calendar: CalendarDep) -> PlanOut:
    """What a sync would put on the calendar for ``week``, with shortfall and scorecard.

    The scorecard counts like the report's planned side: the blocks plus the week's
    known meetings with the accounts (a QBR already booked is tier time too)."""

    preview = runtime.preview(calendar, week)
    card = plan_card(runtime, week, preview)
    return PlanOut.of(calendar, preview.plan, card)


@router.get("/report", response_model=ReportOut)
def get_report(runtime: RuntimeDep, week: WeekDep, calendar: CalendarDep) -> ReportOut:
    """The week's scorecard: tiers, quadrants, categories against targets, red flags;
    under ``actual`` the same figures counted from the calendar, side by side."""
    card = runtime.report(calendar, week)
    return ReportOut.model_validate({**card, "calendar": calendar, "week": week})
