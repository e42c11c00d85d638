"""A small Microsoft Graph client: auth header, throttling, concurrency cap, JSON batching.

Graph throttles per mailbox (10,000 requests per 10 minutes, 4 concurrent) and
answers 429/503/504 with ``Retry-After``: every request here goes through one
retry loop that honours it (the sleeper is injected so tests never wait) and
through a per-mailbox limiter. Errors leave this module as ``blocker.errors``
classes only, so the provider above never sees httpx.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from blocker.errors import (
    EventNotFound,
    PreconditionFailed,
    ProviderError,
    RateLimited,
    ReconnectRequired,
    SyncTokenExpired,
    TransientError,
)

GRAPH_ROOT = "https://graph.microsoft.com/v1.0"
MAX_BATCH = 20
MAX_CONCURRENT = 4
RETRY_STATUSES = frozenset({429, 503, 504})
PROVIDER = "outlook"

TokenGetter = Callable[[], str]
Sleeper = Callable[[float], None]


class Limiter:
    """A counting semaphore that also says how many callers wait (for tests and metrics)."""

    def __init__(self, limit: int = MAX_CONCURRENT) -> None:
        self.limit = limit
        self.active = 0
        self.waiting = 0
        self._cond = threading.Condition()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._cond:
            self.waiting += 1
            try:
                self._cond.wait_for(lambda: self.active < self.limit)
            finally:
                self.waiting -= 1
            self.active += 1
        try:
            yield
        finally:
            with self._cond:
                self.active -= 1
                self._cond.notify()


_LIMITERS: dict[str, Limiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(mailbox: str) -> Limiter:
    """The process-wide limiter of one mailbox, shared by every client that names it."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(mailbox, Limiter())


@dataclass(frozen=True, slots=True)
class SubRequest:
    """One member of a ``$batch``; ``url`` is relative to the Graph root (``/me/...``).

    ``depends_on`` lists indexes (into the same ``batch()`` call) of members that
    must succeed first; Graph then runs this one after them, or answers 424.
    """

    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SubResponse:
    status: int
    headers: Mapping[str, str]
    body: Any

    def error(self) -> ProviderError | None:
        if self.status < 400:
            return None
        return error_for(self.status, self.headers, self.body)


def _error_code(body: Any) -> tuple[str, str]:
    if isinstance(body, Mapping):
        err = body.get("error")
        if isinstance(err, Mapping):
            return str(err.get("code", "")), str(err.get("message", ""))
    return "", ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def error_for(status: int, headers: Mapping[str, str], body: Any) -> ProviderError:
    """Translate one Graph error answer into the product's error tree."""
    code, message = _error_code(body)
    text = f"Graph {status} {code}: {message}".strip()
    if status == 429:
        return RateLimited(text, retry_after=_retry_after(headers), provider=PROVIDER)
    if status in (401, 403):
        return ReconnectRequired(text, provider=PROVIDER)
    if status == 404:
        return EventNotFound(text, provider=PROVIDER)
    if status == 410:
        if code.lower().startswith("syncstate") or "sync" in message.lower():
            return SyncTokenExpired(text, provider=PROVIDER)
        return EventNotFound(text, provider=PROVIDER)
    if status == 412 or (status == 409 and code == "ErrorIrresolvableConflict"):
        return PreconditionFailed(text, provider=PROVIDER)
    if status >= 500:
        return TransientError(text, provider=PROVIDER)
    return ProviderError(text, provider=PROVIDER)


class GraphClient:
    """Authenticated, throttling-aware requests to one mailbox's Graph root."""

    def __init__(
        self,
        token: TokenGetter,
        *,
        root: str = GRAPH_ROOT,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleeper: Sleeper = time.sleep,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        limiter: Limiter | None = None,
        rng: random.Random | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._token = token
        self.root = root.rstrip("/")
        self._owns_client = client is None
        self._http = client or httpx.Client(transport=transport, timeout=timeout)
        self._sleep = sleeper
        self.max_retries = max_retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self.limiter = limiter or Limiter()
        self._rng = rng or random.Random()

    def close(self) -> None:
        if self._owns_client:
            self._http.close()

    def url(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else f"{self.root}{path_or_url}"

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when given, else exponential backoff with full jitter."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self._max_backoff, self._backoff * (2**attempt))
        return self._rng.uniform(0, ceiling)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """One request with retries; a 2xx (or ``accept``-ed) response, else a ProviderError."""
        attempt = 0
        while True:
            merged = {"Authorization": f"Bearer {self._token()}", **(headers or {})}
            try:
                with self.limiter.slot():
                    response = self._http.request(
                        method, self.url(path_or_url), params=params, json=json, headers=merged
                    )
            except httpx.TimeoutException as exc:
                failure: ProviderError = TransientError(
                    f"Graph timed out: {exc}", provider=PROVIDER
                )
                retry_after = None
            except httpx.TransportError as exc:
                failure = TransientError(f"Graph unreachable: {exc}", provider=PROVIDER)
                retry_after = None
            else:
                if response.status_code < 400 or response.status_code in accept:
                    return response
                body = _json_or_none(response)
                failure = error_for(response.status_code, response.headers, body)
                if response.status_code not in RETRY_STATUSES:
                    raise failure
                retry_after = _retry_after(response.headers)
            if attempt >= self.max_retries:
                raise failure
            self._sleep(self.delay(attempt, retry_after))
            attempt += 1

    def json(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        response = self.request(method, path_or_url, **kwargs)
        return _json_or_none(response)

    def batch(self, requests: Sequence[SubRequest]) -> list[SubResponse]:
        """Run ``requests`` through ``$batch`` (20 per call), retrying throttled members.

        Answers come back in the order asked, whatever order Graph used. A member
        whose ``depends_on`` member sits in an earlier chunk (or attempt) is sent
        only if that one succeeded, else answered 424 here, as Graph would.
        """
        results: list[SubResponse | None] = [None] * len(requests)
        pending = list(range(len(requests)))
        attempt = 0
        while pending:
            throttled: list[int] = []
            wait: float | None = None
            for start in range(0, len(pending), MAX_BATCH):
                chunk = pending[start : start + MAX_BATCH]
                failed = [i for i in chunk if _failed_dependency(requests[i], results, chunk)]
                for index in failed:
                    results[index] = _FAILED_DEPENDENCY
                chunk = [i for i in chunk if i not in failed]
                if not chunk:
                    continue
                for index, answer in zip(chunk, self._one_batch(requests, chunk), strict=True):
                    results[index] = answer
                    if answer.status in RETRY_STATUSES:
                        throttled.append(index)
                        hint = _retry_after(answer.headers)
                        if hint is not None:
                            wait = max(wait or 0.0, hint)
            if not throttled or attempt >= self.max_retries:
                break
            self._sleep(self.delay(attempt, wait))
            attempt += 1
            pending = throttled
        return [r for r in results if r is not None]

    def _one_batch(self, requests: Sequence[SubRequest], chunk: Sequence[int]) -> list[SubResponse]:
        """One ``$batch`` call of ``requests[i] for i in chunk``; ids are chunk positions."""
        ids = {index: str(n + 1) for n, index in enumerate(chunk)}
        payload = {
            "requests": [
                {
                    "id": ids[index],
                    "method": requests[index].method,
                    "url": requests[index].url,
                    **_depends_on(requests[index], ids),
                    **({"body": requests[index].body} if requests[index].body is not None else {}),
                    "headers": {
                        **(
                            {"Content-Type": "application/json"}
                            if requests[index].body is not None
                            else {}
                        ),
                        **requests[index].headers,
                    },
                }
                for index in chunk
            ]
        }
        body = self.json("POST", "/$batch", json=payload)
        by_id: dict[str, SubResponse] = {}
        for item in (body or {}).get("responses", []):
            by_id[str(item.get("id"))] = SubResponse(
                status=int(item.get("status", 500)),
                headers=dict(item.get("headers") or {}),
                body=item.get("body"),
            )
        missing = SubResponse(
            500, {}, {"error": {"code": "MissingResponse", "message": "no answer"}}
        )
        return [by_id.get(str(i + 1), missing) for i in range(len(chunk))]


_FAILED_DEPENDENCY = SubResponse(
    424, {}, {"error": {"code": "FailedDependency", "message": "a request it depends on failed"}}
)


def _failed_dependency(
    sub: SubRequest, results: Sequence[SubResponse | None], chunk: Sequence[int]
) -> bool:
    """A dependency answered earlier (not in this chunk) and not with success."""
    for dep in sub.depends_on:
        if dep in chunk:
            continue
        answer = results[dep]
        if answer is None or answer.status >= 400:
            return True
    return False


def _depends_on(sub: SubRequest, ids: Mapping[int, str]) -> dict[str, list[str]]:
    """The ``dependsOn`` of one member: only those in the same call (earlier ones succeeded)."""
    inside = [ids[dep] for dep in sub.depends_on if dep in ids]
    return {"dependsOn": inside} if inside else {}


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


__all__ = [
    "GRAPH_ROOT",
    "MAX_BATCH",
    "GraphClient",
    "Limiter",
    "SubRequest",
    "SubResponse",
    "error_for",
    "limiter_for",
]
