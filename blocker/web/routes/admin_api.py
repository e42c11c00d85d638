"""``/api/admin/``: the People and Teams pages' changes as JSON calls, for automation.

Who may: the shared API token, or an admin's personal token (a ``write`` one for
changes: a ``read`` token may list, and is refused every change with 403 at the
door, :func:`blocker.web.api_tokens.authorize_personal`). A member's or lead's token
gets 403 before anything is looked up, so an id they send tells them nothing.

Every change goes through the store methods the pages and the CLI use
(:mod:`blocker.store.teams`, :mod:`blocker.store.invitations`,
:mod:`blocker.store.team_groups`), so the same refusals hold (the last enabled admin
cannot be demoted or disabled, one team per member, a lead needs the role) and each
writes its audit entry, naming ``api token`` or the token's admin, in the change's
own transaction. Answers: 200/201 with the thing as it now is; 404 an unknown id;
409 the store's refusal, with its reason; 422 bad input (the models' limits).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from blocker.core.errors import InvalidInput
from blocker.runtime import Runtime
from blocker.store.identity import email_domain, normal_email
from blocker.store.invitations import OpenInvitation, UnknownInvitation
from blocker.store.team_groups import TeamGroup, UnknownTeam
from blocker.store.teams import TeamUser, UnknownUser, normal_domain
from blocker.web.admin_api_schemas import (
    DomainOut,
    InvitationOut,
    NewInvitation,
    NewMember,
    NewTeam,
    NewUser,
    RoleChange,
    RosterOut,
    TeamOut,
    TeamsOut,
    UserOut,
)
from blocker.web.admin_change import admin_runtime
from blocker.web.admin_view import roster_json
from blocker.web.api_tokens import actor_of, is_admin_request
from blocker.web.deps import invalid, require_token
from blocker.web.schemas import PRINTABLE, ErrorOut

__all__ = ["ADMINS_ONLY", "router"]

ADMINS_ONLY = "only admins manage the team's people and teams"

T = TypeVar("T")


def admin_actor(request: Request, _: Annotated[None, Depends(require_token)]) -> str:
    """The bearer acts as an admin (403 otherwise, before any look-up): who to audit."""
    if not is_admin_request(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, ADMINS_ONLY)
    return actor_of(request, admin_runtime(request))


Actor = Annotated[str, Depends(admin_actor)]
router = APIRouter(prefix="/api/admin", tags=["admin"])

UserIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="a user's id")]
TeamPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=PRINTABLE,
        description="a team's name, or its id when no team has that name",
    ),
]
DomainPath = Annotated[
    str, Path(min_length=3, max_length=253, pattern=PRINTABLE, examples=["example.com"])
]
InvitationPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=254,
        pattern=PRINTABLE,
        description="an open invitation's id (its key), or the invited address",
    ),
]


def _answers(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """The route's own answers beyond 401/403/413/429/503 (declared for the router);
    ``s409="..."`` says more about one code than the default. A route with a body
    declares 400 too: FastAPI parses it before the dependencies run."""
    text = {
        200: "done: the thing as it now is",
        201: "made: the new thing",
        400: "the body is not readable JSON (read before the token is checked)",
        404: "no such user, team or invitation",
        409: "refused as things stand (the store's reason)",
    }
    answers: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        answers[code] = {"description": why.get(f"s{code}", text[code])}
        if code >= 400:
            answers[code]["model"] = ErrorOut
    return answers


def _store(call: Callable[[], T]) -> T:
    """Run a store change; its refusals become 404 (unknown) or 409 (conflict)."""
    try:
        return call()
    except (UnknownUser, UnknownTeam, UnknownInvitation) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, exc.user_message()) from exc
    except InvalidInput as exc:  # LastAdmin, InvitationUsed, one team per member, ...
        raise HTTPException(status.HTTP_409_CONFLICT, exc.user_message()) from exc


def _user_out(runtime: Runtime, user: TeamUser) -> UserOut:
    return UserOut.of(user, runtime.store.user_email(user.id))


# -- people ------------------------------------------------------------------------


@router.get("/users", response_model=RosterOut, responses=_answers(200))
def list_users(
    request: Request,
    _actor: Actor,
    response: Response,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Any:
    """Everyone (200 a page), open invitations, allowed domains: the People page's list."""
    response.headers["Cache-Control"] = "no-store"
    return roster_json(admin_runtime(request), page)


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses=_answers(400, 200, 201, 409, s200="known already: enabled (and given the role)"),
)
def add_user(request: Request, actor: Actor, body: NewUser, response: Response) -> UserOut:
    """Add a person (a member unless ``role``), or enable a known one again."""
    runtime = admin_runtime(request)
    known = runtime.store.team_user(body.email) is not None
    added = _store(lambda: runtime.store.add_team_user(body.email, body.role, actor=actor))
    if known:
        response.status_code = status.HTTP_200_OK
    return _user_out(runtime, added)


@router.post(
    "/users/{user_id}/role",
    response_model=UserOut,
    responses=_answers(400, 200, 404, 409, s409="it would leave no enabled admin"),
)
def change_role(request: Request, actor: Actor, user_id: UserIdPath, body: RoleChange) -> UserOut:
    """Make the person a member, lead or admin (not the last enabled admin's demotion)."""
    runtime = admin_runtime(request)
    changed = _store(lambda: runtime.store.set_user_role(user_id, body.role, actor=actor))
    return _user_out(runtime, changed)


@router.post(
    "/users/{user_id}/disable",
    response_model=UserOut,
    responses=_answers(200, 404, 409, s409="the last enabled admin"),
)
def disable_user(request: Request, actor: Actor, user_id: UserIdPath) -> UserOut:
    """Refuse the person from now on: their sessions end, their API tokens are revoked."""
    runtime = admin_runtime(request)
    changed = _store(lambda: runtime.store.set_user_disabled(user_id, True, actor=actor))
    return _user_out(runtime, changed)


@router.post("/users/{user_id}/enable", response_model=UserOut, responses=_answers(200, 404))
def enable_user(request: Request, actor: Actor, user_id: UserIdPath) -> UserOut:
    """Let a disabled person sign in again (with new tokens: the old stay revoked)."""
    runtime = admin_runtime(request)
    changed = _store(lambda: runtime.store.set_user_disabled(user_id, False, actor=actor))
    return _user_out(runtime, changed)


# -- invitations and domains ----------------------------------------------------------


@router.post(
    "/invitations",
    response_model=InvitationOut,
    status_code=status.HTTP_201_CREATED,
    responses=_answers(400, 201),
)
def invite(request: Request, actor: Actor, body: NewInvitation) -> InvitationOut:
    """Let one address join with a role on its first sign-in (a new one replaces theirs)."""
    runtime = admin_runtime(request)
    days = body.days or runtime.settings.invitation_days
    until = (runtime.now() + timedelta(days=days)).astimezone(UTC)  # as the store reads it
    runtime.store.invite(body.email, body.role, until, actor=actor)
    made = OpenInvitation(
        runtime.store.user_key(body.email), email_domain(body.email), body.role, until
    )
    return InvitationOut.of(made)


@router.delete(
    "/invitations/{invitation}",
    response_model=InvitationOut,
    responses=_answers(200, 404, 409, s200="cancelled (as it was)", s409="used already"),
)
def cancel_invitation(request: Request, actor: Actor, invitation: InvitationPath) -> InvitationOut:
    """Withdraw an invitation before its person signs in (a used one is refused: 409)."""
    runtime = admin_runtime(request)
    ref = invitation.strip()
    if "@" in ref:
        try:
            ref = normal_email(ref)
        except ValueError as exc:
            raise invalid(("path", "invitation"), str(exc), invitation) from exc
    cancelled = _store(lambda: runtime.store.cancel_invitation(ref, actor=actor))
    return InvitationOut.of(cancelled)


def _domain(domain: str) -> str:
    try:
        return normal_domain(domain)
    except InvalidInput as exc:
        raise invalid(("path", "domain"), exc.user_message(), domain) from exc


@router.post(
    "/domains/{domain}",
    response_model=DomainOut,
    status_code=status.HTTP_201_CREATED,
    responses=_answers(200, 201, s200="allowed already"),
)
def allow_domain(request: Request, actor: Actor, domain: DomainPath, response: Response) -> Any:
    """Anyone with a verified address at the domain may join as a member."""
    runtime = admin_runtime(request)
    name = _domain(domain)
    if name in runtime.store.allowed_domains():
        response.status_code = status.HTTP_200_OK
    return DomainOut(domain=runtime.store.allow_domain(name, actor=actor), allowed=True)


@router.delete(
    "/domains/{domain}",
    response_model=DomainOut,
    responses=_answers(200, 404, s404="the domain was not allowed"),
)
def disallow_domain(request: Request, actor: Actor, domain: DomainPath) -> DomainOut:
    """Stop new people of the domain joining (those who joined stay)."""
    runtime = admin_runtime(request)
    name = _domain(domain)
    if not runtime.store.disallow_domain(name, actor=actor):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name} is not an allowed domain")
    return DomainOut(domain=name, allowed=False)


# -- teams ---------------------------------------------------------------------------


def _team(runtime: Runtime, ref: str) -> TeamGroup:
    """The team by name, else by id (404)."""
    found = runtime.store.team_group(ref)
    if found is None and ref.strip().isdigit():
        found = next((g for g in runtime.store.team_groups() if str(g.id) == ref.strip()), None)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no team named {ref.strip()!r}")
    return found


@router.get("/teams", response_model=TeamsOut, responses=_answers(200))
def list_teams(request: Request, _actor: Actor, response: Response) -> TeamsOut:
    """Every team by name, with the user ids of its leads and members."""
    response.headers["Cache-Control"] = "no-store"
    groups = admin_runtime(request).store.team_groups()
    return TeamsOut(teams=[TeamOut.of(g) for g in groups])


@router.post(
    "/teams",
    response_model=TeamOut,
    status_code=status.HTTP_201_CREATED,
    responses=_answers(400, 201, 409, s409="a team has that name already"),
)
def create_team(request: Request, actor: Actor, body: NewTeam) -> TeamOut:
    """A new, empty team."""
    runtime = admin_runtime(request)
    return TeamOut.of(_store(lambda: runtime.store.create_team(body.name, actor=actor)))


@router.delete(
    "/teams/{team}",
    response_model=TeamOut,
    responses=_answers(200, 404, s200="deleted (as it was)"),
)
def delete_team(request: Request, actor: Actor, team: TeamPath) -> TeamOut:
    """Forget a team: its people keep their data and stay users, its leads lose the view."""
    runtime = admin_runtime(request)
    found = _team(runtime, team)
    _store(lambda: runtime.store.delete_team(found.name, actor=actor))
    return TeamOut.of(found)


@router.post(
    "/teams/{team}/members",
    response_model=TeamOut,
    status_code=status.HTTP_201_CREATED,
    responses=_answers(
        400,
        200,
        201,
        404,
        409,
        s200="in the team already as that: nothing changed",
        s409="a member of another team, or a lead without the lead or admin role",
    ),
)
def add_member(
    request: Request, actor: Actor, team: TeamPath, body: NewMember, response: Response
) -> TeamOut:
    """Put a known person in the team as a member, or make them one of its leads."""
    runtime = admin_runtime(request)
    found = _team(runtime, team)
    if body.email is not None:
        person = runtime.store.team_user(body.email)
        if person is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no user with that address")
        user_id = person.id
    else:
        assert body.user_id is not None  # the model wants one of the two
        user_id = body.user_id
        if runtime.store.team_user_by_id(user_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    there = found.leads if body.lead else found.members
    after = _store(
        lambda: runtime.store.add_to_team(found.name, user_id, lead=body.lead, actor=actor)
    )
    if user_id in there:
        response.status_code = status.HTTP_200_OK
    return TeamOut.of(after)


@router.delete(
    "/teams/{team}/members/{user_id}",
    response_model=TeamOut,
    responses=_answers(200, 404, s404="no such team or user, or not in that team"),
)
def remove_member(request: Request, actor: Actor, team: TeamPath, user_id: UserIdPath) -> TeamOut:
    """Take the person out of the team, as member and as lead (they keep their data)."""
    runtime = admin_runtime(request)
    found = _team(runtime, team)
    if runtime.store.team_user_by_id(user_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    if not _store(lambda: runtime.store.remove_from_team(found.name, user_id, actor=actor)):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"user {user_id} is not in team {found.name!r}"
        )
    after = runtime.store.team_group(found.name)
    if after is None:  # deleted meanwhile
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no team named {found.name!r}")
    return TeamOut.of(after)
