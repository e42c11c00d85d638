"""A small Microsoft Graph client: auth header, throttling, concurrency cap, JSON batching.

Graph throttles per mailbox (10,000 requests per 10 minutes, 4 concurrent) and
answers 429/503/504 with ``Retry-After``: every request here goes through one
retry loop that honours it (the sleeper is injected so tests never wait) and
through a per-mailbox limiter. Errors leave this module as ``blocker.core.errors``
classes only, so the provider above never sees httpx.

JSON batching (https://learn.microsoft.com/graph/json-batching): a batch is either
fully parallel (no member ``dependsOn`` another) or fully sequential (each member
``dependsOn`` the one before); Graph refuses a mixed one. Outlook runs up to four
members of a parallel batch at a time and one of a sequential batch
(https://learn.microsoft.com/graph/throttling-limits#outlook-service-limits), so
the limiter counts a parallel batch as up to four of the mailbox's four slots and
a sequential one as one. Members are throttled individually: a 429 member carries
its own ``Retry-After`` and only those members are sent again, in a new batch
after the longest wait (https://learn.microsoft.com/graph/throttling#throttling-and-batching).
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

from blocker.core.errors import (
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
    """A counting semaphore that also says how many callers wait (for tests and metrics).

    A caller may take several slots at once (``weight``): a parallel ``$batch``
    occupies as many of the mailbox's slots as Outlook runs of it at a time.
    """

    def __init__(self, limit: int = MAX_CONCURRENT) -> None:
        self.limit = limit
        self.active = 0
        self.waiting = 0
        self._cond = threading.Condition()

    @contextmanager
    def slot(self, weight: int = 1) -> Iterator[None]:
        weight = max(1, min(weight, self.limit))
        with self._cond:
            self.waiting += 1
            try:
                self._cond.wait_for(lambda: self.active + weight <= self.limit)
            finally:
                self.waiting -= 1
            self.active += weight
        try:
            yield
        finally:
            with self._cond:
                self.active -= weight
                self._cond.notify_all()


_LIMITERS: dict[str, Limiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(mailbox: str) -> Limiter:
    """The process-wide limiter of one mailbox, shared by every client that names it."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault(mailbox, Limiter())


@dataclass(frozen=True, slots=True)
class SubRequest:
    """One member of a ``$batch``; ``url`` is relative to the Graph root (``/me/...``)."""

    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SubResponse:
    status: int
    headers: Mapping[str, str]
    body: Any

    def error(self, *, delta: bool = False) -> ProviderError | None:
        """The product's error for a failed answer (``delta``: it answered a delta link)."""
        if self.status < 400:
            return None
        return error_for(self.status, self.headers, self.body, delta=delta)


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


# Codes that say "this delta state is gone, start over", on any 4xx: Graph names
# ``syncStateNotFound`` for an expired token (https://learn.microsoft.com/graph/delta-query-overview#token-duration).
SYNC_STATE_CODES = frozenset({"syncstatenotfound", "syncstateinvalid", "resyncrequired"})


def error_for(
    status: int, headers: Mapping[str, str], body: Any, *, delta: bool = False
) -> ProviderError:
    """Translate one Graph error answer into the product's error tree.

    A delta link answered 410 means a full resync whatever the body says (Graph
    documents a bare 410 with a ``Location`` header for a reset, and 40X with
    ``syncStateNotFound`` for an expired token); the message text is never read.
    """
    code, message = _error_code(body)
    text = f"Graph {status} {code}: {message}".strip()
    if status == 429:
        return RateLimited(text, retry_after=_retry_after(headers), provider=PROVIDER)
    if (status == 410 and delta) or (400 <= status < 500 and code.lower() in SYNC_STATE_CODES):
        return SyncTokenExpired(text, provider=PROVIDER)
    if status in (401, 403):
        return ReconnectRequired(text, provider=PROVIDER)
    if status in (404, 410):
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
        delta: bool = False,
        slots: int = 1,
    ) -> httpx.Response:
        """One request with retries; a 2xx (or ``accept``-ed) response, else a ProviderError.

        ``delta``: the URL is a delta link (a 410 then means "read in full");
        ``slots``: how many of the mailbox's concurrent slots the request occupies.
        """
        attempt = 0
        while True:
            merged = {"Authorization": f"Bearer {self._token()}", **(headers or {})}
            try:
                with self.limiter.slot(slots):
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
                failure = error_for(response.status_code, response.headers, body, delta=delta)
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

    def batch(
        self, requests: Sequence[SubRequest], *, sequential: bool = False
    ) -> list[SubResponse]:
        """Run ``requests`` through ``$batch`` (20 per call); answers in the order asked.

        Parallel (the default): no member depends on another; Outlook runs up to
        four at a time. ``sequential``: each member ``dependsOn`` the one before,
        so they run in order, one at a time, and a member after a failed one is
        answered 424 without running -- final after a real failure (its
        predecessor's answer explains it), sent again after a throttled one.

        Throttled members (429/503/504) are sent again, alone, in a new batch
        after the longest ``Retry-After`` among them; the calls after a throttled
        one wait for that round too.
        """
        results: list[SubResponse | None] = [None] * len(requests)
        pending = list(range(len(requests)))
        attempt = 0
        while pending:
            again: list[int] = []
            wait: float | None = None
            chunks = [pending[i : i + MAX_BATCH] for i in range(0, len(pending), MAX_BATCH)]
            for number, chunk in enumerate(chunks):
                answers = self._one_batch(requests, chunk, sequential=sequential)
                throttled = failed = False
                for position, (index, answer) in enumerate(zip(chunk, answers, strict=True)):
                    results[index] = answer
                    if answer.status in RETRY_STATUSES:
                        throttled = True
                        again.append(index)
                        hint = _retry_after(answer.headers)
                        if hint is not None:
                            wait = max(wait or 0.0, hint)
                        if sequential:  # the rest of the chain never ran: with it
                            again.extend(chunk[position + 1 :])
                            break
                    elif sequential and answer.status >= 400:
                        failed = True  # a real failure ends the chain: 424s are final
                        break
                if throttled:  # wait before sending anything more to this mailbox
                    again.extend(i for later in chunks[number + 1 :] for i in later)
                    break
                if failed:
                    break
            if not again or attempt >= self.max_retries:
                break
            self._sleep(self.delay(attempt, wait))
            attempt += 1
            pending = again
        return [r if r is not None else _NOT_RUN for r in results]

    def _one_batch(
        self, requests: Sequence[SubRequest], chunk: Sequence[int], *, sequential: bool
    ) -> list[SubResponse]:
        """One ``$batch`` call of ``requests[i] for i in chunk``; ids are chunk positions."""
        members: list[dict[str, Any]] = []
        for n, index in enumerate(chunk):
            sub = requests[index]
            member: dict[str, Any] = {"id": str(n + 1), "method": sub.method, "url": sub.url}
            if sequential and n > 0:
                member["dependsOn"] = [str(n)]
            if sub.body is not None:
                member["body"] = sub.body
            content = {"Content-Type": "application/json"} if sub.body is not None else {}
            member["headers"] = {**content, **sub.headers}
            members.append(member)
        slots = 1 if sequential else min(MAX_CONCURRENT, len(chunk))
        body = self.json("POST", "/$batch", json={"requests": members}, slots=slots)
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


_NOT_RUN = SubResponse(
    424, {}, {"error": {"code": "FailedDependency", "message": "a request it depends on failed"}}
)


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
