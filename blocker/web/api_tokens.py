"""Personal API tokens at the API's door, and who an audit entry says acted.

:func:`authorize_personal` is what :func:`blocker.web.deps.require_token` calls for
a bearer that is not the shared API token. A token acts as its user with their
role, within its scope:

* ``read``: safe methods only (GET, HEAD);
* ``write``: also POST and PUT, but today every write changes what the whole team
  shares (rules, syncs, calendars), which only admins may (slice 1's roles), so a
  member's or lead's write token is refused those like their browser is. Starting
  to connect a calendar is a GET that counts as a write for the same reason.

Wrong tokens, personal or shared, spend the source address's allowance of
``BLOCKER_LOGIN_ATTEMPTS_PER_MINUTE`` (their own bucket, not the sign-in form's);
when it is spent, every bearer from there gets 429 until it refills
(:func:`blocker.web.deps.require_token` says why). Logs show a
token's public prefix at most.
"""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request, status

from blocker.auth.tokens import check, redacted
from blocker.runtime import Runtime
from blocker.web.limits import RateLimiter, source_of
from blocker.web.sessions import USER_SESSION_MARK, session_parts

__all__ = [
    "ADMIN_ONLY_GETS",
    "SHARED_TOKEN_ACTOR",
    "actor_of",
    "authorize_personal",
    "is_admin_request",
    "mark_shared_token",
    "refuse_if_throttled",
    "token_limiter",
]

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD"})
ADMIN_ONLY_GETS = ("/connect/",)
"""GETs that start changing what the team shares (a calendar connection)."""
SHARED_TOKEN_ACTOR = "api token"

_REFUSED = {
    "revoked": "this token has been revoked",
    "expired": "this token has expired",
    "disabled": "this token's user has been disabled",
}


def token_limiter(request: Request) -> RateLimiter:
    """The wrong-bearer-token bucket per source (shared and personal tokens alike)."""
    limiter: RateLimiter = request.app.state.api_token_limiter
    return limiter


def refuse_if_throttled(request: Request) -> None:
    """429 with ``Retry-After`` while the source has spent its wrong-token allowance."""
    limiter, source = token_limiter(request), source_of(request.client)
    if limiter.blocked(source):
        wait = limiter.retry_after(source)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many wrong tokens from here: try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def mark_shared_token(request: Request) -> None:
    """The call came with the shared API token: admin, named "api token" in the log."""
    request.state.api_actor = SHARED_TOKEN_ACTOR
    request.state.api_admin = True


def authorize_personal(request: Request, runtime: Runtime, given: str) -> None:
    """Let the call through as the token's user, or raise 401 / 403 / 429."""
    refuse_if_throttled(request)
    limiter, source = token_limiter(request), source_of(request.client)
    checked = check(runtime.store, given, runtime.now())
    record = checked.record
    if record is None:
        limiter.allow(source)  # spend one of the minute's wrong attempts
        log.info("API token refused (%s): %s", checked.refusal, redacted(given))
        raise _unauthorized(_REFUSED.get(checked.refusal or "", "missing or wrong bearer token"))
    path = request.url.path
    writes = request.method not in SAFE_METHODS or path.startswith(ADMIN_ONLY_GETS)
    if writes and record.scope == "read":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token is read-only")
    if writes and record.user_role != "admin":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only an admin can change the shared rules, calendars or syncs for now",
        )
    request.state.api_actor = f"{record.owner} (token {record.prefix})"
    request.state.api_admin = record.user_role == "admin"


def actor_of(request: Request, runtime: Runtime) -> str:
    """Who is acting, for the audit log: a user (fingerprint at domain), or the API token
    (its bearer, or a dashboard session signed in with it)."""
    actor: str | None = getattr(request.state, "api_actor", None)
    if actor is not None:
        return actor
    parts = session_parts(request, runtime)
    if parts is not None and parts[1].startswith(USER_SESSION_MARK):
        who = runtime.store.user_session(parts[1])
        if who is not None:
            return f"user {who.user.fingerprint} at {who.user.domain}"
    return SHARED_TOKEN_ACTOR


def is_admin_request(request: Request) -> bool:
    """After :func:`blocker.web.deps.require_token`: does the bearer act as an admin?"""
    return bool(getattr(request.state, "api_admin", False))
