"""Fixtures that run every store test on SQLite (a temp file) and PostgreSQL.

PostgreSQL is expected at 127.0.0.1:5432 (override with ``BLOCKER_TEST_PG_URL``).
A fresh database with a random name is created for the session and dropped at
the end. If the server is unreachable the PostgreSQL tests FAIL, never skip:
CI relies on them to prove the store works on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.tables import Base
from tests.store.pg import BACKENDS, fresh_pg_database
from tests.support.clock import TEST_NOW, SettableClock


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole session."""
    with fresh_pg_database() as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """Kept open for wiping between tests (faster than an engine per test)."""
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    """Empty every table; DELETE beats TRUNCATE by far on tables this small."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a new SQLite file, or the session's PG database wiped."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        migrate(url)
        return url
    _wipe(request.getfixturevalue("pg_engine"))
    return str(request.getfixturevalue("pg_url"))


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


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(TEST_NOW)


@pytest.fixture
def timed_store(db_url: str, key: str, clock: SettableClock) -> Iterator[Store]:
    """A store on ``clock``, on each backend."""
    st = Store(make_engine(db_url), TokenCipher(key), clock=clock)
    try:
        yield st
    finally:
        st.close()


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all (migration tests start there)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    with fresh_pg_database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()
