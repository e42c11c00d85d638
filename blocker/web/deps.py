"""FastAPI dependencies: the runtime, the scheduler, the bearer token, the week.

Everything a route needs arrives through ``Annotated[..., Depends(...)]`` so the
routes stay thin and the app factory decides what is wired.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from blocker.core.errors import RulesError
from blocker.core.weeks import next_week, parse_week
from blocker.members import MemberRuntime, scope_for
from blocker.runtime import Runtime
from blocker.scheduler import BlockerScheduler
from blocker.web.limits import source_of
from blocker.web.sessions import session_user

_bearer = HTTPBearer(auto_error=False, description="BLOCKER_API_TOKEN")


def get_runtime(request: Request) -> Runtime:
    """The shared runtime, seen through the signed-in user's scope when a Google or
    Microsoft session makes the request (their rules and calendars: blocker.members)."""
    runtime: Runtime = request.app.state.runtime
    who = session_user(request, runtime)
    if who is None:
        return runtime
    try:
        return scope_for(runtime, who.user, who.label)
    except RulesError as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="your rules no longer fit the team template:\n" + str(exc),
        ) from exc


def get_scheduler(request: Request) -> BlockerScheduler | None:
    scheduler: BlockerScheduler | None = request.app.state.scheduler
    return scheduler


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SchedulerDep = Annotated[BlockerScheduler | None, Depends(get_scheduler)]


def require_token(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless ``Authorization: Bearer`` carries ``BLOCKER_API_TOKEN`` (constant-time
    compare) or a user's live personal token within its scope (blocker.web.api_tokens).

    Wrong tokens, shared or personal, spend the source address's allowance of
    ``BLOCKER_LOGIN_ATTEMPTS_PER_MINUTE`` (one bucket for both, so guessing cannot
    switch kinds to get twice the tries). When it is spent every bearer from there
    gets 429 with ``Retry-After``, the right shared token too: answering a correct
    guess differently from a wrong one would tell a guesser which of its tries
    won, so the refusal must not depend on the token until the window passes. A
    request with no token guesses nothing and spends nothing (plain 401).
    """
    from blocker.auth.tokens import looks_personal
    from blocker.web.api_tokens import authorize_personal, mark_shared_token, refuse_if_throttled

    expected = runtime.settings.api_token
    given = credentials.credentials if credentials is not None else ""
    if given:
        refuse_if_throttled(request)
    if looks_personal(given):
        authorize_personal(request, runtime, given)
        return
    if expected is not None and hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    ):
        mark_shared_token(request)
        return
    if given:
        spend_wrong_token(request)
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or wrong bearer token",
        headers={"WWW-Authenticate": "Bearer"},
    )


def spend_wrong_token(request: Request) -> None:
    """Take one of the source's wrong-token attempts for this minute."""
    from blocker.web.api_tokens import token_limiter

    token_limiter(request).allow(source_of(request.client))


def invalid(where: tuple[str | int, ...], message: str, value: object) -> RequestValidationError:
    """A 422 in FastAPI's own shape (``detail`` a list of errors), as the schema says."""
    return RequestValidationError(
        [{"type": "value_error", "loc": where, "msg": message, "input": value}]
    )


def get_week(
    runtime: RuntimeDep,
    week: Annotated[
        str | None,
        Query(description="ISO week, e.g. 2026-W49 (default: next week)", examples=["2026-W49"]),
    ] = None,
) -> str:
    if week is None:
        return next_week(runtime.today())
    try:
        parse_week(week)
    except ValueError as exc:
        raise invalid(("query", "week"), str(exc), week) from exc
    return week


def get_calendar(
    runtime: RuntimeDep,
    calendar: Annotated[
        str | None, Query(description="Calendar id from the rules (default: the first)")
    ] = None,
) -> str:
    ids = runtime.calendar_ids()
    if calendar is None:
        if not ids:
            detail = "the rules list no calendars"
            if isinstance(runtime, MemberRuntime):  # a member starts with none of their own
                detail = "your rules list no calendars yet: add `calendars:` on the Rules page"
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=detail)
        return ids[0]
    if calendar not in ids:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown calendar {calendar!r}")
    return calendar


WeekDep = Annotated[str, Depends(get_week)]
CalendarDep = Annotated[str, Depends(get_calendar)]

__all__ = [
    "CalendarDep",
    "RuntimeDep",
    "SchedulerDep",
    "WeekDep",
    "get_calendar",
    "get_runtime",
    "get_scheduler",
    "get_week",
    "invalid",
    "require_token",
]
