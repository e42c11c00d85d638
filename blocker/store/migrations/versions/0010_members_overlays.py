"""Teams, slice 2 (branch ``members``): each CSM's rules overlay, and whose the template is.

``rules_overlays`` keeps every saved version of a user's overlay on the team
template (rules.overlay), one current per user, restorable like the rules'
versions. ``users.owns_template`` marks the user whose calendars the template's
are: the template's calendars keep their bare ids in the store, so an existing
deployment keeps its calendars, runs and history; other users' calendars are
stored under ``u<id>~<calendar>`` (blocker.members). Upgrade without loss: the
first admin (lowest id) becomes the template owner and the existing connections
become theirs; with no admin yet, the first ``blocker user add --admin`` claims
them on first use.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN (no batch rebuild of ``users``: see 0004 and 0009)
    op.add_column(
        "users",
        sa.Column("owns_template", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "rules_overlays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_rules_overlays_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules_overlays")),
    )
    op.create_index("ix_rules_overlays_user_current", "rules_overlays", ["user_id", "is_current"])
    first_admin = (
        "(SELECT MIN(id) FROM users WHERE role = 'admin' AND disabled = "
        + ("false" if op.get_bind().dialect.name == "postgresql" else "0")
        + ")"
    )
    truth = "true" if op.get_bind().dialect.name == "postgresql" else "1"
    op.execute(f"UPDATE users SET owns_template = {truth} WHERE id = {first_admin}")
    op.execute(
        f"UPDATE calendar_connections SET user_id = {first_admin} "
        f"WHERE {first_admin} IS NOT NULL AND calendar_id NOT LIKE 'u%~%'"
    )


def downgrade() -> None:
    op.drop_index("ix_rules_overlays_user_current", table_name="rules_overlays")
    op.drop_table("rules_overlays")
    op.execute("ALTER TABLE users DROP COLUMN owns_template")
