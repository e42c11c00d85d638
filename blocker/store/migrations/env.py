"""Alembic environment: uses the connection handed over by ``blocker.store.db.migrate``.

Run from the command line (``alembic upgrade head`` at the repository root) it
opens its own engine on ``-x url=...``, else ``BLOCKER_DATABASE_URL``, else the
default SQLite file. Batch mode is on so later ``ALTER``s work on SQLite too.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from blocker.store.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from blocker.store.db import DEFAULT_DATABASE_URL, make_engine

    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("BLOCKER_DATABASE_URL")
        or context.config.get_main_option("sqlalchemy.url")
        or DEFAULT_DATABASE_URL
    )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
_main()
