"""Event tags and capability fallbacks (migration 0007), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from blocker.core.clock import fixed_clock
from blocker.core.keys import OwnershipTag
from blocker.core.models import Pin, RunRecord
from blocker.outlook_state import COLOURS, StoreOutlookState
from blocker.store import Store, TokenCipher, make_engine, migrate
from blocker.store.db import downgrade
from tests.store.pg import BACKENDS, fresh_pg_database

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
BEFORE = Pin("kept", dismissed=True)
REASON = "Outlook colours are off: no MailboxSettings.ReadWrite"


def _connect(store: Store, calendar_id: str = "work", tokens: bytes | None = None) -> None:
    store.upsert_connection(
        calendar_id, user_email="csm@example.com", provider="outlook", tokens=tokens
    )


def _run(calendar_id: str = "work", errors: tuple[str, ...] = ()) -> RunRecord:
    return RunRecord(calendar_id, "cli", "2026-W49", T0, T0 + timedelta(seconds=1), errors=errors)


def test_event_tags_are_saved_replaced_read_in_bulk_and_dropped(store: Store) -> None:
    store.save_event_tags("work", {"e1": ('W/"1"', "focus:1", "h1"), "e2": ('W/"2"', "k2", "h2")})
    store.save_event_tags("other", {"e1": ('W/"x"', "x", "hx")})
    assert store.event_tags("work", ["e1", "e2", "e3"]) == {
        "e1": ('W/"1"', "focus:1", "h1"),
        "e2": ('W/"2"', "k2", "h2"),
    }
    store.save_event_tags("work", {"e1": ('W/"3"', "focus:1", "h3")})  # our later write
    assert store.event_tags("work", ["e1"]) == {"e1": ('W/"3"', "focus:1", "h3")}
    store.drop_event_tags("work", ["e1", "nope"])
    assert store.event_tags("work", ["e1", "e2"]) == {"e2": ('W/"2"', "k2", "h2")}
    assert store.event_tags("other", ["e1"]) == {"e1": ('W/"x"', "x", "hx")}
    store.save_event_tags("work", {})
    store.drop_event_tags("work", [])


def test_many_event_ids_are_read_and_dropped_in_chunks(store: Store) -> None:
    tags = {f"AAMkAG{i:05d}": (f'W/"{i}"', f"k{i}", "h") for i in range(1234)}
    store.save_event_tags("work", tags)
    assert store.event_tags("work", list(tags)) == tags
    store.drop_event_tags("work", list(tags)[:1200])
    assert len(store.event_tags("work", list(tags))) == 34


def test_the_outlook_adapter_speaks_ownership_tags(store: Store) -> None:
    state = StoreOutlookState(store, "work")
    tag = OwnershipTag(key="focus:2026-12-08:0", content_hash="abc")
    state.remember_tags({"e1": ('W/"1"', tag)})
    assert StoreOutlookState(store, "work").tags(["e1", "e2"]) == {"e1": ('W/"1"', tag)}
    state.forget_tags(["e1"])
    assert state.tags(["e1"]) == {}


def test_a_fallback_is_noted_on_the_connection_once_and_told_in_one_run_record(
    store: Store,
) -> None:
    _connect(store)
    before = store.get_connection("work")
    assert before is not None
    state = StoreOutlookState(store, "work")
    assert state.colours_off() is None

    state.turn_colours_off(REASON)
    state.turn_colours_off(REASON)  # another process finds the same: nothing new

    assert state.colours_off() == REASON
    conn = store.get_connection("work")
    assert conn is not None and conn.status == "connected" and conn.status_reason == REASON
    assert conn.updated_at == before.updated_at, "not a new connection: no provider rebuild"
    store.record_run(_run(errors=("one write failed",)))
    store.record_run(_run())
    second, first = store.runs("work")
    assert first.errors == ("one write failed",)
    assert first.notices == (REASON,), "a notice, apart from the run's errors"
    assert second.errors == () and second.notices == ()
    [fallback] = store.fallbacks("work")
    assert (fallback.capability, fallback.announced_at is not None) == (COLOURS, True)


def test_the_note_is_added_to_the_connection_reason_already_there(store: Store) -> None:
    _connect(store)
    store.set_connection_status("work", "connected", "push unavailable; polling instead")
    assert store.save_fallback("work", COLOURS, REASON)
    conn = store.get_connection("work")
    assert conn is not None
    assert conn.status_reason == f"push unavailable; polling instead; {REASON}"


def test_a_fallback_of_a_calendar_without_connection_is_kept_all_the_same(store: Store) -> None:
    assert store.save_fallback("cli-only", COLOURS, REASON)
    assert store.fallback("cli-only", COLOURS) is not None
    store.record_run(_run("cli-only"))
    [run] = store.runs("cli-only")
    assert (run.errors, run.notices) == ((), (REASON,))


def test_new_tokens_clear_the_fallbacks_and_the_note(store: Store) -> None:
    _connect(store, tokens=b"old grant")
    store.save_fallback("work", COLOURS, REASON)
    _connect(store)  # the runtime making sure a row exists: no new grant, nothing cleared
    assert store.fallback("work", COLOURS) is not None
    _connect(store, tokens=b"new grant")  # a reconnect
    assert store.fallbacks("work") == []
    conn = store.get_connection("work")
    assert conn is not None and conn.status_reason == ""
    store.record_run(_run())
    assert store.runs("work")[0].errors == ()


# -- the migration itself ---------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def engine_at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate(engine, "0006")
        yield engine
        engine.dispose()
        return
    with fresh_pg_database() as url:
        engine = make_engine(url)
        migrate(engine, "0006")
        yield engine
        engine.dispose()


def test_0007_adds_the_tables_to_a_database_in_use_and_removes_them_again(
    engine_at_0006: Engine,
) -> None:
    tables = set(inspect(engine_at_0006).get_table_names())
    assert "event_tags" not in tables and "capability_fallbacks" not in tables
    store = Store(engine_at_0006, TokenCipher(TokenCipher.generate_key()), clock=fixed_clock(T0))
    store.save_pin("work", "2026-W49", BEFORE)

    migrate(engine_at_0006)
    assert {"event_tags", "capability_fallbacks"} <= set(inspect(engine_at_0006).get_table_names())
    store.save_event_tags("work", {"e1": ('W/"1"', "k", "h")})
    store.save_fallback("work", COLOURS, REASON)
    assert store.pins("work", "2026-W49") == [BEFORE]

    downgrade(engine_at_0006, "0006")
    tables = set(inspect(engine_at_0006).get_table_names())
    assert "event_tags" not in tables and "capability_fallbacks" not in tables
    assert store.pins("work", "2026-W49") == [BEFORE]
