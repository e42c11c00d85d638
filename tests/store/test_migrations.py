"""Alembic migrations from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from blocker.core.errors import StoreError
from blocker.core.models import Pin
from blocker.store import TokenCipher, make_engine, migrate, open_store
from blocker.store.db import downgrade, schema_is_current
from blocker.store.tables import Base


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_from_empty_matches_the_models(empty_engine: Engine) -> None:
    assert _tables(empty_engine) == set()
    assert not schema_is_current(empty_engine)

    migrate(empty_engine)

    assert _tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert schema_is_current(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrate_is_idempotent_and_reversible(empty_engine: Engine) -> None:
    migrate(empty_engine)
    migrate(empty_engine)  # a second start changes nothing
    assert schema_is_current(empty_engine)

    downgrade(empty_engine, "base")
    assert _tables(empty_engine) == {"alembic_version"}
    assert not schema_is_current(empty_engine)

    migrate(empty_engine)
    assert _tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}


def test_open_store_migrates_an_empty_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "blocker.db"
    store = open_store(f"sqlite:///{path}", TokenCipher(TokenCipher.generate_key()))
    try:
        store.save_pin("cal", "2026-W49", Pin("k", dismissed=True))
        assert store.pins("cal", "2026-W49") == [Pin("k", dismissed=True)]
    finally:
        store.close()
    assert path.exists()


def test_in_memory_sqlite_is_one_database_for_every_thread() -> None:
    import threading

    store = open_store("sqlite://", TokenCipher(TokenCipher.generate_key()))
    try:
        pin = Pin("from-thread", dismissed=True)
        writer = threading.Thread(target=store.save_pin, args=("cal", "2026-W49", pin))
        writer.start()
        writer.join()
        assert store.pins("cal", "2026-W49") == [pin]
    finally:
        store.close()


def test_open_store_without_migrating_refuses_an_old_schema(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="out of date"):
        open_store(
            f"sqlite:///{tmp_path / 'old.db'}",
            TokenCipher(TokenCipher.generate_key()),
            migrate_schema=False,
        )


def test_unreachable_postgresql_is_a_store_error_without_the_password() -> None:
    url = "postgresql://someone:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(StoreError, match="cannot use the database at") as info:
        migrate(url)
    assert "127.0.0.1:1" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert "BLOCKER_DATABASE_URL" in info.value.user_message()


def test_store_calls_on_an_unreachable_database_raise_store_error() -> None:
    from blocker.store import Store

    store = Store(
        make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"),
        TokenCipher(TokenCipher.generate_key()),
    )
    try:
        with pytest.raises(StoreError, match="cannot use the database"):
            store.pins("cal", "2026-W49")
    finally:
        store.close()


def test_sqlite_path_that_cannot_exist_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the database folder"):
        make_engine(f"sqlite:///{blocker / 'db.sqlite'}")


@pytest.mark.parametrize("url", ["mysql://u@localhost/db", "not a url"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreError):
        make_engine(url)
