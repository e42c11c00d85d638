"""Rate limits, outages and revoked consent, injected at the fake, seen through the client."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blocker.core.errors import ProviderError, RateLimited, ReconnectRequired, TransientError
from blocker.core.models import Interval
from providers.base import Write
from providers.google import GoogleCalendar
from providers.google_client import GoogleSettings
from providers.google_retry import Backoff, call
from tests.fakes.google import FakeGoogle
from tests.google.conftest import MONDAY, Sleeper, draft, make_provider

WEEK = Interval(MONDAY, MONDAY + timedelta(days=7))


def test_429_retry_after_is_honoured(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    fake.fail_next(1, 429, retry_after=7)
    assert provider.read(WEEK).complete
    assert sleeper.calls == [7.0]
    assert [r.status for r in fake.requests()] == [429, 200]


def test_403_rate_limit_is_retried_with_backoff(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    fake.fail_next(2, 403, reason="rateLimitExceeded")
    made = provider.create(draft("a"))
    assert made.owned
    assert sleeper.calls == [1.0, 2.0]  # base 1 s doubling; jitter pinned at its top
    assert [r.status for r in fake.requests()] == [403, 403, 200]


def test_403_user_rate_limit_and_5xx_are_retried(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    fake.fail_next(1, 403, reason="userRateLimitExceeded")
    fake.fail_next(1, 503)
    fake.fail_next(1, 500)
    assert provider.read(WEEK).complete
    assert len(sleeper.calls) == 3


def test_403_forbidden_is_not_retried(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    fake.fail_next(1, 403, reason="forbidden")
    with pytest.raises(Exception) as caught:
        provider.read(WEEK)
    assert not isinstance(caught.value, TransientError)
    assert sleeper.calls == []


def test_rate_limit_that_outlasts_the_retries_surfaces(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    fake.fail_next(4, 429, retry_after=3)
    with pytest.raises(RateLimited) as caught:
        provider.read(WEEK)
    assert caught.value.retry_after == 3.0
    assert sleeper.calls == [3.0, 3.0, 3.0]


def test_a_very_long_retry_after_is_left_to_the_scheduler(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    fake.fail_next(1, 429, retry_after=3600)
    with pytest.raises(RateLimited) as caught:
        provider.create(draft("a"))
    assert caught.value.retry_after == 3600.0
    assert sleeper.calls == []


def test_outage_becomes_transient_error(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    fake.fail_next(4, 503)
    with pytest.raises(TransientError) as caught:
        provider.read(WEEK)
    assert not isinstance(caught.value, RateLimited)
    assert len(sleeper.calls) == 3


def test_batch_request_rate_limited_as_a_whole_is_resent(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    provider.read(WEEK)
    fake.clear_log()
    fake.fail_next(1, 429, retry_after=5)
    results = provider.write_batch(
        [Write("create", draft=draft(f"k{i}", hour=i)) for i in range(5)]
    )
    assert all(getattr(r, "owned", False) for r in results)
    assert sleeper.calls == [5.0]
    assert [r.status for r in fake.requests()] == [429, 200]
    assert len(fake.live_events()) == 5


def test_failed_parts_of_a_batch_are_resent_alone(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    provider.read(WEEK)
    fake.clear_log()
    fake.fail_next(2, 429, retry_after=2, scope="part")
    results = provider.write_batch(
        [Write("create", draft=draft(f"k{i}", hour=i)) for i in range(6)]
    )
    assert all(getattr(r, "owned", False) for r in results)
    assert sleeper.calls == [2.0]
    assert [b.parts for b in fake.requests(path_contains="/batch/")] == [6, 2]
    assert len(fake.live_events()) == 6


def test_revoked_refresh_token_needs_reconnect(
    fake: FakeGoogle, settings: GoogleSettings, refresh_token: str, sleeper: Sleeper
) -> None:
    fake.oauth.revoke(refresh_token)
    cal = make_provider(settings, refresh_token, sleeper)
    with pytest.raises(ReconnectRequired):
        cal.read(WEEK)
    with pytest.raises(ReconnectRequired):
        cal.create(draft("a"))
    with pytest.raises(ReconnectRequired):
        cal.write_batch([Write("create", draft=draft(f"k{i}", hour=i)) for i in range(3)])
    assert sleeper.calls == []
    assert fake.live_events() == []
    cal.close()


def test_revoked_while_connected_needs_reconnect(
    provider: GoogleCalendar, fake: FakeGoogle, refresh_token: str
) -> None:
    provider.read(WEEK)
    fake.oauth.revoke(refresh_token)  # access token dies with it: 401, refresh, invalid_grant
    with pytest.raises(ReconnectRequired):
        provider.read(WEEK)


def test_expired_access_token_is_refreshed_once(
    provider: GoogleCalendar, fake: FakeGoogle, sleeper: Sleeper
) -> None:
    provider.read(WEEK)
    refreshes = fake.oauth.refresh_count
    fake.oauth.expire_access_tokens()
    assert provider.read(WEEK).complete
    assert fake.oauth.refresh_count == refreshes + 1
    assert [r.status for r in fake.requests()][-2:] == [401, 200]
    assert sleeper.calls == []


def test_a_bug_in_our_code_is_not_dressed_up_as_a_google_failure() -> None:
    """A TypeError inside a call is ours: it surfaces as itself, never as ProviderError
    (which a run would record as "Google failed" and retry for ever)."""

    def broken() -> None:
        raise TypeError("unsupported operand type(s)")

    with pytest.raises(TypeError):
        call(broken, Backoff(attempts=3, sleep=lambda _s: None))


def test_a_transport_error_is_still_translated() -> None:
    def refused() -> None:
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(ProviderError):
        call(refused, Backoff(attempts=2, sleep=lambda _s: None))
