"""The shared provider contract for GoogleCalendar: the real client against the loopback fake.

The fake accepts only access tokens its own token endpoint issued, so every
request also proves the refresh-token path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httplib2
import pytest

from providers.google import GoogleCalendar
from providers.google_client import EVENTS_SCOPE, GoogleSettings
from providers.google_retry import Backoff
from tests.fakes.google import FakeGoogle, recurrence, run_fake_google
from tests.providers.contract import TZ, Harness, ProviderContract
from tests.providers.contract_recurring import STANDUP, RecurringContract


@dataclass
class GoogleHarness:
    provider: GoogleCalendar
    fake: FakeGoogle
    supports_incremental: bool = True

    def add_foreign(self, start: datetime, end: datetime, title: str = "Meeting", **kw: Any) -> str:
        if kw.get("all_day"):
            event = self.fake.add_meeting(start.date(), end.date(), title)
        else:
            event = self.fake.add_meeting(start, end, title)
        return str(event["id"])

    def move(self, event_id: str, start: datetime, end: datetime) -> None:
        self.fake.user_edit(
            event_id,
            {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}},
        )

    def remove(self, event_id: str) -> None:
        self.fake.user_delete(event_id)

    def expire_sync_tokens(self) -> None:
        self.fake.expire_sync_tokens()

    def add_daily_series(self, start: datetime, end: datetime, title: str = STANDUP) -> str:
        return str(recurrence.add_series(self.fake, start, end, "FREQ=DAILY", title)["id"])

    def instance_id(self, series_id: str, original: datetime) -> str:
        return recurrence.instance_id(series_id, original)

    def move_instance(
        self, series_id: str, original: datetime, start: datetime, end: datetime
    ) -> str:
        return str(recurrence.move_instance(self.fake, series_id, original, start, end)["id"])

    def cancel_instance(self, series_id: str, original: datetime) -> None:
        recurrence.cancel_instance(self.fake, series_id, original)


class TestGoogleContract(ProviderContract, RecurringContract):
    @pytest.fixture
    def harness(self) -> Iterator[Harness]:
        with run_fake_google(time_zone=TZ.key) as fake:
            settings = GoogleSettings(
                client_id=fake.oauth.client_id,
                client_secret=fake.oauth.client_secret,
                token_uri=f"{fake.base_url}/token",
                api_root=f"{fake.base_url}/",
            )
            provider = GoogleCalendar(
                settings,
                fake.oauth.issue_refresh_token(EVENTS_SCOPE),
                http=httplib2.Http(timeout=10, proxy_info=None),
                backoff=Backoff(sleep=lambda seconds: None),
            )
            yield GoogleHarness(provider, fake)
            provider.close()
