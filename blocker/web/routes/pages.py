"""The browser pages besides the week: sign-in and out, the rules editor, static assets.

Sessions and CSRF live in :mod:`blocker.web.sessions`, the week in
:mod:`blocker.web.routes.dashboard`. The pages call the same code the API routes
call (``update_rules``/``restore_rules``), so the browser and the API can never
disagree.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from blocker.core.errors import RulesError
from blocker.runtime import Runtime
from blocker.web.audit_trail import audit
from blocker.web.deps import RuntimeDep
from blocker.web.html import page as _page
from blocker.web.limits import RateLimiter, source_of
from blocker.web.report_html import STATIC_DIR
from blocker.web.services import provider_buttons, update_rules
from blocker.web.sessions import (
    COOKIE,
    REPLAYABLE,
    SESSION_SECONDS,
    check_post,
    csrf_of,
    has_session,
    new_session,
    safe_next,
    session_of,
    session_parts,
    to_login,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

# The names other modules imported from here before sessions had their own module.
_session, _csrf, _to_login, _check_post = session_of, csrf_of, to_login, check_post

VERSIONS_SHOWN = 10
"""Saved rules versions listed (with their text) on /rules; the API lists more."""
_STATIC = {
    "dashboard.css": "text/css",
    "scorecard.css": "text/css",
    "rules.js": "text/javascript",
    "dashboard.js": "text/javascript",
    "grid_actions.js": "text/javascript",
}


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    providers = provider_buttons(request)
    return _page("login.html", next=safe_next(next), error=None, providers=providers)


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    replay: Annotated[str, Form()] = "",
    r_week: Annotated[str | None, Form()] = None,
    r_calendar: Annotated[str | None, Form()] = None,
    r_text: Annotated[str | None, Form()] = None,
) -> Response:
    """Sign in with the API token. Wrong tokens are throttled per source address
    (``BLOCKER_LOGIN_ATTEMPTS_PER_MINUTE``): past the limit every attempt from there,
    right or wrong, is answered 429 without being checked until the minute refills.

    ``replay`` and the ``r_*`` fields carry a form posted after the session ended:
    once signed in, the user is offered to send it again (with a fresh CSRF token).
    """
    fields = {
        k: v
        for k, v in (("week", r_week), ("calendar", r_calendar), ("text", r_text))
        if v is not None
    }
    kept: dict[str, Any] = {
        "next": safe_next(next),
        "replay": replay if replay in REPLAYABLE else None,
        "replay_label": REPLAYABLE.get(replay, ""),
        "fields": fields if replay in REPLAYABLE else {},
        "providers": provider_buttons(request),
    }
    limiter: RateLimiter = request.app.state.login_limiter
    source = source_of(request.client)
    if limiter.blocked(source):
        runtime.metrics.sign_ins.labels("throttled").inc()
        wait = limiter.retry_after(source)
        return _page(
            "login.html",
            429,
            headers={"Retry-After": str(wait)},
            error=f"Too many wrong tokens from here: try again in {wait} seconds.",
            **kept,
        )
    expected = runtime.settings.api_token
    if expected is None or not hmac.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    ):
        limiter.allow(source)  # spend one of the minute's wrong attempts
        runtime.metrics.sign_ins.labels("refused").inc()
        return _page("login.html", 401, error="That token is not right.", **kept)
    runtime.metrics.sign_ins.labels("ok").inc()
    session = new_session(runtime)
    response: Response
    if kept["replay"]:
        response = _page("replay.html", csrf=csrf_of(runtime, session), **kept)
    else:
        response = RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        session,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.public_base_url.startswith("https://"),
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, runtime: RuntimeDep, csrf: Annotated[str, Form()] = "") -> Response:
    """Sign out: the session's id is revoked in the store, so a copy of the cookie
    (another tab, a stolen one) is refused from now on, not only this browser's."""
    _check_post(request, runtime, csrf)
    parts = session_parts(request, runtime)
    if parts is not None:
        issued, sid = parts
        until = datetime.fromtimestamp(issued + SESSION_SECONDS, tz=UTC)
        runtime.store.revoke_session(sid, until)
        runtime.store.revoke_user_session(sid)  # a Google/Microsoft session's row too
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """The few assets of the pages (a fixed list: no path from the URL reaches the disk)."""
    if name not in _STATIC:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return FileResponse(
        STATIC_DIR / name,
        media_type=_STATIC[name],
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


# -- rules -----------------------------------------------------------------------------


def _rules_page(
    runtime: Runtime,
    session: str,
    text: str,
    *,
    problems: list[dict[str, Any]] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    name = runtime.rules_document
    problems = problems or []
    here = [p for p in problems if p["file"] == name]
    elsewhere = [p for p in problems if p["file"] != name]
    by_line: dict[int, list[str]] = {}
    for p in here:
        by_line.setdefault(int(p["line"]), []).append(f"column {p['column']}: {p['message']}")
    versions = runtime.rules_versions(VERSIONS_SHOWN)
    return _page(
        "rules.html",
        status_code,
        page="rules",
        csrf=_csrf(runtime, session),
        text=text,
        line_count=max(1, len(text.splitlines())),
        rules_file=name,
        problems=here,
        other_problems=elsewhere,
        by_line=by_line,
        notice=notice,
        versions=versions,
    )


@router.get("/rules", response_model=None)
def rules_page(request: Request, runtime: RuntimeDep, saved: int | None = None) -> Response:
    """The rules in force, editable; saved versions below."""
    session = _session(request, runtime)
    if session is None:
        return _to_login(request)
    notice = f"Saved and in force as version {saved}." if saved else None
    return _rules_page(runtime, session, runtime.rules_text, notice=notice)


def _problem_dicts(exc: RulesError) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "line": p.line, "column": p.column, "message": p.message}
        for p in exc.problems
    ]


@router.post("/rules")
def save_rules(
    request: Request,
    runtime: RuntimeDep,
    text: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Validate and save; an invalid edit comes back with every problem at its line."""
    session = check_post(request, runtime, csrf, {"text": text})
    text = text.replace("\r\n", "\n")  # browsers send textarea lines with CRLF
    try:
        version = update_rules(runtime, text)
    except RulesError as exc:
        return _rules_page(runtime, session, text, problems=_problem_dicts(exc), status_code=422)
    audit(request, runtime, "rules.save", "rules", f"version {version}")
    return RedirectResponse(f"/rules?saved={version}", status.HTTP_303_SEE_OTHER)


@router.post("/rules/versions/{version_id}/restore")
def restore_rules(
    request: Request, runtime: RuntimeDep, version_id: int, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Put a saved version back in force (validated again, like the API does)."""
    session = _check_post(request, runtime, csrf)
    try:
        runtime.restore_rules(version_id)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rules version {version_id}") from exc
    except RulesError as exc:
        saved = runtime.rules_version(version_id)
        text = saved.text if saved is not None else ""
        return _rules_page(runtime, session, text, problems=_problem_dicts(exc), status_code=422)
    audit(request, runtime, "rules.restore", "rules", f"version {version_id} back in force")
    return RedirectResponse(f"/rules?saved={version_id}", status.HTTP_303_SEE_OTHER)


__all__ = ["COOKIE", "SESSION_SECONDS", "has_session", "router"]
