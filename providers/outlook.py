"""Outlook / Microsoft 365 calendars through Microsoft Graph.

Reading (one sequential ``$batch`` of ``calendarView/delta`` and ``calendarView``,
then the deltaLink; the tags of our own writes remembered) is
:class:`providers.outlook_read.OutlookReads`, with the master category list.

Writing: ``transactionId`` = ``draft.event_id`` makes creates idempotent; PATCH and
DELETE carry ``If-Match``; ``write_batch`` uses parallel JSON batches, 20 per request.
Colours are Outlook categories (``csm-blocker <Preset>``); the ones a write batch
misses are created in free members of its ``$batch`` (see ``outlook_categories``).
They need ``MailboxSettings.ReadWrite``: when Graph answers 403 for the category
list (or the connection was never granted it), the calendar's blocks are written
without categories from then on, and ``OutlookState.turn_colours_off`` records why
(the store keeps it until the calendar is connected again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import quote

import httpx

from blocker.core.models import (
    Capabilities,
    EventDraft,
    RemoteEvent,
    TentativeAs,
)
from providers.base import CalendarProvider, Write, WriteResult
from providers.outlook_categories import CategoryCache
from providers.outlook_graph import (
    GRAPH_ROOT,
    MAX_BATCH,
    GraphClient,
    Limiter,
    Sleeper,
    SubRequest,
    SubResponse,
    TokenGetter,
    limiter_for,
)
from providers.outlook_mapping import category_for, draft_body
from providers.outlook_read import OutlookReads
from providers.outlook_tags import MemoryState, OutlookState, TagCache

PAGE_SIZE = 200


class OutlookCalendar(OutlookReads, CalendarProvider):
    """One Outlook calendar (the default one unless ``calendar_id`` names another)."""

    name = "outlook"
    capabilities = Capabilities(
        colors=True,
        categories=True,
        focus_time=False,
        push=True,
        incremental=True,
        batch_size=MAX_BATCH,
        max_concurrency=4,
    )

    def __init__(
        self,
        token: TokenGetter,
        *,
        calendar_id: str | None = None,
        graph_root: str = GRAPH_ROOT,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleeper: Sleeper | None = None,
        mailbox: str | None = None,
        limiter: Limiter | None = None,
        zone: tzinfo = UTC,
        max_retries: int = 5,
        page_size: int = PAGE_SIZE,
        tentative: TentativeAs = "busy",
        state: OutlookState | None = None,
        colours: bool = True,
    ) -> None:
        """``mailbox`` names the account so every client of it shares one 4-slot limiter;
        ``tentative`` is how a tentative answer (or ``showAs: tentative``) counts;
        ``state`` is what the calendar remembers between processes (the tag record,
        whether colours were refused); ``colours`` False never touches categories."""
        extra: dict[str, Any] = {} if sleeper is None else {"sleeper": sleeper}
        self.graph = GraphClient(
            token,
            root=graph_root,
            client=client,
            transport=transport,
            limiter=limiter or (limiter_for(mailbox) if mailbox else None),
            max_retries=max_retries,
            **extra,
        )
        self.calendar_id = calendar_id
        self.zone = zone
        self.tentative: TentativeAs = tentative
        self.page_size = page_size
        self._base = (
            "/me/calendar"
            if calendar_id in (None, "", "primary")
            else f"/me/calendars/{quote(str(calendar_id), safe='')}"
        )
        self.state: OutlookState = state or MemoryState()
        self.categories = CategoryCache()  # master list: listed by reads, no own requests
        self.tags = TagCache(state)  # spares delta reads the lookup of our own writes' echoes
        self._colours = colours and self.state.colours_off() is None

    @property
    def colours(self) -> bool:
        """Whether blocks are written with their colour's category."""
        return self._colours

    def close(self) -> None:
        self.graph.close()

    # -- writing ----------------------------------------------------------------------

    def _create_request(self, draft: EventDraft) -> SubRequest:
        body = draft_body(draft, self._category_name(draft))
        body["transactionId"] = draft.event_id
        return SubRequest("POST", f"{self._base}/events", body=body)

    def _update_request(self, current: RemoteEvent, draft: EventDraft) -> SubRequest:
        headers = {"If-Match": current.etag} if current.etag else {}
        body = draft_body(draft, self._category_name(draft))
        return SubRequest(
            "PATCH", f"/me/events/{quote(current.event_id, safe='')}", body=body, headers=headers
        )

    def _delete_request(self, current: RemoteEvent) -> SubRequest:
        headers = {"If-Match": current.etag} if current.etag else {}
        return SubRequest(
            "DELETE", f"/me/events/{quote(current.event_id, safe='')}", headers=headers
        )

    def _written(self, body: Any, draft: EventDraft) -> RemoteEvent:
        """The event Graph answered with; write answers do not expand our tag, so add it."""
        event = self._event(body)
        written = RemoteEvent(
            event_id=event.event_id,
            start=event.start,
            end=event.end,
            title=event.title,
            etag=event.etag,
            tag=draft.tag,
            all_day=event.all_day,
            transparent=event.transparent,
            cancelled=event.cancelled,
            response=event.response,
            attendee_domains=event.attendee_domains,
            organizer_domain=event.organizer_domain,
            color=event.color,
        )
        return written

    def _send(self, request: SubRequest) -> Any:
        return self.graph.json(
            request.method, request.url, json=request.body, headers=dict(request.headers)
        )

    def _create(self, draft: EventDraft) -> RemoteEvent:
        self._category(draft.color)
        written = self._written(self._send(self._create_request(draft)), draft)
        self.tags.remember([written])
        return written

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        self._category(draft.color)
        written = self._written(self._send(self._update_request(current, draft)), draft)
        self.tags.remember([written])
        return written

    def _delete(self, current: RemoteEvent) -> None:
        self.tags.forget([current.event_id])
        self._send(self._delete_request(current))

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        """The writes in as few parallel $batch as fit, with the categories they miss
        in the members left free (the rest are owed to a later batch with room)."""
        requests: list[SubRequest] = []
        for write in writes:
            if write.action == "create":
                assert write.draft is not None
                requests.append(self._create_request(write.draft))
            elif write.action == "update":
                assert write.draft is not None and write.current is not None
                requests.append(self._update_request(write.current, write.draft))
            else:
                assert write.current is not None
                requests.append(self._delete_request(write.current))
        create: list[tuple[str, str]] = []
        if self._colours:
            missing = self.categories.missing(
                category_for(w.draft.color) for w in writes if w.draft is not None
            )
            room = -len(requests) % MAX_BATCH
            create = missing[:room]
            self.categories.owe(missing[room:])
        answers = self.graph.batch([*self.categories.create_requests(create), *requests])
        for pair, answer in zip(create, answers, strict=False):
            self._category_answered(pair, answer)
        results = [self._result(w, a) for w, a in zip(writes, answers[len(create) :], strict=True)]
        self.tags.remember(r for r in results if isinstance(r, RemoteEvent))
        self.tags.forget(
            [
                w.current.event_id
                for w, r in zip(writes, results, strict=True)
                if w.action == "delete" and r is None and w.current is not None
            ]
        )
        return results

    def _result(self, write: Write, answer: SubResponse) -> WriteResult:
        error = answer.error()
        if error is not None:
            return error
        if write.action == "delete":
            return None
        assert write.draft is not None
        return self._written(answer.body, write.draft)


__all__ = ["OutlookCalendar"]
