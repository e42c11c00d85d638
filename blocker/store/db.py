"""Engines, migrations and opening the store.

The schema exists only through Alembic migrations shipped inside the package
(``blocker/store/migrations``) and run programmatically, so an installed
``csm-blocker`` migrates its own database without an ``alembic.ini`` on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlalchemy.pool import StaticPool

from blocker.core.clock import Clock, system_clock
from blocker.core.errors import StoreError
from blocker.store.crypto import TokenCipher
from blocker.store.repository import Store, describe_engine, unreachable

DEFAULT_DATABASE_URL = "sqlite:///csm-blocker.db"
"""The embedded default: one SQLite file in the working directory."""

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 0x63736D62  # "csmb": PostgreSQL advisory lock serialising migrators
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _normalise(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.drivername in {"postgresql", "postgres"}:
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://"
        )
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside one writer; busy_timeout makes writers wait, not fail;
    secure_delete zeroes what is deleted or overwritten, so replaced tokens and labels
    do not linger in the file's free pages (some builds default it on, most off)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql[+psycopg]://...``.

    Nothing connects yet; :func:`migrate` or the first query does, and turns an
    unreachable database into a :class:`StoreError`.
    """
    parsed = _normalise(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in {"", ":memory:"}:
            # One shared connection, or every pooled connection sees its own empty DB.
            engine = create_engine(
                parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the database folder {folder}: {exc}") from exc
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (``head`` by default); safe to run repeatedly."""
    owned = isinstance(url_or_engine, str)
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    config = alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two processes starting together must not both create the tables.
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except (OperationalError, InterfaceError) as exc:
        raise unreachable(engine, exc) from exc
    finally:
        if owned:
            engine.dispose()


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (tests and manual recovery)."""
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    except (OperationalError, InterfaceError) as exc:
        raise unreachable(engine, exc) from exc


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the newest migration this package ships."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except (OperationalError, InterfaceError) as exc:
        raise unreachable(engine, exc) from exc
    return current == heads


def open_store(
    url: str, cipher: TokenCipher, *, migrate_schema: bool = True, clock: Clock = system_clock
) -> Store:
    """Open the store at ``url``; migrate first, or refuse an out-of-date schema.

    Migrating also encrypts account labels stored in clear by older versions: that
    needs the key, which only the store has, not the migration.
    """
    engine = make_engine(url)
    if migrate_schema:
        migrate(engine)
    elif not schema_is_current(engine):
        engine.dispose()
        raise StoreError(f"the database schema at {describe_engine(engine)} is out of date")
    store = Store(engine, cipher, clock=clock)
    if migrate_schema:
        try:
            store.seal_account_labels()
        except BaseException:
            store.close()
            raise
    return store


__all__ = [
    "DEFAULT_DATABASE_URL",
    "alembic_config",
    "downgrade",
    "make_engine",
    "migrate",
    "open_store",
    "schema_is_current",
]
