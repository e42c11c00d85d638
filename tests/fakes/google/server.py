"""The fake Google served over real HTTP on loopback, with failure hooks and a request log.

``run_fake_google()`` starts uvicorn on a free 127.0.0.1 port in a background
thread and yields a :class:`FakeGoogle`: ``base_url`` to aim clients at, ``log``
of every HTTP request (batch parts listed separately), hooks that make the next
requests fail the way Google does, and a backdoor for the test to play the
user (foreign meetings, edits, revoked consent).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.google import recurrence
from tests.fakes.google.batch import format_batch, parse_batch
from tests.fakes.google.calendar_api import CalendarApi, FakeCalendar
from tests.fakes.google.errors import Reply, error_reply, json_reply
from tests.fakes.google.labels import READ_SCOPES, WRITE_SCOPES, insufficient_scopes
from tests.fakes.google.oauth import FakeOAuth

API_PREFIX = "/calendar/v3/"
BATCH_PATH = "/batch/calendar/v3"


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    in_batch: bool = False
    parts: int = 0


@dataclass
class _Failure:
    status: int
    reason: str
    retry_after: str | None
    scope: str  # "request" (outer HTTP requests) or "part" (parts inside a batch)


@dataclass
class FakeGoogle:
    base_url: str = ""
    api: CalendarApi = field(default_factory=CalendarApi)
    oauth: FakeOAuth = field(default_factory=FakeOAuth)
    log: list[Logged] = field(default_factory=list)
    _failures: deque[_Failure] = field(default_factory=deque)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- test hooks --------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        status: int,
        reason: str = "",
        retry_after: float | str | None = None,
        scope: str = "request",
    ) -> None:
        """Make the next ``count`` API requests (or batch parts) fail with ``status``."""
        default = {429: "rateLimitExceeded", 403: "rateLimitExceeded", 500: "backendError",
                   503: "backendError"}.get(status, "unknown")  # fmt: skip
        after = None if retry_after is None else str(retry_after)
        for _ in range(count):
            self._failures.append(_Failure(status, reason or default, after, scope))

    def refuse_focus_time(self, refuse: bool = True) -> None:
        self.api.refuse_focus_time = refuse

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far becomes stale (410 on next use)."""
        self.api.expire_sync_tokens()

    def requests(self, *, path_contains: str = "", method: str | None = None) -> list[Logged]:
        """Outer HTTP requests to the calendar API (not OAuth, not batch parts)."""
        return [
            r
            for r in self.log
            if not r.in_batch
            and (r.path.startswith(API_PREFIX) or r.path == BATCH_PATH)
            and path_contains in r.path
            and (method is None or r.method == method)
        ]

    def clear_log(self) -> None:
        self.log.clear()

    # -- backdoor: the user and their colleagues ------------------------------------------

    def calendar(self, calendar_id: str = "primary") -> FakeCalendar:
        cal = self.api.calendar(calendar_id)
        if cal is None:
            raise KeyError(calendar_id)
        return cal

    def add_event(self, resource: dict[str, Any], calendar_id: str = "primary") -> dict[str, Any]:
        """Put a foreign event on the calendar as another client would."""
        with self._lock:
            cal = self.calendar(calendar_id)
            return self.api.store(cal, self.api.new_event(cal, resource))

    def add_meeting(
        self,
        start: datetime | date,
        end: datetime | date,
        summary: str = "Meeting",
        *,
        attendees: list[dict[str, Any]] | None = None,
        organizer: str | None = None,
        transparent: bool = False,
        event_type: str = "default",
        calendar_id: str = "primary",
    ) -> dict[str, Any]:
        def when(value: datetime | date) -> dict[str, str]:
            if isinstance(value, datetime):
                return {"dateTime": value.isoformat()}
            return {"date": value.isoformat()}

        resource: dict[str, Any] = {
            "summary": summary,
            "start": when(start),
            "end": when(end),
            "eventType": event_type,
        }
        if transparent:
            resource["transparency"] = "transparent"
        if attendees is not None:
            resource["attendees"] = attendees
        if organizer is not None:
            resource["organizer"] = {"email": organizer}
        return self.add_event(resource, calendar_id)

    def user_edit(
        self, event_id: str, changes: dict[str, Any], calendar_id: str = "primary"
    ) -> dict[str, Any]:
        """The user changes an event in the Google Calendar UI (new etag)."""
        with self._lock:
            cal = self.calendar(calendar_id)
            ev = json.loads(json.dumps(cal.events[event_id]))
            ev.update(changes)
            return self.api.store(cal, ev)

    def user_delete(self, event_id: str, calendar_id: str = "primary") -> None:
        with self._lock:
            cal = self.calendar(calendar_id)
            ev = json.loads(json.dumps(cal.events[event_id]))
            ev["status"] = "cancelled"
            self.api.store(cal, ev)

    def live_events(self, calendar_id: str = "primary") -> list[dict[str, Any]]:
        return [e for e in self.calendar(calendar_id).events.values() if e["status"] != "cancelled"]

    def notification_headers(self, channel_id: str, state: str = "exists") -> dict[str, str]:
        """The headers Google would POST to the channel's address."""
        channel = self.api.channels[channel_id]
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": "1" if state == "sync" else "2",
            "X-Goog-Resource-URI": (
                f"{self.base_url}{API_PREFIX}calendars/{channel.calendar_id}/events"
            ),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        return headers

    # -- dispatch ------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, in_batch: bool = False
    ) -> Reply:
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        with self._lock:
            reply = self._dispatch(method, path, query, headers, body, in_batch)
            parts = 0
            if path == BATCH_PATH and reply[0] == 200:
                parts = len(parse_batch(headers.get("content-type", ""), body))
            self.log.append(Logged(method, path, query, reply[0], in_batch, parts))
        return reply

    def _take_failure(self, scope: str) -> _Failure | None:
        for failure in self._failures:
            if failure.scope == scope:
                self._failures.remove(failure)
                return failure
        return None

    def _dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        in_batch: bool,
    ) -> Reply:
        if path == "/o/oauth2/auth":
            return self.oauth.authorize(query)
        if path == "/token" and method == "POST":
            return self.oauth.token(body, headers.get("authorization"))
        if not (path.startswith(API_PREFIX) or path == BATCH_PATH):
            return error_reply(404, "notFound", f"no such path {path}")
        failure = self._take_failure("part" if in_batch else "request")
        if failure is not None:
            extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return error_reply(failure.status, failure.reason, "Injected failure", extra)
        if path == BATCH_PATH:
            return self._batch(headers, body)
        if not self.oauth.authorized(headers.get("authorization")):
            return error_reply(
                401, "authError", "Request had invalid authentication credentials.",
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )  # fmt: skip
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            return error_reply(400, "parseError", "Parse Error")
        return self._route(method, path.removeprefix(API_PREFIX), query, headers, payload)

    def _route(
        self,
        method: str,
        rest: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        payload: dict[str, Any],
    ) -> Reply:
        segments = [unquote(s) for s in rest.split("/")]
        api = self.api
        if segments == ["colors"] and method == "GET":
            return api.colors()
        if segments == ["users", "me", "calendarList"] and method == "GET":
            return api.calendar_list()
        if segments == ["calendars"] and method == "POST":
            return api.insert_calendar(payload)
        if segments == ["channels", "stop"] and method == "POST":
            return api.stop(payload)
        if len(segments) >= 2 and segments[0] == "calendars":
            cal = api.calendar(segments[1])
            if cal is None:
                return error_reply(404, "notFound", "Not Found")
            tail = segments[2:]
            if tail == []:
                return self._calendar(method, cal, headers, payload)
            if tail == ["events"] and method == "GET":
                return api.list_events(cal, query)
            if tail == ["events"] and method == "POST":
                refused = api.labels.prepare_event(cal.id, payload, query)
                return refused or api.insert_event(cal, payload)
            if tail == ["events", "watch"] and method == "POST":
                return api.watch(cal, payload)
            if len(tail) == 3 and tail[::2] == ["events", "instances"] and method == "GET":
                return recurrence.list_instances(api, cal, tail[1], query)
            if len(tail) == 2 and tail[0] == "events":
                if_match = headers.get("if-match")
                if method == "GET":
                    return api.get_event(cal, tail[1])
                if method == "PATCH":
                    refused = api.labels.prepare_event(cal.id, payload, query)
                    return refused or api.patch_event(cal, tail[1], payload, if_match)
                if method == "DELETE":
                    return api.delete_event(cal, tail[1], if_match)
        return error_reply(404, "notFound", f"{method} {rest} is not implemented by the fake")

    def _calendar(
        self, method: str, cal: FakeCalendar, headers: dict[str, str], payload: dict[str, Any]
    ) -> Reply:
        """calendars.get / patch / update: scopes, owner role, If-Match and labels
        (rules and sources in tests/fakes/google/labels.py)."""
        granted = self.oauth.scopes(headers.get("authorization"))
        if method == "GET":
            if not granted & READ_SCOPES:
                return insufficient_scopes()
            reply = json_reply(200, self.api.calendar_resource(cal))
            self.api.labels.was_read(cal.id)
            return reply
        if method not in ("PATCH", "PUT"):
            return error_reply(405, "methodNotAllowed", f"{method} is not allowed here")
        if not granted & WRITE_SCOPES:
            return insufficient_scopes()
        refused = self.api.labels.update(cal.id, payload, headers.get("if-match"), cal.access_role)
        if refused is not None:
            return refused
        if "summary" in payload:
            cal.summary = str(payload["summary"])
        return json_reply(200, self.api.calendar_resource(cal))

    def _batch(self, headers: dict[str, str], body: bytes) -> Reply:
        try:
            parts = parse_batch(headers.get("content-type", ""), body)
        except ValueError as exc:
            return error_reply(400, "badRequest", str(exc))
        if len(parts) > 50:
            return error_reply(400, "batchSizeTooLarge", "A batch can hold at most 50 calls.")
        replies: list[tuple[str, Reply]] = []
        for part in parts:
            part_headers = dict(part.headers)
            if "authorization" not in part_headers and "authorization" in headers:
                part_headers["authorization"] = headers["authorization"]
            reply = self.handle(part.method, part.target, part_headers, part.body, in_batch=True)
            replies.append((part.content_id, reply))
        content_type, out = format_batch(replies)
        return 200, {"Content-Type": content_type}, out


def make_app(fake: FakeGoogle) -> Starlette:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, out_headers, out = fake.handle(request.method, target, headers, body)
        return Response(out, status_code=status, headers=out_headers)

    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])


@contextmanager
def run_fake_google(time_zone: str = "UTC") -> Iterator[FakeGoogle]:
    """Serve a fresh fake on a free loopback port for the duration of the block."""
    fake = FakeGoogle(api=CalendarApi(time_zone=time_zone))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    fake.base_url = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(
        make_app(fake), log_level="warning", lifespan="off", ws="none", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("fake Google did not start")
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
