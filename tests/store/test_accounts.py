"""Users and connections; tokens are encrypted at rest and need the right key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from blocker.core.errors import SettingsError
from blocker.store import Store, TokenCipher, UnknownCalendar, make_engine
from tests.support.clock import SettableClock

CLEAR = b'{"refresh_token": "1//0gClearRefreshTokenNeverOnDisk", "client_id": "x"}'
NEEDLE = b"ClearRefreshTokenNeverOnDisk"


def test_ensure_user_is_idempotent_and_updates_the_zone(store: Store) -> None:
    uid = store.ensure_user("Ann@Example.com")
    assert store.ensure_user("ann@example.com ") == uid
    store.ensure_user("ann@example.com", "Europe/Berlin")
    store.ensure_user("ann@example.com")  # no zone given: keeps Berlin
    conn = store.upsert_connection("cal", user_email="ann@example.com", provider="local")
    assert conn.user_timezone == "Europe/Berlin"
    assert store.ensure_user("bob@example.com") != uid


def test_ensure_user_refuses_unknown_zones_and_non_emails(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        store.ensure_user("ann@example.com", "Mars/Olympus")
    with pytest.raises(ValueError, match="email"):
        store.ensure_user("ann")


def test_upsert_connection_creates_then_refreshes(db_url: str, key: str) -> None:
    clock = SettableClock(datetime(2026, 12, 1, 8, tzinfo=UTC))
    store = Store(make_engine(db_url), TokenCipher(key), clock=clock)
    try:
        first = store.upsert_connection(
            "work",
            user_email="ann@example.com",
            provider="google",
            account_label="ann@example.com (Google)",
            provider_calendar_id="primary",
            tokens=CLEAR,
            user_timezone="America/New_York",
        )
        assert first.status == "connected" and first.has_tokens
        assert first.created_at == first.updated_at == clock.now

        store.mark_needs_reconnect("work", "invalid_grant: token revoked")
        flagged = store.get_connection("work")
        assert flagged is not None
        assert (flagged.status, flagged.status_reason) == (
            "needs_reconnect",
            "invalid_grant: token revoked",
        )

        clock.now += timedelta(hours=1)
        again = store.upsert_connection(
            "work", user_email="ann@example.com", provider="google", account_label="renamed"
        )
        assert again.status == "connected" and again.status_reason == ""
        assert again.created_at == first.created_at and again.updated_at == clock.now
        assert again.account_label == "renamed"
        assert again.has_tokens  # no new tokens given: the stored ones stay
        assert store.connection_tokens("work") == CLEAR
    finally:
        store.close()


def test_list_connections_filters(store: Store) -> None:
    store.upsert_connection("b", user_email="ann@example.com", provider="outlook")
    store.upsert_connection("a", user_email="ann@example.com", provider="local")
    store.upsert_connection("c", user_email="bob@example.com", provider="memory")
    store.mark_needs_reconnect("b", "consent withdrawn")
    assert [c.calendar_id for c in store.list_connections()] == ["a", "b", "c"]
    assert [c.calendar_id for c in store.list_connections(user_email="ANN@example.com")] == [
        "a",
        "b",
    ]
    assert [c.calendar_id for c in store.list_connections(status="needs_reconnect")] == ["b"]
    assert store.get_connection("zzz") is None


def test_unknown_calendar_and_bad_values(store: Store) -> None:
    with pytest.raises(UnknownCalendar):
        store.mark_needs_reconnect("nope", "x")
    with pytest.raises(UnknownCalendar):
        store.save_connection_tokens("nope", b"x")
    with pytest.raises(UnknownCalendar):
        store.connection_tokens("nope")
    with pytest.raises(ValueError, match="provider"):
        store.upsert_connection("x", user_email="a@b.c", provider="caldav")  # type: ignore[arg-type]


def test_tokens_round_trip_and_disconnect_forgets_them(store: Store) -> None:
    store.upsert_connection("cal", user_email="ann@example.com", provider="outlook")
    assert store.connection_tokens("cal") is None
    store.save_connection_tokens("cal", CLEAR)
    assert store.connection_tokens("cal") == CLEAR
    store.save_connection_tokens("cal", b"msal cache v2")
    assert store.connection_tokens("cal") == b"msal cache v2"
    store.disconnect("cal")
    conn = store.get_connection("cal")
    assert conn is not None and conn.status == "disconnected" and not conn.has_tokens
    assert store.connection_tokens("cal") is None


def test_tokens_are_encrypted_in_the_raw_table(store: Store) -> None:
    store.upsert_connection("cal", user_email="ann@example.com", provider="google", tokens=CLEAR)
    with store.engine.connect() as connection:
        raw = connection.execute(text("SELECT token_blob FROM calendar_connections")).scalar_one()
        whole_rows = connection.execute(
            text("SELECT * FROM calendar_connections")
        ).all()  # every column, as the driver returns it
    assert NEEDLE not in bytes(raw)
    assert all(NEEDLE not in repr(row).encode() for row in whole_rows)
    assert store.connection_tokens("cal") == CLEAR


def test_sqlite_file_bytes_never_hold_the_clear_token(tmp_path: Path, key: str) -> None:
    from blocker.store import open_store

    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    store = open_store(url, TokenCipher(key))
    try:
        store.upsert_connection("cal", user_email="a@example.com", provider="google", tokens=CLEAR)
        store.save_connection_tokens("cal", CLEAR + b" refreshed")
        assert store.connection_tokens("cal") == CLEAR + b" refreshed"
    finally:
        store.close()
    database = Path(make_url(url).database or "")
    files = [p for p in tmp_path.iterdir() if p.name.startswith(database.name)]
    assert database in files
    assert sum(p.stat().st_size for p in files) > 0
    for path in files:  # the main file and any WAL/SHM leftovers
        assert NEEDLE not in path.read_bytes(), path


def test_wrong_key_gives_a_clear_settings_error(db_url: str, key: str) -> None:
    writer = Store(make_engine(db_url), TokenCipher(key))
    reader = Store(make_engine(db_url), TokenCipher(TokenCipher.generate_key()))
    try:
        writer.upsert_connection("cal", user_email="a@example.com", provider="google", tokens=CLEAR)
        with pytest.raises(SettingsError, match="BLOCKER_ENCRYPTION_KEY"):
            reader.connection_tokens("cal")
        # Rotation: the new key first, the old one after it, reads the old tokens.
        rotated = Store(make_engine(db_url), TokenCipher(f"{TokenCipher.generate_key()},{key}"))
        try:
            assert rotated.connection_tokens("cal") == CLEAR
        finally:
            rotated.close()
    finally:
        writer.close()
        reader.close()
