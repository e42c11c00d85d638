"""Prometheus metrics of the service, one registry per runtime.

A registry per runtime (not the process-global default) so two apps in one
process (tests, a restart) never collide on metric names and each ``/metrics``
shows only its own runs.

The ``calendar`` label carries the team template's calendar ids (the ones in the
deployment's rules file, bare in the store) and nothing else: every member's
calendar is stored as ``u<user id>~<calendar>`` (:mod:`blocker.members`), which
would publish user ids and calendar names to whoever scrapes ``/metrics`` and
grow a series per calendar of 10k users. Those are counted together under
``calendar="member"``, so the label's values are bounded by the template's
calendars plus one, whatever the team's size. :class:`Metrics` applies this at
the one place labels are set, so no caller can forget it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from blocker.core.models import Capabilities, EventDraft, Interval, ReadResult, RemoteEvent
from providers.base import CalendarProvider, Write, WriteResult

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
MEMBER_LABEL = "member"
_NAMESPACE_MARK = "~"  # blocker.members.NAMESPACE_MARK (never in a calendar id)

M = TypeVar("M", Counter, Histogram)


def calendar_label(calendar_id: str) -> str:
    """The ``calendar`` label of a store key: a template calendar's own id, or
    ``member`` for any member's ``u<id>~<calendar>``."""
    return MEMBER_LABEL if _NAMESPACE_MARK in calendar_id else calendar_id


class ByCalendar(Generic[M]):
    """A metric whose first label is a calendar: ``labels(store_key, ...)`` records
    it under :func:`calendar_label` of the key."""

    def __init__(self, metric: M) -> None:
        self.metric: M = metric

    def labels(self, calendar_id: str, *rest: str) -> M:
        child: M = self.metric.labels(calendar_label(calendar_id), *rest)
        return child


class Metrics:
    """The counters and histograms the service exports."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.runs = ByCalendar(
            Counter(
                "blocker_runs",
                "Sync runs by trigger and outcome (members' calendars: calendar=member).",
                ["calendar", "trigger", "outcome"],
                registry=self.registry,
            )
        )
        self.ops = ByCalendar(
            Counter(
                "blocker_ops",
                "Calendar ops planned by action (applied unless dry run).",
                ["calendar", "action", "dry_run"],
                registry=self.registry,
            )
        )
        self.errors = ByCalendar(
            Counter(
                "blocker_errors",
                "Errors of runs and jobs by kind (error class name).",
                ["calendar", "kind"],
                registry=self.registry,
            )
        )
        self.provider_requests = Counter(
            "blocker_provider_requests",
            "Calls made to calendar providers by method.",
            ["provider", "method"],
            registry=self.registry,
        )
        self.webhook_requests = Counter(
            "blocker_webhook_requests",
            "Webhook calls by provider and outcome (accepted, validation, refused, invalid, "
            "rate_limited).",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.webhook_items = Counter(
            "blocker_webhook_notifications",
            "Webhook notification items by provider and outcome (verified, forged: the "
            "secret does not verify, unknown: a genuine secret of a channel we no longer "
            "have, malformed, over_cap: past BLOCKER_WEBHOOK_MAX_ITEMS, not looked at).",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.sign_ins = Counter(
            "blocker_sign_ins",
            "Dashboard sign-in attempts by outcome (ok, refused, throttled).",
            ["outcome"],
            registry=self.registry,
        )
        self.run_latency = ByCalendar(
            Histogram(
                "blocker_run_duration_seconds",
                "Wall time of one sync run.",
                ["calendar"],
                buckets=_LATENCY_BUCKETS,
                registry=self.registry,
            )
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def provider_calls(self, method: str) -> float:
        """Calls of ``method`` (``read``, ``create``...) made to every provider so far:
        what tests and benchmarks count a path's calendar reads by."""
        total = 0.0
        for metric in self.provider_requests.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total") and sample.labels.get("method") == method:
                    total += sample.value
        return total


class CountingProvider(CalendarProvider):
    """Wraps a provider to count its calls; delegates everything else.

    It goes through the inner provider's *public* methods, so the inner
    ownership guard still runs (the outer one is a cheap duplicate).
    """

    def __init__(self, inner: CalendarProvider, metrics: Metrics) -> None:
        self.inner = inner
        self.name = inner.name
        self.capabilities: Capabilities = inner.capabilities
        self._metrics = metrics

    def _count(self, method: str) -> None:
        self._metrics.provider_requests.labels(self.inner.name, method).inc()

    def read(self, window: Interval, sync_token: str | None = None) -> ReadResult:
        self._count("read")
        return self.inner.read(window, sync_token)

    def _create(self, draft: EventDraft) -> RemoteEvent:
        self._count("create")
        return self.inner.create(draft)

    def _update(self, current: RemoteEvent, draft: EventDraft) -> RemoteEvent:
        self._count("update")
        return self.inner.update(current, draft)

    def _delete(self, current: RemoteEvent) -> None:
        self._count("delete")
        self.inner.delete(current)

    def _write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        self._count("batch")
        return self.inner.write_batch(writes)

    def close(self) -> None:
        self.inner.close()


__all__ = ["MEMBER_LABEL", "ByCalendar", "CountingProvider", "Metrics", "calendar_label"]
