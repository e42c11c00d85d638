"""Migration 0012: runs keep their notices apart from their errors, on SQLite and
PostgreSQL; a run recorded before it (notices among the errors, ``notice: ``) is read
split, so the API's ``errors`` hold failures only whatever wrote the row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from blocker.core.clock import fixed_clock
from blocker.core.models import RunRecord
from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.db import downgrade, schema_is_current
from tests.store.pg import BACKENDS, fresh_pg_database

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def engine_at_0009(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate(engine, "0011")
        yield engine
        engine.dispose()
        return
    with fresh_pg_database() as url:
        engine = make_engine(url)
        migrate(engine, "0011")
        yield engine
        engine.dispose()


def test_an_old_run_row_is_read_with_its_notices_apart(engine_at_0009: Engine) -> None:
    engine = engine_at_0009
    with engine.begin() as conn:  # what the code before 0012 wrote
        conn.execute(
            text(
                "INSERT INTO runs (calendar_id, trigger, week, started_at, finished_at, dry_run,"
                " ops, errors, counters) VALUES ('work', 'cli', '2026-W49', :at, :at, false,"
                " '[]', :errors, '{}')"
            ),
            {"at": T0, "errors": json.dumps(["2 writes failed", "notice: colours are off"])},
        )
    migrate(engine)
    assert schema_is_current(engine)
    store = Store(engine, TokenCipher(TokenCipher.generate_key()), clock=fixed_clock(T0))
    [old] = store.runs("work")
    assert (old.errors, old.notices) == (("2 writes failed",), ("colours are off",))

    store.record_run(
        RunRecord("work", "cli", "2026-W49", T0, T0, errors=(), notices=("left out: x",))
    )
    new, _ = store.runs("work")
    assert (new.errors, new.notices) == ((), ("left out: x",))

    downgrade(engine, "0011")
    assert "notices" not in {c["name"] for c in inspect(engine).get_columns("runs")}
    migrate(engine)
    assert schema_is_current(engine)
