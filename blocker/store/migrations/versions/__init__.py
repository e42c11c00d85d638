"""Schema revisions, oldest first; each must work on SQLite and PostgreSQL."""
