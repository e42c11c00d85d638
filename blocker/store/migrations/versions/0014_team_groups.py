"""Named teams, their members and their leads (issue 20, part 5: the lead's view).

``team_groups`` names a team; ``team_group_members`` puts a user in at most one
team (the primary key is the user), so who may see a member's scorecard has one
answer: the leads of their team (and admins). ``team_group_leads`` says who leads
which team; one person may lead several. Both cascade with the user and the team.
New tables only: nothing existing changes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_team_groups_name")),
    )
    op.create_table(
        "team_group_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team_groups.id"],
            name=op.f("fk_team_group_members_team_id_team_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_team_group_members")),
    )
    op.create_index(
        op.f("ix_team_group_members_team_id"), "team_group_members", ["team_id"], unique=False
    )
    op.create_table(
        "team_group_leads",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team_groups.id"],
            name=op.f("fk_team_group_leads_team_id_team_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_group_leads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_group_leads")),
    )
    op.create_index(
        op.f("ix_team_group_leads_user_id"), "team_group_leads", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_team_group_leads_user_id"), table_name="team_group_leads")
    op.drop_table("team_group_leads")
    op.drop_index(op.f("ix_team_group_members_team_id"), table_name="team_group_members")
    op.drop_table("team_group_members")
    op.drop_table("team_groups")
