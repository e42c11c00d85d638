"""``/admin/teams``: admins manage the named teams (who is in which, who leads it).

The page lists each team with its leads and members, and has forms to create and
delete a team, add someone (picked from the known people) as member or lead, and
take someone out. Same guard as the People page (:mod:`blocker.web.admin_change`):
an admin's session for the forms, CSRF-checked; the list also answers the shared
API token or an admin's personal token with JSON; members and leads get 403 before
anything is looked up; an unknown person or team is 404.

Every change goes through the store methods the CLI uses
(:mod:`blocker.store.team_groups`), which write the audit entry, naming this admin,
in the change's own transaction, and refuse a member already in another team or a
lead without the lead or admin role. A refused change answers the page again with
the reason and what was typed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from blocker.core.errors import InvalidInput
from blocker.runtime import Runtime
from blocker.store.team_groups import UnknownTeam
from blocker.web.admin_change import FORM_ANSWERS, AdminForms, admin_runtime
from blocker.web.admin_teams_view import teams_json, teams_page
from blocker.web.api_tokens import is_admin_request
from blocker.web.deps import _bearer, require_token
from blocker.web.error_pages import wants_html
from blocker.web.sessions import is_admin_session, session_of, to_login

router = APIRouter(include_in_schema=False)

__all__ = ["ADMINS_ONLY", "router"]

ADMINS_ONLY = "only admins manage the teams"
HOME = "/admin/teams"
NO_STORE = {"Cache-Control": "no-store"}


class _NotFound(InvalidInput, LookupError):
    """A person the form names is not known: 404, with the page and the reason."""


class _Conflict(InvalidInput):
    """The change makes no sense as things stand (not in that team): 409."""


@router.get(HOME, response_model=None)
def teams(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """Every team, its leads and members; the forms to change them."""
    runtime = admin_runtime(request)
    if credentials is not None:
        require_token(request, runtime, credentials)
        if not is_admin_request(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
        return JSONResponse(teams_json(runtime), headers=NO_STORE)
    session = session_of(request, runtime)
    if session is None:
        if wants_html(request):
            return to_login(request)
        require_token(request, runtime, None)  # the usual 401
        raise AssertionError("require_token refuses a missing token")
    if not is_admin_session(request, runtime):
        raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
    if not wants_html(request):
        return JSONResponse(teams_json(runtime), headers=NO_STORE)
    return teams_page(runtime, session)


def _refused(
    runtime: Runtime,
    request: Request,
    session: str,
    *,
    error: str,
    form: dict[str, str],
    status_code: int,
) -> Response:
    return teams_page(runtime, session, error=error, form=form, status_code=status_code)


FORMS = AdminForms(
    home=HOME,
    forbidden=ADMINS_ONLY,
    refused_page=_refused,
    not_found=(_NotFound, UnknownTeam),
    conflict=(_Conflict,),
)


def _person(runtime: Runtime, user_id: str) -> int:
    """The picked person's id: a known user's (404 otherwise)."""
    text = user_id.strip()
    if not text.isdigit():
        raise InvalidInput("pick a person from the list")
    if runtime.store.team_user_by_id(int(text)) is None:
        raise _NotFound(f"no user with id {text}")
    return int(text)


@router.post(HOME, responses=FORM_ANSWERS)
def create(
    request: Request, csrf: Annotated[str, Form()] = "", name: Annotated[str, Form()] = ""
) -> Response:
    """A new, empty team (a name in use is refused)."""

    def act(runtime: Runtime, actor: str) -> None:
        runtime.store.create_team(name, actor=actor)

    return FORMS.change(request, csrf, {"name": name}, act)


@router.post(HOME + "/delete", responses=FORM_ANSWERS)
def delete(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Forget a team once confirmed: its people keep their data, its leads lose the view."""

    def act(runtime: Runtime, actor: str) -> None:
        if confirm != "yes":
            raise InvalidInput(
                f"tick the box to delete team {team.strip()!r}: its members keep their data "
                "and stay users, its leads no longer see them"
            )
        runtime.store.delete_team(team, actor=actor)

    return FORMS.change(request, csrf, {"team": team, "action": "delete"}, act)


@router.post(HOME + "/people", responses=FORM_ANSWERS)
def add(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
) -> Response:
    """Put a known person in the team as a member, or make them one of its leads."""

    def act(runtime: Runtime, actor: str) -> None:
        if role not in ("member", "lead"):
            raise InvalidInput("add as a member or as a lead")
        if runtime.store.team_group(team) is None:
            raise UnknownTeam(f"no team named {team.strip()!r}")
        picked = _person(runtime, user_id)
        runtime.store.add_to_team(team, picked, lead=role == "lead", actor=actor)

    fields = {"team": team, "user_id": user_id, "role": role, "action": "add"}
    return FORMS.change(request, csrf, fields, act)


@router.post(HOME + "/people/remove", responses=FORM_ANSWERS)
def remove(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
    user_id: Annotated[str, Form()] = "",
) -> Response:
    """Take a person out of the team, as member and as lead (they keep their data)."""

    def act(runtime: Runtime, actor: str) -> None:
        picked = _person(runtime, user_id)
        if not runtime.store.remove_from_team(team, picked, actor=actor):
            raise _Conflict(f"that person is not in team {team.strip()!r}")

    return FORMS.change(request, csrf, {"team": team, "user_id": user_id, "action": "remove"}, act)
