"""Trigger a sync now, and read the run history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from blocker.core.weeks import next_week, parse_week
from blocker.web.deps import RuntimeDep, invalid
from blocker.web.schemas import (
    PRINTABLE,
    ErrorOut,
    RunOut,
    SyncRequest,
    SyncResponse,
)
from blocker.web.services import sync_calendars

router = APIRouter(prefix="/api", tags=["sync"])


@router.post(
    "/sync",
    response_model=SyncResponse,
    responses={404: {"model": ErrorOut, "description": "unknown calendar"}},
)
def post_sync(runtime: RuntimeDep, body: SyncRequest) -> SyncResponse:
    """Reconcile one or every calendar with the plan; ``dry_run`` only lists the ops.

    A calendar that fails is reported in its ``errors`` and the others still run.
    """
    if body.week is not None:
        try:
            parse_week(body.week)
        except ValueError as exc:
            raise invalid(("body", "week"), str(exc), body.week) from exc
    ids = runtime.calendar_ids()
    if body.calendar is not None and body.calendar not in ids:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown calendar {body.calendar!r}")
    week = body.week or next_week(runtime.today())
    calendars = [body.calendar] if body.calendar else ids
    return sync_calendars(runtime, week, calendars, dry_run=body.dry_run)


@router.get("/runs", response_model=list[RunOut])
def get_runs(
    runtime: RuntimeDep,
    calendar: Annotated[
        str | None,
        Query(description="Only this calendar", max_length=255, pattern=PRINTABLE),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RunOut]:
    """Run history, newest first, with every op and its reason."""
    return [RunOut.of(run) for run in runtime.store.runs(calendar, limit)]
