"""The week page: the grid, the scorecard, what needs action; Sync now and Preview."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from blocker.core.errors import BlockerError, ReconnectRequired
from blocker.core.weeks import shift_week, week_dates, week_of
from blocker.runtime import Runtime
from blocker.web.deps import RuntimeDep, get_calendar, get_week
from blocker.web.grid_actions import dismissed_blocks
from blocker.web.html import page as _page
from blocker.web.pages import build_grid, flag_filter, legend, now_line, shown_title
from blocker.web.report_html import scorecard_view
from blocker.web.schemas import OpOut, PlanOut, RunOut
from blocker.web.services import offers_calendar, read_week, sync_calendars
from blocker.web.sessions import check_post, csrf_of, session_of, to_login
from blocker.web.truth import (
    actions,
    block_states,
    connect_buttons,
    connection_views,
    last_real_run,
    moves_of_week,
    plain,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

_TRIGGER = {
    "api": "you asked",
    "cli": "from the terminal",
    "poll": "regular check",
    "rebalance": "scheduled",
    "webhook": "your calendar changed",
    "connect": "calendar connected",
    "rules": "rules changed",
    "preview": "preview",
    "grid": "you changed the week page",
}
"""Why a run happened, in words (the trigger names are internal)."""
_SYNCED = {
    "ok": "Sync finished: your calendar now matches the plan.",
    "partly": "Sync finished with problems: see the message above.",
    "moved": "Block moved: your calendar has it at the new time, and later syncs keep it there.",
    "dismissed": "Block dismissed: removed from your calendar, and not planned again this week.",
    "restored": "Block back: the plan has it again and your calendar shows it.",
}


def _when(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    if start is None:
        return ""
    a = start.astimezone(tz)
    text = f"{a:%a %d %b %H:%M}"
    return f"{text}–{end.astimezone(tz):%H:%M}" if end is not None else text


def _op(op: OpOut, tz: ZoneInfo) -> dict[str, Any]:
    title = shown_title(op.title) if op.title else op.title
    when = _when(op.start, op.end, tz)
    return {**op.model_dump(), "title": title, "when": when, "reason": plain(op.reason)}


def _run(run: RunOut, tz: ZoneInfo) -> dict[str, Any]:
    counts = {a: sum(op.action == a for op in run.ops) for a in ("create", "update", "delete")}
    summary = ", ".join(f"{n} {a}d" for a, n in counts.items() if n) or "no changes"
    return {
        **run.model_dump(),
        "errors": [plain(e) for e in run.errors],
        "notices": [plain(n) for n in run.notices],
        "failed": bool(run.errors),
        "trigger_label": _TRIGGER.get(run.trigger, "automatic"),
        "when": f"{run.started_at.astimezone(tz):%a %d %b %H:%M}",
        "summary": summary,
    }


def _moved(
    runtime: Runtime, calendar: str, week: str, tz: ZoneInfo, moved_from: dict[str, datetime]
) -> list[dict[str, Any]]:
    """Moves made by real runs of this week, newest first, one line per block, with
    where each block was before ("from Mon 10:30")."""
    seen: set[str] = set()
    out = []
    for run in runtime.store.runs(calendar, 50):
        if run.week != week or run.dry_run:
            continue
        for op in run.ops:
            if op.action == "update" and op.key not in seen:
                seen.add(op.key)
                before = moved_from.get(op.key)
                row = _op(OpOut.of(op), tz)
                row["from"] = f"{before.astimezone(tz):%a %H:%M}" if before else ""
                out.append(row)
    return out[:20]


def sc_categories(sc: Any) -> list[str]:
    """The category names the scorecard shows (for flags that name one)."""
    return [row.name for row in sc.categories]


def _read_failed(runtime: Runtime, calendar: str, exc: BlockerError) -> None:
    """A refused token found by the page's own read is stored like a sync's: the
    connection then says "needs reconnecting" everywhere, not only on this page."""
    if not isinstance(exc, ReconnectRequired):
        return
    conn = runtime.store.get_connection(calendar)
    if conn is not None and conn.has_tokens and conn.status == "connected":
        runtime.store.mark_needs_reconnect(calendar, exc.user_message())


def _dashboard(
    runtime: Runtime,
    session: str,
    week: str,
    calendar: str,
    *,
    preview: list[dict[str, Any]] | None = None,
    notice: str | None = None,
    show: str | None = None,
) -> HTMLResponse:
    tz = ZoneInfo(runtime.rules.timezone)
    view = read_week(runtime, calendar, week)
    read_error, result = view.error, view.preview
    if read_error is not None:
        _read_failed(runtime, calendar, read_error)
    history = runtime.store.runs(calendar, 50)
    moved_from = moves_of_week(history, week)
    if result is not None and view.card is not None:
        card = view.card
        plan = PlanOut.of(calendar, result.plan, card)
        sc = scorecard_view(
            week,
            card,
            conflicts=[
                {"meeting": c.meeting, "key": c.key, "when": _when(c.start, c.end, tz)}
                for c in plan.conflicts
            ],
            shortfall=[s.model_dump() for s in plan.shortfall],
            protected_target_minutes=sum(
                r.minutes for r in result.spec.requests if r.protected and not r.all_day
            ),
        )
        states = block_states(result.plan, result.ops, moved_from, tz)
        grid = build_grid(week, result.plan, result.busy, result.spec.working, tz, states)
    else:
        sc = scorecard_view(week, {}, unreadable=True)
        grid = build_grid(week, None, (), (), tz)
    now = runtime.now()
    last_runs = {
        cal: last_real_run(history if cal == calendar else runtime.store.runs(cal, 20))
        for cal in runtime.calendar_ids()
    }
    views = connection_views(runtime, last_runs, calendar, read_error, tz)
    todo = actions(
        views,
        last_runs,
        {cal: runtime.store.fallbacks(cal) for cal in runtime.calendar_ids()},
        calendar,
        pending=result is None or bool(result.ops),
    )
    days = week_dates(week)
    here = f"/?week={quote(week)}&calendar={quote(calendar, safe='')}"
    tiers = [str(name) for name in runtime.rules.tiers]
    targets = {flag: flag_filter(flag, tiers, sc_categories(sc)) for flag in sc.flags}
    flag_links = {
        flag: f"{here}&show={quote(target, safe='')}#grid-h"
        for flag, target in targets.items()
        if target is not None
    }
    show_flag = next((f for f, target in targets.items() if show and target == show), "")
    return _page(
        "dashboard.html",
        page="dashboard",
        csrf=csrf_of(runtime, session),
        week=week,
        prev_week=shift_week(week, -1),
        next_week=shift_week(week, 1),
        range_label=f"{days[0]:%d %b} – {days[-1]:%d %b %Y}",
        timezone=runtime.rules.timezone,
        calendar=calendar,
        calendars=runtime.calendar_ids(),
        grid=grid,
        legend=legend(result.plan if result is not None else None),
        now_line=now_line(grid, now, tz),
        this_week=week_of(now.astimezone(tz).date()),
        today=now.astimezone(tz).date().isoformat(),
        sc=sc,
        flag_links=flag_links,
        show=show if show_flag else None,
        show_flag=show_flag,
        actions=todo,
        notice=notice if not todo else None,
        preview=preview,
        moved=_moved(runtime, calendar, week, tz, moved_from),
        connections=views,
        connect_new=connect_buttons(views),
        runs=[_run(RunOut.of(r), tz) for r in runtime.recent_runs(10)],
        grid_now=now,
        dismissed=dismissed_blocks(runtime, calendar, week, tz),
    )


@router.get("/", response_model=None)
def dashboard(
    request: Request,
    runtime: RuntimeDep,
    week: str | None = None,
    calendar: str | None = None,
    synced: str | None = None,
    show: str | None = None,
) -> Response:
    """The week as a grid beside its scorecard, connections and last runs."""
    session = session_of(request, runtime)
    if session is None:
        return to_login(request)
    wk = get_week(runtime, week)
    if calendar is None and not runtime.calendar_ids():
        # a signed-in member's first visit: what to do next, not a 404
        return _page(
            "welcome.html",
            csrf=csrf_of(runtime, session),
            page="dashboard",
            google_grant=offers_calendar(request, "google"),
            microsoft_grant=offers_calendar(request, "microsoft"),
        )
    cal = get_calendar(runtime, calendar)
    return _dashboard(runtime, session, wk, cal, notice=_SYNCED.get(synced or ""), show=show)


@router.post("/sync")
def sync_now(
    request: Request,
    runtime: RuntimeDep,
    week: Annotated[str, Form()],
    calendar: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Run a real sync of the calendar shown for the week shown, then show the page again.

    The page says "Sync finished" only when the run wrote everything it meant to;
    a failure is told by the banner (from the run record), never beside a success.
    """
    check_post(request, runtime, csrf, {"week": week, "calendar": calendar})
    cal = get_calendar(runtime, calendar)
    answer = sync_calendars(runtime, week, [cal], dry_run=False)
    failed = any(r.errors for r in answer.results)
    target = f"/?week={quote(week)}&calendar={quote(cal, safe='')}"
    if not failed:
        target += "&synced=ok"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.post("/preview")
def preview_ops(
    request: Request,
    runtime: RuntimeDep,
    week: Annotated[str, Form()],
    calendar: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """A dry run of the calendar shown: its ops and reasons on the page, nothing written."""
    session = check_post(request, runtime, csrf, {"week": week, "calendar": calendar})
    cal = get_calendar(runtime, calendar)
    answer = sync_calendars(runtime, week, [cal], dry_run=True)
    tz = ZoneInfo(runtime.rules.timezone)
    results = [
        {
            "calendar": r.calendar,
            "errors": [plain(e) for e in r.errors],
            "ops": [_op(op, tz) for op in r.ops],
        }
        for r in answer.results
    ]
    return _dashboard(runtime, session, week, cal, preview=results)


__all__ = ["router"]
