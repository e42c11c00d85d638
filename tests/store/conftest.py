"""Fixtures that run every store test on SQLite (a temp file) and PostgreSQL.

PostgreSQL is expected at 127.0.0.1:5432 (override with ``BLOCKER_TEST_PG_URL``).
A fresh database with a random name is created for the session and dropped at
the end. If the server is unreachable the PostgreSQL tests FAIL, never skip:
CI relies on them to prove the store works on PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.tables import Base

PG_ADMIN_URL = os.environ.get(
    "BLOCKER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _libpq(url: str) -> str:
    """SQLAlchemy URL -> psycopg conninfo (drop the ``+psycopg`` driver part)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; yields its SQLAlchemy URL, drops it after."""
    name = f"blocker_test_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is unreachable at {PG_ADMIN_URL} ({exc}); the store tests need it "
            "(start it, or point BLOCKER_TEST_PG_URL at one)",
            pytrace=False,
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole session."""
    with fresh_pg_database() as url:
        migrate(url)
        yield url


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the session's PG database wiped."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        migrate(url)
        return url
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    try:
        _truncate_all(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def key() -> str:
    return TokenCipher.generate_key()


@pytest.fixture
def store(db_url: str, key: str) -> Iterator[Store]:
    st = Store(make_engine(db_url), TokenCipher(key))
    try:
        yield st
    finally:
        st.close()
