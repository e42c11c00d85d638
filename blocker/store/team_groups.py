"""Named teams: who is in which, and who leads it (issue 20, part 5: the lead's view).

A user is a member of one team at most (the table's key is the user), so "who
sees my scorecard" has one answer: the leads of my team, and admins. One person
may lead several teams, and a lead may also be a member of a team (then that
team's leads see them). Roles stay where they are (:mod:`blocker.store.teams`):
leading a team needs the lead or admin role, checked here so no path can make a
plain member a lead.

Every change takes the ``actor`` who made it and writes its audit entry in the
same transaction, so the log cannot miss a change nor record one that rolled back.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from blocker.core.errors import InvalidInput
from blocker.store.audit import AuditStore
from blocker.store.tables import TeamGroupRow, TeamLeadRow, TeamMemberRow, User

__all__ = ["TeamGroup", "TeamGroupStore", "UnknownTeam", "check_team_name"]

MAX_NAME = 64
_GROUP_LOCK = 0x7465616D  # "team"


class UnknownTeam(InvalidInput, LookupError):
    """No team by that name."""

    hint = "`blocker team list` shows the teams"


@dataclass(frozen=True, slots=True)
class TeamGroup:
    id: int
    name: str
    created_at: datetime
    members: tuple[int, ...]
    """User ids of the team's members (whose scorecards its leads see)."""
    leads: tuple[int, ...]


def check_team_name(name: str) -> str:
    """The name as stored: trimmed, 1 to 64 printable characters."""
    text = unicodedata.normalize("NFC", name.strip())
    if not text or len(text) > MAX_NAME:
        raise InvalidInput(f"a team name has 1 to {MAX_NAME} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidInput("a team name cannot hold control characters")
    return text


def _target(user: User) -> str:
    return f"user {user.email_hash[:10]} at {user.email_domain}"


class TeamGroupStore(AuditStore):
    """Create teams, put users in them, name their leads; read who sees whom."""

    def _group(self, s: Session, row: TeamGroupRow) -> TeamGroup:
        members = s.scalars(
            select(TeamMemberRow.user_id)
            .where(TeamMemberRow.team_id == row.id)
            .order_by(TeamMemberRow.user_id)
        )
        leads = s.scalars(
            select(TeamLeadRow.user_id)
            .where(TeamLeadRow.team_id == row.id)
            .order_by(TeamLeadRow.user_id)
        )
        return TeamGroup(row.id, row.name, row.created_at, tuple(members), tuple(leads))

    def _group_row(self, s: Session, name: str) -> TeamGroupRow:
        row = s.scalars(select(TeamGroupRow).where(TeamGroupRow.name == name.strip())).first()
        if row is None:
            raise UnknownTeam(f"no team named {name.strip()!r}")
        return row

    def _group_audit(self, actor: str, action: str, target: str, detail: str = "") -> None:
        # inside ``atomic``: the entry commits with the change, or neither does
        self.record_audit(actor, action, target, detail)

    def create_team(self, name: str, *, actor: str) -> TeamGroup:
        """A new, empty team (a name in use: InvalidInput, nothing changed)."""
        text = check_team_name(name)
        with self.atomic(), self._tx() as s:
            self._serialize(s, _GROUP_LOCK)
            if s.scalars(select(TeamGroupRow.id).where(TeamGroupRow.name == text)).first():
                raise InvalidInput(f"a team named {text!r} exists already")
            row = TeamGroupRow(name=text, created_at=self._now())
            s.add(row)
            s.flush()
            self._group_audit(actor, "team.create", f"team {text}")
            return self._group(s, row)

    def delete_team(self, name: str, *, actor: str) -> None:
        """Forget a team; its members and leads stay users, in no team."""
        with self.atomic(), self._tx() as s:
            row = self._group_row(s, name)
            s.execute(delete(TeamMemberRow).where(TeamMemberRow.team_id == row.id))
            s.execute(delete(TeamLeadRow).where(TeamLeadRow.team_id == row.id))
            s.delete(row)
            self._group_audit(actor, "team.delete", f"team {row.name}")

    def add_to_team(self, name: str, user_id: int, *, lead: bool, actor: str) -> TeamGroup:
        """Make the user a member of the team, or (``lead``) one of its leads.

        A member of another team must be removed from it first (InvalidInput: one
        team per member, so who sees their scorecard never changes by surprise); a
        lead needs the lead or admin role.
        """
        with self.atomic(), self._tx() as s:
            self._serialize(s, _GROUP_LOCK)
            row = self._group_row(s, name)
            user = s.get(User, user_id)
            if user is None:
                raise InvalidInput(f"no user {user_id}")
            if lead:
                if user.role not in ("lead", "admin"):
                    raise InvalidInput(
                        "only a lead or an admin can lead a team: "
                        "`blocker user role EMAIL lead` first"
                    )
                known = s.get(TeamLeadRow, (row.id, user_id))
                if known is None:
                    s.add(TeamLeadRow(team_id=row.id, user_id=user_id))
                    self._group_audit(actor, "team.lead.add", _target(user), f"team {row.name}")
            else:
                member = s.get(TeamMemberRow, user_id)
                if member is not None and member.team_id != row.id:
                    other = s.get(TeamGroupRow, member.team_id)
                    where = other.name if other is not None else "another team"
                    raise InvalidInput(
                        f"that user is in team {where!r} already: remove them from it first"
                    )
                if member is None:
                    s.add(TeamMemberRow(team_id=row.id, user_id=user_id))
                    self._group_audit(actor, "team.member.add", _target(user), f"team {row.name}")
            s.flush()
            return self._group(s, row)

    def remove_from_team(self, name: str, user_id: int, *, actor: str) -> bool:
        """Take the user out of the team, as member and as lead; False: not in it."""
        with self.atomic(), self._tx() as s:
            row = self._group_row(s, name)
            gone = s.execute(
                delete(TeamMemberRow).where(
                    TeamMemberRow.team_id == row.id, TeamMemberRow.user_id == user_id
                )
            ).rowcount  # type: ignore[attr-defined]
            gone += s.execute(
                delete(TeamLeadRow).where(
                    TeamLeadRow.team_id == row.id, TeamLeadRow.user_id == user_id
                )
            ).rowcount  # type: ignore[attr-defined]
            user = s.get(User, user_id)
            if gone and user is not None:
                self._group_audit(actor, "team.remove", _target(user), f"team {row.name}")
            return bool(gone)

    def team_groups(self) -> list[TeamGroup]:
        """Every team, by name."""
        with self._tx() as s:
            rows = s.scalars(select(TeamGroupRow).order_by(TeamGroupRow.name)).all()
            return [self._group(s, row) for row in rows]

    def team_group(self, name: str) -> TeamGroup | None:
        with self._tx() as s:
            try:
                return self._group(s, self._group_row(s, name))
            except UnknownTeam:
                return None

    def teams_led_by(self, user_id: int) -> list[TeamGroup]:
        """The teams this user leads, by name (a role without a team: none)."""
        with self._tx() as s:
            rows = s.scalars(
                select(TeamGroupRow)
                .join(TeamLeadRow, TeamLeadRow.team_id == TeamGroupRow.id)
                .where(TeamLeadRow.user_id == user_id)
                .order_by(TeamGroupRow.name)
            ).all()
            return [self._group(s, row) for row in rows]

    def team_of_member(self, user_id: int) -> TeamGroup | None:
        """The one team the user is a member of, if any."""
        with self._tx() as s:
            row = s.scalars(
                select(TeamGroupRow)
                .join(TeamMemberRow, TeamMemberRow.team_id == TeamGroupRow.id)
                .where(TeamMemberRow.user_id == user_id)
            ).first()
            return None if row is None else self._group(s, row)
