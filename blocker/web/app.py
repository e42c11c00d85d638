"""The FastAPI app factory: one runtime, one scheduler, the routes, error mapping.

``create_app`` opens the store and loads the rules right away, so a bad setting
or rules file fails before the server binds a port; the lifespan starts the
scheduler and, on shutdown, waits for runs in flight (``shutdown(wait=True)``)
before closing the store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from blocker.auth.signin import SignInService
from blocker.core.errors import (
    BlockerError,
    ProviderError,
    ReconnectRequired,
    RulesError,
    SettingsError,
    StoreError,
    TransientError,
)
from blocker.runtime import Clock, Runtime
from blocker.scheduler import BlockerScheduler
from blocker.settings import Settings, env_name
from blocker.web.deps import require_token
from blocker.web.error_pages import install_error_pages
from blocker.web.limits import BodyLimit, RateLimiter
from blocker.web.routes import (
    account_tokens,
    audit,
    dashboard,
    docs,
    health,
    metrics,
    pages,
    plan,
    rules,
    scorecard,
    sync,
    webhooks,
)
from blocker.web.routes import admin as admin_routes
from blocker.web.routes import admin_api as admin_api_routes
from blocker.web.routes import admin_teams as admin_team_routes
from blocker.web.routes import auth as auth_routes
from blocker.web.routes import connect as connect_routes
from blocker.web.routes import forms as form_routes
from blocker.web.routes import grid as grid_routes
from blocker.web.routes import team as team_routes
from blocker.web.schemas import ErrorOut
from blocker.web.team_nav import TeamNav

if TYPE_CHECKING:
    from blocker.distributed.enqueue import ProcrastinateEnqueuer

log = logging.getLogger("blocker.web")


def _status_for(exc: BlockerError) -> int:
    if isinstance(exc, RulesError):
        return 422
    if isinstance(exc, ReconnectRequired):
        return 409
    if isinstance(exc, TransientError):
        return 503
    if isinstance(exc, ProviderError):
        return 502
    if isinstance(exc, StoreError):
        return 503
    return 400


async def _blocker_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BlockerError)
    if isinstance(exc, RulesError):  # a 422 has one shape everywhere: a list of errors
        detail = [
            {"type": "rules", "loc": [p.file, p.line, p.column], "msg": p.message}
            for p in exc.problems
        ] or [{"type": "rules", "loc": [], "msg": exc.user_message()}]
        return JSONResponse({"detail": detail}, status_code=422)
    return JSONResponse({"detail": exc.user_message()}, status_code=_status_for(exc))


_MAX_ECHO = 200
"""Characters of a refused input echoed back in a 422 (a 1 MB body is not repeated)."""


def _echo(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value if len(value) <= _MAX_ECHO else value[:_MAX_ECHO] + "…"
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return _echo(repr(value))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 shape, but safe for any input: bytes that are not UTF-8 (FastAPI's
    own handler fails on them with a 500) and long inputs, shortened."""
    assert isinstance(exc, RequestValidationError)
    detail = []
    for error in exc.errors():
        item: dict[str, Any] = {
            "type": str(error.get("type", "value_error")),
            "loc": [p if isinstance(p, int) else _echo(str(p)) for p in error.get("loc", ())],
            "msg": _echo(str(error.get("msg", ""))),
        }
        if "input" in error:
            item["input"] = _echo(error["input"])
        detail.append(item)
    return JSONResponse({"detail": detail}, status_code=422)


def _declared(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "the body is not readable JSON",
        401: "missing or wrong bearer token (or a revoked or expired personal token)",
        403: "a personal token's scope or its user's role does not allow this",
        404: "unknown calendar",
        409: "the calendar needs reconnecting",
        413: "body larger than BLOCKER_API_MAX_BODY_BYTES",
        429: "too many wrong personal tokens from this address: see Retry-After",
        502: "the calendar provider failed",
        503: "the store or the provider is unavailable: try again",
    }
    return {code: {"model": ErrorOut, "description": text[code]} for code in codes}


def create_app(
    settings: Settings, *, clock: Clock | None = None, start_scheduler: bool = True
) -> FastAPI:
    """Build the app for ``settings`` (rules from ``settings.rules_path`` or the store)."""
    if settings.api_token is None:
        raise SettingsError(f"{env_name('api_token')} is required to serve the API")
    runtime = Runtime.open(settings, settings.rules_path, clock=clock)
    scheduler: BlockerScheduler | ProcrastinateEnqueuer | None = None
    if settings.jobs_backend == "procrastinate":
        # DESIGN.md section 7: jobs run in `blocker worker` processes; this process
        # only answers HTTP and defers jobs (webhook debounce, rules changes).
        from blocker.distributed.enqueue import ProcrastinateEnqueuer
        from blocker.distributed.worker import require_procrastinate

        try:
            require_procrastinate(settings)
        except BaseException:
            runtime.close()
            raise
        scheduler = ProcrastinateEnqueuer(runtime) if start_scheduler else None
    elif start_scheduler:
        scheduler = BlockerScheduler(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=True)
            runtime.close()

    app = FastAPI(
        title="csm-blocker",
        version="0.1.0",
        summary="Turns a CSM's time-allocation rules into calendar blocks, and defends them.",
        lifespan=lifespan,
        # Our own /docs (no CDN scripts) and /openapi.json, both behind sign-in.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    app.state.scheduler = scheduler
    app.state.webhook_limiter = RateLimiter(settings.webhook_rate_per_minute, runtime.now)
    app.state.login_limiter = RateLimiter(settings.login_attempts_per_minute, runtime.now)
    # wrong personal API tokens: same allowance, own bucket (blocker.web.api_tokens)
    app.state.api_token_limiter = RateLimiter(settings.login_attempts_per_minute, runtime.now)
    app.state.signin = SignInService(settings, runtime.now)  # Google/Microsoft sign-in
    app.state.signin_start_limiter = RateLimiter(auth_routes.START_PER_MINUTE, runtime.now)
    app.add_middleware(
        BodyLimit,
        api_limit=settings.api_max_body_bytes,
        webhook_limit=settings.webhook_max_body_bytes,
    )
    app.add_middleware(TeamNav)  # the nav's team link: lead or member (read lazily)
    # JSON for API clients, pages for browsers (content negotiation on Accept)
    install_error_pages(
        app, json_validation=_validation_error, json_blocker=_blocker_error, status_of=_status_for
    )
    app.include_router(health.router)
    app.include_router(metrics.router)
    protected = [Depends(require_token)]
    errors = _declared(401, 403, 429, 503)
    app.include_router(rules.router, dependencies=protected, responses={**errors, **_declared(413)})
    app.include_router(
        plan.router, dependencies=protected, responses={**errors, **_declared(404, 409, 502)}
    )
    app.include_router(
        sync.router, dependencies=protected, responses={**errors, **_declared(400, 413)}
    )
    app.include_router(webhooks.router)  # public: each call verifies its channel secret
    app.include_router(pages.router)  # browser pages: signed session cookie, CSRF forms
    app.include_router(dashboard.router)  # the week page (same sessions)
    app.include_router(grid_routes.router)  # the grid's move/dismiss/undo forms (same)
    app.include_router(form_routes.router)  # rule settings: draft, preview, apply (same)
    app.include_router(scorecard.router)  # report downloads and the 8-week trend
    app.include_router(connect_routes.router)  # each route guards itself (token or OAuth state)
    app.include_router(docs.router)  # /docs and /openapi.json: token or session
    app.include_router(auth_routes.router)  # Google/Microsoft sign-in, account page
    app.include_router(account_tokens.router)  # personal API tokens on the account page
    app.include_router(audit.router)  # the audit log: admins (session or token)
    app.include_router(team_routes.router)  # the lead's view: leads/admins; /team/me: anyone
    app.include_router(admin_routes.router)  # people, roles, invitations, domains: admins
    app.include_router(admin_team_routes.router)  # named teams, their leads and members: admins
    # the same changes as JSON: the API token or an admin's token (each route checks)
    app.include_router(admin_api_routes.router, responses={**errors, **_declared(413)})
    return app


__all__ = ["create_app"]
