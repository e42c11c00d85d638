"""A fake Microsoft Graph v1.0: events, calendarView (+delta), $batch, categories, subscriptions.

The request logic is one synchronous ``handle`` that both the HTTP endpoint and
``$batch`` call, so a batched request behaves exactly like a direct one. Faithful
details the provider must cope with, each from Microsoft's documentation:

* calendarView pages of 10 unless ``Prefer: odata.maxpagesize``; delta pages end in
  ``@odata.deltaLink``, carry ``@removed`` items and NO extended properties
  (https://learn.microsoft.com/graph/delta-query-events).
* A delta state that is gone answers 410 or another 40X with ``syncStateNotFound``;
  a reset is a bare 410 with a ``Location`` header, whatever the message
  (https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset and
  #token-duration). ``expire_delta_tokens`` picks the answer.
* ``$batch`` (https://learn.microsoft.com/graph/json-batching): at most 20 members,
  unique ids, answered out of order; "Batch should be either fully sequential or
  fully parallel": every member ``dependsOn`` the one listed before it, or none
  does -- anything else is a 400 here; a member after a failed one is 424.
* Outlook allows 4 concurrent requests per app and mailbox
  (https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits). A
  plain request over it is a 429; of a batch, Outlook runs up to four members of
  a parallel batch at a time and one of a sequential batch ("Outlook service
  limits for JSON batching"), so a batch holds that many of the mailbox's slots,
  and members that find no free slot get 429 individually, each with its own
  ``Retry-After`` (https://learn.microsoft.com/graph/throttling#throttling-and-batching:
  "Requests in a batch are evaluated individually against throttling limits").
* ``/me/outlook/masterCategories`` needs ``MailboxSettings.Read`` (list) or
  ``MailboxSettings.ReadWrite`` (list, create)
  (https://learn.microsoft.com/graph/api/outlookuser-list-mastercategories,
  https://learn.microsoft.com/graph/api/outlookuser-post-mastercategories); without
  them: 403 ``ErrorAccessDenied``. Which scopes a token carries comes from
  ``token_scopes`` (wire it to the identity fake; the default grants all).
* POST with a known ``transactionId`` returns the existing event; PATCH/DELETE
  honour ``If-Match``.
* Recurring series (seriesMaster, occurrences, exceptions; calendarView and delta
  show the instances, never the master) live in ``tests.fakes.microsoft.recurrence``.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.microsoft import recurrence
from tests.fakes.microsoft.graph_store import Mailbox, parse_graph_time, parse_query_time
from tests.support.clock import ticking_clock

Reply = tuple[int, dict[str, str], Any]

MAX_BATCH = 20
MAX_CONCURRENT = 4
CONCURRENCY_RETRY_AFTER = 1
COLORS = {f"preset{i}" for i in range(25)} | {"none"}
_EXPAND = re.compile(r"singleValueExtendedProperties\(\$filter=id eq '([^']+)'\)", re.I)


def _err(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": "x"}}}
    return status, dict(headers or {}), body


@dataclass
class Throttle:
    """Fail ``remaining`` matching requests after letting ``skip`` of them through.

    With ``lose`` the request is carried out first and only the answer fails, as
    when a gateway times out after the mailbox already did the work.
    """

    remaining: int
    retry_after: int | None
    status: int
    path_contains: str
    method: str | None = None
    skip: int = 0
    lose: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and self.path_contains in path
            and (self.method is None or self.method == method)
        )


@dataclass
class GraphLog:
    """Every request the fake saw: top-level HTTP ones and batch members."""

    entries: list[tuple[str, str, bool]] = field(default_factory=list)  # method, path, batched

    def http(self, method: str | None = None, contains: str = "") -> int:
        return sum(
            1
            for m, p, batched in self.entries
            if not batched and (method is None or m == method) and contains in p
        )

    def batched(self, method: str | None = None, contains: str = "") -> int:
        return sum(
            1 for m, p, b in self.entries if b and (method is None or m == method) and contains in p
        )

    def counts(self) -> Counter[str]:
        return Counter(f"{m} {p}" for m, p, _ in self.entries)

    def clear(self) -> None:
        self.entries.clear()


class FakeGraph:
    """Serve ``app``; set ``base_url`` to the served root (``http://host:port``)."""

    def __init__(self, mailbox: Mailbox | None = None) -> None:
        self.mailbox = mailbox or Mailbox()
        self.base_url = ""
        self.log = GraphLog()
        self.throttles: list[Throttle] = []
        self.token_ok: Any = lambda token: bool(token)
        # token -> the scopes it carries (lowercase), or None: every scope
        self.token_scopes: Callable[[str], frozenset[str] | None] = lambda token: None
        self.in_flight = 0  # top-level HTTP requests being handled
        self.max_in_flight = 0
        self.slots_in_use = 0  # the mailbox's concurrent slots taken (at most 4)
        self.max_slots_in_use = 0
        self.concurrency_rejections = 0  # requests and batch members answered 429 for it
        self.concurrency_retry_after = CONCURRENCY_RETRY_AFTER
        self._gone: tuple[int, str, str] = (
            410,
            "syncStateNotFound",
            "The sync state generation is not found.",
        )
        self.hold = threading.Event()
        self.hold.set()
        self.subscription_timeout = 10.0
        self._skip: dict[str, dict[str, Any]] = {}
        self._delta: dict[str, dict[str, Any]] = {}
        self.delta_generation = 0
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/{path:path}", self._endpoint, methods=["GET", "POST", "PATCH", "DELETE"])
            ]
        )

    # -- test controls -------------------------------------------------------------

    def throttle(
        self,
        times: int = 1,
        *,
        retry_after: int | None = 2,
        status: int = 429,
        path_contains: str = "",
        method: str | None = None,
        skip: int = 0,
        lose: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (+ Retry-After)."""
        self.throttles.append(
            Throttle(times, retry_after, status, path_contains, method, skip, lose)
        )

    def expire_delta_tokens(
        self,
        status: int = 410,
        code: str = "syncStateNotFound",
        message: str = "The sync state generation is not found.",
    ) -> None:
        """Forget every delta state, as Graph does after a while; the next use of a
        delta or skip token is answered ``status`` with ``code`` and ``message`` (a
        reset, by default an expiry; any 410 carries a ``Location`` to start over)."""
        with self._lock:
            self.delta_generation += 1
            self._gone = (status, code, message)

    @contextmanager
    def busy_elsewhere(self, slots: int) -> Iterator[Callable[[], None]]:
        """Hold ``slots`` of the mailbox's concurrent slots, as another client's requests
        in flight would; yields ``release`` to free them early (from a sleeper, say)."""
        held = [slots]
        with self._lock:
            self.slots_in_use += slots

        def release() -> None:
            with self._lock:
                self.slots_in_use -= held[0]
                held[0] = 0

        try:
            yield release
        finally:
            release()

    @property
    def root(self) -> str:
        return f"{self.base_url}/v1.0"

    # -- HTTP ------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> Response:
        raw = await request.body()
        body = json.loads(raw) if raw else None
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = "/" + request.path_params["path"]
        query = dict(parse_qsl(request.url.query, keep_blank_values=True))
        status, out_headers, out = await anyio.to_thread.run_sync(
            self._top_level, request.method, path, query, headers, body
        )
        if out is None:
            return Response(status_code=status, headers=out_headers)
        if isinstance(out, str):
            return Response(out, status_code=status, headers=out_headers, media_type="text/plain")
        return Response(
            json.dumps(out), status_code=status, headers=out_headers, media_type="application/json"
        )

    def _top_level(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> Reply:
        batch = path == "/v1.0/$batch" and method == "POST"
        problem = _batch_problem(body) if batch else None
        width = 0 if problem else _batch_width(body) if batch else 1
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            granted = max(0, min(width, MAX_CONCURRENT - self.slots_in_use))
            self.slots_in_use += granted
            self.max_slots_in_use = max(self.max_slots_in_use, self.slots_in_use)
            too_many = not batch and granted == 0
            if too_many:
                self.concurrency_rejections += 1
        try:
            self.hold.wait(30)
            if too_many:
                return self._over_concurrency()
            auth = headers.get("authorization", "")
            if not auth.startswith("Bearer ") or not self.token_ok(auth[7:]):
                return _err(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
            if not path.startswith("/v1.0/"):
                return _err(404, "BadRequest", f"Invalid version in {path}")
            scopes = self.token_scopes(auth[7:])
            if batch:
                self.log.entries.append(("POST", "/$batch", False))
                throttled = self._throttled("POST", "/$batch", lose=False)
                if throttled is not None:
                    return throttled
                if problem is not None:
                    return _err(400, "BadRequest", problem)
                return self._batch(body, scopes, width=width, granted=granted)
            return self.handle(
                method, path[len("/v1.0") :], query, headers, body, batched=False, scopes=scopes
            )
        finally:
            with self._lock:
                self.in_flight -= 1
                self.slots_in_use -= granted

    def _over_concurrency(self) -> Reply:
        return _err(
            429,
            "ApplicationThrottled",
            "Application is over its MailboxConcurrency limit.",
            {"Retry-After": str(self.concurrency_retry_after)},
        )

    # -- the one request handler -----------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        *,
        batched: bool,
        scopes: frozenset[str] | None = None,
    ) -> Reply:
        self.log.entries.append((method, path, batched))
        throttled = self._throttled(method, path, lose=False)
        if throttled is not None:
            return throttled
        reply = self._route(method, path, query, headers, body, scopes)
        lost = self._throttled(method, path, lose=True)
        return lost if lost is not None else reply

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        scopes: frozenset[str] | None,
    ) -> Reply:
        if path.startswith("/subscriptions"):
            return self._subscriptions(method, path, body)
        if path == "/me/outlook/masterCategories":
            needed = MAILBOX_READ if method == "GET" else MAILBOX_WRITE
            return _denied(scopes, needed) or self._categories(method, body)
        calendar, rest = _calendar_of(path)
        if calendar is None:
            return _err(400, "BadRequest", f"Unsupported path {path}")
        denied = _denied(scopes, CALENDARS_READ if method == "GET" else CALENDARS_WRITE)
        if denied is not None:
            return denied
        if rest == "/calendarView" and method == "GET":
            return self._calendar_view(calendar, path, query, headers)
        if rest == "/calendarView/delta" and method == "GET":
            return self._delta_view(calendar, path, query, headers)
        if rest == "/events" and method == "POST":
            return self._create(calendar, body)
        if rest.startswith("/events/") and rest.endswith("/instances") and method == "GET":
            return self._instances(rest[len("/events/") : -len("/instances")], query)
        if rest.startswith("/events/"):
            event_id = rest[len("/events/") :]
            if path.startswith("/me/events/"):
                calendar = "*"  # /me/events/{id} finds an event in any calendar
            return self._one(method, calendar, event_id, query, headers, body)
        return _err(405, "MethodNotAllowed", f"{method} {path}")

    def _throttled(self, method: str, path: str, *, lose: bool) -> Reply | None:
        with self._lock:
            for rule in self.throttles:
                if rule.lose != lose or not rule.matches(method, path):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.remaining -= 1
                headers = {} if rule.retry_after is None else {"Retry-After": str(rule.retry_after)}
                return _err(
                    rule.status,
                    "TooManyRequests" if rule.status == 429 else "ServiceUnavailable",
                    "Please retry again later.",
                    headers,
                )
        return None

    # -- events ------------------------------------------------------------------------

    def _create(self, calendar: str, body: Any) -> Reply:
        if not isinstance(body, dict) or "start" not in body or "end" not in body:
            return _err(400, "ErrorInvalidRequest", "start and end are required")
        try:
            start, end = parse_graph_time(body["start"]), parse_graph_time(body["end"])
        except (KeyError, ValueError) as exc:
            return _err(400, "ErrorInvalidRequest", f"bad time: {exc}")
        if end < start:
            return _err(400, "ErrorInvalidRequest", "end before start")
        if body.get("isAllDay") and (start.time() != end.time() or start.hour != 0):
            return _err(400, "ErrorInvalidRequest", "all-day events need midnight boundaries")
        bad = self._bad_categories(body)
        if bad:
            return bad
        problem = recurrence.check_recurrence(body)
        if problem is not None:
            return _err(400, "ErrorInvalidRequest", problem)
        body = recurrence.master_body(body)
        transaction = body.get("transactionId")
        if transaction:
            existing = self.mailbox.find_transaction(calendar, str(transaction))
            if existing is not None:
                return 201, {"ETag": existing.etag}, existing.render(set())
        event = self.mailbox.insert(calendar, body)
        return 201, {"ETag": event.etag}, event.render(set())

    def _bad_categories(self, body: dict[str, Any]) -> Reply | None:
        if "categories" in body and not isinstance(body["categories"], list):
            return _err(400, "ErrorInvalidRequest", "categories must be a list")
        return None

    def _one(
        self,
        method: str,
        calendar: str,
        event_id: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
    ) -> Reply:
        with self.mailbox.lock:
            event = self.mailbox.events.get(event_id) or recurrence.find_occurrence(
                self.mailbox, event_id
            )
        if event is None or (calendar != "*" and event.calendar != calendar):
            return _err(
                404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        if_match = headers.get("if-match")
        if method in {"PATCH", "DELETE"} and if_match and if_match not in {"*", event.etag}:
            return _err(
                412,
                "ErrorIrresolvableConflict",
                "The change key passed in the request "
                "does not match the current change key for the item.",
            )
        if method == "GET":
            return 200, {"ETag": event.etag}, event.render(_expand_ids(query))
        if method == "DELETE":
            self.mailbox.remove(event_id)
            return 204, {}, None
        if method == "PATCH":
            if not isinstance(body, dict):
                return _err(400, "ErrorInvalidRequest", "body must be an object")
            bad = self._bad_categories(body)
            if bad:
                return bad
            event = self.mailbox.patch(event_id, body)
            return 200, {"ETag": event.etag}, event.render(set())
        return _err(405, "MethodNotAllowed", method)

    def _instances(self, master_id: str, query: dict[str, str]) -> Reply:
        with self.mailbox.lock:
            status, found = recurrence.instances_reply(self.mailbox, master_id, query)
        if status != 200:
            return _err(status, *found)
        page = [e.render(_expand_ids(query)) for e in found]
        return 200, {}, {"@odata.context": f"{self.root}/$metadata#events", "value": page}

    # -- calendarView --------------------------------------------------------------------

    def _calendar_view(
        self, calendar: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> Reply:
        try:
            start = parse_query_time(query["startDateTime"])
            end = parse_query_time(query["endDateTime"])
        except (KeyError, ValueError):
            return _err(
                400,
                "ErrorInvalidParameter",
                "This request requires a time window specified by the query string parameters "
                "StartDateTime and EndDateTime.",
            )
        size = _page_size(query, headers, default=10)
        skip = int(query.get("$skip", "0"))
        events = self.mailbox.in_window(calendar, start, end)
        expand = _expand_ids(query)
        page = [e.render(expand) for e in events[skip : skip + size]]
        out: dict[str, Any] = {"@odata.context": f"{self.root}/$metadata#events", "value": page}
        if skip + size < len(events):
            out["@odata.nextLink"] = self._link(path, {**query, "$skip": str(skip + size)})
        return 200, {"Preference-Applied": f"odata.maxpagesize={size}"}, out

    def _delta_view(
        self, calendar: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> Reply:
        size = _page_size(query, headers, default=10)
        if "$skiptoken" in query:
            with self._lock:
                state = self._skip.pop(query["$skiptoken"], None)
            if state is None or state["generation"] != self.delta_generation:
                return self._delta_gone(path, state)
            items = state["items"]
        elif "$deltatoken" in query:
            with self._lock:
                token = self._delta.get(query["$deltatoken"])
            if token is None or token["generation"] != self.delta_generation:
                return self._delta_gone(path, token)
            if token["calendar"] != calendar:
                return _err(400, "ErrorInvalidParameter", "delta token of another calendar")
            with self.mailbox.lock:
                seq = self.mailbox.seq
                items = self.mailbox.changes_since(
                    calendar, token["seq"], token["start"], token["end"]
                )
            state = {**token, "seq": seq, "items": items}
        else:
            try:
                start = parse_query_time(query["startDateTime"])
                end = parse_query_time(query["endDateTime"])
            except (KeyError, ValueError):
                return _err(400, "ErrorInvalidParameter", "startDateTime/endDateTime required")
            with self.mailbox.lock:
                seq = self.mailbox.seq
                items = [e.render() for e in self.mailbox.in_window(calendar, start, end)]
            state = {
                "calendar": calendar,
                "start": start,
                "end": end,
                "seq": seq,
                "generation": self.delta_generation,
                "items": items,
            }
        page, rest = items[:size], items[size:]
        out: dict[str, Any] = {"@odata.context": f"{self.root}/$metadata#events", "value": page}
        link_path = path
        if rest:
            skip = secrets.token_urlsafe(16)
            with self._lock:
                self._skip[skip] = {**state, "items": rest}
            out["@odata.nextLink"] = self._link(link_path, {"$skiptoken": skip})
        else:
            delta = secrets.token_urlsafe(16)
            with self._lock:
                self._delta[delta] = {k: v for k, v in state.items() if k != "items"}
            out["@odata.deltaLink"] = self._link(link_path, {"$deltatoken": delta})
        return 200, {"Preference-Applied": f"odata.maxpagesize={size}"}, out

    def _delta_gone(self, path: str, state: dict[str, Any] | None) -> Reply:
        """The delta state is gone: the answer ``expire_delta_tokens`` chose. A 410
        names where to start over (the initial query, an empty ``$deltatoken``)."""
        status, code, message = self._gone
        headers: dict[str, str] = {}
        if status == 410:
            start = (
                {}
                if state is None
                else {
                    "startDateTime": state["start"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "endDateTime": state["end"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
            headers["Location"] = self._link(path, {**start, "$deltatoken": ""})
        return _err(status, code, message, headers)

    def _link(self, path: str, query: dict[str, str]) -> str:
        return f"{self.root}{path}?{urlencode(query, safe='$')}"

    # -- $batch -------------------------------------------------------------------------

    def _batch(
        self, body: dict[str, Any], scopes: frozenset[str] | None, *, width: int, granted: int
    ) -> Reply:
        """Run a well-formed batch (see ``_batch_problem``) holding ``granted`` of the
        ``width`` slots Outlook runs it on: in each wave of ``width`` members, those
        past ``granted`` find the mailbox busy and are answered 429."""
        requests: list[dict[str, Any]] = body["requests"]
        ordered = _dependency_order(requests)
        assert ordered is not None  # _batch_problem refused cycles and unknown ids
        statuses: dict[str, int] = {}
        responses: list[dict[str, Any]] = []
        for position, item in enumerate(ordered):
            rid = str(item["id"])
            failed = [d for d in item.get("dependsOn", []) if statuses[str(d)] >= 400]
            if failed:
                status, headers, out = _err(424, "FailedDependency", "dependency failed")
            elif position % width >= granted:
                with self._lock:
                    self.concurrency_rejections += 1
                status, headers, out = self._over_concurrency()
            else:
                url = urlsplit(str(item["url"]))
                sub_path = url.path if url.path.startswith("/") else "/" + url.path
                if sub_path.startswith("/v1.0/"):
                    sub_path = sub_path[len("/v1.0") :]
                sub_query = dict(parse_qsl(url.query, keep_blank_values=True))
                sub_headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
                status, headers, out = self.handle(
                    str(item["method"]).upper(),
                    sub_path,
                    sub_query,
                    sub_headers,
                    item.get("body"),
                    batched=True,
                    scopes=scopes,
                )
            statuses[rid] = status
            entry: dict[str, Any] = {"id": rid, "status": status, "headers": headers}
            if out is not None:
                entry["body"] = out
            responses.append(entry)
        responses.reverse()  # Graph does not promise order: clients must match by id.
        return 200, {}, {"responses": responses}

    # -- master categories ------------------------------------------------------------

    def _categories(self, method: str, body: Any) -> Reply:
        box = self.mailbox
        if method == "GET":
            with box.lock:
                return 200, {}, {"value": [dict(c) for c in box.categories]}
        if method == "POST":
            name = str((body or {}).get("displayName", ""))
            color = str((body or {}).get("color", "none"))
            if not name or color not in COLORS:
                return _err(400, "ErrorInvalidRequest", "displayName and a preset color needed")
            with box.lock:
                if any(c["displayName"].lower() == name.lower() for c in box.categories):
                    return _err(409, "ErrorItemAlreadyExists", "category already exists")
                category = {"id": str(uuid.uuid4()), "displayName": name, "color": color}
                box.categories.append(category)
            return 201, {}, dict(category)
        return _err(405, "MethodNotAllowed", method)

    # -- subscriptions ---------------------------------------------------------------

    def _subscriptions(self, method: str, path: str, body: Any) -> Reply:
        box = self.mailbox
        if path == "/subscriptions" and method == "POST":
            return self._subscribe(body or {})
        sub_id = path.rsplit("/", 1)[-1]
        with box.lock:
            sub = box.subscriptions.get(sub_id)
        if sub is None:
            return _err(404, "ResourceNotFound", "subscription not found")
        if method == "GET":
            return 200, {}, dict(sub)
        if method == "DELETE":
            with box.lock:
                box.subscriptions.pop(sub_id, None)
            return 204, {}, None
        if method == "PATCH":
            expiry = self._expiry(body or {})
            if isinstance(expiry, tuple):
                return expiry
            sub["expirationDateTime"] = expiry
            return 200, {}, dict(sub)
        return _err(405, "MethodNotAllowed", method)

    def _expiry(self, body: dict[str, Any]) -> str | Reply:
        try:
            when = parse_query_time(str(body["expirationDateTime"]))
        except (KeyError, ValueError):
            return _err(400, "ExtensionError", "expirationDateTime is required")
        now = ticking_clock()
        if when <= now or when > now + self.mailbox.subscription_expiry_limit():
            return _err(
                400,
                "ExtensionError",
                "Subscription expiration can only be 10070 minutes in the future.",
            )
        return when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")

    def _subscribe(self, body: dict[str, Any]) -> Reply:
        for key in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not body.get(key):
                return _err(400, "InvalidRequest", f"{key} is required")
        expiry = self._expiry(body)
        if isinstance(expiry, tuple):
            return expiry
        urls = [str(body["notificationUrl"])]
        if body.get("lifecycleNotificationUrl"):
            urls.append(str(body["lifecycleNotificationUrl"]))
        for url in urls:
            if not self._validate_endpoint(url):
                return _err(
                    400,
                    "InvalidRequest",
                    f"Subscription validation request failed. Notification endpoint {url} "
                    "must respond with 200 OK to validation request.",
                )
        sub = {
            "id": str(uuid.uuid4()),
            "resource": body["resource"],
            "changeType": body["changeType"],
            "notificationUrl": body["notificationUrl"],
            "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"),
            "clientState": body.get("clientState"),
            "expirationDateTime": expiry,
            "applicationId": "fake-app",
            "creatorId": "fake-user",
        }
        with self.mailbox.lock:
            self.mailbox.subscriptions[sub["id"]] = sub
        return 201, {}, dict(sub)

    def _validate_endpoint(self, url: str) -> bool:
        """Graph's handshake: POST ?validationToken=..., expect it echoed as text/plain."""
        token = "Validation: Testing client application reachability for subscription " + (
            secrets.token_hex(8)
        )
        try:
            with httpx.Client(timeout=self.subscription_timeout, trust_env=False) as client:
                reply = client.post(
                    url, params={"validationToken": token}, headers={"Content-Type": "text/plain"}
                )
        except httpx.HTTPError:
            return False
        return (
            reply.status_code == 200
            and reply.headers.get("content-type", "").startswith("text/plain")
            and reply.text == token
        )

    def notification(
        self, sub_id: str, event_id: str, change_type: str = "updated"
    ) -> dict[str, Any]:
        """A change notification body as Graph would POST it for ``sub_id``."""
        sub = self.mailbox.subscriptions[sub_id]
        return {
            "value": [
                {
                    "subscriptionId": sub_id,
                    "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "changeType": change_type,
                    "resource": f"Users/fake-user/Events/{event_id}",
                    "resourceData": {
                        "@odata.type": "#Microsoft.Graph.Event",
                        "@odata.id": f"Users/fake-user/Events/{event_id}",
                        "id": event_id,
                    },
                    "clientState": sub["clientState"],
                    "tenantId": "9188040d-6c67-4c5b-b112-36a304b66dad",
                }
            ]
        }

    def lifecycle_notification(self, sub_id: str, event: str) -> dict[str, Any]:
        sub = self.mailbox.subscriptions[sub_id]
        return {
            "value": [
                {
                    "subscriptionId": sub_id,
                    "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "lifecycleEvent": event,
                    "clientState": sub["clientState"],
                    "tenantId": "9188040d-6c67-4c5b-b112-36a304b66dad",
                }
            ]
        }


def _batch_problem(body: Any) -> str | None:
    """Why Graph would refuse this ``$batch`` body with a 400, or None."""
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        return "Invalid batch payload format."
    if len(requests) > MAX_BATCH:
        return "The number of batch requests exceeds the limit of 20."
    if not all(isinstance(r, dict) for r in requests):
        return "Invalid batch payload format."
    ids = [str(r.get("id")) for r in requests]
    if len(set(ids)) != len(ids):
        return "Batch request ids must be unique."
    if _dependency_order(requests) is None:
        return "dependsOn names an unknown id or forms a cycle."
    if _shape(requests) is None:
        return "Batch requests must be either fully sequential or fully parallel."
    return None


def _shape(requests: list[dict[str, Any]]) -> str | None:
    """``parallel`` (no member depends on another), ``sequential`` (each depends on the
    one listed before it, the first on none), else None: a mixed batch."""
    depends = [[str(d) for d in r.get("dependsOn") or []] for r in requests]
    if not any(depends):
        return "parallel"
    chain = all(
        deps == ([] if n == 0 else [str(requests[n - 1]["id"])]) for n, deps in enumerate(depends)
    )
    return "sequential" if chain else None


def _batch_width(body: dict[str, Any]) -> int:
    """How many members of a (well-formed) batch Outlook runs at a time."""
    requests = body["requests"]
    return 1 if _shape(requests) == "sequential" else min(MAX_CONCURRENT, len(requests))


CALENDARS_READ = frozenset({"calendars.read", "calendars.readwrite"})
CALENDARS_WRITE = frozenset({"calendars.readwrite"})
MAILBOX_READ = frozenset({"mailboxsettings.read", "mailboxsettings.readwrite"})
MAILBOX_WRITE = frozenset({"mailboxsettings.readwrite"})


def _denied(scopes: frozenset[str] | None, needed: frozenset[str]) -> Reply | None:
    """403 unless the token carries one of ``needed`` (None: a token with every scope)."""
    if scopes is None or scopes & needed:
        return None
    return _err(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")


def _dependency_order(requests: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Members so that each runs after everything it ``dependsOn`` (None: unknown id or cycle).

    Graph runs a member only once its dependencies answered; members without
    dependencies keep their listed order here (Graph promises no order at all).
    """
    done: set[str] = set()
    out: list[dict[str, Any]] = []
    remaining = list(requests)
    while remaining:
        ready = [r for r in remaining if all(str(d) in done for d in r.get("dependsOn", []))]
        if not ready:  # an unknown id or a cycle: nothing can ever run
            return None
        for r in ready:
            done.add(str(r["id"]))
            out.append(r)
        remaining = [r for r in remaining if str(r["id"]) not in done]
    return out


def _calendar_of(path: str) -> tuple[str | None, str]:
    """``/me/events/x`` -> ("primary", "/events/x"); ``/me/calendars/C/...`` -> ("C", ...)."""
    for prefix in ("/me/calendar/", "/me/"):
        if path.startswith(prefix) and not path.startswith("/me/calendars/"):
            rest = "/" + path[len(prefix) :]
            if rest.startswith(("/events", "/calendarView")):
                return "primary", rest
    match = re.match(r"^/me/calendars/([^/]+)(/.*)$", path)
    if match:
        return match.group(1), match.group(2)
    return None, ""


def _page_size(query: dict[str, str], headers: dict[str, str], *, default: int) -> int:
    if "$top" in query:
        return max(1, int(query["$top"]))
    match = re.search(r"odata\.maxpagesize=(\d+)", headers.get("prefer", ""))
    return max(1, int(match.group(1))) if match else default


def _expand_ids(query: dict[str, str]) -> set[str]:
    return {m.lower() for m in _EXPAND.findall(query.get("$expand", ""))}


def later(minutes: int) -> str:
    """An expirationDateTime ``minutes`` from now, in Graph's format (test helper)."""
    when = ticking_clock() + timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
