"""Fixtures: a fresh fake Google per test and a GoogleCalendar aimed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httplib2
import pytest

from blocker.core.keys import event_id_for
from blocker.core.models import EventDraft
from providers.google import GoogleCalendar
from providers.google_client import EVENTS_SCOPE, GoogleSettings
from providers.google_retry import Backoff
from tests.fakes.google import FakeGoogle, run_fake_google

ZONE = ZoneInfo("Europe/Berlin")


@dataclass
class Sleeper:
    """Records the waits instead of waiting."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with run_fake_google(time_zone="Europe/Berlin") as server:
        yield server


@pytest.fixture
def settings(fake: FakeGoogle) -> GoogleSettings:
    return GoogleSettings(
        client_id=fake.oauth.client_id,
        client_secret=fake.oauth.client_secret,
        auth_uri=f"{fake.base_url}/o/oauth2/auth",
        token_uri=f"{fake.base_url}/token",
        api_root=f"{fake.base_url}/",
        timeout=10,
    )


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


@pytest.fixture
def refresh_token(fake: FakeGoogle) -> str:
    return fake.oauth.issue_refresh_token(EVENTS_SCOPE)


def make_provider(
    settings: GoogleSettings, refresh_token: str, sleeper: Sleeper, **kwargs: object
) -> GoogleCalendar:
    backoff = Backoff(attempts=4, sleep=sleeper, jitter=lambda: 1.0)
    return GoogleCalendar(
        settings,
        refresh_token,
        http=httplib2.Http(timeout=10, proxy_info=None),
        backoff=backoff,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def provider(
    settings: GoogleSettings, refresh_token: str, sleeper: Sleeper
) -> Iterator[GoogleCalendar]:
    cal = make_provider(settings, refresh_token, sleeper)
    yield cal
    cal.close()


MONDAY = datetime(2026, 3, 2, tzinfo=ZONE)


def draft(
    key: str,
    day: int = 0,
    hour: int = 9,
    minutes: int = 60,
    *,
    title: str | None = None,
    calendar: str = "primary",
    **kwargs: object,
) -> EventDraft:
    from blocker.core.keys import content_hash

    start = MONDAY + timedelta(days=day, hours=hour)
    end = start + timedelta(minutes=minutes)
    name = title or f"Block {key}"
    return EventDraft(
        event_id=event_id_for(calendar, key),
        key=key,
        title=name,
        start=start,
        end=end,
        content_hash=content_hash(name, start, end),
        **kwargs,  # type: ignore[arg-type]
    )
