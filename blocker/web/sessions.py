"""Dashboard sessions: a signed cookie instead of the API token, and CSRF tokens.

The API wants a bearer token; a browser must never hold it in a page. Signing in
with the token once sets an HttpOnly, SameSite=Strict cookie signed with a key
derived from the token (so changing the token ends every session), and every form
carries a CSRF token derived from that cookie. A form posted after the session
ended is not lost: :class:`SessionExpired` carries its fields to the sign-in page,
which offers to send them again once signed in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

from fastapi import HTTPException, Request, status
from fastapi.responses import RedirectResponse

from blocker.members import MemberRuntime
from blocker.runtime import Runtime
from blocker.store.teams import SessionUser

__all__ = [
    "COOKIE",
    "FORM_EXPIRED",
    "REPLAYABLE",
    "SESSION_SECONDS",
    "USER_SESSION_MARK",
    "SessionExpired",
    "check_post",
    "csrf_of",
    "has_session",
    "is_admin_session",
    "new_session",
    "safe_next",
    "session_of",
    "session_parts",
    "session_user",
    "to_login",
]

COOKIE = "blocker_session"
SESSION_SECONDS = 12 * 3600
REPLAYABLE = {"/sync": "Sync now", "/preview": "Preview changes", "/rules": "Save the rules"}
"""Posts the sign-in page may offer to send again, with the button's words."""


class SessionExpired(Exception):
    """A form posted without a live session: sign in, then send ``fields`` to ``action``."""

    def __init__(self, action: str, fields: dict[str, str]) -> None:
        super().__init__(action)
        self.action = action
        self.fields = fields


FORM_EXPIRED = "sign in again: the form has expired"
"""A live session posting with a wrong CSRF token (a stale page or a forged post)."""


def _key(runtime: Runtime) -> bytes:
    token = runtime.settings.api_token
    if token is None:  # create_app refuses to start without one
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no API token configured")
    return hmac.new(
        token.get_secret_value().encode(), b"csm-blocker dashboard session v1", hashlib.sha256
    ).digest()


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


USER_SESSION_MARK = "u~"
"""Starts the id of a session signed in with Google or Microsoft (``~`` is never in a
token session's id): such a session must also be live in the store's user sessions."""


def new_session(runtime: Runtime, session_id: str | None = None) -> str:
    """``issued.id.mac``: when it was issued, a random id (what sign-out revokes), the MAC."""
    body = f"{int(runtime.now().timestamp())}.{session_id or secrets.token_urlsafe(18)}"
    return f"{body}.{_mac(_key(runtime), 'session:' + body)}"


def session_parts(request: Request, runtime: Runtime) -> tuple[int, str] | None:
    """(issued, id) of a genuine, unexpired session cookie; None otherwise."""
    value = request.cookies.get(COOKIE, "")
    parts = value.split(".")
    if len(parts) != 3:
        return None
    issued, sid, mac = parts
    # bytes: compare_digest raises TypeError on non-ASCII str (a forged cookie = 500)
    if (
        not issued.isdigit()
        or not sid
        or not hmac.compare_digest(
            mac.encode(), _mac(_key(runtime), f"session:{issued}.{sid}").encode()
        )
    ):
        return None
    if not 0 <= runtime.now().timestamp() - int(issued) <= SESSION_SECONDS:
        return None
    return int(issued), sid


def session_of(request: Request, runtime: Runtime) -> str | None:
    """The valid session cookie, or None (missing, forged, older than 12 hours, or
    signed out: sign-out revokes the session's id in the store)."""
    parts = session_parts(request, runtime)
    if parts is None or runtime.store.session_revoked(parts[1]):
        return None
    if parts[1].startswith(USER_SESSION_MARK) and runtime.store.user_session(parts[1]) is None:
        return None  # signed out everywhere, user disabled, or session expired
    return request.cookies.get(COOKIE)


def csrf_of(runtime: Runtime, session: str) -> str:
    return _mac(_key(runtime), "csrf:" + session)


def check_post(
    request: Request, runtime: Runtime, csrf: str, fields: dict[str, str] | None = None
) -> str:
    """A signed-in session whose form carries its CSRF token.

    No live session (expired, signed out): :class:`SessionExpired` with the form's
    ``fields``, so the user signs in and can send them again. A live session with a
    wrong CSRF token: 403 (a forged post, nothing to offer again).
    """
    session = session_of(request, runtime)
    if session is None:
        raise SessionExpired(request.url.path, dict(fields or {}))
    if not hmac.compare_digest(csrf.encode(), csrf_of(runtime, session).encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, FORM_EXPIRED)
    if (
        request.url.path not in ANY_ROLE_POSTS
        and not acts_on_own_scope(runtime)
        and not is_admin_session(request, runtime)
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "only an admin can change the shared rules, calendars or syncs for now",
        )
    return session


ANY_ROLE_POSTS = frozenset(
    {"/logout", "/account/sign-out-everywhere", "/account/tokens", "/account/tokens/revoke"}
)
"""Posts every signed-in role may send; the rest change what the whole team shares."""


def is_admin_session(request: Request, runtime: Runtime) -> bool:
    """The API token's sessions are admin; a Google/Microsoft one is when its user is."""
    parts = session_parts(request, runtime)
    if parts is None:
        return False
    if not parts[1].startswith(USER_SESSION_MARK):
        return True
    who = runtime.store.user_session(parts[1])
    return who is not None and who.user.role == "admin"


def acts_on_own_scope(runtime: Runtime) -> bool:
    """A member acting through their own scope changes only their own rules and
    calendars (:mod:`blocker.members`); the template owner's are the team's."""
    return isinstance(runtime, MemberRuntime) and not runtime.owner


def session_user(request: Request, runtime: Runtime) -> SessionUser | None:
    """Who a Google/Microsoft session belongs to (None: no session, or the token's)."""
    parts = session_parts(request, runtime)
    if parts is None or not parts[1].startswith(USER_SESSION_MARK):
        return None
    if runtime.store.session_revoked(parts[1]):
        return None
    who: SessionUser | None = runtime.store.user_session(parts[1])
    return who


def has_session(request: Request, runtime: Runtime) -> bool:
    """True when the browser is signed in to the dashboard (for routes shared with the API)."""
    return session_of(request, runtime) is not None


def safe_next(target: str) -> str:
    """Only same-site paths: an open redirect would turn sign-in into a phishing aid."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def to_login(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status.HTTP_303_SEE_OTHER)
