"""Prometheus exposition of the runtime's own registry.

Open by default (scrapers usually sit on a private network); with
``BLOCKER_METRICS_TOKEN`` set it wants ``Authorization: Bearer <that token>``,
a token of its own so a scraper never holds the API token. Open or not, it names
no member: their calendars are counted under ``calendar="member"`` (store keys
carry user ids; :mod:`blocker.metrics` says how the label stays bounded).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from blocker.web.deps import RuntimeDep, _bearer
from blocker.web.schemas import ErrorOut

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        401: {"model": ErrorOut, "description": "BLOCKER_METRICS_TOKEN is set and not given"},
    },
    # The token is optional: open unless BLOCKER_METRICS_TOKEN is set.
    openapi_extra={"security": [{}, {"HTTPBearer": []}]},
)
def metrics(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """Runs, ops by action, errors, provider requests, run latency, webhooks, sign-ins."""
    expected = runtime.settings.metrics_token
    if expected is not None:
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            return JSONResponse(
                {"detail": "missing or wrong metrics token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
    return Response(runtime.metrics.render(), media_type=runtime.metrics.content_type)
