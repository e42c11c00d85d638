"""Errors as pages for browsers, JSON for API clients (content negotiation on Accept).

A person who follows a stale link, types a bad week or opens Connect for a
calendar the rules do not list gets a page in plain words with a way back; an
API client asking for JSON gets the same JSON as before. A form posted after the
session ended (:class:`SessionExpired`) gets the sign-in page, which keeps the
form's fields and offers to send them again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from blocker.core.errors import BlockerError, RulesError
from blocker.web.html import page
from blocker.web.services import provider_buttons
from blocker.web.sessions import FORM_EXPIRED, REPLAYABLE, SessionExpired, safe_next
from blocker.web.truth import plain

__all__ = ["install_error_pages", "wants_html"]

Handler = Callable[[Request, Exception], Awaitable[Response]]

_MACHINE_PATHS = ("/api/", "/webhooks", "/metrics", "/openapi.json", "/healthz", "/readyz")
_TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "That form has expired",
    404: "Not found",
    405: "Not found",
    413: "Too large",
    422: "That address is not right",
    429: "Too many tries",
}


def wants_html(request: Request) -> bool:
    """True for a browser's page request: Accept ranks text/html above JSON.

    API paths always answer JSON, whatever the client accepts.
    """
    if request.url.path.startswith(_MACHINE_PATHS):
        return False
    best: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best[media.strip().lower()] = max(q, best.get(media.strip().lower(), 0.0))
    html = best.get("text/html", 0.0)
    return html > 0 and html >= best.get("application/json", 0.0)


def _message(status: int, detail: Any, request: Request) -> str:
    if isinstance(detail, str) and detail.startswith("unknown calendar"):
        name = detail.removeprefix("unknown calendar").split(" (", 1)[0].strip()
        return f"There is no calendar {name} in your rules. Pick one of yours on the week page."
    if status in (404, 405) and detail in ("Not Found", "Method Not Allowed", None, ""):
        return f"There is no page at {request.url.path}."
    if status == 403 and detail == FORM_EXPIRED:
        return "This form was sent from an old page. Nothing was changed: open the page again."
    if status == 403 and isinstance(detail, str) and detail:
        # a role or a token's scope: say which, and that a post changed nothing
        said = plain(detail[:1].upper() + detail[1:]).rstrip(".") + "."
        return said + (" Nothing was changed." if request.method == "POST" else "")
    if isinstance(detail, str) and detail:
        return plain(detail[:1].upper() + detail[1:]) + ("" if detail.endswith(".") else ".")
    return "Something went wrong. Nothing was changed."


def _title(status: int, detail: Any) -> str:
    if status == 403 and detail != FORM_EXPIRED:
        return "Not allowed"
    return _TITLES.get(status, "Something went wrong")


def _error_page(request: Request, status: int, message: str, *, detail: Any = None) -> Response:
    calendar = request.query_params.get("calendar")
    back = "/"
    if calendar is not None and status != 404:
        back = "/?" + urlencode({"calendar": calendar})
    return page(
        "error.html",
        status,
        title=_title(status, detail),
        message=message,
        status=status,
        back=safe_next(back),
    )


def _week_problem(exc: RequestValidationError) -> str | None:
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if loc[-1:] == ("week",):
            shown = str(error.get("input", ""))[:40]
            return f"“{shown}” is not a week. Weeks look like 2026-W49 (year, W, week number)."
    return None


def install_error_pages(
    app: FastAPI, *, json_validation: Handler, json_blocker: Handler, status_of: Any
) -> None:
    """Wrap the app's JSON error handlers so browsers get pages instead."""

    async def on_blocker(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BlockerError)
        if wants_html(request) and not isinstance(exc, RulesError):
            code = int(status_of(exc))
            return _error_page(request, code, _message(code, exc.user_message(), request))
        return await json_blocker(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if wants_html(request) and exc.status_code >= 400:
            message = _message(exc.status_code, exc.detail, request)
            return _error_page(request, exc.status_code, message, detail=exc.detail)
        return await http_exception_handler(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if wants_html(request):
            message = (
                _week_problem(exc) or "Part of that address is not right. Nothing was changed."
            )
            return _error_page(request, 422, message)
        return await json_validation(request, exc)

    async def on_expired(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SessionExpired)
        back = "/rules" if exc.action.startswith("/rules") else "/"
        if "week" in exc.fields and back == "/":
            where = {k: exc.fields[k] for k in ("week", "calendar") if exc.fields.get(k)}
            back = "/?" + urlencode(where)
        replay = exc.action if exc.action in REPLAYABLE else None
        return page(
            "login.html",
            401,
            next=safe_next(back),
            error="Your session ended, so nothing was done yet. Sign in to carry on.",
            replay=replay,
            replay_label=REPLAYABLE.get(exc.action, ""),
            fields=exc.fields if replay else {},
            providers=provider_buttons(request),
        )

    app.add_exception_handler(BlockerError, on_blocker)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(SessionExpired, on_expired)
