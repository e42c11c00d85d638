"""The state store: SQLAlchemy models, Alembic migrations, and the repository.

SQLite is the embedded default; PostgreSQL serves many users. Calendar tokens
are encrypted at rest with :class:`TokenCipher`. Callers open a store with
:func:`open_store`, which migrates the schema first, so an installed package
can bring its own database up to date.
"""

from blocker.store.crypto import TokenCipher
from blocker.store.db import DEFAULT_DATABASE_URL, make_engine, migrate, open_store
from blocker.store.records import (
    Channel,
    Connection,
    ConnectionStatus,
    ProviderName,
    RulesVersion,
    ScheduleState,
)
from blocker.store.repository import RulesVersionNotFound, Store, UnknownCalendar

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Channel",
    "Connection",
    "ConnectionStatus",
    "ProviderName",
    "RulesVersion",
    "RulesVersionNotFound",
    "ScheduleState",
    "Store",
    "TokenCipher",
    "UnknownCalendar",
    "make_engine",
    "migrate",
    "open_store",
]
