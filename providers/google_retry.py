"""Google errors -> the product's error tree, and backoff that honours Retry-After.

``HttpRequest.execute(num_retries=n)`` ignores Retry-After and never retries a
403 ``rateLimitExceeded``/``quotaExceeded``, which is how Google usually says
"slow down"; so retrying is done here, with an injectable sleeper and jitter
source so tests never wait.
"""

from __future__ import annotations

import json
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from googleapiclient.errors import Error as GoogleApiError
from googleapiclient.errors import HttpError

from blocker.core.errors import (
    EventNotFound,
    PreconditionFailed,
    ProviderError,
    RateLimited,
    ReconnectRequired,
    SyncTokenExpired,
    TransientError,
)

PROVIDER = "google"
RATE_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter; Retry-After, when given, wins.

    A Retry-After longer than ``max_retry_after`` is not slept through: the
    error surfaces as :class:`RateLimited` so the scheduler retries the run later.
    """

    attempts: int = 5
    base: float = 1.0
    cap: float = 32.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    jitter: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return retry_after
        return float(min(self.cap, self.base * 2**attempt) * (0.5 + self.jitter() / 2))


def reasons(exc: HttpError) -> set[str]:
    """The ``errors[].reason`` values of a Google error body."""
    try:
        body = json.loads(exc.content.decode("utf-8", "replace"))
    except (ValueError, AttributeError):
        return set()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return set()
    found = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
    status = error.get("status")
    return found | ({str(status)} if status else set())


def retry_after(resp: Any) -> float | None:
    """Retry-After in seconds (delta or HTTP date) from an httplib2 response, if any."""
    value = resp.get("retry-after") if resp is not None else None
    if value is None:
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def is_retryable(exc: BaseException) -> bool:
    """Whether waiting and sending the same request again can help."""
    if isinstance(exc, HttpError):
        if exc.resp is None:  # a malformed batch response (BatchError)
            return False
        status = exc.resp.status
        return (
            status == 429 or status >= 500 or (status == 403 and bool(reasons(exc) & RATE_REASONS))
        )
    return isinstance(
        exc, socket.timeout | ConnectionError | httplib2.HttpLib2Error | TransportError
    )


LIBRARY_ERRORS: tuple[type[BaseException], ...] = (
    GoogleApiError,
    GoogleAuthError,
    httplib2.HttpLib2Error,
    OSError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)
"""What the Google client stack raises for a failed call (API, auth, transport, a
reply that does not parse); only these are translated."""


def translate(exc: BaseException, *, what: str = "") -> ProviderError:
    """Map a client-library exception onto the product's error tree.

    Raises ``exc`` itself when it is not one the client library raises: a
    programming error is not a provider failure (issue 18).
    """
    prefix = f"{what}: " if what else ""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, RefreshError):
        data = exc.args[1] if len(exc.args) > 1 else None
        error = data.get("error") if isinstance(data, dict) else None
        if error in ("invalid_grant", "unauthorized_client", "invalid_client") or (
            error is None and "invalid_grant" in str(exc)
        ):
            return ReconnectRequired(f"{prefix}Google refused the refresh token ({error})",
                                     provider=PROVIDER)  # fmt: skip
        return TransientError(f"{prefix}could not refresh the Google token: {exc}",
                              provider=PROVIDER)  # fmt: skip
    if isinstance(exc, HttpError) and exc.resp is not None:
        status = exc.resp.status
        why = reasons(exc)
        message = f"{prefix}Google said {status} {', '.join(sorted(why)) or exc.reason}"
        if status == 429 or (status == 403 and why & RATE_REASONS):
            return RateLimited(message, retry_after=retry_after(exc.resp), provider=PROVIDER)
        if status >= 500:
            return TransientError(message, provider=PROVIDER)
        if status == 401:
            return ReconnectRequired(message, provider=PROVIDER)
        if status == 412:
            return PreconditionFailed(message, provider=PROVIDER)
        if status in (404, 410):
            return EventNotFound(message, provider=PROVIDER)
        return ProviderError(message, provider=PROVIDER)
    if is_retryable(exc):
        return TransientError(f"{prefix}network error talking to Google: {exc}", provider=PROVIDER)
    if isinstance(exc, LIBRARY_ERRORS):
        return ProviderError(f"{prefix}{exc}", provider=PROVIDER)
    # Anything else is a bug on our side (a TypeError in a mapping, a KeyError): it
    # must surface as itself, not as "Google failed" that a run retries for ever.
    raise exc


def call(fn: Callable[[], T], backoff: Backoff, *, what: str = "") -> T:
    """Run ``fn``; retry what :func:`is_retryable` allows; raise translated errors."""
    for attempt in range(backoff.attempts):
        try:
            return fn()
        except Exception as exc:
            if not is_retryable(exc) or attempt == backoff.attempts - 1:
                raise translate(exc, what=what) from exc
            wait = retry_after(exc.resp) if isinstance(exc, HttpError) else None
            if wait is not None and wait > backoff.max_retry_after:
                raise translate(exc, what=what) from exc
            backoff.sleep(backoff.delay(attempt, wait))
    raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover


def sync_token_expired(exc: HttpError) -> SyncTokenExpired:
    return SyncTokenExpired(
        f"Google dropped the sync token ({exc.resp.status}); read in full", provider=PROVIDER
    )


__all__ = ["Backoff", "call", "is_retryable", "reasons", "retry_after", "translate"]
