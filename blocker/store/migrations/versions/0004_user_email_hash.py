"""Users keep no full email address: a keyed hash of it and its domain instead.

A random per-install salt is created in ``install_secrets``; every existing
``users.email`` becomes ``HMAC-SHA256(salt, address)`` plus the domain, and the
column is dropped. On SQLite ``secure_delete`` is switched on first so the pages
that held the addresses are zeroed rather than left in the file's free space
(on PostgreSQL the old row versions go when the table is next vacuumed; run
``VACUUM FULL users`` to drop them at once).

SQLite rebuilds ``users`` to drop a UNIQUE column, and with foreign keys on (the
store's connections always have them) dropping the old table cascades to
``calendar_connections``; the pragma cannot be turned off inside the migration's
transaction, so those rows are kept aside and put back (:func:`_rebuilding_users`).

The downgrade cannot bring the addresses back: it stores a stand-in
``<hash prefix>@<domain>`` so the old schema's constraints hold.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:45:00
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from blocker.store.identity import EMAIL_SALT, email_domain, email_hash, new_salt

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("email", sa.String()),
    sa.column("email_hash", sa.String()),
    sa.column("email_domain", sa.String()),
)
_secrets = sa.table(
    "install_secrets", sa.column("name", sa.String()), sa.column("value", sa.Text())
)


@contextmanager
def _rebuilding_users() -> Iterator[None]:
    """Keep ``calendar_connections`` whole while SQLite rebuilds ``users`` under it."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    rows = bind.execute(sa.text("SELECT * FROM calendar_connections")).mappings()
    saved = [dict(row) for row in rows]
    yield
    left = bind.execute(sa.text("SELECT count(*) FROM calendar_connections")).scalar_one()
    if saved and left != len(saved):
        table = sa.table("calendar_connections", *(sa.column(name) for name in saved[0]))
        bind.execute(sa.text("DELETE FROM calendar_connections"))
        bind.execute(table.insert(), saved)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")
    op.create_table(
        "install_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_install_secrets")),
    )
    salt = new_salt()
    op.execute(_secrets.insert().values(name=EMAIL_SALT, value=salt))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("email_domain", sa.String(length=255), nullable=True))
    rows = bind.execute(sa.select(_users.c.id, _users.c.email)).all()
    for user_id, email in rows:
        bind.execute(
            _users.update()
            .where(_users.c.id == user_id)
            .values(email_hash=email_hash(salt, email), email_domain=email_domain(email))
        )
    with _rebuilding_users(), op.batch_alter_table("users") as batch:
        batch.alter_column("email_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("email_domain", existing_type=sa.String(length=255), nullable=False)
        batch.drop_constraint("uq_users_email", type_="unique")
        batch.drop_column("email")
        batch.create_unique_constraint(op.f("uq_users_email_hash"), ["email_hash"])


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
    rows = bind.execute(sa.select(_users.c.id, _users.c.email_hash, _users.c.email_domain)).all()
    for user_id, hashed, domain in rows:
        stand_in = f"{hashed[:16]}@{domain}"
        bind.execute(_users.update().where(_users.c.id == user_id).values(email=stand_in))
    with _rebuilding_users(), op.batch_alter_table("users") as batch:
        batch.alter_column("email", existing_type=sa.String(length=320), nullable=False)
        batch.drop_constraint("uq_users_email_hash", type_="unique")
        batch.drop_column("email_hash")
        batch.drop_column("email_domain")
        batch.create_unique_constraint(op.f("uq_users_email"), ["email"])
    op.drop_table("install_secrets")
