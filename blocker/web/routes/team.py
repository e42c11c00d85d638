"""The lead's page (issue 20.5): each member's scorecard figures, never a meeting.

``/team`` (HTML) and ``/api/team`` (JSON): the teams a signed-in lead leads (an
admin: every team), each member's week as :mod:`blocker.team.store_source` reads it
from their own scope, with its eight-week trend and the team's totals. A member
without the lead or admin role gets 403. ``/team/member/{id}`` is one member; an id
outside the viewer's teams is 404 exactly like an id that does not exist, so a lead
learns nothing of other teams. ``/team/me`` (and ``/api/team/me``) shows any
signed-in member what their lead sees of them: the same function, the same figures.

The shared API token (its browser session, or ``Authorization: Bearer``) acts as an
admin, as on ``/audit``; a personal token counts when its owner is an admin.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from blocker.runtime import Runtime
from blocker.store.team_groups import TeamGroup
from blocker.store.teams import TeamUser
from blocker.team.render import member_to_dict, team_to_dict
from blocker.team.store_source import member_view, team_view, visible_teams
from blocker.team.summary import MemberSummary, TeamSummary
from blocker.web.api_tokens import is_admin_request
from blocker.web.deps import _bearer, get_week, require_token
from blocker.web.html import page
from blocker.web.sessions import csrf_of, is_admin_session, session_of, session_user, to_login

router = APIRouter(include_in_schema=False)

__all__ = ["router"]

LEADS_ONLY = "only a team's leads and admins see the team's scorecards"
NOT_FOUND = "no such member in your teams"
NO_STORE = {"Cache-Control": "no-store"}


class _Viewer:
    """Who asks: a user (their role decides), or the shared token (an admin)."""

    def __init__(self, user: TeamUser | None, session: str | None) -> None:
        self.user = user
        self.session = session

    def teams(self, base: Runtime) -> list[TeamGroup]:
        if self.user is None:  # the shared token (checked by the caller): every team
            return base.store.team_groups()
        return visible_teams(base, self.user)

    @property
    def may_lead(self) -> bool:
        return self.user is None or self.user.role in ("lead", "admin")


def _base(request: Request) -> Runtime:
    """The shared runtime (members are read through their own scopes from it)."""
    base: Runtime = request.app.state.runtime
    return base


def _viewer(
    request: Request, base: Runtime, credentials: HTTPAuthorizationCredentials | None
) -> _Viewer | Response:
    """The viewer; a redirect to sign in for a browser without a session."""
    if credentials is not None:
        require_token(request, base, credentials)
        if not is_admin_request(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, LEADS_ONLY)
        return _Viewer(None, None)
    session = session_of(request, base)
    if session is None:
        if request.url.path.startswith("/api/"):
            require_token(request, base, None)  # the usual 401
        return to_login(request)
    who = session_user(request, base)
    if who is None and not is_admin_session(request, base):
        raise HTTPException(status.HTTP_403_FORBIDDEN, LEADS_ONLY)
    return _Viewer(who.user if who is not None else None, session)


def _summaries(base: Runtime, teams: list[TeamGroup], week: str) -> list[TeamSummary]:
    return [team_view(base, team, week) for team in teams]


def _html(base: Runtime, viewer: _Viewer, name: str, **context: Any) -> Response:
    assert viewer.session is not None
    return page(
        name,
        page="team",
        csrf=csrf_of(base, viewer.session),
        team_nav="lead" if viewer.may_lead else "member",
        **context,
    )


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _team_page(
    request: Request, credentials: HTTPAuthorizationCredentials | None, week: str | None
) -> tuple[Runtime, _Viewer, str, list[TeamSummary]] | Response:
    base = _base(request)
    viewer = _viewer(request, base, credentials)
    if isinstance(viewer, Response):
        return viewer
    if not viewer.may_lead:
        raise HTTPException(status.HTTP_403_FORBIDDEN, LEADS_ONLY)
    wk = get_week(base, week)
    return base, viewer, wk, _summaries(base, viewer.teams(base), wk)


def _teams_body(week: str, teams: list[TeamSummary]) -> dict[str, Any]:
    """The lead's teams as data: ``/api/team``, and ``/team`` for API callers."""
    return {"week": week, "teams": [team_to_dict(t) for t in teams]}


def _teams(
    request: Request, credentials: HTTPAuthorizationCredentials | None, week: str | None
) -> Response:
    """The lead's teams: the page for a browser session, JSON for a token."""
    got = _team_page(request, credentials, week)
    if isinstance(got, Response):
        return got
    base, viewer, wk, teams = got
    if viewer.session is None or request.url.path.startswith("/api/"):
        return JSONResponse(_teams_body(wk, teams), headers=NO_STORE)
    return _html(base, viewer, "team.html", week=wk, teams=teams, single=None, single_id=None)


@router.get("/team", response_model=None)
def team_page(request: Request, credentials: Credentials, week: str | None = None) -> Response:
    """The lead's teams: per member the scorecard figures and trend; team totals."""
    return _teams(request, credentials, week)


@router.get("/api/team", response_model=None)
def team_json(request: Request, credentials: Credentials, week: str | None = None) -> Response:
    """``/team`` as JSON (the CLI's ``blocker team report --format json`` per team)."""
    return _teams(request, credentials, week)


def _member_of(base: Runtime, viewer: _Viewer, member: str) -> TeamUser:
    """The member by id, when one of the viewer's teams holds them; 404 otherwise
    (the same answer for "not in your teams" and "no such user")."""
    if not member.isdigit() or len(member) > 12:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    user_id = int(member)
    if not any(user_id in team.members for team in viewer.teams(base)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    user = base.store.team_user_by_id(user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return user


@router.get("/team/member/{member}", response_model=None)
def team_member(
    request: Request, member: str, credentials: Credentials, week: str | None = None
) -> Response:
    """One member of the viewer's teams, as on ``/team``."""
    base = _base(request)
    viewer = _viewer(request, base, credentials)
    if isinstance(viewer, Response):
        return viewer
    if not viewer.may_lead:
        raise HTTPException(status.HTTP_403_FORBIDDEN, LEADS_ONLY)
    user = _member_of(base, viewer, member)
    wk = get_week(base, week)
    summary = member_view(base, user, wk)
    if viewer.session is None:
        return JSONResponse(member_to_dict(summary), headers=NO_STORE)
    return _html(base, viewer, "team.html", week=wk, teams=[], single=summary, single_id=user.id)


def _me(
    request: Request, week: str | None
) -> tuple[Runtime, _Viewer, str, MemberSummary, str | None] | Response:
    """What my lead sees of me (my week's summary) and my team's name, for either answer."""
    base = _base(request)
    session = session_of(request, base)
    if session is None:
        if request.url.path.startswith("/api/"):
            require_token(request, base, None)
        return to_login(request)
    who = session_user(request, base)
    if who is None:  # the shared token's session is nobody's week
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the API token has no week of its own")
    wk = get_week(base, week)
    group = base.store.team_of_member(who.user.id)
    summary = member_view(base, who.user, wk)
    return base, _Viewer(who.user, session), wk, summary, group.name if group else None


@router.get("/team/me", response_model=None)
def team_me(request: Request, week: str | None = None) -> Response:
    """What my lead sees of me: my row of their page, the same figures."""
    got = _me(request, week)
    if isinstance(got, Response):
        return got
    base, viewer, wk, summary, group = got
    return _html(base, viewer, "team_me.html", week=wk, me=summary, group=group)


@router.get("/api/team/me", response_model=None)
def team_me_json(request: Request, week: str | None = None) -> Response:
    """``/team/me`` as JSON: the same figures, with my team's name."""
    got = _me(request, week)
    if isinstance(got, Response):
        return got
    _, _, _, summary, group = got
    return JSONResponse({"team": group, **member_to_dict(summary)}, headers=NO_STORE)
