"""``blocker serve`` with ``BLOCKER_JOBS_BACKEND=procrastinate``: HTTP + enqueue, no jobs run.

The app factory only knows the in-process APScheduler, so this builds the same
app without starting a scheduler and puts a :class:`ProcrastinateEnqueuer` where
the routes look for one (``app.state.scheduler``: webhooks call
``trigger_rebalance``, readiness reads ``running``). The jobs run in ``blocker
worker`` processes. Integration note: the cleaner home for this switch is
``blocker.web.app.create_app``; this module is the stop-gap until it moves there.
"""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from blocker.distributed.enqueue import ProcrastinateEnqueuer
from blocker.distributed.worker import require_procrastinate
from blocker.settings import Settings


def build_enqueue_only_app(settings: Settings) -> tuple[FastAPI, ProcrastinateEnqueuer]:
    """The web app with an (unstarted) procrastinate enqueuer in the scheduler's place."""
    from blocker.web.app import create_app

    require_procrastinate(settings)
    # The factory refuses procrastinate (it would start APScheduler); it gets a copy
    # that only differs in that field, and starts no scheduler.
    app = create_app(
        settings.model_copy(update={"jobs_backend": "apscheduler"}), start_scheduler=False
    )
    enqueuer = ProcrastinateEnqueuer(app.state.runtime)
    app.state.scheduler = enqueuer
    return app, enqueuer


def serve_enqueue_only(
    settings: Settings,
    config_path: Path | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Run the web app until SIGINT/SIGTERM; webhooks and rules changes defer jobs."""
    if config_path is not None:
        settings = settings.model_copy(update={"rules_path": Path(config_path)})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app, enqueuer = build_enqueue_only_app(settings)
    enqueuer.start()
    try:
        uvicorn.run(
            app,
            host=host or settings.host,
            port=port or settings.port,
            proxy_headers=True,
            timeout_graceful_shutdown=30,
        )
    finally:
        enqueuer.shutdown()


__all__ = ["build_enqueue_only_app", "serve_enqueue_only"]
