"""What the scheduler persists about a job, and bringing old rows up to date.

APScheduler 3 pickles each job (its callable as a textual reference, its kwargs,
its trigger) into ``apscheduler_jobs``. Two rules keep those rows safe to keep:

* **No secrets.** A job names its job store by :func:`store_scope`, a hash of the
  database URL without its password, never by the URL itself (earlier versions
  pickled the URL, so a PostgreSQL password sat in every row).
* **Stable names.** Every job refers to one entry point, :data:`ENTRY`, and says
  what to do with a ``kind`` string (``generate``, ``rebalance``, ``poll``,
  ``renew``, ``refresh``), so renaming a Python function never orphans a stored job
  (APScheduler drops a row whose callable it cannot import).

:func:`migrate_rows` rewrites rows written by earlier versions (one function per
kind, ``scope=<database URL>``) before the scheduler loads them, so a pending
debounced rebalance survives the upgrade and no row keeps the URL.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from typing import Any

from sqlalchemy import Engine, Table, select, update
from sqlalchemy.engine import URL, make_url

log = logging.getLogger("blocker.scheduler")

ENTRY = "blocker.scheduler:run_job"
"""The textual reference every stored job carries (never rename ``run_job``)."""

KINDS = ("generate", "rebalance", "poll", "renew", "refresh")

LEGACY_FUNCS = {
    "blocker.scheduler:job_generate": "generate",
    "blocker.scheduler:job_rebalance": "rebalance",
    "blocker.scheduler:job_poll": "poll",
    "blocker.scheduler:job_renew": "renew",
    "blocker.scheduler:job_refresh": "refresh",
}
"""One function per kind, as rows written before stable names refer to them."""


def store_scope(database_url: str) -> str:
    """A stable, secret-free name of the job store: the same database (whatever its
    password) always gets the same name, and the name reveals neither."""
    return (
        "store-" + hashlib.sha256(without_password(database_url).encode("utf-8")).hexdigest()[:16]
    )


def without_password(database_url: str) -> str:
    """The database URL with its password left out (not masked: removed)."""
    url = make_url(database_url)
    bare = URL.create(
        url.drivername,
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return bare.render_as_string(hide_password=False)


def display_url(database_url: str) -> str:
    """The database URL for messages, password hidden."""
    return make_url(database_url).render_as_string(hide_password=True)


def job_kwargs(
    kind: str, scope: str, calendar_id: str | None = None, trigger: str | None = None
) -> dict[str, str]:
    """The kwargs a stored job carries: what to do, for which store and calendar."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    kwargs = {"kind": kind, "scope": scope}
    if calendar_id is not None:
        kwargs["calendar_id"] = calendar_id
    if trigger is not None:
        kwargs["trigger"] = trigger
    return kwargs


def _current(state: dict[str, Any], scope: str) -> dict[str, Any] | None:
    """``state`` with stable names and our scope, or None when it needs no change
    (or is not one of ours: those are left for APScheduler to judge)."""
    func = state.get("func")
    old = state.get("kwargs") or {}
    if func == ENTRY:
        if old.get("scope") == scope:
            return None
        kind = old.get("kind")
    elif func in LEGACY_FUNCS:
        kind = LEGACY_FUNCS[func]
    else:
        return None
    if kind not in KINDS:
        return None
    kwargs = job_kwargs(kind, scope, old.get("calendar_id"), old.get("trigger"))
    return {**state, "func": ENTRY, "args": (), "kwargs": kwargs}


def migrate_rows(engine: Engine, table: Table, scope: str) -> int:
    """Rewrite the stored jobs of earlier versions in place (one transaction);
    returns how many rows changed. Run before the scheduler loads the rows."""
    table.create(engine, checkfirst=True)
    changed = 0
    with engine.begin() as conn:
        rows = conn.execute(select(table.c.id, table.c.job_state)).all()
        for job_id, blob in rows:
            try:
                state = pickle.loads(blob)  # our own job store's rows
            except Exception:  # a class gone since: APScheduler reports and drops it
                log.warning("stored job %s cannot be read; left for the scheduler", job_id)
                continue
            fresh = _current(state, scope) if isinstance(state, dict) else None
            if fresh is None:
                continue
            conn.execute(
                update(table)
                .where(table.c.id == job_id)
                .values(job_state=pickle.dumps(fresh, pickle.HIGHEST_PROTOCOL))
            )
            changed += 1
    if changed:
        log.info("brought %d stored job(s) to stable, secret-free names", changed)
    return changed


__all__ = [
    "ENTRY",
    "KINDS",
    "LEGACY_FUNCS",
    "display_url",
    "job_kwargs",
    "migrate_rows",
    "store_scope",
    "without_password",
]
