"""Reading an Outlook / Microsoft 365 calendar through Microsoft Graph, and the
master category list the reads bring along.

A full read is one ``calendarView`` pass (our extended property expanded,
so owned blocks carry their tag) preceded by a ``calendarView/delta`` round whose
final ``@odata.deltaLink`` becomes the sync token. The delta round runs first so a
change that lands between the two is reported again by the next incremental read
rather than lost. Both go in ONE sequential ``$batch`` (each member ``dependsOn``
the one before: Graph refuses a batch that is neither fully sequential nor fully
parallel), with the master category list after them until it is known, so a week
that fits a page is read in one request. Reading with delta alone would cost more:
delta omits our tag, so on a fresh instance every event would be looked up again
(1 + ceil(n/20) requests instead of 1). Incremental reads follow the deltaLink;
since Graph omits extended properties from delta answers, a changed event is
looked up again (``GET`` with ``$expand``, 20 per parallel ``$batch``) so
``RemoteEvent.tag`` is always right and the ownership guard keeps working --
unless it is still at the etag our own write or a full read last saw, whose tag
is recorded (``TagCache``, kept in the store through ``OutlookState``): the echoes
of our writes cost no lookup, so a no-op resync after a run is one request from
any process. ``@removed`` items and cancelled events are reported in ``removed``;
a delta link answered 410 (whatever its message) or a ``syncStateNotFound`` code
raises ``SyncTokenExpired``. The window of an incremental read is the one of the
full read that produced the token.

:class:`OutlookReads` is the reading half of :class:`providers.outlook.OutlookCalendar`
(which holds the connection, its state and writing).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import quote

from blocker.core.errors import EventNotFound, SyncTokenExpired
from blocker.core.models import EventDraft, Interval, ReadResult, RemoteEvent, TentativeAs
from providers.outlook_categories import MASTER, CategoryCache
from providers.outlook_graph import MAX_BATCH, GraphClient, SubRequest, SubResponse
from providers.outlook_mapping import EXPAND, category_for, event_from_graph
from providers.outlook_tags import OutlookState, TagCache

COLOURS_REFUSED = (
    "Outlook colours are off for this calendar: Microsoft Graph refused the category "
    "list (it needs the MailboxSettings.ReadWrite permission), so blocks are written "
    "without colour. Connect the calendar again and allow that permission to get them back."
)
log = logging.getLogger("providers.outlook")


def _query(params: dict[str, str]) -> str:
    """A query string for a $batch member's relative URL (keys such as ``$expand`` kept)."""
    return "&".join(f"{key}={quote(value, safe='')}" for key, value in params.items())


def _iso(value: Any) -> str:
    return str(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


class OutlookReads:
    """Full and incremental reads, and the category list, for :class:`OutlookCalendar`."""

    name: str
    graph: GraphClient
    calendar_id: str | None
    zone: tzinfo
    tentative: TentativeAs
    page_size: int
    state: OutlookState
    categories: CategoryCache
    tags: TagCache
    _base: str
    _colours: bool

    # -- reading ----------------------------------------------------------------------

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        if sync_token:
            return self._read_changes(sync_token)
        return self._full_read(window)

    def _full_read(self, window: Interval) -> ReadResult:
        """Delta round, then calendarView, then categories: one sequential $batch.

        Anything unusual -- a failed member, a delta round longer than one page --
        falls back to the same steps one request at a time, whose retries and
        errors are the ones of every other request.
        """
        window_query = {"startDateTime": _iso(window.start), "endDateTime": _iso(window.end)}
        subs = [
            SubRequest(
                "GET",
                f"{self._base}/calendarView/delta?{_query(window_query)}",
                headers=self._prefer,
            ),
            SubRequest(
                "GET",
                f"{self._base}/calendarView?{_query({**window_query, '$expand': EXPAND})}",
                headers=self._prefer,
            ),
        ]
        list_categories = self._colours and not self.categories.fresh
        if list_categories:
            subs.append(SubRequest("GET", MASTER))
        owed = self.categories.owed()[: MAX_BATCH - len(subs)] if self._colours else []
        subs.extend(self.categories.create_requests(owed))
        answers = self.graph.batch(subs, sequential=True)
        delta, view, rest = answers[0], answers[1], answers[2:]
        if list_categories:
            self._categories_listed(rest[0])
            rest = rest[1:]
        for pair, answer in zip(owed, rest, strict=True):
            self._category_answered(pair, answer)
        if not all(a.error() is None and isinstance(a.body, dict) for a in (delta, view)):
            return self._read_in_order(window)
        token = delta.body.get("@odata.deltaLink")
        if token is None:  # more delta pages: finish the round, then view after it
            return self._read_in_order(window, delta.body.get("@odata.nextLink"))
        return self._view(window, str(token), view.body)

    def _read_in_order(self, window: Interval, delta_next: Any = None) -> ReadResult:
        """The full read one request at a time: delta round to its end, then calendarView."""
        if delta_next:
            _, token = self._walk_delta(str(delta_next), None)
        else:
            token = self._delta_round(window)
        return self._view(window, token, None)

    def _view(self, window: Interval, token: str, first_page: Any) -> ReadResult:
        """calendarView pages (``first_page`` already fetched, or None) -> the read."""
        params = {
            "startDateTime": _iso(window.start),
            "endDateTime": _iso(window.end),
            "$expand": EXPAND,
        }
        body = first_page
        if body is None:
            body = self.graph.json(
                "GET", f"{self._base}/calendarView", params=params, headers=self._prefer
            )
        events: list[RemoteEvent] = []
        while True:
            for item in body.get("value", []):
                event = self._event(item)
                if not event.cancelled:
                    events.append(event)
            next_url = body.get("@odata.nextLink")
            if not next_url:
                break
            body = self.graph.json("GET", str(next_url), headers=self._prefer)
        self.tags.remember(events)
        return ReadResult(events=tuple(events), complete=True, sync_token=token)

    @property
    def _prefer(self) -> dict[str, str]:
        return {"Prefer": f'odata.maxpagesize={self.page_size}, outlook.timezone="UTC"'}

    def _delta_round(self, window: Interval) -> str:
        """Walk a fresh delta to its end; only its deltaLink is kept (the token)."""
        params = {"startDateTime": _iso(window.start), "endDateTime": _iso(window.end)}
        url = f"{self._base}/calendarView/delta"
        _, token = self._walk_delta(url, params)
        return token

    def _walk_delta(
        self, url: str, params: dict[str, str] | None, first_page: Any = None
    ) -> tuple[list[dict[str, Any]], str]:
        """Every item of a delta round from ``url`` (``first_page`` already fetched)."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        body = first_page
        while next_url:
            if body is None:
                body = self.graph.json(
                    "GET", next_url, params=params, headers=self._prefer, delta=True
                )
                params = None
            items.extend(body.get("value", []))
            if "@odata.deltaLink" in body:
                return items, str(body["@odata.deltaLink"])
            next_url = body.get("@odata.nextLink")
            body = None
        raise SyncTokenExpired("delta ended without a deltaLink", provider=self.name)

    def _first_changes(self, sync_token: str) -> Any:
        """The first delta page, fetched with the category list while that is unknown
        and with the creation of owed categories (one sequential $batch: still one
        request); None: fetch it the usual way."""
        relative = self._relative(sync_token)
        list_categories = self._colours and not self.categories.fresh
        owed = self.categories.owed()[: MAX_BATCH - 2] if self._colours else []
        if relative is None or not (list_categories or owed):
            return None
        subs = [SubRequest("GET", relative, headers=self._prefer)]
        if list_categories:
            subs.append(SubRequest("GET", MASTER))
        subs.extend(self.categories.create_requests(owed))
        page, *rest = self.graph.batch(subs, sequential=True)
        if list_categories:
            self._categories_listed(rest.pop(0))
        for pair, answer in zip(owed, rest, strict=True):
            self._category_answered(pair, answer)
        error = page.error(delta=True)
        if error is not None:
            raise error
        return page.body if isinstance(page.body, dict) else None

    def _relative(self, url: str) -> str | None:
        """``url`` as a $batch member URL (relative to the Graph root), if it is one."""
        root = self.graph.root
        return url[len(root) :] if url.startswith(root + "/") else None

    def _read_changes(self, sync_token: str) -> ReadResult:
        items, token = self._walk_delta(sync_token, None, self._first_changes(sync_token))
        removed: list[str] = []
        latest: dict[str, dict[str, Any]] = {}  # changed id -> its last delta item
        for item in items:
            event_id = str(item["id"])
            if "@removed" in item or item.get("isCancelled"):
                removed.append(event_id)
            else:
                latest[event_id] = item
        self.tags.forget(removed)
        known = self.tags.tags_at({i: item.get("@odata.etag") for i, item in latest.items()})
        found: dict[str, RemoteEvent | None] = {  # in delta order; None: look it up
            event_id: replace(self._event(item), tag=known[event_id]) if event_id in known else None
            for event_id, item in latest.items()
        }
        lookups = [i for i, event in found.items() if event is None]
        for event_id, looked_up in zip(lookups, self._look_up(lookups), strict=True):
            found[event_id] = looked_up
            if looked_up is None:
                removed.append(event_id)
        events = [e for e in found.values() if e is not None]
        return ReadResult(
            events=tuple(events),
            complete=True,
            sync_token=token,
            incremental=True,
            removed=tuple(dict.fromkeys(removed)),
        )

    def _look_up(self, event_ids: Sequence[str]) -> list[RemoteEvent | None]:
        """Each event read again with our tag expanded; None when it is gone or cancelled."""
        requests = [
            SubRequest("GET", f"/me/events/{quote(i, safe='')}?$expand={quote(EXPAND)}")
            for i in event_ids
        ]
        out: list[RemoteEvent | None] = []
        gone: list[str] = []
        for event_id, answer in zip(event_ids, self.graph.batch(requests), strict=True):
            error = answer.error()
            if isinstance(error, EventNotFound):
                gone.append(event_id)
                out.append(None)  # deleted between the delta and the lookup
                continue
            if error is not None:
                raise error
            event = self._event(answer.body)
            if event.cancelled:
                gone.append(event_id)
                out.append(None)
            else:
                out.append(event)
        self.tags.forget(gone)
        self.tags.remember(e for e in out if e is not None)
        return out

    def _event(self, item: Any) -> RemoteEvent:
        """One Graph event as read under this calendar's zone, categories and policy."""
        return event_from_graph(
            item, zone=self.zone, categories=self._known_categories(), tentative=self.tentative
        )

    # -- categories -------------------------------------------------------------------

    def _known_categories(self) -> dict[str, str]:
        return self.categories.known() if self._colours else {}

    def _categories_listed(self, answer: SubResponse) -> None:
        """The answer of a ``GET masterCategories`` member (424: it never ran)."""
        if answer.status == 403:
            self._colours_refused(answer)
        elif answer.error() is None:
            self.categories.listed(answer.body)

    def _category_answered(self, pair: tuple[str, str], answer: SubResponse) -> None:
        if answer.status == 403:
            self._colours_refused(answer)
        else:
            self.categories.answered(*pair, answer)

    def _colours_refused(self, answer: SubResponse) -> None:
        """Graph refused the category list: write uncoloured from now on, and record it."""
        if not self._colours:
            return
        self._colours = False
        log.warning("Outlook categories refused (%s): colours off", answer.error())
        self.state.turn_colours_off(COLOURS_REFUSED)

    def _category_name(self, draft: EventDraft) -> str | None:
        return category_for(draft.color)[0] if self._colours else None

    def _category(self, color: str) -> None:
        """A single write creates its own missing category first (one request)."""
        if not self._colours:
            return
        name, preset = category_for(color)
        if name in self.categories.known():
            return
        [request] = self.categories.create_requests([(name, preset)])
        response = self.graph.request(
            "POST", request.url, json=request.body, accept=frozenset({403, 409})
        )
        answer = SubResponse(response.status_code, dict(response.headers), None)
        self._category_answered((name, preset), answer)


__all__ = ["COLOURS_REFUSED", "OutlookReads"]
