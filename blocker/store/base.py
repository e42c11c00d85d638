"""The repository's plumbing: one short transaction per call, dialect-aware upserts.

Every public store method opens its own session from a thread-safe
``sessionmaker`` and commits before returning, so the store can be shared by the
web workers, the scheduler and sync threads; inside :meth:`StoreBase.atomic` the
calls of one thread share one transaction instead (a sync run's phases, see
:mod:`blocker.run_state`). Writes that may race (two threads
saving the same mapping) are single ``INSERT .. ON CONFLICT DO UPDATE``
statements, atomic on SQLite and PostgreSQL alike, rather than read-then-write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from blocker.core.clock import Clock, system_clock
from blocker.core.errors import StoreError
from blocker.store.crypto import TokenCipher
from blocker.store.tables import Base


def describe_engine(engine: Engine) -> str:
    """The engine's URL for messages, password hidden."""
    return engine.url.render_as_string(hide_password=True)


def unreachable(engine: Engine, exc: Exception) -> StoreError:
    """The one message for "cannot talk to the database", with the URL (no password)."""
    cause = getattr(exc, "orig", None) or exc
    return StoreError(f"cannot use the database at {describe_engine(engine)}: {cause}")


class StoreBase:
    """Engine, sessions, clock and cipher shared by the repository's parts."""

    def __init__(self, engine: Engine, cipher: TokenCipher, *, clock: Clock = system_clock) -> None:
        if engine.dialect.name not in {"sqlite", "postgresql"}:
            raise StoreError(f"unsupported database dialect {engine.dialect.name!r}")
        self.engine = engine
        self._cipher = cipher
        self._clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._open = threading.local()
        """``session``: this thread's transaction inside :meth:`atomic`."""

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store's clock returned a naive datetime")
        return now.astimezone(UTC)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Make this thread's store calls in the block one transaction: they commit
        together at its end, or none does. Nested blocks join the outer one."""
        if getattr(self._open, "session", None) is not None:
            yield
            return
        with self._tx() as session:
            self._open.session = session
            try:
                yield
            finally:
                self._open.session = None

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction; commits on success, rolls back on error, maps outages.
        Inside :meth:`atomic` it is the block's transaction (committed at its end)."""
        joined: Session | None = getattr(self._open, "session", None)
        if joined is not None:
            yield joined
            return
        try:
            with self._sessions() as session, session.begin():
                yield session
        except (OperationalError, InterfaceError) as exc:
            raise unreachable(self.engine, exc) from exc
        except StatementError as exc:
            # A value our column types refused (a naive datetime): surface the
            # caller's mistake as itself, not as a database error.
            if not isinstance(exc, DBAPIError) and isinstance(exc.orig, ValueError):
                raise exc.orig from exc
            raise

    def _serialize(self, session: Session, lock_id: int) -> None:
        """Make transactions that take the same ``lock_id`` run one after another.

        PostgreSQL gets a transaction-scoped advisory lock; SQLite needs nothing,
        as its writers are serialised by the database lock already.
        """
        if self.engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})

    def _upsert(
        self,
        session: Session,
        model: type[Base],
        values: Mapping[str, Any],
        keys: Sequence[str],
        *,
        insert_only: Sequence[str] = (),
    ) -> None:
        """Insert ``values`` or, if a row with the same ``keys`` exists, update it."""
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(model).values(dict(values))
        update = {
            name: stmt.excluded[name]
            for name in values
            if name not in keys and name not in insert_only
        }
        if update:
            session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))
        else:
            session.execute(stmt.on_conflict_do_nothing(index_elements=list(keys)))

    def close(self) -> None:
        """Release pooled connections (the engine stays usable; it reconnects lazily)."""
        self.engine.dispose()


__all__ = ["Clock", "StoreBase", "describe_engine", "unreachable"]
