"""The grid's actions as plain CSRF-protected forms: move a block, dismiss it, undo.

The pop-up of every block carries the forms (the keyboard path); dragging a block
on the grid (static/grid_actions.js) fills the same move form and sends it. Each
answer is a redirect to the week page, which then shows what is true: the notice
only when the run wrote everything, else the run's problem in the banner.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from blocker.runtime import RunOutcome, Runtime
from blocker.web.deps import RuntimeDep, get_calendar, get_week
from blocker.web.grid_actions import (
    GridActionRefused,
    dismiss_block,
    move_block,
    move_target,
    restore_block,
)
from blocker.web.sessions import check_post

router = APIRouter(prefix="/grid", include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]


def _back(week: str, calendar: str, outcome: RunOutcome, done: str) -> Response:
    target = f"/?week={quote(week)}&calendar={quote(calendar, safe='')}"
    if not outcome.errors:
        target += f"&synced={done}"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


def _refused(exc: GridActionRefused) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


@router.post("/move")
def move(
    request: Request,
    runtime: RuntimeDep,
    week: Text,
    calendar: Text,
    key: Text,
    day: Annotated[date, Form()],
    at: Annotated[time, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Move a block to ``day`` at ``at`` (rules' zone): a pin, then a real sync."""
    fields = {"week": week, "calendar": calendar, "key": key, "day": str(day), "at": str(at)}
    check_post(request, runtime, csrf, fields)
    wk, cal = get_week(runtime, week), get_calendar(runtime, calendar)
    try:
        start = move_target(wk, runtime.rules.timezone, day, at)
        outcome = move_block(runtime, cal, wk, key, start)
    except GridActionRefused as exc:
        raise _refused(exc) from None
    return _back(wk, cal, outcome, "moved")


def _on_key(
    request: Request,
    runtime: Runtime,
    where: tuple[str, str, str],
    csrf: str,
    act: Callable[[Runtime, str, str, str], RunOutcome],
    done: str,
) -> Response:
    """One block's action by key (dismiss, restore): checked post, refusals as 422."""
    week, calendar, key = where
    check_post(request, runtime, csrf, {"week": week, "calendar": calendar, "key": key})
    wk, cal = get_week(runtime, week), get_calendar(runtime, calendar)
    try:
        outcome = act(runtime, cal, wk, key)
    except GridActionRefused as exc:
        raise _refused(exc) from None
    return _back(wk, cal, outcome, done)


@router.post("/dismiss")
def dismiss(
    request: Request,
    runtime: RuntimeDep,
    week: Text,
    calendar: Text,
    key: Text,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Remove a block from the calendar for this week; the planner does not bring it back."""
    return _on_key(request, runtime, (week, calendar, key), csrf, dismiss_block, "dismissed")


@router.post("/restore")
def restore(
    request: Request,
    runtime: RuntimeDep,
    week: Text,
    calendar: Text,
    key: Text,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Undo a dismissal (until the week ends): the block is planned and written again."""
    return _on_key(request, runtime, (week, calendar, key), csrf, restore_block, "restored")


__all__ = ["router"]
