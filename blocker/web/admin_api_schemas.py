"""Request and response models of the JSON admin API (``/api/admin/``).

The limits live here so bad input is a 422 naming the field before any store call:
an address is one ``@`` with a dotted domain and no spaces or control characters
(PostgreSQL refuses NUL), at most 254 characters; a role is one of the three; an
invitation lasts 1 to 365 days; a team name is what :func:`check_team_name` keeps.
What is left for the store to refuse is a conflict with how things stand (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from blocker.core.errors import InvalidInput
from blocker.store.invitations import OpenInvitation
from blocker.store.team_groups import TeamGroup, check_team_name
from blocker.store.teams import TeamUser

__all__ = [
    "DomainOut",
    "InvitationOut",
    "NewInvitation",
    "NewMember",
    "NewTeam",
    "NewUser",
    "RoleChange",
    "RoleName",
    "RosterOut",
    "TeamOut",
    "TeamsOut",
    "UserOut",
]

RoleName = Literal["member", "lead", "admin"]
_NO_SPACE = r"[^@\s\x00-\x1f\x7f]"
Email = Annotated[
    str,
    Field(
        min_length=5,
        max_length=254,
        pattern=rf"^{_NO_SPACE}+@{_NO_SPACE}+\.{_NO_SPACE}+$",
        description="an address: name@domain, no spaces",
        examples=["ann@example.com"],
    ),
]
UserId = Annotated[int, Field(ge=1, le=2**31 - 1, description="a user's id (/api/admin/users)")]


class _Body(BaseModel):
    """A request body: an unknown field is a typo worth a 422, not silence."""

    model_config = ConfigDict(extra="forbid")


class NewUser(_Body):
    """Add a person, or enable a disabled one again."""

    email: Email
    role: RoleName | None = Field(
        None, description="a new person's role (default member); a known one keeps theirs"
    )


class RoleChange(_Body):
    role: RoleName


class NewInvitation(_Body):
    """Let one address join with a role on its first sign-in."""

    email: Email
    role: RoleName = "member"
    days: int | None = Field(
        None, ge=1, le=365, description="how long it stays open (default BLOCKER_INVITATION_DAYS)"
    )


class NewTeam(_Body):
    name: str = Field(min_length=1, max_length=200, description="1 to 64 characters, trimmed")

    @field_validator("name")
    @classmethod
    def _fits(cls, value: str) -> str:
        try:
            return check_team_name(value)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None


class NewMember(_Body):
    """Who joins the team: by address or by user id (one of them), as member or lead."""

    email: Email | None = None
    user_id: UserId | None = None
    lead: bool = Field(False, description="one of the team's leads (needs the lead or admin role)")

    @model_validator(mode="after")
    def _one_person(self) -> NewMember:
        if (self.email is None) == (self.user_id is None):
            raise ValueError("name the person by `email` or by `user_id` (one of them)")
        return self


class UserOut(BaseModel):
    id: int
    email: str | None = Field(description="the address when the store knows it (since 0013)")
    domain: str
    fingerprint: str
    role: RoleName
    disabled: bool
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, user: TeamUser, email: str | None) -> UserOut:
        return cls(
            id=user.id,
            email=email,
            domain=user.domain,
            fingerprint=user.fingerprint,
            role=user.role,
            disabled=user.disabled,
            last_sign_in_at=user.last_sign_in_at,
        )


class RosterUserOut(UserOut):
    connected_calendars: int


class InvitationOut(BaseModel):
    id: str = Field(description="the invitation's key (the address is not stored)")
    domain: str
    role: RoleName
    expires_at: datetime

    @classmethod
    def of(cls, invitation: OpenInvitation) -> InvitationOut:
        return cls.model_validate(
            {
                "id": invitation.key,
                "domain": invitation.domain,
                "role": invitation.role,
                "expires_at": invitation.expires_at,
            }
        )


class RosterOut(BaseModel):
    """The People page's list, a page at a time."""

    users: list[RosterUserOut]
    invitations: list[InvitationOut]
    allowed_domains: list[str]
    next_page: int | None


class DomainOut(BaseModel):
    domain: str
    allowed: bool


class TeamOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    leads: list[int] = Field(description="user ids of its leads")
    members: list[int] = Field(description="user ids of its members")

    @classmethod
    def of(cls, group: TeamGroup) -> TeamOut:
        return cls(
            id=group.id,
            name=group.name,
            created_at=group.created_at,
            leads=list(group.leads),
            members=list(group.members),
        )


class TeamsOut(BaseModel):
    teams: list[TeamOut]
