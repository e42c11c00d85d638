"""The sync scenarios run on both SyncState implementations: in memory and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blocker.state import SyncState
from blocker.state_memory import MemoryState


@pytest.fixture(params=["memory", "sqlite"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SyncState]:
    if request.param == "memory":
        yield MemoryState()
        return
    from blocker.store.crypto import TokenCipher
    from blocker.store.db import open_store

    store = open_store(
        f"sqlite:///{tmp_path / 'state.db'}", TokenCipher(TokenCipher.generate_key())
    )
    try:
        yield store
    finally:
        store.close()
