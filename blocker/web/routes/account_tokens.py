"""The account page's personal API tokens: create (shown once), list, revoke.

A token belongs to a person, so only a session signed in with Google or Microsoft
makes one; a session signed in with the shared API token already holds the admin
credential. The new token's text is in the one response to the creating post and
never again (no redirect: it must not sit in a URL or the browser's history).
Each post is CSRF-checked like every dashboard form; a person revokes only their
own tokens (``blocker token revoke`` on the server revokes anyone's).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from blocker.auth.tokens import issue
from blocker.core.errors import InvalidInput
from blocker.runtime import Runtime
from blocker.store.teams import SessionUser
from blocker.web.account_view import account_page, signed_in_user
from blocker.web.api_tokens import actor_of
from blocker.web.deps import RuntimeDep
from blocker.web.sessions import check_post

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

__all__ = ["router"]


def _user_or_403(request: Request, runtime: Runtime) -> SessionUser:
    who = signed_in_user(request, runtime)
    if who is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "personal tokens belong to people signed in with Google or Microsoft",
        )
    return who


@router.post("/account/tokens")
def create_token(
    request: Request,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "read",
    days: Annotated[str, Form()] = "90",
) -> Response:
    """Make a token for the signed-in person; its text is shown on this page only."""
    session = check_post(request, runtime, csrf)
    who = _user_or_403(request, runtime)
    try:
        length = int(days) if days.strip() else None
        made = issue(
            runtime.store, who.user.id, scope=scope, name=name, days=length, now=runtime.now()
        )
    except (ValueError, InvalidInput) as exc:
        message = exc.user_message() if isinstance(exc, InvalidInput) else "days: a whole number"
        return account_page(request, runtime, session, error=message, status_code=422)
    record = made.record
    runtime.store.record_audit(
        actor_of(request, runtime),
        "token.create",
        f"token {record.prefix} of {record.owner}",
        f"scope {record.scope}, "
        + (f"expires {record.expires_at:%Y-%m-%d}" if record.expires_at else "never expires"),
    )
    log.info("API token %s created for %s", record.prefix, record.owner)
    return account_page(request, runtime, session, new_token=made.text)


@router.post("/account/tokens/revoke")
def revoke_token(
    request: Request,
    runtime: RuntimeDep,
    csrf: Annotated[str, Form()] = "",
    token_id: Annotated[str, Form()] = "",
) -> Response:
    """Revoke one of the signed-in person's tokens (someone else's: 404)."""
    check_post(request, runtime, csrf)
    who = _user_or_403(request, runtime)
    record = (
        runtime.store.revoke_api_token(int(token_id), who.user.id) if token_id.isdigit() else None
    )
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such token of yours")
    runtime.store.record_audit(
        actor_of(request, runtime), "token.revoke", f"token {record.prefix} of {record.owner}"
    )
    return RedirectResponse("/account", status.HTTP_303_SEE_OTHER)
