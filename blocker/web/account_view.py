"""The account page: who is signed in, their browsers, their personal API tokens.

Shared by the sign-in routes (``GET /account``) and the token forms (which answer
with the page itself, so a new token is shown once and never sits in a URL).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from blocker.auth.tokens import MAX_DAYS
from blocker.runtime import Runtime
from blocker.store.teams import SessionUser
from blocker.web.html import page
from blocker.web.sessions import USER_SESSION_MARK, csrf_of, session_parts

__all__ = ["account_page", "signed_in_user"]


def signed_in_user(request: Request, runtime: Runtime) -> SessionUser | None:
    """The person of a Google/Microsoft session; None for an API-token session."""
    parts = session_parts(request, runtime)
    if parts is None or not parts[1].startswith(USER_SESSION_MARK):
        return None
    return runtime.store.user_session(parts[1])


def account_page(
    request: Request,
    runtime: Runtime,
    session: str,
    *,
    new_token: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """Who this browser is signed in as, their sessions and their API tokens."""
    who = signed_in_user(request, runtime)
    live = runtime.store.user_session_count(who.user.id) if who is not None else 0
    tokens = runtime.store.api_tokens(who.user.id) if who is not None else []
    now = runtime.now()
    return page(
        "account.html",
        status_code,
        page="account",
        admin_nav=who is None or who.user.role == "admin",
        csrf=csrf_of(runtime, session),
        who=who,
        live=live,
        tokens=[(t, t.state(now)) for t in tokens],
        new_token=new_token,
        token_error=error,
        max_days=MAX_DAYS,
    )
