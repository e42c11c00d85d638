"""The shared provider contract for OutlookCalendar: real msal + httpx against the fakes.

The identity fake runs over HTTPS (trustme CA); the Graph fake accepts only the
access tokens the identity fake issued, so every request proves the auth path too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
import requests

from providers.outlook import OutlookCalendar
from tests.fakes.microsoft import recurrence
from tests.fakes.microsoft.fixtures import graph_http, ms_graph, ms_identity, ms_session, ms_tls
from tests.fakes.microsoft.graph import FakeGraph
from tests.fakes.microsoft.graph_store import graph_time
from tests.fakes.microsoft.identity import FakeIdentity
from tests.fakes.microsoft.signin import connected_getter
from tests.providers.contract import TZ, Harness, ProviderContract
from tests.providers.contract_recurring import STANDUP, RecurringContract

__all__ = ["graph_http", "ms_graph", "ms_identity", "ms_session", "ms_tls"]


@dataclass
class OutlookHarness:
    provider: OutlookCalendar
    graph: FakeGraph
    supports_incremental: bool = True

    def add_foreign(self, start: datetime, end: datetime, title: str = "Meeting", **kw: Any) -> str:
        event = self.graph.mailbox.add_foreign(
            title, start, end, all_day=bool(kw.get("all_day", False))
        )
        return event.id

    def move(self, event_id: str, start: datetime, end: datetime) -> None:
        self.graph.mailbox.patch(event_id, {"start": graph_time(start), "end": graph_time(end)})

    def remove(self, event_id: str) -> None:
        self.graph.mailbox.remove(event_id)

    def expire_sync_tokens(self) -> None:
        self.graph.expire_delta_tokens()

    def add_daily_series(self, start: datetime, end: datetime, title: str = STANDUP) -> str:
        return recurrence.add_series(self.graph.mailbox, title, start, end, {"type": "daily"}).id

    def instance_id(self, series_id: str, original: datetime) -> str:
        return recurrence.occurrence_id(series_id, original)

    def move_instance(
        self, series_id: str, original: datetime, start: datetime, end: datetime
    ) -> str:
        occurrence = recurrence.occurrence_id(series_id, original)
        return recurrence.move(self.graph.mailbox, occurrence, start, end).id

    def cancel_instance(self, series_id: str, original: datetime) -> None:
        self.graph.mailbox.remove(recurrence.occurrence_id(series_id, original))


class TestOutlookContract(ProviderContract, RecurringContract):
    @pytest.fixture
    def harness(
        self,
        ms_identity: FakeIdentity,
        ms_session: requests.Session,
        ms_graph: FakeGraph,
        graph_http: httpx.Client,
    ) -> Iterator[Harness]:
        ms_graph.token_ok = ms_identity.state.token_valid
        provider = OutlookCalendar(
            connected_getter(ms_identity, ms_session),
            graph_root=ms_graph.root,
            client=graph_http,
            zone=TZ,
            sleeper=lambda seconds: None,
        )
        yield OutlookHarness(provider, ms_graph)
        provider.close()
