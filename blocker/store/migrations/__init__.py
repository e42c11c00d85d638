"""Alembic environment of the store (run through :func:`blocker.store.db.migrate`)."""
