"""Connecting calendars over the web: start the sign-in, take the callback, disconnect.

``/connect/*`` need the API token or the dashboard's signed session cookie (the
dashboard links there); ``/api/calendars/{id}/disconnect`` needs the token. The
``/oauth/*/callback`` routes are public (the identity provider sends the browser
there) and trust nothing but a ``state`` this process issued minutes ago.
The callbacks run in the thread pool: finishing can call back into this very
app (Graph validates the webhook URL while the subscription is being created).
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from blocker.connect import Connected, ConnectError, Connector
from blocker.core.errors import BlockerError, ReconnectRequired
from blocker.web.deps import RuntimeDep, _bearer, require_token
from blocker.web.schemas import ErrorOut

router = APIRouter(tags=["connect"])
_guard = threading.Lock()

_ERR = ErrorOut
_START: dict[int | str, dict[str, Any]] = {
    302: {"description": "to the identity provider's sign-in page"},
    400: {"model": _ERR, "description": "the provider is not configured, or no such calendar"},
    401: {"model": _ERR, "description": "neither the API token nor a dashboard session"},
}
_FINISH: dict[int | str, dict[str, Any]] = {
    303: {"description": "connected: back to the dashboard"},
    400: {"model": _ERR, "description": "unknown or expired state, or the sign-in failed"},
}

CalendarQuery = Annotated[
    str | None, Query(description="Calendar id from the rules (default: the first of its kind)")
]


def get_connector(request: Request, runtime: RuntimeDep) -> Connector:
    """One connector (and so one map of pending sign-ins) per app."""
    with _guard:
        connector: Connector | None = getattr(request.app.state, "connector", None)
        if connector is None or connector.runtime is not runtime:
            connector = Connector(runtime)
            request.app.state.connector = connector
        return connector


ConnectorDep = Annotated[Connector, Depends(get_connector)]


def require_user(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The API token, or a dashboard session (a browser following a "connect" link)."""
    if credentials is None:
        from blocker.web.sessions import is_admin_session
        from blocker.web.sessions import session_of as _session

        if _session(request, runtime) is not None and is_admin_session(request, runtime):
            return  # members and leads: not the shared calendars (yet)
    require_token(runtime, credentials)


def _bad_request(exc: BlockerError) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail=exc.user_message())


def _done(_result: Connected) -> RedirectResponse:
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


@router.get(
    "/connect/google",
    dependencies=[Depends(require_user)],
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses=_START,
)
def connect_google(connector: ConnectorDep, calendar: CalendarQuery = None) -> RedirectResponse:
    """Send the browser to Google's consent page (offline access, PKCE)."""
    try:
        url = connector.start_google(calendar)
    except ConnectError as exc:
        raise _bad_request(exc) from exc
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


@router.get(
    "/oauth/google/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=_FINISH,
)
def google_callback(
    connector: ConnectorDep,
    state: str | None = None,
    code: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    """Finish the Google sign-in; back to the dashboard when the calendar is connected."""
    try:
        result = connector.finish_google(state, code, error)
    except (ConnectError, ReconnectRequired) as exc:
        raise _bad_request(exc) from exc
    return _done(result)


@router.get(
    "/connect/microsoft",
    dependencies=[Depends(require_user)],
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses=_START,
)
def connect_microsoft(connector: ConnectorDep, calendar: CalendarQuery = None) -> RedirectResponse:
    """Send the browser to Microsoft's sign-in page (auth-code flow, PKCE, form_post)."""
    try:
        url = connector.start_microsoft(calendar)
    except ConnectError as exc:
        raise _bad_request(exc) from exc
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


@router.get(
    "/oauth/microsoft/callback",
    operation_id="microsoft_callback_get",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=_FINISH,
)
@router.post(
    "/oauth/microsoft/callback",
    operation_id="microsoft_callback_post",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses=_FINISH,
)
async def microsoft_callback(request: Request, connector: ConnectorDep) -> RedirectResponse:
    """Finish the Microsoft sign-in; the code arrives as a POSTed form (or a query)."""
    params = {k: str(v) for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    try:
        result = await run_in_threadpool(connector.finish_microsoft, params)
    except (ConnectError, ReconnectRequired) as exc:
        raise _bad_request(exc) from exc
    return _done(result)


@router.post(
    "/api/calendars/{calendar_id}/disconnect",
    dependencies=[Depends(require_token)],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        401: {"model": _ERR, "description": "missing or wrong bearer token"},
        404: {"model": _ERR, "description": "unknown calendar"},
    },
)
def disconnect(calendar_id: str, connector: ConnectorDep, runtime: RuntimeDep) -> None:
    """Stop the push channel, forget the tokens; blocks already written stay."""
    if calendar_id not in runtime.calendar_ids():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown calendar {calendar_id!r}")
    connector.disconnect(calendar_id)
