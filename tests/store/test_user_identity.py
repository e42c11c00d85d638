"""No full email address in the users table: a keyed hash and the domain (and the
migration that converts rows stored before), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from blocker.store import Store, TokenCipher, make_engine, migrate, open_store
from blocker.store.db import downgrade
from blocker.store.identity import email_domain, email_hash, normal_email
from tests.store.pg import BACKENDS, fresh_pg_database

EMAIL = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
OLD_ROWS = [
    ("ann@example.com", "Europe/Berlin", "work"),
    ("bob.smith@sub.example.org", "UTC", "home"),
]


def _salt(engine: Engine) -> str:
    with engine.connect() as connection:
        salt = connection.execute(
            text("SELECT value FROM install_secrets WHERE name = 'email_salt'")
        ).scalar_one()
    assert isinstance(salt, str)
    return salt


def _hmac(salt: str, address: str) -> str:
    """The documented form, computed here independently of the store's code."""
    return hmac.new(bytes.fromhex(salt), address.encode(), hashlib.sha256).hexdigest()


def test_identity_helpers() -> None:
    assert normal_email("  Ann@Example.COM ") == "ann@example.com"
    assert email_domain("Ann@Mail.Example.com") == "mail.example.com"
    salt = "00" * 31 + "01"
    assert email_hash(salt, "Ann@Example.com") == _hmac(salt, "ann@example.com")
    assert email_hash(salt, "ann@example.com") != email_hash("00" * 32, "ann@example.com")
    for bad in ("ann", "@example.com", "ann@"):
        with pytest.raises(ValueError, match="not an email address"):
            normal_email(bad)


def test_users_table_holds_a_keyed_hash_and_the_domain(store: Store) -> None:
    uid = store.ensure_user("Ann@Example.com", "Europe/Berlin")
    conn = store.upsert_connection("cal", user_email="ann@example.com ", provider="local")
    salt = _salt(store.engine)
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM users")).mappings().all()
    assert len(rows) == 1
    row = dict(rows[0])
    assert row["id"] == uid
    assert row["email_hash"] == _hmac(salt, "ann@example.com")
    assert row["email_domain"] == "example.com"
    assert "email" not in row
    assert all(not EMAIL.search(str(value).encode()) for value in row.values())
    assert (conn.user_hash, conn.user_domain) == (row["email_hash"], "example.com")
    assert store.user_key("ANN@example.com") == row["email_hash"]


def test_a_second_store_on_the_same_database_finds_the_same_user(db_url: str) -> None:
    first = Store(make_engine(db_url), TokenCipher(TokenCipher.generate_key()))
    second = Store(make_engine(db_url), TokenCipher(TokenCipher.generate_key()))
    try:
        uid = first.ensure_user("ann@example.com")
        # another process, another (even ephemeral) encryption key: the same user
        assert second.ensure_user("Ann@Example.com") == uid
        first.upsert_connection("cal", user_email="ann@example.com", provider="local")
        assert [c.calendar_id for c in second.list_connections(user_email="ANN@example.com")] == [
            "cal"
        ]
        assert second.list_connections(user_email="ann@example.org") == []
    finally:
        first.close()
        second.close()


@pytest.fixture(params=BACKENDS)
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at revision 0003 whose users table still holds full addresses."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate(engine, "0003")
        _fill_old(engine)
        yield engine
        engine.dispose()
        return
    with fresh_pg_database() as url:
        engine = make_engine(url)
        migrate(engine, "0003")
        _fill_old(engine)
        yield engine
        engine.dispose()


def _fill_old(engine: Engine) -> None:
    stamp = "2026-11-01 08:00:00+00:00"
    with engine.begin() as connection:
        for n, (email, zone, calendar) in enumerate(OLD_ROWS, start=1):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, timezone, created_at) "
                    "VALUES (:id, :email, :zone, :at)"
                ),
                {"id": n, "email": email, "zone": zone, "at": stamp},
            )
            connection.execute(
                text(
                    "INSERT INTO calendar_connections (calendar_id, user_id, provider, "
                    "account_label, status, status_reason, token_blob, created_at, updated_at) "
                    "VALUES (:cal, :uid, 'google', '', 'connected', '', :blob, :at, :at)"
                ),
                {"cal": calendar, "uid": n, "blob": b"encrypted", "at": stamp},
            )


def test_migration_converts_existing_users_and_keeps_their_connections(
    old_engine: Engine,
) -> None:
    migrate(old_engine)
    salt = _salt(old_engine)
    with old_engine.connect() as connection:
        users = connection.execute(
            text("SELECT id, email_hash, email_domain, timezone FROM users ORDER BY id")
        ).all()
        conns = connection.execute(
            text("SELECT calendar_id, user_id, token_blob FROM calendar_connections ORDER BY id")
        ).all()
        columns = {
            row[0]
            for row in connection.execute(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
                )
                if old_engine.dialect.name == "postgresql"
                else text("SELECT name FROM pragma_table_info('users')")
            )
        }
    assert "email" not in columns
    assert [tuple(u) for u in users] == [
        (1, _hmac(salt, "ann@example.com"), "example.com", "Europe/Berlin"),
        (2, _hmac(salt, "bob.smith@sub.example.org"), "sub.example.org", "UTC"),
    ]
    assert [(c[0], c[1], bytes(c[2])) for c in conns] == [
        ("work", 1, b"encrypted"),
        ("home", 2, b"encrypted"),
    ]
    # the converted users are found by their address, as before the migration
    store = Store(old_engine, TokenCipher(TokenCipher.generate_key()))
    assert store.ensure_user("Bob.Smith@sub.example.org") == 2
    by_user = store.list_connections(user_email="ann@example.com")
    assert [(c.calendar_id, c.user_domain) for c in by_user] == [("work", "example.com")]


def test_downgrade_keeps_no_address_either(old_engine: Engine) -> None:
    migrate(old_engine)
    downgrade(old_engine, "0003")
    with old_engine.connect() as connection:
        emails = connection.execute(text("SELECT email FROM users ORDER BY id")).scalars().all()
        left = connection.execute(text("SELECT count(*) FROM calendar_connections")).scalar_one()
    assert [e.rpartition("@")[2] for e in emails] == ["example.com", "sub.example.org"]
    assert not {e for e, _, _ in OLD_ROWS} & set(emails)
    assert left == len(OLD_ROWS)
    migrate(old_engine)  # and up again: the stand-ins are hashed like any address
    with old_engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM users")).scalar_one()
    assert count == len(OLD_ROWS)


def _no_secure_delete(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA secure_delete = OFF")


def test_sqlite_file_keeps_no_old_address_after_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, "0003")
    _fill_old(engine)
    engine.dispose()  # the addresses are in the file now
    assert b"ann@example.com" in b"".join(p.read_bytes() for p in tmp_path.glob("old.db*"))
    engine = make_engine(f"sqlite:///{path}")
    # Some SQLite builds (Debian's) zero freed pages by default, most do not: start
    # from "do not", so it is the migration that keeps the old addresses out.
    event.listen(engine, "connect", _no_secure_delete)

    migrate(engine)
    engine.dispose()

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("old.db*"))
    assert EMAIL.findall(raw) == []


MAILBOX = "ann.lee@contoso.example"


def test_account_labels_are_encrypted_in_the_table(db_url: str, key: str) -> None:
    store = Store(make_engine(db_url), TokenCipher(key))
    stranger = Store(make_engine(db_url), TokenCipher(TokenCipher.generate_key()))
    try:
        conn = store.upsert_connection(
            "work", user_email=MAILBOX, provider="outlook", account_label=MAILBOX
        )
        store.upsert_connection("home", user_email=MAILBOX, provider="local")
        assert conn.account_label == MAILBOX
        with store.engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM calendar_connections")).all()
        assert all(not EMAIL.search(repr(row).encode()) for row in rows)
        labels = {c.calendar_id: c.account_label for c in store.list_connections()}
        assert labels == {"home": "", "work": MAILBOX}
        # a store with another key cannot read the label (nor the tokens)
        other = stranger.get_connection("work")
        assert other is not None and other.account_label == ""
    finally:
        store.close()
        stranger.close()


def test_open_store_encrypts_labels_stored_in_clear_before(tmp_path: Path, key: str) -> None:
    url = f"sqlite:///{tmp_path / 'labels.db'}"
    migrate(url, "0003")
    engine = make_engine(url)
    _fill_old(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE calendar_connections SET account_label = :label WHERE calendar_id = 'work'"
            ),
            {"label": MAILBOX},
        )
    engine.dispose()

    store = open_store(url, TokenCipher(key))
    try:
        with store.engine.connect() as connection:
            stored = dict(
                connection.execute(
                    text("SELECT calendar_id, account_label FROM calendar_connections")
                ).all()
            )
        assert stored["home"] == "" and MAILBOX not in stored["work"]
        work = store.get_connection("work")
        assert work is not None and work.account_label == MAILBOX
        assert store.seal_account_labels() == 0  # nothing left in clear
    finally:
        store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("labels.db*"))
    assert EMAIL.findall(raw) == []
