"""``/admin/users``: admins manage the team's people from the browser.

The list (address when known, role, disabled, last sign-in, calendars connected),
and forms to change a role, disable or enable someone, invite an address with a
role and expiry or cancel an open invitation, and allow or stop allowing a domain.
Admins only: an admin's session for the forms (CSRF-checked like every dashboard
form); the list also answers the shared API token or an admin's personal token
with JSON. Members and leads get 403, before anything is looked up, so a user id
they hold tells them nothing.

Every change goes through the store methods the CLI uses
(:mod:`blocker.store.teams`, :mod:`blocker.store.invitations`), which write the
audit entry, naming this admin, in the change's own transaction and refuse to
leave the team without an enabled admin. The posts share one guard with the Teams
page (:mod:`blocker.web.admin_change`): a refused change answers the page again
with the reason and what was typed (404 unknown, 409 conflict, 422 bad input).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from blocker.core.errors import InvalidInput
from blocker.runtime import Runtime
from blocker.store.invitations import InvitationUsed, UnknownInvitation
from blocker.store.teams import LastAdmin, UnknownUser
from blocker.web.admin_change import FORM_ANSWERS, AdminForms, admin_runtime
from blocker.web.admin_view import admin_page, roster_json
from blocker.web.api_tokens import is_admin_request
from blocker.web.deps import _bearer, require_token
from blocker.web.error_pages import wants_html
from blocker.web.sessions import is_admin_session, session_of, session_user, to_login

router = APIRouter(include_in_schema=False)

__all__ = ["ADMINS_ONLY", "router"]

ADMINS_ONLY = "only admins manage the team's people"
HOME = "/admin/users"


def _viewer_id(request: Request, runtime: Runtime) -> int | None:
    who = session_user(request, runtime)
    return who.user.id if who is not None else None


@router.get(HOME, response_model=None)
def people(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    """Everyone, a page at a time; open invitations; allowed domains."""
    runtime = admin_runtime(request)
    if credentials is not None:
        require_token(request, runtime, credentials)
        if not is_admin_request(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
        return JSONResponse(roster_json(runtime, page_no), headers={"Cache-Control": "no-store"})
    session = session_of(request, runtime)
    if session is None:
        if wants_html(request):
            return to_login(request)
        require_token(request, runtime, None)  # the usual 401
        raise AssertionError("require_token refuses a missing token")
    if not is_admin_session(request, runtime):
        raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
    if not wants_html(request):
        return JSONResponse(roster_json(runtime, page_no), headers={"Cache-Control": "no-store"})
    return admin_page(runtime, session, page_no=page_no, viewer_id=_viewer_id(request, runtime))


def _refused(
    runtime: Runtime,
    request: Request,
    session: str,
    *,
    error: str,
    form: dict[str, str],
    status_code: int,
) -> Response:
    viewer = _viewer_id(request, runtime)
    return admin_page(
        runtime, session, viewer_id=viewer, error=error, form=form, status_code=status_code
    )


FORMS = AdminForms(
    home=HOME,
    forbidden=ADMINS_ONLY,
    refused_page=_refused,
    not_found=(UnknownUser, UnknownInvitation),
    conflict=(LastAdmin, InvitationUsed),
)


@router.post(HOME + "/{user_id}/role", responses=FORM_ANSWERS)
def change_role(
    request: Request,
    user_id: int,
    csrf: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    """Make the person a member, lead or admin (not the last enabled admin's demotion)."""
    return FORMS.change(
        request,
        csrf,
        {"role": role},
        lambda runtime, actor: runtime.store.set_user_role(user_id, role, actor=actor),
    )


@router.post(HOME + "/{user_id}/disable", responses=FORM_ANSWERS)
def disable(request: Request, user_id: int, csrf: Annotated[str, Form()] = "") -> Response:
    """Refuse the person from now on: their sessions end, their API tokens are revoked."""
    return FORMS.change(
        request,
        csrf,
        {},
        lambda runtime, actor: runtime.store.set_user_disabled(user_id, True, actor=actor),
    )


@router.post(HOME + "/{user_id}/enable", responses=FORM_ANSWERS)
def enable(request: Request, user_id: int, csrf: Annotated[str, Form()] = "") -> Response:
    """Let a disabled person sign in again (with new tokens: the old stay revoked)."""
    return FORMS.change(
        request,
        csrf,
        {},
        lambda runtime, actor: runtime.store.set_user_disabled(user_id, False, actor=actor),
    )


@router.post("/admin/invitations", responses=FORM_ANSWERS)
def invite(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
    days: Annotated[str, Form()] = "",
) -> Response:
    """Let one address join with a role on its first sign-in, for some days."""

    def act(runtime: Runtime, actor: str) -> None:
        text = days.strip() or str(runtime.settings.invitation_days)
        if not text.isdigit() or not 1 <= int(text) <= 365:
            raise InvalidInput("days: a whole number from 1 to 365")
        if "@" not in email:
            raise InvalidInput(f"not an email address: {email.strip()!r}")
        until = runtime.now() + timedelta(days=int(text))
        runtime.store.invite(email, role, until, actor=actor)

    return FORMS.change(request, csrf, {"email": email, "role": role, "days": days}, act)


@router.post("/admin/invitations/{invitation}/cancel", responses=FORM_ANSWERS)
def cancel_invitation(
    request: Request, invitation: str, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Withdraw an invitation before its person signs in (a used one is refused: 409)."""
    return FORMS.change(
        request,
        csrf,
        {},
        lambda runtime, actor: runtime.store.cancel_invitation(invitation, actor=actor),
    )


@router.post("/admin/domains", responses=FORM_ANSWERS)
def allow_domain(
    request: Request, csrf: Annotated[str, Form()] = "", domain: Annotated[str, Form()] = ""
) -> Response:
    """Anyone with a verified address at the domain may join as a member."""
    return FORMS.change(
        request,
        csrf,
        {"domain": domain},
        lambda runtime, actor: runtime.store.allow_domain(domain, actor=actor),
    )


@router.post("/admin/domains/remove", responses=FORM_ANSWERS)
def disallow_domain(
    request: Request, csrf: Annotated[str, Form()] = "", domain: Annotated[str, Form()] = ""
) -> Response:
    """Stop new people of the domain joining (those who joined stay)."""
    return FORMS.change(
        request,
        csrf,
        {},
        lambda runtime, actor: runtime.store.disallow_domain(domain, actor=actor),
    )
