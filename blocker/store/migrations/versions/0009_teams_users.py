"""Teams (issue 20, first slice): roles, disabled users, who may join, user sessions.

``users`` gains ``role`` (member / lead / admin), ``disabled`` and
``last_sign_in_at``; existing rows become enabled members, so a single-user
install keeps working unchanged (no user signs in with a provider until an admin
adds one; the API token still signs in as before).

``invitations`` and ``allowed_domains`` say who may join on first sign-in:
an invitation is kept as the keyed hash of the address (like ``users``), never
the address. ``user_identities`` remember which account of each provider a user
first signed in with (a keyed hash of its ``sub``), so an address that changes
hands does not hand over the user. ``user_sessions`` are the server-side sessions of users signed in
with Google or Microsoft: revocable one by one or all at once ("sign out
everywhere"); ``label_sealed`` is the signed-in address encrypted with the
store's key, shown on the account page and deleted with the session.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC_TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_CHECK = "role IN ('member', 'lead', 'admin')"


def upgrade() -> None:
    # Plain ADD COLUMNs, no batch: SQLite would rebuild ``users`` for a constraint, and
    # with foreign keys on, dropping the old table cascades to calendar_connections
    # (see 0004). The role is checked in code (blocker.store.teams.check_role).
    op.add_column(
        "users", sa.Column("role", sa.String(length=16), nullable=False, server_default="member")
    )
    op.add_column(
        "users", sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("users", sa.Column("last_sign_in_at", UTC_TIMESTAMP, nullable=True))
    op.create_table(
        "invitations",
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("email_domain", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(ROLE_CHECK, name=op.f("ck_invitations_role")),
        sa.PrimaryKeyConstraint("email_hash", name=op.f("pk_invitations")),
    )
    op.create_table(
        "allowed_domains",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_allowed_domains")),
    )
    op.create_table(
        "user_identities",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "provider", name=op.f("pk_user_identities")),
    )
    op.create_table(
        "user_sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("label_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("revoked_at", UTC_TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_user_sessions")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_index(op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_user_sessions_expires_at"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_table("user_identities")
    op.drop_table("allowed_domains")
    op.drop_table("invitations")
    for column in ("last_sign_in_at", "disabled", "role"):
        # DROP COLUMN in place (SQLite 3.35+, PostgreSQL): no rebuild, no cascade
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")
