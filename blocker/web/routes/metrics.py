"""Prometheus exposition of the runtime's own registry."""

from __future__ import annotations

from fastapi import APIRouter, Response

from blocker.web.deps import RuntimeDep

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(runtime: RuntimeDep) -> Response:
    """Runs, ops by action, errors, provider requests and run latency."""
    return Response(runtime.metrics.render(), media_type=runtime.metrics.content_type)
