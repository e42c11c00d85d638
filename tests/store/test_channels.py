"""Push channels: secrets stored hashed, verified in constant time, renewal queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from blocker.store import Channel, Store

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
SECRET = "s3cr3t-channel-token-0123456789"


def test_save_find_and_verify(store: Store) -> None:
    saved = store.save_channel("cal", "google", "chan-1", SECRET, T0, resource_id="res-1")
    assert saved == store.find_channel("chan-1")
    assert (saved.calendar_id, saved.provider, saved.resource_id) == ("cal", "google", "res-1")
    assert saved.expires_at == T0
    assert store.verify_channel("chan-1", SECRET) == saved
    assert store.verify_channel("chan-1", SECRET + "x") is None
    assert store.verify_channel("chan-1", None) is None
    assert store.verify_channel("unknown", SECRET) is None
    assert store.find_channel("unknown") is None


def test_secret_is_not_stored_in_clear(store: Store) -> None:
    store.save_channel("cal", "outlook", "sub-1", SECRET, T0)
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM push_channels")).all()
    assert rows and all(SECRET not in repr(row) for row in rows)


def test_renewal_replaces_the_row_of_the_same_channel(store: Store) -> None:
    store.save_channel("cal", "outlook", "sub-1", SECRET, T0)
    later = T0 + timedelta(days=3)
    renewed = store.save_channel("cal", "outlook", "sub-1", "new-secret", later)
    assert renewed.expires_at == later
    assert store.verify_channel("sub-1", SECRET) is None
    assert store.verify_channel("sub-1", "new-secret") == renewed
    assert store.channels_for("cal") == [renewed]


def test_channels_expiring_soonest_first_and_delete(store: Store) -> None:
    store.save_channel("a", "google", "late", SECRET, T0 + timedelta(days=6))
    store.save_channel("b", "google", "soon", SECRET, T0 + timedelta(hours=2))
    store.save_channel("a", "outlook", "sooner", SECRET, T0 + timedelta(hours=1))

    def ids(channels: list[Channel]) -> list[str]:
        return [c.channel_id for c in channels]

    assert ids(store.channels_expiring(T0 + timedelta(days=1))) == ["sooner", "soon"]
    assert ids(store.channels_expiring(T0)) == []
    assert ids(store.channels_for("a")) == ["sooner", "late"]
    assert store.delete_channel("soon") is True
    assert store.delete_channel("soon") is False
    assert ids(store.channels_expiring(T0 + timedelta(days=7))) == ["sooner", "late"]


def test_empty_secret_and_unknown_provider_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="secret"):
        store.save_channel("cal", "google", "c", "", T0)
    with pytest.raises(ValueError, match="provider"):
        store.save_channel("cal", "caldav", "c", SECRET, T0)  # type: ignore[arg-type]
