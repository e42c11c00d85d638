"""The scorecard beyond the week page: downloads (HTML/CSV/JSON) and the 8-week trend."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from blocker.core.weeks import shift_week, week_window
from blocker.web.deps import RuntimeDep, get_calendar, get_week
from blocker.web.html import HEADERS
from blocker.web.html import page as _page
from blocker.web.report_files import FORMATS, render_report_file
from blocker.web.services import read_week, week_card
from blocker.web.sessions import csrf_of, session_of, to_login
from blocker.web.trend import build_trend

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

TREND_WEEKS = 8


@router.get("/report", response_model=None)
def download_report(
    request: Request,
    runtime: RuntimeDep,
    week: str | None = None,
    calendar: str | None = None,
    format: str = "html",
) -> Response:
    """The week's scorecard as a file to keep or send (the same figures as the page)."""
    if session_of(request, runtime) is None:
        return to_login(request)
    if format not in FORMATS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no report as {format!r}")
    wk, cal = get_week(runtime, week), get_calendar(runtime, calendar)
    card = week_card(runtime, cal, wk, runtime.preview(cal, wk))
    safe_cal = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in cal)[:40]
    name = f"scorecard-{wk}-{safe_cal}.{format}"
    return Response(
        render_report_file(wk, cal, card, format),
        media_type=FORMATS[format],
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/trend", response_model=None)
def trend(
    request: Request, runtime: RuntimeDep, week: str | None = None, calendar: str | None = None
) -> Response:
    """Eight weeks up to the one shown: tier shares, Q2, focus kept (a chart and a table)."""
    session = session_of(request, runtime)
    if session is None:
        return to_login(request)
    wk, cal = get_week(runtime, week), get_calendar(runtime, calendar)
    weeks = [shift_week(wk, i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]
    now = runtime.now()
    cards: list[dict[str, Any] | None] = []
    focus: list[float | None] = []
    focus_actual: list[float | None] = []
    ended: list[bool] = []
    for each in weeks:
        ended.append(week_window(each, runtime.rules.timezone).end <= now)
        view = read_week(runtime, cal, each)
        if view.preview is None or view.card is None:
            message = view.error.user_message() if view.error else "no card"
            log.warning("week %s of %s not read: %s", each, cal, message)
            cards.append(None)
            focus.append(None)
            focus_actual.append(None)
            continue
        card = view.card
        cards.append(card)
        requests = view.preview.spec.requests
        asked = sum(r.minutes for r in requests if r.protected and not r.all_day)
        kept = int(card.get("protected_minutes", 0))
        planned = sum(int(c.get("minutes", 0)) for c in (card.get("categories") or {}).values())
        # nothing planned (a past week, an empty one): no figure, not a 0 %
        focus.append(min(1.0, kept / asked) if asked and planned else None)
        actual = card.get("actual") or {}
        held = int(actual.get("protected_minutes", 0))
        # an ended week read in full (state "complete"): what the calendar kept
        done = ended[-1] and actual.get("state") == "complete"
        focus_actual.append(min(1.0, held / asked) if asked and done else None)
    return _page(
        "trend.html",
        page="trend",
        csrf=csrf_of(runtime, session),
        week=wk,
        calendar=cal,
        trend=build_trend(weeks, cards, focus, ended, focus_actual),
    )


__all__ = ["router"]
