"""``/admin/teams``: admins manage the named teams (who is in which, who leads it).

The page lists each team with its leads and members, and has forms to create and
delete a team, add someone (picked from the known people) as member or lead, and
take someone out. Same guard as the People page (:mod:`blocker.web.routes.admin`):
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

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from blocker.core.errors import InvalidInput
from blocker.runtime import Runtime
from blocker.store.team_groups import UnknownTeam
from blocker.web.admin_teams_view import teams_json, teams_page
from blocker.web.api_tokens import actor_of, is_admin_request
from blocker.web.deps import _bearer, require_token
from blocker.web.error_pages import wants_html
from blocker.web.sessions import check_post, is_admin_session, session_of, to_login

router = APIRouter(include_in_schema=False)

__all__ = ["ADMINS_ONLY", "router"]

ADMINS_ONLY = "only admins manage the teams"
HOME = "/admin/teams"
NO_STORE = {"Cache-Control": "no-store"}


class _NotFound(InvalidInput, LookupError):
    """A person the form names is not known: 404, with the page and the reason."""


class _Conflict(InvalidInput):
    """The change makes no sense as things stand (not in that team): 409."""


def _base(request: Request) -> Runtime:
    """The deployment's runtime, not the admin's own scope: teams are the deployment's."""
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get(HOME, response_model=None)
def teams(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """Every team, its leads and members; the forms to change them."""
    runtime = _base(request)
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


def _change(
    request: Request, csrf: str, fields: dict[str, str], act: Callable[[Runtime, str], None]
) -> Response:
    """Check the post is an admin's (403 otherwise, before any lookup), run ``act``
    with the actor's name, then back to the list; a refused change shows why."""
    runtime = _base(request)
    if session_of(request, runtime) is not None and not is_admin_session(request, runtime):
        raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
    session = check_post(request, runtime, csrf, fields)
    try:
        act(runtime, actor_of(request, runtime))
    except InvalidInput as exc:
        code = 422
        if isinstance(exc, (_NotFound, UnknownTeam)):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(exc, _Conflict):
            code = status.HTTP_409_CONFLICT
        return teams_page(runtime, session, error=str(exc), form=fields, status_code=code)
    return RedirectResponse(HOME, status.HTTP_303_SEE_OTHER)


def _person(runtime: Runtime, user_id: str) -> int:
    """The picked person's id: a known user's (404 otherwise)."""
    text = user_id.strip()
    if not text.isdigit():
        raise InvalidInput("pick a person from the list")
    if runtime.store.team_user_by_id(int(text)) is None:
        raise _NotFound(f"no user with id {text}")
    return int(text)


@router.post(HOME)
def create(
    request: Request, csrf: Annotated[str, Form()] = "", name: Annotated[str, Form()] = ""
) -> Response:
    """A new, empty team (a name in use is refused)."""

    def act(runtime: Runtime, actor: str) -> None:
        runtime.store.create_team(name, actor=actor)

    return _change(request, csrf, {"name": name}, act)


@router.post(HOME + "/delete")
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

    return _change(request, csrf, {"team": team, "action": "delete"}, act)


@router.post(HOME + "/people")
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
    return _change(request, csrf, fields, act)


@router.post(HOME + "/people/remove")
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

    return _change(request, csrf, {"team": team, "user_id": user_id, "action": "remove"}, act)
