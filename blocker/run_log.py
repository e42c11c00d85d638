"""What one sync run tells the operator: its metrics and one structured log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from blocker.core.errors import BlockerError
from blocker.core.models import Op
from blocker.metrics import Metrics

log = logging.getLogger("blocker.runtime")


def observe_run(
    metrics: Metrics,
    *,
    calendar_id: str,
    trigger: str,
    week: str,
    dry_run: bool,
    ops: Sequence[Op],
    run_errors: Sequence[str],
    error: BaseException | None,
    duration: float,
) -> None:
    """Count the run (latency, outcome, errors, ops) and log it as one JSON line:
    ``error`` is what the run raised, ``run_errors`` what it reported without raising."""
    m = metrics
    m.run_latency.labels(calendar_id).observe(duration)
    failed = error is not None or bool(run_errors)
    m.runs.labels(calendar_id, trigger, "error" if failed else "ok").inc()
    if error is not None:
        m.errors.labels(calendar_id, type(error).__name__).inc()
    elif run_errors:
        m.errors.labels(calendar_id, "run").inc(len(run_errors))
    for op in ops:
        m.ops.labels(calendar_id, op.action, str(dry_run).lower()).inc()
    line: dict[str, Any] = {
        "event": "sync_run",
        "calendar": calendar_id,
        "trigger": trigger,
        "week": week,
        "dry_run": dry_run,
        "ops": len(ops),
        "creates": sum(op.action == "create" for op in ops),
        "updates": sum(op.action == "update" for op in ops),
        "deletes": sum(op.action == "delete" for op in ops),
        "duration_ms": round(duration * 1000, 1),
        "error": (
            error.user_message()
            if isinstance(error, BlockerError)
            else (repr(error) if error is not None else None)
        ),
        "run_errors": list(run_errors),
    }
    level = logging.WARNING if failed else logging.INFO
    log.log(level, json.dumps(line, sort_keys=True))


__all__ = ["observe_run"]
