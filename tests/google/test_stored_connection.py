"""A stored connection marked ``needs_reconnect`` builds no provider and sends nothing:
it says "reconnect" until a new grant marks it connected again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from blocker.connections.stored import StoredConnection
from blocker.core.errors import ReconnectRequired
from blocker.core.models import Interval
from blocker.store import Store, TokenCipher, make_engine, migrate
from providers.base import CalendarProvider
from providers.google import GoogleCalendar
from providers.google_client import GoogleSettings
from tests.fakes.google import FakeGoogle
from tests.google.conftest import MONDAY, Sleeper, draft, make_provider

WEEK = Interval(MONDAY, MONDAY + timedelta(days=7))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate(url)
    st = Store(make_engine(url), TokenCipher(TokenCipher.generate_key()))
    try:
        yield st
    finally:
        st.close()


def _connect(store: Store, refresh_token: str) -> None:
    store.upsert_connection(
        "work",
        user_email="ann@example.com",
        provider="google",
        account_label="ann@example.com",
        tokens=refresh_token.encode(),
    )


def _stored(
    store: Store, settings: GoogleSettings, sleeper: Sleeper, built: list[GoogleCalendar]
) -> StoredConnection:
    def build(
        blob: bytes, label: str, load: Callable[[], bytes], save: Callable[[bytes], None]
    ) -> CalendarProvider:
        provider = make_provider(settings, blob.decode(), sleeper)
        built.append(provider)
        return provider

    return StoredConnection(store, "work", "google", "google", GoogleCalendar.capabilities, build)


def test_needs_reconnect_raises_before_any_request_then_a_new_grant_reads_again(
    store: Store, fake: FakeGoogle, settings: GoogleSettings, refresh_token: str, sleeper: Sleeper
) -> None:
    _connect(store, refresh_token)
    built: list[GoogleCalendar] = []
    stored = _stored(store, settings, sleeper, built)
    assert stored.read(WEEK).complete
    assert len(built) == 1

    store.mark_needs_reconnect("work", "Google refused the token")
    sent = len(fake.requests())
    with pytest.raises(ReconnectRequired) as caught:
        stored.read(WEEK)
    message = caught.value.user_message()
    assert "needs reconnecting to google (Google refused the token)" in message
    assert "connect it again" in message and "/connect/google?calendar=work" in message
    with pytest.raises(ReconnectRequired):
        stored.create(draft("a"))
    assert len(fake.requests()) == sent, "no request for a calendar that needs reconnecting"
    assert len(built) == 1, "no provider built for it either"

    _connect(store, refresh_token)  # a new grant: connected again
    assert stored.read(WEEK).complete
    assert len(built) == 2
    stored.close()


def test_a_calendar_marked_before_its_first_read_is_never_built(
    store: Store, fake: FakeGoogle, settings: GoogleSettings, refresh_token: str, sleeper: Sleeper
) -> None:
    _connect(store, refresh_token)
    store.mark_needs_reconnect("work", "")
    built: list[GoogleCalendar] = []
    stored = _stored(store, settings, sleeper, built)
    with pytest.raises(ReconnectRequired, match=r"needs reconnecting to google$"):
        stored.read(WEEK)
    assert built == [] and fake.requests() == []
