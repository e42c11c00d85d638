"""SQLAlchemy 2 ORM tables of the store.

The schema itself is created only by the Alembic migrations in
``blocker/store/migrations``; these classes must match them (a test compares
the migrated database with this metadata). Sync-state tables key on the
``calendar_id`` string without a foreign key: the local ``.ics`` calendar and
``--dry-run`` runs have state but no connection row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from blocker.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class InstallSecret(Base):
    """Per-install random values (the email salt); never leave the database."""

    __tablename__ = "install_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


ROLES = ("member", "lead", "admin")
_ROLE_CHECK = "role IN ('member', 'lead', 'admin')"


class User(Base):
    """A calendar owner, known by a keyed hash of the address and its domain only."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email_domain: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    role: Mapped[str] = mapped_column(String(16), default="member", server_default="member")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_sign_in_at: Mapped[datetime | None]
    owns_template: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The team template's calendars (bare ids in the store) are this user's (0010)."""
    email_sealed: Mapped[str] = mapped_column(Text, default="", server_default="")
    """The address, encrypted like connection labels (0013): jobs and the lead's view
    act for a member without a session, and a member's book of business is keyed by
    it. Empty for users not seen since (filled at their next sign-in)."""

    connections: Mapped[list[CalendarConnection]] = relationship(back_populates="user")


class CalendarConnection(Base):
    __tablename__ = "calendar_connections"
    __table_args__ = (
        CheckConstraint("provider IN ('local', 'google', 'outlook', 'memory')", name="provider"),
        CheckConstraint(
            "status IN ('connected', 'needs_reconnect', 'disconnected')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(255), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    account_label: Mapped[str] = mapped_column(Text, default="")  # encrypted, see accounts
    status: Mapped[str] = mapped_column(String(32), default="connected")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    token_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    provider_calendar_id: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="connections")


class SyncSnapshotRow(Base):
    """A week window's events at the last complete read, with that read's token."""

    __tablename__ = "sync_snapshots"

    calendar_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    full_read_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EventMappingRow(Base):
    __tablename__ = "event_mappings"
    __table_args__ = (
        UniqueConstraint("calendar_id", "key"),
        Index("ix_event_mappings_calendar_week", "calendar_id", "week"),
        Index("ix_event_mappings_calendar_event", "calendar_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(512))
    event_id: Mapped[str] = mapped_column(String(1024))
    week: Mapped[str] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(1024))
    updated_at: Mapped[datetime]


class PinRow(Base):
    __tablename__ = "pins"
    __table_args__ = (UniqueConstraint("calendar_id", "week", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(255))
    week: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(512))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    title: Mapped[str | None] = mapped_column(Text)
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class AppliedBlocks(Base):
    __tablename__ = "applied_blocks"

    calendar_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_calendar_started", "calendar_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(255))
    trigger: Mapped[str] = mapped_column(String(64))
    week: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime]
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    ops: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    errors: Mapped[list[str]] = mapped_column(JSON)
    counters: Mapped[dict[str, Any]] = mapped_column(JSON)
    notices: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class RulesVersionRow(Base):
    __tablename__ = "rules_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class RulesOverlayRow(Base):
    """One saved version of a user's overlay on the team template (rules.overlay)."""

    __tablename__ = "rules_overlays"
    __table_args__ = (Index("ix_rules_overlays_user_current", "user_id", "is_current"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)


class TeamGroupRow(Base):
    """A named team of CSMs, summarised for its leads (issue 20.5, migration 0014)."""

    __tablename__ = "team_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class TeamMemberRow(Base):
    """A user's one team: whose leads see their scorecard (a user is in one at most)."""

    __tablename__ = "team_group_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("team_groups.id", ondelete="CASCADE"), index=True
    )


class TeamLeadRow(Base):
    """A user who leads a team (one may lead several)."""

    __tablename__ = "team_group_leads"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("team_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PushChannel(Base):
    __tablename__ = "push_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(255), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(255), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(1024))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]


class RevokedSession(Base):
    """Dashboard sessions signed out before they expired (by a hash of their id)."""

    __tablename__ = "revoked_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class EventTagRow(Base):
    """The ownership tag one of our events carried at one etag (Graph delta omits it)."""

    __tablename__ = "event_tags"

    calendar_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    etag: Mapped[str] = mapped_column(String(1024))
    key: Mapped[str] = mapped_column(String(512))
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class CapabilityFallback(Base):
    """Something a calendar cannot do (e.g. Outlook colours without the permission), why,
    and when the user was told in a run record (None: not yet)."""

    __tablename__ = "capability_fallbacks"

    calendar_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    capability: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    announced_at: Mapped[datetime | None]


class Invitation(Base):
    """Who may join with a role, by the keyed hash of the address (never the address)."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email_domain: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AllowedDomain(Base):
    """Anyone with a verified address at this domain may join as a member."""

    __tablename__ = "allowed_domains"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime]


class UserIdentity(Base):
    """Which account of a provider a user signed in with first (a keyed hash of its
    ``sub``): an address that changes hands does not hand over the user."""

    __tablename__ = "user_identities"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class UserSession(Base):
    """A signed-in user's server-side session (by a hash of its id): revocable."""

    __tablename__ = "user_sessions"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    label_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]


class ApiToken(Base):
    """A user's personal API token: ``prefix`` finds the row, ``secret_hash`` (SHA-256 of
    the 256-bit secret) proves it; the secret itself is never stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed what, when: no secrets, no full addresses (fingerprint and domain)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class CalendarSchedule(Base):
    __tablename__ = "calendar_schedules"

    calendar_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_generate_at: Mapped[datetime | None] = mapped_column(index=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    last_run_at: Mapped[datetime | None]
    basis: Mapped[str | None] = mapped_column(String(64))
    """A member's calendar: the template and overlay version its times come from."""


__all__ = [
    "ROLES",
    "AllowedDomain",
    "ApiToken",
    "AppliedBlocks",
    "AuditEntry",
    "Base",
    "CalendarConnection",
    "CalendarSchedule",
    "CapabilityFallback",
    "EventMappingRow",
    "EventTagRow",
    "InstallSecret",
    "Invitation",
    "PinRow",
    "PushChannel",
    "RevokedSession",
    "RulesOverlayRow",
    "RulesVersionRow",
    "RunRow",
    "SyncSnapshotRow",
    "User",
    "UserIdentity",
    "UserSession",
]
