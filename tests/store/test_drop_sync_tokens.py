"""Migration 0008 drops ``sync_tokens`` (written, never read) and its downgrade
recreates it, on SQLite and PostgreSQL, with the rest of the state untouched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from blocker.core.clock import fixed_clock
from blocker.core.models import Pin
from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.db import downgrade, schema_is_current
from tests.store.pg import BACKENDS, fresh_pg_database

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
WEEK = "2026-W49"
KEPT = Pin("kept", dismissed=True)


@pytest.fixture(params=BACKENDS)
def engine_at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate(engine, "0007")
        yield engine
        engine.dispose()
        return
    with fresh_pg_database() as url:
        engine = make_engine(url)
        migrate(engine, "0007")
        yield engine
        engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_0008_drops_sync_tokens_from_a_database_in_use_and_the_downgrade_restores_it(
    engine_at_0007: Engine,
) -> None:
    engine = engine_at_0007
    assert "sync_tokens" in _tables(engine)
    with engine.begin() as conn:  # a row the old code wrote on every run
        conn.execute(
            text("INSERT INTO sync_tokens (calendar_id, token, updated_at) VALUES ('w', 't', :at)"),
            {"at": T0},
        )
    store = Store(engine, TokenCipher(TokenCipher.generate_key()), clock=fixed_clock(T0))
    store.save_pin("work", WEEK, KEPT)

    migrate(engine)
    assert "sync_tokens" not in _tables(engine)
    assert schema_is_current(engine)
    assert store.pins("work", WEEK) == [KEPT]

    downgrade(engine, "0007")
    assert "sync_tokens" in _tables(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("sync_tokens")}
    assert columns == {"calendar_id", "token", "updated_at"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_tokens")).scalar_one() == 0
    assert store.pins("work", WEEK) == [KEPT]

    migrate(engine)
    assert "sync_tokens" not in _tables(engine) and schema_is_current(engine)
