"""``GET /audit``: the audit log, newest first, a page at a time; admins only.

A browser (Accept ranks HTML first) gets a page, anything else JSON. Admins are
an admin's session, the shared API token, or an admin's personal token (a read
token is enough: reading the log changes nothing). Paging is by id
(``before`` = the last id of the previous page), stable while entries arrive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from blocker.web.api_tokens import is_admin_request
from blocker.web.deps import RuntimeDep, _bearer, invalid, require_token
from blocker.web.error_pages import wants_html
from blocker.web.html import page
from blocker.web.sessions import csrf_of, is_admin_session, session_of, to_login

router = APIRouter(include_in_schema=False)

__all__ = ["PAGE_SIZE", "router"]

PAGE_SIZE = 50
ADMINS_ONLY = "only admins may read the audit log"


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise invalid(("query", "since"), "an ISO date or time", text) from exc
    if moment.tzinfo is None:
        raise invalid(("query", "since"), "give a UTC offset (e.g. 2026-12-01T00:00Z)", text)
    return moment


@router.get("/audit", response_model=None)
def audit(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
    since: str | None = None,
) -> Response:
    """Who changed rules, people, roles, invitations, domains and tokens, and when."""
    session = None
    if credentials is not None:
        require_token(request, runtime, credentials)
        if not is_admin_request(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
    else:
        session = session_of(request, runtime)
        if session is None:
            if wants_html(request):
                return to_login(request)
            require_token(request, runtime, None)  # the usual 401
        if not is_admin_session(request, runtime):
            raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
    entries = runtime.store.audit_entries(since=_since(since), before_id=before, limit=limit)
    more = entries[-1].id if len(entries) == limit else None
    if wants_html(request) and session is not None:
        query = {"before": more, "limit": limit, **({"since": since} if since else {})}
        return page(
            "audit.html",
            page="audit",
            csrf=csrf_of(runtime, session),
            entries=entries,
            older=f"/audit?{urlencode(query)}" if more is not None else None,
        )
    return JSONResponse(
        {
            "entries": [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                }
                for e in entries
            ],
            "next_before": more,
        },
        headers={"Cache-Control": "no-store"},
    )
