"""Connecting calendars over the web: start the sign-in, take the callback, disconnect.

One ``/connect/<route>`` and one ``/oauth/<route>/callback`` (GET and POST) per kind
with a sign-in in the registry (:func:`blocker.connections.connectable`).

``/connect/*`` need the API token or the dashboard's signed session cookie (the
dashboard links there). An admin (or the token) connects the calendars of the scope
they act in; a member connects their own (``?calendar=work``, their rules' id): the
connection is stored under their store key and owned by their user row.
``/api/calendars/{id}/disconnect`` needs the token; ``POST /calendars/disconnect``
is the dashboard's form (a member's own calendars only: another's id is 404). The
``/oauth/*/callback`` routes are public (the identity provider sends the browser
there) and trust nothing but a ``state`` this process issued minutes ago: it
finishes in the scope of whoever started it, and a callback arriving with another
user's session is refused.
The callbacks run in the thread pool: finishing can call back into this very
app (Graph validates the webhook URL while the subscription is being created).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from blocker.connect import Connected, ConnectError, Connector, key_of
from blocker.connections import ProviderKind, connectable, provider_kind
from blocker.core.errors import BlockerError, ReconnectRequired
from blocker.web.deps import RuntimeDep, _bearer, require_token
from blocker.web.schemas import ErrorOut
from blocker.web.services import connector_of
from blocker.web.sessions import check_post, session_user

router = APIRouter(tags=["connect"])

_ERR = ErrorOut
_START: dict[int | str, dict[str, Any]] = {
    302: {"description": "to the identity provider's sign-in page"},
    400: {"model": _ERR, "description": "the provider is not configured, or no such calendar"},
    401: {"model": _ERR, "description": "neither the API token nor a dashboard session"},
    403: {"model": _ERR, "description": "a personal token may not start a calendar sign-in"},
    429: {"model": _ERR, "description": "too many wrong tokens from this address: Retry-After"},
}
_FINISH: dict[int | str, dict[str, Any]] = {
    303: {"description": "connected: back to the dashboard"},
    400: {"model": _ERR, "description": "unknown or expired state, or the sign-in failed"},
}

CalendarQuery = Annotated[
    str | None, Query(description="Calendar id from the rules (default: the first of its kind)")
]


def get_connector(request: Request) -> Connector:
    """One connector (and so one map of pending sign-ins) per app, on the shared
    runtime: each sign-in remembers the scope that started it."""
    return connector_of(request)


ConnectorDep = Annotated[Connector, Depends(get_connector)]


def require_user(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The API token, or a dashboard session (a browser following a "connect" link):
    an admin's, or a member's acting on their own calendars (their scope)."""
    if credentials is None:
        from blocker.web.sessions import acts_on_own_scope, is_admin_session
        from blocker.web.sessions import session_of as _session

        if _session(request, runtime) is not None and (
            is_admin_session(request, runtime) or acts_on_own_scope(runtime)
        ):
            return
    require_token(request, runtime, credentials)


def _bad_request(exc: BlockerError) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail=exc.user_message())


def _done(_result: Connected) -> RedirectResponse:
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


def _start_route(kind: ProviderKind) -> Callable[..., RedirectResponse]:
    def start(
        connector: ConnectorDep, runtime: RuntimeDep, calendar: CalendarQuery = None
    ) -> RedirectResponse:
        try:
            url = connector.start(kind.name, calendar, scope=runtime)
        except ConnectError as exc:
            raise _bad_request(exc) from exc
        return RedirectResponse(url, status_code=status.HTTP_302_FOUND)

    start.__doc__ = f"Send the browser to {kind.label}'s sign-in page."
    return start


def _callback_route(kind: ProviderKind) -> Callable[..., Awaitable[RedirectResponse]]:
    async def callback(
        request: Request, connector: ConnectorDep, runtime: RuntimeDep
    ) -> RedirectResponse:
        params = {k: str(v) for k, v in request.query_params.items()}
        if request.method == "POST":  # Microsoft posts the code as a form (form_post)
            form = await request.form()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        # a user's session, when the browser sent one: its scope must be the starter's
        caller = runtime if session_user(request, runtime) is not None else None
        try:
            result = await run_in_threadpool(
                lambda: connector.finish(kind.name, params, caller=caller)
            )
        except (ConnectError, ReconnectRequired) as exc:
            raise _bad_request(exc) from exc
        return _done(result)

    callback.__doc__ = f"Finish the {kind.label} sign-in; back to the dashboard when connected."
    return callback


for _kind in connectable():
    assert _kind.connect is not None and _kind.connect_route is not None
    router.add_api_route(
        f"/connect/{_kind.connect_route}",
        _start_route(_kind),
        methods=["GET"],
        dependencies=[Depends(require_user)],
        status_code=status.HTTP_302_FOUND,
        response_class=RedirectResponse,
        responses=_START,
        name=f"connect_{_kind.connect_route}",
    )
    for _method in ("GET", "POST"):
        router.add_api_route(
            _kind.connect.callback,
            _callback_route(_kind),
            methods=[_method],
            status_code=status.HTTP_303_SEE_OTHER,
            response_class=RedirectResponse,
            responses=_FINISH,
            name=f"{_kind.connect_route}_callback",
            operation_id=f"{_kind.connect_route}_callback_{_method.lower()}",
        )


@router.post(
    "/api/calendars/{calendar_id}/disconnect",
    dependencies=[Depends(require_token)],
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        401: {"model": _ERR, "description": "missing or wrong bearer token"},
        403: {"model": _ERR, "description": "a personal token's scope or role does not allow it"},
        404: {"model": _ERR, "description": "unknown calendar"},
        429: {"model": _ERR, "description": "too many wrong tokens from this address: Retry-After"},
    },
)
def disconnect(calendar_id: str, connector: ConnectorDep, runtime: RuntimeDep) -> None:
    """Stop the push channel, forget the tokens; blocks already written stay."""
    if calendar_id not in runtime.calendar_ids():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown calendar {calendar_id!r}")
    connector.disconnect(calendar_id, scope=runtime)


@router.post(
    "/calendars/disconnect",
    include_in_schema=False,
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
)
def disconnect_own(
    request: Request,
    connector: ConnectorDep,
    runtime: RuntimeDep,
    calendar: Annotated[str, Form(max_length=255)],
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """The dashboard's Disconnect: a calendar of the rules the session acts on (a
    member's own, by its id in their rules); any other id is 404."""
    check_post(request, runtime, csrf, {"calendar": calendar})
    key = key_of(runtime, calendar)
    if key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown calendar {calendar!r}")
    provider = runtime.calendar(key).provider
    if provider_kind(provider, key).connect is None:  # a file: no access to withdraw
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"calendar {calendar!r} is a file")
    connector.disconnect(key, scope=runtime)
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
