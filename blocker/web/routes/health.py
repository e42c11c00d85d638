"""Liveness and readiness probes (public: orchestrators call them without a token)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from blocker.core.errors import BlockerError
from blocker.web.deps import RuntimeDep, SchedulerDep
from blocker.web.schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process answers; says nothing about its dependencies."""
    return Health()


@router.get("/readyz", response_model=Ready, responses={503: {"model": Ready}})
def readyz(runtime: RuntimeDep, scheduler: SchedulerDep) -> Ready | JSONResponse:
    """Ready when the store answers a query (and so can record runs)."""
    try:
        runtime.store.current_rules()
        store = "ok"
    except BlockerError as exc:
        store = exc.user_message()
    ready = Ready(
        status="ready" if store == "ok" else "unavailable",
        store=store,
        scheduler="running" if scheduler is not None and scheduler.running else "stopped",
        rules_loaded=bool(runtime.rules_text),
    )
    if ready.status != "ready":
        return JSONResponse(ready.model_dump(), status_code=503)
    return ready
