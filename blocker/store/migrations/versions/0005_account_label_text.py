"""Connection account labels are stored encrypted: widen the column to text.

An Outlook connection's label is the signed-in mailbox, a full address; the store
now encrypts it with the token key (``blocker.store.accounts``), and a Fernet token
of a long address does not fit 255 characters. Labels stored in clear before are
encrypted when the store is next opened with its key (``open_store``): a migration
has no key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_connections") as batch:
        batch.alter_column(
            "account_label",
            existing_type=sa.String(length=255),
            type_=sa.Text(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_connections") as batch:
        batch.alter_column(
            "account_label",
            existing_type=sa.Text(),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
