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
from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from blocker.errors import (
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
from blocker.web.routes import connect as connect_routes
from blocker.web.routes import health, metrics, pages, plan, rules, sync, webhooks

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
    return JSONResponse({"detail": exc.user_message()}, status_code=_status_for(exc))


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
    )
    app.state.runtime = runtime
    app.state.scheduler = scheduler
    app.add_exception_handler(BlockerError, _blocker_error)
    app.include_router(health.router)
    app.include_router(metrics.router)
    protected = [Depends(require_token)]
    app.include_router(rules.router, dependencies=protected)
    app.include_router(plan.router, dependencies=protected)
    app.include_router(sync.router, dependencies=protected)
    app.include_router(webhooks.router)  # public: each call verifies its channel secret
    app.include_router(pages.router)  # browser pages: signed session cookie, CSRF forms
    app.include_router(connect_routes.router)  # each route guards itself (token or OAuth state)
    return app


__all__ = ["create_app"]
