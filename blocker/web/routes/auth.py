"""Sign in with Google or Microsoft, the account page, and "sign out everywhere".

``/auth/{provider}/start`` sends the browser to the identity provider and binds the
sign-in to this browser with a short-lived ``SameSite=Lax`` cookie holding its
``state`` (Lax: the provider's redirect back is a cross-site navigation, which a
Strict cookie would not survive). ``/auth/{provider}/callback`` wants that cookie,
verifies the answer (:mod:`blocker.auth.oidc`), asks the store whether the address
may come in (:func:`blocker.auth.signin.admit`) and opens a server-side session.

The session cookie is the dashboard's usual signed, ``SameSite=Strict`` cookie
(:mod:`blocker.web.sessions`) whose id is also recorded in the store, so it can be
revoked. The callback answers with a short page that moves on to the dashboard
itself: a navigation that began at the provider (another site) would not carry the
Strict cookie to the dashboard, a same-site refresh does.

Calendar access in the same consent (Google or Microsoft, when the calendar uses the
sign-in's OAuth client or Entra app: :func:`blocker.auth.signin.calendar_scopes`):
``?calendar=1`` asks for it, ``?calendar=0`` does not, and by default it is asked
unless this browser already connected a calendar by signing in with that provider (a
long-lived ``blocker_calendar`` cookie, nothing secret in it), so signing in again
does not mean consenting again. The callback
then stores the grant as the user's calendar connection and plans their week
(:mod:`blocker.calendar_grant`).

Refused sign-ins spend the source address's wrong-attempt allowance
(``BLOCKER_LOGIN_ATTEMPTS_PER_MINUTE``, shared with the token form); starts are
limited separately (``START_PER_MINUTE``) so nobody fills the table of sign-ins in
flight.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import RedirectResponse, Response

from blocker.auth.oidc import IdentityRefused
from blocker.auth.signin import PENDING_SECONDS, NotAllowed, SignInService, admit
from blocker.calendar_grant import connect_from_signin
from blocker.runtime import Runtime
from blocker.web.account_view import account_page
from blocker.web.deps import RuntimeDep
from blocker.web.html import page
from blocker.web.limits import RateLimiter, source_of
from blocker.web.services import connector_of
from blocker.web.sessions import (
    COOKIE,
    SESSION_SECONDS,
    USER_SESSION_MARK,
    check_post,
    new_session,
    safe_next,
    session_of,
    session_parts,
    session_user,
    to_login,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

BINDING_COOKIE = "blocker_signin"
CALENDAR_COOKIE = "blocker_calendar"
CALENDAR_COOKIE_SECONDS = 400 * 24 * 3600
START_PER_MINUTE = 30

__all__ = ["BINDING_COOKIE", "CALENDAR_COOKIE", "START_PER_MINUTE", "router"]


def _service(request: Request) -> SignInService:
    service: SignInService = request.app.state.signin
    return service


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.public_base_url.startswith("https://")


def _throttled(limiter: RateLimiter, source: str, runtime: Runtime) -> Response:
    runtime.metrics.sign_ins.labels("throttled").inc()
    wait = limiter.retry_after(source)
    return page(
        "signin_refused.html",
        429,
        headers={"Retry-After": str(wait)},
        message=f"Too many sign-in attempts from here: try again in {wait} seconds.",
    )


def _asks_calendar(request: Request, provider: str, calendar: str) -> bool:
    if not _service(request).offers_calendar(provider):
        return False
    if calendar in ("0", "1"):
        return calendar == "1"
    return provider not in request.cookies.get(CALENDAR_COOKIE, "").split(",")


def _someone_else(request: Request, runtime: Runtime, email: str) -> Response | None:
    """A browser signed in as one person that comes back from the provider as another
    (the welcome page's "Connect my Outlook calendar" with a different Microsoft
    account, say) is refused, and nothing changes: no user is added, no calendar is
    connected, the session stays whose it was. Switching accounts is sign out first."""
    current = session_user(request, runtime)
    if current is None:
        return None
    known = runtime.store.team_user(email)
    if known is not None and known.id == current.user.id:
        return None
    runtime.metrics.sign_ins.labels("refused").inc()
    log.info("sign-in refused: the browser is signed in as another user")
    return page(
        "signin_refused.html",
        status.HTTP_409_CONFLICT,
        message=(
            f"You are signed in as {current.label}, and the account you chose is {email}. "
            "Nothing was changed. To connect a calendar, choose the account you signed "
            "in with; to use the other account, sign out first."
        ),
    )


@router.get("/auth/{provider}/start")
def start(
    request: Request, runtime: RuntimeDep, provider: str, next: str = "/", calendar: str = ""
) -> Response:
    source = source_of(request.client)
    starts: RateLimiter = request.app.state.signin_start_limiter
    wrong: RateLimiter = request.app.state.login_limiter
    if wrong.blocked(source):
        return _throttled(wrong, source, runtime)
    if not starts.allow(source):
        return _throttled(starts, source, runtime)
    try:
        asks = _asks_calendar(request, provider, calendar)
        url, state = _service(request).start(provider, safe_next(next), calendar=asks)
    except IdentityRefused as exc:
        return page("signin_refused.html", 400, message=exc.user_message())
    response = RedirectResponse(url, status.HTTP_302_FOUND)
    response.set_cookie(
        BINDING_COOKIE,
        state,
        max_age=PENDING_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(runtime),
        path="/auth/",
    )
    return response


@router.get("/auth/{provider}/callback")
def callback(
    request: Request,
    runtime: RuntimeDep,
    provider: str,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    """The provider sends the browser back here; sign in, or say plainly why not."""
    source = source_of(request.client)
    limiter: RateLimiter = request.app.state.login_limiter
    if limiter.blocked(source):
        return _throttled(limiter, source, runtime)
    service = _service(request)
    try:
        if error:
            raise IdentityRefused(f"The identity provider did not sign you in ({error[:60]}).")
        bound = request.cookies.get(BINDING_COOKIE, "")
        if not (state and code and hmac.compare_digest(bound.encode(), state.encode())):
            raise IdentityRefused(
                "This sign-in did not start in this browser, or it has expired: start again."
            )
        identity, next_path = service.finish(provider, state, code)
        other = _someone_else(request, runtime, identity.email)
        if other is not None:
            return other
        user = admit(runtime.store, identity)
    except IdentityRefused as exc:
        limiter.allow(source)  # spend one of the minute's wrong attempts
        runtime.metrics.sign_ins.labels("refused").inc()
        # the address stays out of the log (the refusal page shows it to its owner only)
        reason = "not allowed or disabled" if isinstance(exc, NotAllowed) else str(exc)
        log.info("sign-in with %s refused: %s", provider, reason)
        code_out = status.HTTP_403_FORBIDDEN if isinstance(exc, NotAllowed) else 400
        return page("signin_refused.html", code_out, message=str(exc))
    session_id = USER_SESSION_MARK + secrets.token_urlsafe(24)
    cookie = new_session(runtime, session_id)
    issued = int(cookie.split(".", 1)[0])
    expires = datetime.fromtimestamp(issued + SESSION_SECONDS, tz=UTC)
    runtime.store.open_user_session(session_id, user.id, provider, identity.email, expires)
    runtime.metrics.sign_ins.labels("ok").inc()
    granted = None
    if identity.grant:
        base: Runtime = request.app.state.runtime
        granted = connect_from_signin(
            base, connector_of(request), user, identity.email, provider, identity.grant
        )
    response = page("signed_in.html", next=next_path, who=identity.email)
    if granted is not None:
        known = {p for p in request.cookies.get(CALENDAR_COOKIE, "").split(",") if p}
        response.set_cookie(
            CALENDAR_COOKIE,
            ",".join(sorted(known | {provider})),
            max_age=CALENDAR_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=_secure(runtime),
            path="/auth/",
        )
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=_secure(runtime),
        path="/",
    )
    response.delete_cookie(BINDING_COOKIE, path="/auth/")
    return response


@router.get("/account")
def account(request: Request, runtime: RuntimeDep) -> Response:
    """Who this browser is signed in as, "sign out everywhere", personal API tokens."""
    session = session_of(request, runtime)
    if session is None:
        return to_login(request)
    return account_page(request, runtime, session)


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere(
    request: Request, runtime: RuntimeDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    """End every session of this user (other browsers too), then this one."""
    check_post(request, runtime, csrf)
    parts = session_parts(request, runtime)
    if parts is not None:
        issued, sid = parts
        if sid.startswith(USER_SESSION_MARK):
            who = runtime.store.user_session(sid)
            if who is not None:
                ended = runtime.store.revoke_user_sessions(who.user.id)
                log.info("user %s signed out everywhere (%d sessions)", who.user.fingerprint, ended)
                runtime.store.record_audit(
                    f"user {who.user.fingerprint} at {who.user.domain}",
                    "session.sign_out_everywhere",
                    f"user {who.user.fingerprint} at {who.user.domain}",
                    f"{ended} session(s) ended",
                )
        until = datetime.fromtimestamp(issued, tz=UTC) + timedelta(seconds=SESSION_SECONDS)
        runtime.store.revoke_session(sid, until)
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/")
    return response
