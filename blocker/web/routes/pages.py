"""The browser pages: sign-in, the week dashboard, the rules editor, static assets.

The API wants a bearer token; a browser must never hold it in a page. Signing in
with the token once sets an HttpOnly, SameSite=Strict cookie signed with a key
derived from the token (so changing the token ends every session), and every form
carries a CSRF token derived from that cookie. The pages call the same code the
API routes call (``Runtime.preview``/``update_rules``/``restore_rules``, the sync
route function), so the browser and the API can never disagree.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from blocker.core.errors import BlockerError, RulesError
from blocker.core.weeks import shift_week, week_dates
from blocker.report import scorecard, scorecard_to_dict
from blocker.runtime import Preview, Runtime
from blocker.web.deps import RuntimeDep, get_calendar, get_week
from blocker.web.limits import RateLimiter, source_of
from blocker.web.pages import build_grid
from blocker.web.report_html import STATIC_DIR, jinja_env, scorecard_view
from blocker.web.routes.rules import update_rules
from blocker.web.routes.sync import post_sync
from blocker.web.schemas import OpOut, PlanOut, RunOut, SyncRequest

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

COOKIE = "blocker_session"
SESSION_SECONDS = 12 * 3600
VERSIONS_SHOWN = 10
"""Saved rules versions listed (with their text) on /rules; the API lists more."""
_STATIC = {"dashboard.css": "text/css", "scorecard.css": "text/css", "rules.js": "text/javascript"}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
_CONNECT = {"google": "/connect/google", "outlook": "/connect/microsoft"}
_STATUS_LABEL = {
    "connected": "connected",
    "needs_reconnect": "needs reconnect",
    "disconnected": "disconnected",
}

# -- session ---------------------------------------------------------------------------


def _key(runtime: Runtime) -> bytes:
    token = runtime.settings.api_token
    if token is None:  # create_app refuses to start without one
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no API token configured")
    return hmac.new(
        token.get_secret_value().encode(), b"csm-blocker dashboard session v1", hashlib.sha256
    ).digest()


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _new_session(runtime: Runtime) -> str:
    """``issued.id.mac``: when it was issued, a random id (what sign-out revokes), the MAC."""
    body = f"{int(runtime.now().timestamp())}.{secrets.token_urlsafe(18)}"
    return f"{body}.{_mac(_key(runtime), 'session:' + body)}"


def _session_parts(request: Request, runtime: Runtime) -> tuple[int, str] | None:
    """(issued, id) of a genuine, unexpired session cookie; None otherwise."""
    value = request.cookies.get(COOKIE, "")
    parts = value.split(".")
    if len(parts) != 3:
        return None
    issued, sid, mac = parts
    # bytes: compare_digest raises TypeError on non-ASCII str (a forged cookie = 500)
    if (
        not issued.isdigit()
        or not sid
        or not hmac.compare_digest(
            mac.encode(), _mac(_key(runtime), f"session:{issued}.{sid}").encode()
        )
    ):
        return None
    if not 0 <= runtime.now().timestamp() - int(issued) <= SESSION_SECONDS:
        return None
    return int(issued), sid


def _session(request: Request, runtime: Runtime) -> str | None:
    """The valid session cookie, or None (missing, forged, older than 12 hours, or
    signed out: sign-out revokes the session's id in the store)."""
    parts = _session_parts(request, runtime)
    if parts is None or runtime.store.session_revoked(parts[1]):
        return None
    return request.cookies.get(COOKIE)


def _csrf(runtime: Runtime, session: str) -> str:
    return _mac(_key(runtime), "csrf:" + session)


def _check_post(request: Request, runtime: Runtime, csrf: str) -> str:
    """A signed-in session whose form carries its CSRF token, else 403."""
    session = _session(request, runtime)
    if session is None or not hmac.compare_digest(csrf.encode(), _csrf(runtime, session).encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "sign in again: the form has expired")
    return session


def has_session(request: Request, runtime: Runtime) -> bool:
    """True when the browser is signed in to the dashboard (for routes shared with the API)."""
    return _session(request, runtime) is not None


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect would turn sign-in into a phishing aid."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _to_login(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status.HTTP_303_SEE_OTHER)


def _page(
    name: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    context.setdefault("csrf", None)
    context.setdefault("page", "")
    html = jinja_env().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers={**_HEADERS, **(headers or {})})


@router.get("/login")
def login_form(next: str = "/") -> HTMLResponse:
    return _page("login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Sign in with the API token. Wrong tokens are throttled per source address
    (``BLOCKER_LOGIN_ATTEMPTS_PER_MINUTE``): past the limit every attempt from there,
    right or wrong, is answered 429 without being checked until the minute refills."""
    limiter: RateLimiter = request.app.state.login_limiter
    source = source_of(request.client)
    if limiter.blocked(source):
        runtime.metrics.sign_ins.labels("throttled").inc()
        wait = limiter.retry_after(source)
        return _page(
            "login.html",
            429,
            headers={"Retry-After": str(wait)},
            next=_safe_next(next),
            error=f"Too many wrong tokens from here: try again in {wait} seconds.",
        )
    expected = runtime.settings.api_token
    if expected is None or not hmac.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    ):
        limiter.allow(source)  # spend one of the minute's wrong attempts
        runtime.metrics.sign_ins.labels("refused").inc()
        return _page("login.html", 401, next=_safe_next(next), error="That token is not right.")
    runtime.metrics.sign_ins.labels("ok").inc()
    response = RedirectResponse(_safe_next(next), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        _new_session(runtime),
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
    parts = _session_parts(request, runtime)
    if parts is not None:
        issued, sid = parts
        until = datetime.fromtimestamp(issued + SESSION_SECONDS, tz=UTC)
        runtime.store.revoke_session(sid, until)
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


# -- dashboard -------------------------------------------------------------------------


def _when(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    if start is None:
        return ""
    a = start.astimezone(tz)
    text = f"{a:%a %d %b %H:%M}"
    return f"{text}–{end.astimezone(tz):%H:%M}" if end is not None else text


def _op(op: OpOut, tz: ZoneInfo) -> dict[str, Any]:
    return {**op.model_dump(), "when": _when(op.start, op.end, tz)}


def _run(run: RunOut, tz: ZoneInfo) -> dict[str, Any]:
    counts = {a: sum(op.action == a for op in run.ops) for a in ("create", "update", "delete")}
    summary = ", ".join(f"{n} {a}d" for a, n in counts.items() if n) or "no changes"
    return {
        **run.model_dump(),
        "when": f"{run.started_at.astimezone(tz):%a %d %b %H:%M}",
        "summary": summary,
    }


def _connections(runtime: Runtime) -> list[dict[str, Any]]:
    stored = {c.calendar_id: c for c in runtime.store.list_connections()}
    rows = []
    for cal in runtime.rules.calendars:
        conn = stored.get(cal.id)
        state = conn.status if conn is not None else "disconnected"
        url = _CONNECT.get(cal.provider)
        rows.append(
            {
                "id": cal.id,
                "provider": cal.provider,
                "status": state,
                "status_label": _STATUS_LABEL.get(state, state),
                "reason": conn.status_reason if conn is not None else "",
                "connect_url": f"{url}?calendar={quote(cal.id)}" if url else None,
            }
        )
    return rows


def _moved(runtime: Runtime, calendar: str, week: str, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Moves made by real runs of this week, newest first, one line per block."""
    seen: set[str] = set()
    out = []
    for run in runtime.store.runs(calendar, 50):
        if run.week != week or run.dry_run:
            continue
        for op in run.ops:
            if op.action == "update" and op.key not in seen:
                seen.add(op.key)
                out.append(_op(OpOut.of(op), tz))
    return out[:20]


def _report(runtime: Runtime, calendar: str, week: str, result: Preview) -> dict[str, Any]:
    """The same dict ``GET /api/report`` serves (planned + ``actual``), from the preview
    already read; if the actual side cannot be read the plan is still shown."""
    try:
        return runtime.report(calendar, week, preview=result)
    except BlockerError as exc:
        log.warning("actual figures of %s not read: %s", calendar, exc.user_message())
        return scorecard_to_dict(scorecard(result.plan, result.spec))


def _dashboard(
    runtime: Runtime,
    session: str,
    week: str,
    calendar: str,
    *,
    preview: list[dict[str, Any]] | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    tz = ZoneInfo(runtime.rules.timezone)
    error = None
    try:
        result = runtime.preview(calendar, week)
    except BlockerError as exc:
        error = f"Could not read the calendar: {exc.user_message()}"
        result = None
    if result is not None:
        card = _report(runtime, calendar, week, result)
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
        grid = build_grid(week, result.plan, result.busy, result.spec.working, tz)
    else:
        sc = scorecard_view(week, {})
        grid = build_grid(week, None, (), (), tz)
    days = week_dates(week)
    return _page(
        "dashboard.html",
        page="dashboard",
        csrf=_csrf(runtime, session),
        week=week,
        prev_week=shift_week(week, -1),
        next_week=shift_week(week, 1),
        range_label=f"{days[0]:%d %b} – {days[-1]:%d %b %Y}",
        timezone=runtime.rules.timezone,
        calendar=calendar,
        calendars=runtime.calendar_ids(),
        grid=grid,
        sc=sc,
        error=error,
        notice=notice,
        preview=preview,
        moved=_moved(runtime, calendar, week, tz),
        connections=_connections(runtime),
        runs=[_run(RunOut.of(r), tz) for r in runtime.store.runs(None, 10)],
    )


@router.get("/", response_model=None)
def dashboard(
    request: Request,
    runtime: RuntimeDep,
    week: str | None = None,
    calendar: str | None = None,
    synced: int | None = None,
) -> Response:
    """The week as a grid beside its scorecard, connections and last runs."""
    session = _session(request, runtime)
    if session is None:
        return _to_login(request)
    wk = get_week(runtime, week)
    cal = get_calendar(runtime, calendar)
    notice = "Sync finished: see the newest run below." if synced else None
    return _dashboard(runtime, session, wk, cal, notice=notice)


@router.post("/sync")
def sync_now(
    request: Request,
    runtime: RuntimeDep,
    week: Annotated[str, Form()],
    calendar: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Run a real sync of every calendar for the week shown, then show the page again."""
    _check_post(request, runtime, csrf)
    post_sync(runtime, SyncRequest(week=week, dry_run=False))
    target = f"/?week={quote(week)}&calendar={quote(calendar)}&synced=1"
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
    session = _check_post(request, runtime, csrf)
    cal = get_calendar(runtime, calendar)
    answer = post_sync(runtime, SyncRequest(week=week, calendar=cal, dry_run=True))
    tz = ZoneInfo(runtime.rules.timezone)
    results = [
        {"calendar": r.calendar, "errors": r.errors, "ops": [_op(op, tz) for op in r.ops]}
        for r in answer.results
    ]
    return _dashboard(runtime, session, week, cal, preview=results)


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
    name = str(runtime.rules_path) if runtime.rules_path is not None else "rules.yaml"
    problems = problems or []
    here = [p for p in problems if p["file"] == name]
    elsewhere = [p for p in problems if p["file"] != name]
    by_line: dict[int, list[str]] = {}
    for p in here:
        by_line.setdefault(int(p["line"]), []).append(f"column {p['column']}: {p['message']}")
    versions = runtime.store.rules_versions(limit=VERSIONS_SHOWN)
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
    session = _check_post(request, runtime, csrf)
    text = text.replace("\r\n", "\n")  # browsers send textarea lines with CRLF
    try:
        version = update_rules(runtime, text)
    except RulesError as exc:
        return _rules_page(runtime, session, text, problems=_problem_dicts(exc), status_code=422)
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
        saved = runtime.store.get_rules_version(version_id)
        text = saved.text if saved is not None else ""
        return _rules_page(runtime, session, text, problems=_problem_dicts(exc), status_code=422)
    return RedirectResponse(f"/rules?saved={version_id}", status.HTTP_303_SEE_OTHER)


__all__ = ["COOKIE", "has_session", "router"]
