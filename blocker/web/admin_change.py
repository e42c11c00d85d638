"""One guard for every form an admin posts (People and Teams pages).

Both pages change things the whole deployment shares, so their posts answer the
same way: a signed-in member or lead gets 403 before anything is looked up (a
user id or team name they send tells them nothing), then the session and its CSRF
token are checked (:func:`blocker.web.sessions.check_post`), the change runs with
the admin named as its actor (the store writes the audit entry in the change's own
transaction), and the browser goes back to the page. A refused change answers the
page itself with the reason, so what was typed is not lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from blocker.core.errors import InvalidInput
from blocker.runtime import Runtime
from blocker.web.api_tokens import actor_of
from blocker.web.sessions import check_post, is_admin_session, session_of

__all__ = ["FORM_ANSWERS", "AdminForms", "RefusedPage", "admin_runtime"]

Act = Callable[[Runtime, str], object]
"""The change itself: the deployment's runtime and the actor's name for the audit log."""


class RefusedPage(Protocol):
    """What answers a refused change: the page, its error and what was typed."""

    def __call__(
        self,
        runtime: Runtime,
        request: Request,
        session: str,
        *,
        error: str,
        form: dict[str, str],
        status_code: int,
    ) -> Response: ...


def admin_runtime(request: Request) -> Runtime:
    """The deployment's runtime, not the admin's own scope: people and teams are shared."""
    runtime: Runtime = request.app.state.runtime
    return runtime


@dataclass(frozen=True, slots=True)
class AdminForms:
    """The forms of one admin page: where they go back to, who may post, and which
    refusals are 404 (unknown) or 409 (conflict) rather than 422 (bad input)."""

    home: str
    forbidden: str
    refused_page: RefusedPage
    not_found: tuple[type[Exception], ...] = ()
    conflict: tuple[type[Exception], ...] = ()

    def change(self, request: Request, csrf: str, fields: dict[str, str], act: Act) -> Response:
        """Check the post is an admin's, run ``act`` with the actor's name, then back to
        the page (303); a refused change answers the page with the reason."""
        runtime = admin_runtime(request)
        if session_of(request, runtime) is not None and not is_admin_session(request, runtime):
            raise HTTPException(status.HTTP_403_FORBIDDEN, self.forbidden)
        session = check_post(request, runtime, csrf, fields)
        try:
            act(runtime, actor_of(request, runtime))
        except (InvalidInput, ValueError) as exc:  # ValueError: a malformed address
            message = exc.user_message() if isinstance(exc, InvalidInput) else str(exc)
            return self.refused_page(
                runtime,
                request,
                session,
                error=message,
                form=fields,
                status_code=self._status_of(exc),
            )
        return RedirectResponse(self.home, status.HTTP_303_SEE_OTHER)

    def _status_of(self, exc: Exception) -> int:
        if isinstance(exc, self.not_found):
            return status.HTTP_404_NOT_FOUND
        if isinstance(exc, self.conflict):
            return status.HTTP_409_CONFLICT
        return 422


FORM_ANSWERS: dict[int | str, dict[str, Any]] = {
    303: {"description": "done: back to the page"},
    403: {"description": "not an admin, or the form's CSRF token is wrong"},
    404: {"description": "what the form names is not known (the page, with the reason)"},
    409: {"description": "the change makes no sense as things stand (the page, with why)"},
    422: {"description": "bad input (the page, with the reason and what was typed)"},
}
"""What an admin form post can answer (a session that expired: the sign-in page)."""
