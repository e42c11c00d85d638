"""Writing to Google Calendar: one small state machine for single calls and batches.

Every write is a :class:`_Step` (the next HTTP call it needs) driven to a final
result in rounds, so the follow-ups a write can need behave the same either way:
a 409 on create (a retry after a crash hit our deterministic id) fetches the
existing event, reviving it if it was deleted; a refused ``focusTime`` falls back
to an ordinary opaque event; a label Google no longer knows falls back to the
nearest ``colorId``; 429/5xx/403-rate-limit are retried with backoff that honours
Retry-After. Several writes travel as batch requests of at most 50 calls.

:class:`GoogleWrites` is the writing half of :class:`providers.google.GoogleCalendar`
(which holds the reading half and the state both share).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from blocker.core.errors import OwnershipError, ProviderError, TransientError
from blocker.core.models import EventDraft, RemoteEvent, TentativeAs
from providers.base import Write, WriteResult
from providers.google_labels import Labeller
from providers.google_mapping import draft_body, remote_event
from providers.google_retry import PROVIDER, Backoff, is_retryable, retry_after, translate

BATCH_LIMIT = 50
"""Google accepts at most 50 calls in one batch request."""

StepKind = Literal["create", "create_plain", "update", "delete", "fetch", "revive"]


@dataclass(frozen=True, slots=True)
class _Step:
    """The next HTTP call one write needs; ``attempt`` counts retries of this call."""

    index: int
    kind: StepKind
    draft: EventDraft | None = None
    current: RemoteEvent | None = None
    etag: str | None = None
    attempt: int = 0
    focus: bool = False
    label: str | None = None
    """The event label id the event carries (None: the nearest ``colorId`` instead)."""


_Outcome = tuple[Any, BaseException | None]


def is_primary(calendar_id: str) -> bool:
    """Whether ``calendar_id`` names a user's primary calendar (``primary`` or the
    owner's address) rather than a secondary one Google ids ``...@group.calendar...``."""
    return calendar_id == "primary" or (
        "@" in calendar_id and not calendar_id.endswith("calendar.google.com")
    )


def _reason(exc: HttpError) -> str:
    """Google's own words for a refusal, short (they go into the run record)."""
    try:
        body = json.loads(exc.content)
        message = str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = f"HTTP {exc.resp.status}"
    return message[:200]


def _label(step: _Step, body: dict[str, Any]) -> dict[str, Any]:
    """Put the step's label on ``body``; the query parameters that make Google read it.

    With ``eventLabelVersion=1`` Google ignores ``colorId`` and a body without
    ``eventLabelId`` removes the event's label (discovery document), so only a step
    with a label asks for version 1.
    """
    if step.label is None:
        return {}
    body["eventLabelId"] = step.label
    return {"eventLabelVersion": 1}


class GoogleWrites:
    """Creates, updates, deletes and batches of them, for :class:`GoogleCalendar`."""

    service: Any
    calendar_id: str
    credentials: Credentials
    backoff: Backoff
    time_zone: str | None
    tentative: TentativeAs
    focus_refused: bool
    focus_allowed: Callable[[], bool] | None
    on_refused: Callable[[str, str], None] | None
    labeller: Labeller | None
    _transport: httplib2.Http

    def _zone(self, name: object) -> ZoneInfo:
        """The zone events are read in (ours, else the calendar's; reads use it too)."""
        for candidate in (self.time_zone, name, "UTC"):
            if candidate:
                try:
                    return ZoneInfo(str(candidate))
                except (ZoneInfoNotFoundError, ValueError):
                    continue
        return ZoneInfo("UTC")

    def _create(self, draft: EventDraft) -> RemoteEvent:
        step = self._step(0, Write("create", draft=draft), self._may_try_focus())
        return self._single(self._labelled([step])[0])

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        return self._single(self._labelled([_Step(0, "update", draft=draft, current=current)])[0])

    def _delete(self, current: RemoteEvent) -> None:
        result = self._run([_Step(0, "delete", current=current)])[0]
        if isinstance(result, ProviderError):
            raise result

    def _single(self, step: _Step) -> RemoteEvent:
        result = self._run([step])[0]
        if isinstance(result, ProviderError):
            raise result
        assert result is not None, "create/update always yields an event"
        return result

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        focus = self._may_try_focus()
        return self._run(self._labelled([self._step(i, w, focus) for i, w in enumerate(writes)]))

    def _labelled(self, steps: list[_Step]) -> list[_Step]:
        """Give each create/update its event label (set up on the calendar first)."""
        if self.labeller is None:
            return steps
        drafts = [s.draft for s in steps if s.draft is not None]
        ids = self.labeller.ids_for(drafts)
        return [
            replace(s, label=ids.get((s.draft.label, s.draft.color))) if s.draft else s
            for s in steps
        ]

    def _may_try_focus(self) -> bool:
        """``focusTime`` exists only on a user's primary calendar (not on a dedicated
        ``...@group.calendar.google.com`` one) and not after a refusal that stands."""
        if self.focus_refused or not is_primary(self.calendar_id):
            return False
        return self.focus_allowed is None or self.focus_allowed()

    def _step(self, index: int, write: Write, focus_ok: bool) -> _Step:
        """First call of a write; a timed create of a focus block tries ``focusTime``.

        All-day entries (the meeting-free day) never do: Google's focus time is a timed
        working-hours event, and an all-day one is refused.
        """
        focus = (
            focus_ok
            and write.action == "create"
            and write.draft is not None
            and write.draft.focus
            and not write.draft.all_day
        )
        return _Step(index, write.action, draft=write.draft, current=write.current, focus=focus)

    def _run(self, steps: list[_Step]) -> list[WriteResult]:
        """Drive every step to a final result, retrying and following up in rounds."""
        results: dict[int, WriteResult] = {}
        pending = steps
        while pending:
            outcomes = self._execute(pending)
            follow: list[_Step] = []
            waits: list[float] = []
            retrying = False
            for step, (response, exc) in zip(pending, outcomes, strict=True):
                if exc is not None and is_retryable(exc):
                    wait = retry_after(exc.resp) if isinstance(exc, HttpError) else None
                    out_of_patience = step.attempt + 1 >= self.backoff.attempts or (
                        wait is not None and wait > self.backoff.max_retry_after
                    )
                    if out_of_patience:
                        results[step.index] = translate(exc, what=self._what(step))
                    else:
                        retrying = True
                        follow.append(replace(step, attempt=step.attempt + 1))
                        if wait is not None:
                            waits.append(wait)
                    continue
                outcome = self._outcome(step, response, exc)
                if isinstance(outcome, _Step):
                    follow.append(outcome)
                else:
                    results[step.index] = outcome
            if retrying:
                attempt = max(s.attempt for s in follow) - 1
                self.backoff.sleep(self.backoff.delay(attempt, max(waits) if waits else None))
            pending = follow
        return [results[step.index] for step in steps]

    def _what(self, step: _Step) -> str:
        target = step.draft.key if step.draft else (step.current.event_id if step.current else "")
        return f"{step.kind} {target}"

    def _outcome(
        self, step: _Step, response: Any, exc: BaseException | None
    ) -> WriteResult | _Step:
        """A final result for ``step``, or the follow-up call it needs."""
        if exc is None:
            if step.kind == "delete":
                return None
            event = remote_event(response, self._zone(None), tentative=self.tentative)
            if step.kind == "fetch":
                return self._adopt(step, response, event)
            return event
        if isinstance(exc, HttpError):
            status = exc.resp.status
            if step.kind in ("create", "create_plain") and status == 409:
                return _Step(step.index, "fetch", draft=step.draft, label=step.label)
            if status == 400 and step.label is not None and "label" in _reason(exc).lower():
                # Our label is gone (deleted in Google Calendar): this write takes the
                # nearest colorId; the next write sets the labels up again.
                if self.labeller is not None:
                    self.labeller.forget()
                return replace(step, label=None, attempt=0)
            if step.kind == "create" and status == 400 and step.focus:
                if not self.focus_refused and self.on_refused is not None:
                    self.on_refused("focus_time", _reason(exc))
                self.focus_refused = True
                return _Step(step.index, "create_plain", draft=step.draft, label=step.label)
        return translate(exc, what=self._what(step))

    def _adopt(
        self, step: _Step, resource: dict[str, Any], event: RemoteEvent
    ) -> WriteResult | _Step:
        """After a 409: the id is ours already; reuse the event (revive it if deleted)."""
        assert step.draft is not None
        if event.tag is None or event.tag.key != step.draft.key:
            return OwnershipError(
                f"event id {event.event_id} exists but is not block {step.draft.key}",
                provider=PROVIDER,
            )
        if resource.get("status") == "cancelled":
            return _Step(
                step.index, "revive", draft=step.draft, etag=resource.get("etag"), label=step.label
            )
        return event

    def _request(self, step: _Step) -> Any:
        events = self.service.events()
        cal = self.calendar_id
        if step.kind in ("create", "create_plain"):
            assert step.draft is not None
            body = draft_body(step.draft, focus=step.focus and step.kind == "create")
            return events.insert(
                calendarId=cal, body=body, sendUpdates="none", **_label(step, body)
            )
        if step.kind == "fetch":
            assert step.draft is not None
            return events.get(calendarId=cal, eventId=step.draft.event_id)
        if step.kind in ("update", "revive"):
            assert step.draft is not None
            body = draft_body(step.draft, focus=False, for_patch=True)
            if step.kind == "revive":
                body["status"] = "confirmed"
                event_id, etag = step.draft.event_id, step.etag
            else:
                assert step.current is not None
                event_id, etag = step.current.event_id, step.current.etag
            request = events.patch(
                calendarId=cal,
                eventId=event_id,
                body=body,
                sendUpdates="none",
                **_label(step, body),
            )
        else:
            assert step.current is not None
            event_id, etag = step.current.event_id, step.current.etag
            request = events.delete(calendarId=cal, eventId=event_id, sendUpdates="none")
        if etag:
            request.headers["If-Match"] = etag
        return request

    def _execute(self, steps: list[_Step]) -> list[_Outcome]:
        """One HTTP request per chunk of 50 (a plain request when a chunk holds one call)."""
        outcomes: list[_Outcome] = []
        for offset in range(0, len(steps), BATCH_LIMIT):
            chunk = steps[offset : offset + BATCH_LIMIT]
            outcomes.extend(self._execute_one(chunk[0]) if len(chunk) == 1 else self._batch(chunk))
        return outcomes

    def _execute_one(self, step: _Step) -> list[_Outcome]:
        try:
            return [(self._request(step).execute(), None)]
        except RefreshError as exc:
            raise translate(exc) from exc
        except Exception as exc:  # every failure becomes this step's outcome
            return [(None, exc)]

    def _batch(self, chunk: list[_Step]) -> list[_Outcome]:
        got: dict[str, _Outcome] = {}

        def collect(request_id: str, response: Any, exc: BaseException | None) -> None:
            got[request_id] = (response, exc)

        try:
            self._ensure_token()
        except RefreshError as exc:
            raise translate(exc) from exc
        except Exception as exc:  # token endpoint unreachable: every call fails alike
            return [(None, exc)] * len(chunk)
        batch = self.service.new_batch_http_request(callback=collect)
        for position, step in enumerate(chunk):
            batch.add(self._request(step), request_id=str(position))
        try:
            batch.execute()
        except RefreshError as exc:
            raise translate(exc) from exc
        except Exception as exc:  # the whole batch failed: every call shares the outcome
            return [(None, exc)] * len(chunk)
        missing = TransientError("the batch response lacked this call", provider=PROVIDER)
        return [got.get(str(i), (None, missing)) for i in range(len(chunk))]

    def _ensure_token(self) -> None:
        """Refresh through our own transport before a batch.

        ``BatchHttpRequest`` would otherwise refresh on a throwaway
        ``httplib2.Http()`` that ignores the injected transport and is never closed.
        """
        if not self.credentials.valid:
            request = google_auth_httplib2.Request(self._transport)
            self.credentials.refresh(request)  # type: ignore[no-untyped-call]


__all__ = ["BATCH_LIMIT", "GoogleWrites", "is_primary"]
