"""Google Calendar behind :class:`CalendarProvider`, on the real google-api-python-client.

This module holds the provider's state, reading and the connect-flow extras; writing
(one state machine for single calls and batches of at most 50, so a week of blocks
is one or two HTTP requests) is :class:`providers.google_writes.GoogleWrites`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from blocker.core.models import (
    Capabilities,
    Interval,
    ReadResult,
    RemoteEvent,
    TentativeAs,
)
from providers.base import CalendarProvider
from providers.google_client import (
    GoogleSettings,
    build_credentials,
    build_service,
    credentials_from_token_json,
)
from providers.google_labels import InMemoryLabels, LabelBook, Labeller, LabelMemory
from providers.google_mapping import EVENT_PALETTE, remote_event
from providers.google_retry import (
    Backoff,
    call,
    sync_token_expired,
)
from providers.google_writes import BATCH_LIMIT, GoogleWrites


class GoogleCalendar(GoogleWrites, CalendarProvider):
    """One Google calendar (``primary`` or a dedicated one) of one user."""

    name = "google"
    capabilities = Capabilities(
        colors=True,
        categories=False,
        focus_time=True,
        push=True,
        incremental=True,
        batch_size=BATCH_LIMIT,
        max_concurrency=1,
    )

    def __init__(
        self,
        settings: GoogleSettings,
        refresh_token: str | None = None,
        *,
        calendar_id: str = "primary",
        credentials: Credentials | None = None,
        http: httplib2.Http | None = None,
        backoff: Backoff | None = None,
        page_size: int = 250,
        time_zone: str | None = None,
        tentative: TentativeAs = "busy",
        focus_allowed: Callable[[], bool] | None = None,
        on_refused: Callable[[str, str], None] | None = None,
        labels: LabelMemory | bool = False,
        labels_allowed: Callable[[], bool] | None = None,
    ) -> None:
        if credentials is None:
            if refresh_token is None:
                raise ValueError("GoogleCalendar needs a refresh_token or credentials")
            credentials = build_credentials(settings, refresh_token)
        self.settings = settings
        self.calendar_id = calendar_id
        self.credentials = credentials
        self._transport = http if http is not None else httplib2.Http(timeout=settings.timeout)
        self.service: Any = build_service(settings, credentials, self._transport)
        self.backoff = backoff or Backoff()
        self.page_size = page_size
        self.time_zone = time_zone
        self.tentative: TentativeAs = tentative
        """How the owner's tentative answer counts (rules ``owner.tentative``)."""
        self.focus_refused = False
        """Google refused ``focusTime`` on this calendar during this instance's life."""
        self.focus_allowed = focus_allowed
        """Asked before each batch of creates: False while a persisted refusal stands
        (the factory retries a week after it), so a CLI run does not pay a 400 each time."""
        self.on_refused = on_refused
        """Told ``(capability, reason)`` when Google refuses one, to persist it."""
        self.labeller: Labeller | None = None
        """Exact colours through event labels (``labels``: True, or what earlier runs set
        up); None paints blocks with the nearest ``colorId`` only."""
        if labels is not False:
            memory = InMemoryLabels() if labels is True else labels
            self.labeller = Labeller(
                LabelBook(self.service, calendar_id, self.backoff, memory),
                granted=credentials.scopes or (),
                allowed=labels_allowed,
                on_refused=on_refused,
            )

    @classmethod
    def from_token_json(
        cls, settings: GoogleSettings, data: bytes | str, **kwargs: Any
    ) -> GoogleCalendar:
        """Build from the JSON that :func:`providers.google_oauth.exchange_code` returned."""
        return cls(settings, credentials=credentials_from_token_json(settings, data), **kwargs)

    # -- reading -----------------------------------------------------------------

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        """Full read of ``window``, or all changes since ``sync_token`` (any time range).

        An incremental read is not limited to ``window``: Google refuses
        ``timeMin``/``timeMax`` with a sync token, and an event moved out of the
        window is a change the caller must see.
        """
        params: dict[str, Any] = {"singleEvents": True, "maxResults": self.page_size}
        if sync_token is not None:
            params["syncToken"] = sync_token
        else:
            params["timeMin"] = window.start.isoformat()
            params["timeMax"] = window.end.isoformat()
        events: list[RemoteEvent] = []
        removed: list[str] = []
        page_token: str | None = None
        next_sync: str | None = None
        while True:
            data = self._list_page(params, page_token, incremental=sync_token is not None)
            if self.labeller is not None and data.get("accessRole"):
                self.labeller.access_role = str(data["accessRole"])
            zone = self._zone(data.get("timeZone"))
            for item in data.get("items", []):
                if item.get("status") == "cancelled":
                    if sync_token is not None:
                        removed.append(str(item["id"]))
                    continue
                events.append(remote_event(item, zone, tentative=self.tentative))
            page_token = data.get("nextPageToken")
            if not page_token:
                next_sync = data.get("nextSyncToken")
                break
        events.sort(key=lambda e: (e.start, e.end, e.event_id))
        return ReadResult(
            events=tuple(events),
            complete=True,
            sync_token=next_sync,
            incremental=sync_token is not None,
            removed=tuple(removed),
        )

    def _list_page(
        self, params: dict[str, Any], page_token: str | None, *, incremental: bool
    ) -> dict[str, Any]:
        def fetch() -> dict[str, Any]:
            request = self.service.events().list(
                calendarId=self.calendar_id, pageToken=page_token, **params
            )
            try:
                result: dict[str, Any] = request.execute()
            except HttpError as exc:
                if incremental and exc.resp.status == 410:
                    raise sync_token_expired(exc) from exc
                raise
            return result

        return call(fetch, self.backoff, what=f"reading {self.calendar_id}")

    # -- extras used by the connect flow and the dashboard --------------------------------

    def create_calendar(self, summary: str = "Time blocks", time_zone: str | None = None) -> str:
        """Create a dedicated calendar (needs the ``calendar`` scope); returns its id."""
        body: dict[str, Any] = {"summary": summary}
        if time_zone:
            body["timeZone"] = time_zone
        created: dict[str, Any] = call(
            lambda: self.service.calendars().insert(body=body).execute(),
            self.backoff,
            what="creating a calendar",
        )
        return str(created["id"])

    def palette(self) -> dict[str, str]:
        """Google's event colours as the API reports them (colorId -> #rrggbb)."""
        data: dict[str, Any] = call(
            lambda: self.service.colors().get().execute(), self.backoff, what="reading colours"
        )
        event = data.get("event") or {}
        return {str(k): str(v["background"]) for k, v in event.items()} or dict(EVENT_PALETTE)

    def close(self) -> None:
        """Close the pooled connections (httplib2 keeps them open otherwise)."""
        self._transport.close()


__all__ = ["BATCH_LIMIT", "GoogleCalendar"]
