"""Bounds on what a caller can make the service do: body sizes and request rates.

* :class:`BodyLimit` refuses a body larger than its route's limit with 413 before
  any of it is parsed: at once when ``Content-Length`` says so, else as soon as
  the bytes read pass the limit (chunked uploads). Webhooks get their own, smaller
  limit (``BLOCKER_WEBHOOK_MAX_BODY_BYTES``); everything else, API and pages,
  ``BLOCKER_API_MAX_BODY_BYTES``.
* :class:`RateLimiter` is a token bucket per source address, on the runtime's
  clock (so tests pin it). It remembers a bounded number of sources: the least
  recently seen are forgotten first, so a flood of addresses cannot grow memory.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status

from blocker.core.clock import Clock

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WEBHOOK_PREFIX = "/webhooks/"
MAX_SOURCES = 10_000


class BodyTooLarge(HTTPException):
    """413: the body passed the route's limit (raised while it is being read)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"request body larger than {limit} bytes",
        )


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit of its path, before parsing."""

    def __init__(self, app: ASGIApp, *, api_limit: int, webhook_limit: int) -> None:
        self.app = app
        self.api_limit = api_limit
        self.webhook_limit = webhook_limit

    def limit_for(self, path: str) -> int:
        return self.webhook_limit if path.startswith(WEBHOOK_PREFIX) else self.api_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, capped, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status.HTTP_413_CONTENT_TOO_LARGE,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``per_minute`` events per source, in bursts of at most ``per_minute``."""

    def __init__(self, per_minute: int, clock: Clock, *, max_sources: int = MAX_SOURCES) -> None:
        if per_minute < 1:
            raise ValueError("a rate limit needs at least one event per minute")
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self.clock = clock
        self.max_sources = max_sources
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._guard = threading.Lock()

    def _bucket(self, source: str) -> _Bucket:
        now = self.clock().timestamp()
        bucket = self._buckets.get(source)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
            self._buckets[source] = bucket
            while len(self._buckets) > self.max_sources:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(source)
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.per_second)
            bucket.at = now
        return bucket

    def allow(self, source: str) -> bool:
        """Take one token for ``source``; False (refuse the call) when there is none."""
        with self._guard:
            bucket = self._bucket(source)
            if bucket.tokens < 1.0:
                return False
            bucket.tokens -= 1.0
            return True

    def blocked(self, source: str) -> bool:
        """True when ``source`` has no token left (nothing is taken)."""
        with self._guard:
            return self._bucket(source).tokens < 1.0

    def retry_after(self, source: str) -> int:
        """Whole seconds until ``source`` has a token again (at least 1)."""
        with self._guard:
            missing = max(0.0, 1.0 - self._bucket(source).tokens)
        return max(1, math.ceil(missing / self.per_second))


def source_of(scope_client: Any) -> str:
    """The caller's address as the server saw it (behind a proxy: configure uvicorn's
    ``--forwarded-allow-ips`` so this is the client, not the proxy)."""
    host = getattr(scope_client, "host", None)
    return str(host) if host else "unknown"


__all__ = ["BodyLimit", "BodyTooLarge", "RateLimiter", "source_of"]
