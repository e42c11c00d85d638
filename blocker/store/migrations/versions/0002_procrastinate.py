"""procrastinate's job tables, on PostgreSQL only, in their own ``procrastinate`` schema.

The distributed jobs backend (DESIGN.md section 7) keeps its queue in the service
database, so the queue's schema ships through the same migrations as ours instead
of a manual ``procrastinate schema --apply``. It lives in a separate PostgreSQL
schema so it never mixes with (or is mistaken for drift in) the product's tables;
the connectors put ``procrastinate`` first on their ``search_path``. SQLite has no
such backend, so nothing happens there; nor without the ``distributed`` extra.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "procrastinate"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        from procrastinate.schema import SchemaManager
    except ImportError:
        # The optional extra is absent: nothing to create. `blocker worker` refuses to
        # start without these tables and says how to add them (re-run this revision).
        return

    raw = bind.connection.driver_connection
    assert raw is not None
    previous = raw.execute("SHOW search_path").fetchone()
    raw.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    raw.execute(f"SET LOCAL search_path TO {SCHEMA}")
    # No parameters: psycopg sends the script as is (several statements, literal %).
    raw.execute(SchemaManager.get_schema())
    raw.execute(
        "SELECT set_config('search_path', %s, true)", (previous[0] if previous else "public",)
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
